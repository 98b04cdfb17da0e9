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
