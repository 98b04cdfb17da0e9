"""Where a request stands, in words a requester understands: the five stages of the closed
loop as steps (done, current, to come) and one sentence for the current step, built from
the request's facts (its stage, department and promised date), never from the stage alone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from babel.dates import format_skeleton
from flask_babel import format_date, get_locale
from flask_babel import gettext as _

from ..core.workdays import SHANGHAI
from .models import STAGES

ORDER = ("received", "assigned", "in_progress", "resolved", "closed")


@dataclass(frozen=True)
class Step:
    stage: str
    label: str
    state: str  # "done" | "current" | "todo"


def today() -> date:
    return datetime.now(SHANGHAI).date()


def promised(day: date, today: date) -> str:
    """A promised date as people say it: "12月9日" / "December 9" this year, with the year otherwise."""
    if day.year == today.year:
        return format_skeleton("MMMMd", day, locale=get_locale())
    return format_date(day, "long")


def steps(req) -> list[Step]:
    current = ORDER.index(req.stage) if req.stage in ORDER else 0
    return [
        Step(s, str(STAGES[s]), "done" if i < current else "current" if i == current else "todo")
        for i, s in enumerate(ORDER)
    ]


def now_sentence(req, today: date, detailed: bool = True) -> str:
    """The current step in words.  ``detailed`` (the requester who unlocked the page, and
    staff) names the department and the promised date; the locked page, which anyone
    with the tracking number can open, says only what kind of step it is."""
    dept = req.department.loc("name").text if req.department is not None else ""
    due = promised(req.due_on, today) if req.due_on else ""
    late = bool(req.due_on and req.due_on < today)
    stage = req.stage
    if req.duplicate_of is not None and stage == "closed":
        return _("This request was merged into another one and is handled there.")
    if stage == "closed":
        return _("This request is closed.")
    if stage == "resolved":
        if detailed and dept:
            return _("%(dept)s has answered. Please tell us whether it is solved.", dept=dept)
        return _("The department has answered. Please tell us whether it is solved.")
    if not dept:
        return _("We have your request and are finding the right department.")
    if not detailed:
        return {
            "received": _("Your request has been passed to the department that handles it."),
            "assigned": _("The department and the building council are discussing it."),
            "in_progress": _("The department is working on it."),
        }[stage]
    if stage == "received":
        first = _("Passed to %(dept)s", dept=dept)
    elif stage == "assigned":
        first = _("%(dept)s and the building council are discussing it", dept=dept)
    else:
        first = _("%(dept)s is working on it", dept=dept)
    if not due:
        return _("%(what)s.", what=first)
    if late:
        return _("%(what)s; the answer promised by %(date)s is late.", what=first, date=due)
    return _("%(what)s; answer promised by %(date)s.", what=first, date=due)
