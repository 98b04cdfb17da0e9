"""Reads of the open boards.  Every figure is an aggregate computed by the database over
indexed columns (never rows loaded into Python), so a board costs the same few queries
whatever the number of requests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import current_app
from flask_babel import ngettext
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..intake.models import OPEN_STAGES, ServiceRequest
from ..org.models import Building, Council, Street
from ..wall.models import Claim, Project, Resource, Wish

DONE = ("resolved", "closed")


def streets() -> sa.Select:
    return sa.select(Street).order_by(Street.code)


def buildings(street: str = "") -> sa.Select:
    stmt = sa.select(Building).options(selectinload(Building.council).selectinload(Council.members)).order_by(Building.street_id, Building.slug)
    if street:
        stmt = stmt.where(Building.street_id == sa.select(Street.id).where(Street.code == street).scalar_subquery())
    return stmt


def building_by_slug(slug: str) -> sa.Select:
    return sa.select(Building).options(selectinload(Building.council).selectinload(Council.members)).where(Building.slug == slug)


def request_figures(building_id: int | None = None) -> sa.Select:
    """received, completed, in progress, answered within a working day, ratings, good
    ratings — for one building or (None) the district."""
    req = ServiceRequest
    stmt = sa.select(
        sa.func.count().label("received"),
        sa.func.count().filter(req.stage.in_(DONE)).label("completed"),
        sa.func.count().filter(req.stage.in_(OPEN_STAGES)).label("in_progress"),
        sa.func.count().filter(req.first_response_on_time.is_(True)).label("on_time"),
        sa.func.count(req.rating).label("rated"),
        sa.func.count().filter(req.rating >= 4).label("satisfied"),
    )
    if building_id is not None:
        stmt = stmt.where(req.building_id == building_id)
    return stmt


# --- the public rates: one rule for every page that shows them -------------------------------


@dataclass(frozen=True)
class Rate:
    """One public rate (响应率 解决率 满意率): ``part`` of ``whole``, shown with its count,
    and as "—" while ``whole`` is below ``minimum`` (config ``RATE_MIN_COUNT``): one rating
    of 5 is not "满意率 100%".  ``unit`` is "ratings" or "requests"."""

    part: int
    whole: int
    minimum: int
    unit: str

    @property
    def shown(self) -> bool:
        return self.whole >= self.minimum and self.whole > 0

    @property
    def value(self) -> float | None:
        return self.part / self.whole if self.shown else None

    @property
    def text(self) -> str:
        return "—" if self.value is None else f"{self.value * 100:.0f}%"

    @property
    def note(self) -> str:
        """The count beside the rate, or why there is none ("评价不足 5 次")."""
        if self.unit == "ratings":
            if not self.shown:
                return ngettext("(fewer than %(num)d rating)", "(fewer than %(num)d ratings)", self.minimum)
            return ngettext("(%(num)d rating)", "(%(num)d ratings)", self.whole)
        if not self.shown:
            return ngettext("(fewer than %(num)d request)", "(fewer than %(num)d requests)", self.minimum)
        return ngettext("(%(num)d request)", "(%(num)d requests)", self.whole)


@dataclass(frozen=True)
class Rates:
    """The figures and three rates the seeds quote, from one row of ``request_figures``;
    ``Rates.of(row)`` applies the configured minimum.  The board, the lobby screen and the
    district roll-up all show these objects (templates/boards/_rates.html), so every page
    agrees."""

    received: int
    completed: int
    in_progress: int
    on_time: int
    rated: int
    satisfied: int
    minimum: int = 5

    @classmethod
    def of(cls, row) -> "Rates":
        return cls(*row, minimum=current_app.config["RATE_MIN_COUNT"])

    @property
    def response_rate(self) -> Rate:  # 响应率
        return Rate(self.on_time, self.received, self.minimum, "requests")

    @property
    def resolution_rate(self) -> Rate:  # 解决率
        return Rate(self.completed, self.received, self.minimum, "requests")

    @property
    def satisfaction_rate(self) -> Rate:  # 满意率
        return Rate(self.satisfied, self.rated, self.minimum, "ratings")

    @property
    def rules(self) -> list[str]:
        """The rule, written where the rates are shown."""
        return [
            ngettext("The satisfaction rate counts rated requests only; it is not shown below %(num)d rating.",
                     "The satisfaction rate counts rated requests only; it is not shown below %(num)d ratings.", self.minimum),
            ngettext("The response and resolution rates count requests received; they are not shown below %(num)d request.",
                     "The response and resolution rates count requests received; they are not shown below %(num)d requests.", self.minimum),
        ]


def figures_by_building() -> sa.Select:
    """(building_id, received, completed, in progress) for the boards index: one grouped query."""
    req = ServiceRequest
    return sa.select(
        req.building_id,
        sa.func.count().label("received"),
        sa.func.count().filter(req.stage.in_(DONE)).label("completed"),
        sa.func.count().filter(req.stage.in_(OPEN_STAGES)).label("in_progress"),
    ).group_by(req.building_id)


def wish_figures(building_id: int | None = None) -> sa.Select:
    stmt = sa.select(
        sa.func.count().filter(Wish.status == "approved").label("on_wall"),
        sa.func.count().filter(Wish.status == "approved", Wish.progress == "fulfilled").label("fulfilled"),
    )
    if building_id is not None:
        stmt = stmt.where(Wish.building_id == building_id)
    return stmt


def monthly(building_id: int, bounds: list) -> sa.Select:
    """Requests received and completed in each month, one statement: ``bounds`` are the 13
    month boundaries (aware datetimes, Shanghai midnight); each month is a range count over
    (building_id, created_at) / the completion time, so no row is formatted one by one."""
    req = ServiceRequest
    done_at = sa.func.coalesce(req.resolved_at, req.closed_at)
    columns = []
    for i in range(len(bounds) - 1):
        start, end = bounds[i], bounds[i + 1]
        columns.append(sa.func.count().filter(req.created_at >= start, req.created_at < end).label(f"r{i}"))
        columns.append(sa.func.count().filter(req.stage.in_(DONE), done_at >= start, done_at < end).label(f"c{i}"))
    return sa.select(*columns).where(req.building_id == building_id, sa.or_(req.created_at >= bounds[0], done_at >= bounds[0]))


def open_needs(building_id: int, limit: int = 10) -> tuple[sa.Select, sa.Select]:
    """需求清单, anonymised: open requests that may be listed publicly (their service, stage
    and date only; ``publicly_listed``: never a sensitive, "something else" or opted-out
    one, which only count in the figures) and open approved wishes (their published text)."""
    from ..guide.models import GuideEntry
    from ..intake.queries import publicly_listed

    requests = (
        sa.select(ServiceRequest.id, ServiceRequest.stage, ServiceRequest.created_at, GuideEntry.title_zh, GuideEntry.title_en)
        .join(GuideEntry, GuideEntry.id == ServiceRequest.entry_id)
        .where(ServiceRequest.building_id == building_id, ServiceRequest.stage.in_(OPEN_STAGES), publicly_listed())
        .order_by(ServiceRequest.created_at.desc())
        .limit(limit)
    )
    wishes = (
        sa.select(Wish)
        .where(Wish.building_id == building_id, Wish.status == "approved", Wish.progress != "fulfilled")
        .order_by(Wish.support_count.desc(), Wish.id.desc())
        .limit(limit)
    )
    return requests, wishes


def resources(building_id: int) -> sa.Select:
    return (
        sa.select(Resource)
        .where(Resource.active.is_(True), sa.or_(Resource.building_id == building_id, Resource.building_id.is_(None)))
        .order_by(Resource.building_id.is_(None), Resource.org_zh)
    )


def projects(building_id: int) -> sa.Select:
    return sa.select(Project).where(Project.building_id == building_id).order_by(Project.status, Project.updated_at.desc())


def fulfilled_wishes(building_id: int, limit: int = 5) -> sa.Select:
    return (
        sa.select(Wish)
        .join(Claim, Claim.wish_id == Wish.id)
        .where(Wish.building_id == building_id, Wish.status == "approved", Wish.progress == "fulfilled")
        .order_by(Wish.fulfilled_at.desc())
        .limit(limit)
    )


def upcoming_events(building_id: int, now, limit: int = 10) -> sa.Select:
    from .models import Event

    return sa.select(Event).where(Event.building_id == building_id, Event.ends_at >= now).order_by(Event.starts_at).limit(limit)


def all_events(building_id: int) -> sa.Select:
    from .models import Event

    return sa.select(Event).where(Event.building_id == building_id).order_by(Event.starts_at.desc()).limit(200)


def event_in(building_id: int, event_id: int) -> sa.Select:
    from .models import Event

    return sa.select(Event).where(Event.id == event_id, Event.building_id == building_id)


def decisions(building_id: int, limit: int = 20) -> sa.Select:
    from .models import Decision

    return sa.select(Decision).where(Decision.building_id == building_id).order_by(Decision.held_on.desc(), Decision.id.desc()).limit(limit)


def notices(building_id: int, limit: int = 20) -> sa.Select:
    from .models import Notice

    return sa.select(Notice).where(Notice.building_id == building_id).order_by(Notice.published_at.desc()).limit(limit)


# --- how long a built boards page (or the home page) holds --------------------------------


def next_event_moment(now) -> sa.Select:
    """The next event start, end, registration opening or closing after ``now``: the
    "upcoming" lists, "registration closed / opens on …" and "full" change at those
    moments without any row changing, so a cached page holds until then (app/core/cache.py;
    writes make it stale at once).  NULL when no such moment is ahead."""
    from .models import Event

    def first(column):
        return sa.select(sa.func.min(column)).where(column > now).scalar_subquery()

    return sa.select(first(Event.starts_at), first(Event.ends_at), first(Event.registration_opens_at),
                     first(Event.registration_closes_at))


def waitlist_position(registration) -> sa.Select:
    """A waitlisted registration's place on the waitlist (1 = the next to get a seat): the
    waitlisted registrations of its event that arrived before it, plus one.  Its
    ``position`` is the order of arrival among every registration, seated ones included."""
    from .models import Registration

    return sa.select(sa.func.count() + 1).select_from(Registration).where(
        Registration.event_id == registration.event_id,
        Registration.status == "waitlisted",
        Registration.position < registration.position,
    )



def registration_by_token(token: str) -> sa.Select:
    """The registration whose private cancel link carries ``token`` (its hash is stored)."""
    from .models import Registration
    from .services import token_hash

    return sa.select(Registration).where(Registration.cancel_token_hash == token_hash(token))
