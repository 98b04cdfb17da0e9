"""Working days in mainland China, for the due dates of service requests.

A service promises an answer within so many *working* days (承诺时限).  A working day is
Monday to Friday, except the official days off of the State Council's yearly holiday
arrangement (国务院办公厅关于部分节假日安排的通知), plus the make-up working days (调休)
that arrangement moves onto some Saturdays and Sundays.

The arrangement is published each year (usually in November, for the following year), so
it cannot be computed: it is read from a JSON table, by default the packaged
``app/core/data/holidays-cn.json``; a deployment can point ``HOLIDAYS_FILE`` at its own
copy (for example to add next year before a release ships it)::

    {"source": "...",
     "years": {"2026": {"holidays": ["2026-01-01", ...], "workdays": ["2026-01-04", ...]}}}

``holidays`` lists every official day off of the year, including the weekend days inside
a holiday block; ``workdays`` lists the make-up working days, which must be Saturdays or
Sundays.  Every date must belong to the year it is listed under.

**Years missing from the table** fall back to plain weekends: Monday to Friday are
working days, Saturday and Sunday are not, and no public holiday is known.  A due date in
such a year may therefore be a few days early; callers that care can check
``WorkCalendar.covers(year)`` and warn.

Time zone: requests are stored in UTC, but "the day it was filed" is the day in
Asia/Shanghai, so ``due_date`` converts before counting.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app

SHANGHAI = ZoneInfo("Asia/Shanghai")

#: The table shipped with the application.
DEFAULT_HOLIDAYS_FILE = Path(__file__).resolve().parent / "data" / "holidays-cn.json"

# Strict ISO dates only: ``date.fromisoformat`` on 3.11 also takes "20260101" or
# "2026-W01-4", which are more likely typos than intent in a hand-edited table.
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_YEAR = re.compile(r"\d{4}")
_SATURDAY = 5  # date.weekday(): Monday is 0, Saturday 5, Sunday 6


@dataclass(frozen=True)
class WorkCalendar:
    """Official days off and make-up working days, and the years they are known for."""

    holidays: frozenset[date]
    workdays: frozenset[date]
    years: frozenset[int]

    def is_working_day(self, d: date) -> bool:
        """True on a make-up working day, False on an official day off, else Mon–Fri."""
        if d in self.workdays:
            return True
        if d in self.holidays:
            return False
        return d.weekday() < _SATURDAY

    def add_working_days(self, start: date, days: int) -> date:
        """The date ``days`` working days after ``start``; ``start`` itself is not counted
        (filed on a Friday with 1 day: due the next working day, usually Monday).

        ``days=0`` gives ``start`` when it is a working day, else the next working day.
        """
        if days < 0:
            raise ValueError(f"days must be zero or more, not {days}")
        current = start
        if days == 0:
            while not self.is_working_day(current):
                current += timedelta(days=1)
            return current
        remaining = days
        while remaining:
            current += timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """The number of working days in (start, end]: 0 when ``end <= start``.

        The inverse of ``add_working_days``: for ``days >= 1``,
        ``working_days_between(s, add_working_days(s, days)) == days``.
        """
        count = 0
        current = start
        while current < end:
            current += timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count

    def covers(self, year: int) -> bool:
        """Whether the table knows the holiday arrangement of ``year`` (if not, that year
        counts plain weekends only)."""
        return year in self.years


def _parse_date(value: object, where: str) -> date:
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError(f"{where}: {value!r} is not a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{where}: {value!r} is not a valid date") from None


def _parse_year(year_key: str, entry: object, where: str) -> tuple[set[date], set[date]]:
    """The holidays and make-up workdays listed under one year, validated."""
    if not _YEAR.fullmatch(year_key):
        raise ValueError(f"{where}: year key {year_key!r} is not a four-digit year")
    year = int(year_key)
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: year {year} must be an object with 'holidays' and 'workdays'")
    unknown = set(entry) - {"holidays", "workdays"}
    if unknown:
        raise ValueError(f"{where}: year {year} has unknown keys {sorted(unknown)}")
    parsed: dict[str, set[date]] = {}
    for kind in ("holidays", "workdays"):
        values = entry.get(kind)
        if not isinstance(values, list):
            raise ValueError(f"{where}: year {year} needs a list '{kind}'")
        dates = set()
        for value in values:
            d = _parse_date(value, f"{where}: {year} {kind}")
            if d.year != year:
                raise ValueError(f"{where}: {d.isoformat()} is listed under year {year}")
            dates.add(d)
        parsed[kind] = dates
    holidays, workdays = parsed["holidays"], parsed["workdays"]
    both = sorted(holidays & workdays)
    if both:
        listed = ", ".join(d.isoformat() for d in both)
        raise ValueError(f"{where}: {listed} listed both as holiday and as make-up workday")
    for d in sorted(workdays):
        if d.weekday() < _SATURDAY:
            raise ValueError(
                f"{where}: make-up workday {d.isoformat()} is a {d.strftime('%A')}, "
                "not a Saturday or Sunday"
            )
    return holidays, workdays


def load_calendar(path: str | Path | None = None) -> WorkCalendar:
    """Read and validate a holiday table (the packaged one when ``path`` is None).

    Raises ``ValueError`` naming the file and the problem when the JSON is malformed, a
    date does not parse, a date is both holiday and make-up workday, a make-up workday
    is not a Saturday or Sunday, or a date is listed under another year.  A missing
    file raises the usual ``OSError``.
    """
    source = Path(path) if path is not None else DEFAULT_HOLIDAYS_FILE
    where = str(source)
    try:
        document = json.loads(source.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{where}: not valid JSON ({exc})") from None
    if not isinstance(document, dict) or not isinstance(document.get("years"), dict):
        raise ValueError(f"{where}: expected an object with a 'years' object")
    holidays: set[date] = set()
    workdays: set[date] = set()
    years: set[int] = set()
    for year_key, entry in document["years"].items():
        year_holidays, year_workdays = _parse_year(year_key, entry, where)
        holidays |= year_holidays
        workdays |= year_workdays
        years.add(int(year_key))
    return WorkCalendar(frozenset(holidays), frozenset(workdays), frozenset(years))


@lru_cache(maxsize=8)
def _cached_calendar(path: str) -> WorkCalendar:
    return load_calendar(path)


def calendar() -> WorkCalendar:
    """The calendar of the current Flask app: ``HOLIDAYS_FILE`` if configured, else the
    packaged table.  Read once per path and process; a changed file needs a restart."""
    configured = current_app.config.get("HOLIDAYS_FILE")
    return _cached_calendar(str(configured or DEFAULT_HOLIDAYS_FILE))


def due_date(received_at: datetime, days: int, cal: WorkCalendar | None = None) -> date:
    """The due date of a request received at ``received_at`` (an aware datetime, stored
    in UTC) with a time limit of ``days`` working days.

    Counting starts from the day of receipt in Shanghai: a request filed at 23:30
    Shanghai time on a Monday (15:30 UTC) counts from that Monday.  Without ``cal`` the
    current app's calendar is used (needs an app context).
    """
    if received_at.tzinfo is None or received_at.utcoffset() is None:
        raise ValueError("received_at must be an aware datetime (UTC), not a naive one")
    local_day = received_at.astimezone(SHANGHAI).date()
    return (cal if cal is not None else calendar()).add_working_days(local_day, days)
