"""Times are stored in UTC and shown in Asia/Shanghai (Babel does the showing)."""

from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def aware(moment: datetime | None) -> datetime | None:
    """A stored time as an aware UTC datetime (SQLite gives back naive UTC values)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=timezone.utc)


def machine_time(moment: datetime | None) -> str:
    """A stored time for a ``<time datetime>`` attribute: UTC, whole seconds, with its
    offset (HTML allows at most three digits of a second, and a naive value would be read
    as local time)."""
    if moment is None:
        return ""
    return aware(moment).astimezone(timezone.utc).replace(microsecond=0).isoformat()


# Times people read on event pages, boards and confirmations: to the minute, never seconds
# (Babel's "medium" format shows them), 24-hour in both languages, as notices in China do.
WHEN_PATTERNS = {"zh": "y年M月d日 HH:mm", "en": "d MMM y, HH:mm"}
TIME_PATTERN = "HH:mm"


def format_when(moment: datetime | None) -> str:
    """A stored time in Asia/Shanghai to the minute: "2026年12月10日 14:30", "10 Dec 2026, 14:30"."""
    if moment is None:
        return ""
    from flask_babel import format_datetime

    from .i18n import current_lang

    return format_datetime(aware(moment), WHEN_PATTERNS.get(current_lang(), WHEN_PATTERNS["en"]))


def format_until(start: datetime, end: datetime) -> str:
    """The end of an event that begins at ``start``: "16:30" on the same day, else the
    whole time ("2026年12月11日 09:00")."""
    from flask_babel import format_date, format_datetime

    if format_date(aware(start), "yyyy-MM-dd") == format_date(aware(end), "yyyy-MM-dd"):
        return format_datetime(aware(end), TIME_PATTERN)
    return format_when(end)
