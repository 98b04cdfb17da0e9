"""A building's events as an iCalendar (RFC 5545) document, made with ``icalendar``
(escaping, line folding and UTC times are the library's)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timezone

import icalendar

from ..core.timeutil import aware, utcnow

PRODID = "-//Loushi//Open Building Boards//ZH"


def calendar_bytes(events: Iterable, name: str, host: str, url_of: Callable[[object], str]) -> bytes:
    """``events`` (board events, their texts in the page's language) as one calendar named
    ``name``; each event's UID is ``event-<id>@<host>`` and its URL ``url_of(event)``."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    stamp = utcnow()
    for item in events:
        entry = icalendar.Event()
        entry.add("uid", f"event-{item.id}@{host}")
        entry.add("dtstamp", stamp)
        entry.add("dtstart", aware(item.starts_at).astimezone(timezone.utc))
        entry.add("dtend", aware(item.ends_at).astimezone(timezone.utc))
        entry.add("summary", item.loc("title").text)
        entry.add("description", item.loc("description").text)
        entry.add("location", item.loc("place").text)
        entry.add("url", url_of(item))
        calendar.add_component(entry)
    return calendar.to_ical()
