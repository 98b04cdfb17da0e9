"""Times are stored in UTC and shown in Asia/Shanghai (Babel does the showing)."""

from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
