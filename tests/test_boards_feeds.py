"""A building's calendars and feed, read back with the libraries a subscriber's software
uses: the .ics files with ``icalendar`` (escaping, long lines folded in UTF-8, UTC
times), the Atom feed with ``feedparser`` (entries, titles, links, updated) in both
languages."""

from __future__ import annotations

from datetime import timedelta, timezone

import feedparser
import icalendar
import sqlalchemy as sa

from app.boards.models import Decision, Event, Notice
from app.org.models import Building
from app.core.timeutil import utcnow
from app.extensions import db

# Every character RFC 5545 escapes, a line break, and more than 75 octets of Chinese (folded).
AWKWARD_ZH = "现场答疑；欢迎参加, 带上名片\\资料\n第二行" + "楼宇服务" * 30
AWKWARD_EN = "Questions; welcome, all of them \\ even\nthe second line " + "x" * 120


def _tower(app):
    return db.session.scalar(sa.select(Building).where(Building.slug == "shanghai-tower"))


def _event(app) -> tuple[int, object]:
    with app.app_context():
        start = (utcnow() + timedelta(days=3)).replace(microsecond=0)
        event = Event(building_id=_tower(app).id, title_zh="人才政策宣讲", title_en="Talent policy briefing",
                      description_zh=AWKWARD_ZH, description_en=AWKWARD_EN, place_zh="B1 党群服务站", place_en="B1 station",
                      starts_at=start, ends_at=start + timedelta(hours=2), seats=10)
        db.session.add(event)
        db.session.commit()
        return event.id, start


def test_event_calendars_parse_with_icalendar_in_both_languages(app, client, demo):
    event_id, start = _event(app)
    one = client.get(f"/zh/boards/shanghai-tower/events/{event_id}.ics")
    assert one.status_code == 200 and one.mimetype == "text/calendar"
    assert one.headers["Content-Disposition"] == "attachment; filename=events.ics"
    assert all(len(line) <= 75 for line in one.data.split(b"\r\n")), "lines are folded at 75 octets"
    calendar = icalendar.Calendar.from_ical(one.data)
    assert str(calendar["VERSION"]) == "2.0" and str(calendar["PRODID"]).startswith("-//Loushi//")
    assert str(calendar["X-WR-CALNAME"]) == "上海中心大厦"
    [item] = calendar.walk("VEVENT")
    assert str(item["SUMMARY"]) == "人才政策宣讲"
    assert str(item["DESCRIPTION"]) == AWKWARD_ZH
    assert str(item["LOCATION"]) == "B1 党群服务站"
    assert str(item["UID"]) == f"event-{event_id}@localhost"
    assert item.decoded("DTSTART") == start.astimezone(timezone.utc)
    assert item.decoded("DTEND") == start.astimezone(timezone.utc) + timedelta(hours=2)
    assert str(item["URL"]) == f"http://localhost/zh/boards/shanghai-tower/events/{event_id}"

    english = icalendar.Calendar.from_ical(client.get("/en/boards/shanghai-tower/events.ics").data)
    ours = [e for e in english.walk("VEVENT") if str(e["UID"]) == f"event-{event_id}@localhost"]
    assert [(str(e["SUMMARY"]), str(e["DESCRIPTION"]), str(e["LOCATION"])) for e in ours] == [
        ("Talent policy briefing", AWKWARD_EN, "B1 station")]
    assert str(ours[0]["URL"]) == f"http://localhost/en/boards/shanghai-tower/events/{event_id}"
    assert client.get(f"/zh/boards/nowhere/events/{event_id}.ics").status_code == 404
    assert client.get("/zh/boards/shanghai-tower/events/999999.ics").status_code == 404


def test_atom_feed_parses_with_feedparser_in_both_languages(app, client, demo):
    with app.app_context():
        tower = _tower(app)
        db.session.add(Notice(building_id=tower.id, title_zh="消防演练<通知>", title_en="Fire drill & test", body_zh="周五 & 周六",
                              body_en="Friday"))
        db.session.add(Decision(building_id=tower.id, held_on=utcnow().date(), topic_zh="停车秩序", topic_en="Parking",
                                decision_zh="划设临停区", decision_en="A drop-off zone"))
        db.session.commit()
    for lang, name, notice, decision in (("zh", "上海中心大厦", "消防演练<通知>", "停车秩序"), ("en", "Shanghai Tower", "Fire drill & test", "Parking")):
        response = client.get(f"/{lang}/boards/shanghai-tower/feed.atom")
        assert response.status_code == 200 and response.mimetype == "application/atom+xml"
        parsed = feedparser.parse(response.data)
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert parsed.version == "atom10"
        assert parsed.feed.language == ("zh-Hans" if lang == "zh" else "en")
        assert parsed.feed.title.startswith(name)
        links = {link.rel: link.href for link in parsed.feed.links}
        assert links == {"alternate": f"http://localhost/{lang}/boards/shanghai-tower",
                         "self": f"http://localhost/{lang}/boards/shanghai-tower/feed.atom"}
        assert parsed.feed.updated_parsed is not None
        titles = [entry.title for entry in parsed.entries]
        assert notice in titles and decision in titles
        for entry in parsed.entries:
            assert entry.id.startswith("tag:localhost,2026:boards:shanghai-tower:")
            assert entry.link == f"http://localhost/{lang}/boards/shanghai-tower"
            assert entry.updated_parsed is not None and entry.updated.endswith("+00:00"), entry.updated
        # Newest first, and the feed's own updated is its newest entry's.
        stamps = [entry.updated for entry in parsed.entries]
        assert stamps == sorted(stamps, reverse=True) and parsed.feed.updated == stamps[0]
        summaries = {entry.title: entry.summary for entry in parsed.entries}
        assert summaries[notice] == ("周五 & 周六" if lang == "zh" else "Friday")
        assert summaries[decision] == ("划设临停区" if lang == "zh" else "A drop-off zone")
