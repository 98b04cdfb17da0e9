"""The page cache in front of the public boards pages and the home page: a repeat view runs
no SQL once the version is memoised; a change made in this process shows on the very next
view, one made elsewhere once the 2-second memo has run out; signed-in people are never
served a cached page; the CSRF token, the screen's clock, the host and time-bound event
states are right on a cached page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from app.boards.models import Event, Notice

from app.core.cache import CSRF_PLACEHOLDER, page_cache, versions
from app.core.timeutil import utcnow
from app.extensions import db
from app.intake.models import ServiceRequest
from app.org.models import Building
from tests.conftest import csrf_from, text_of

HX = {"HX-Request": "true"}


def _new_event(app, seats: int = 5, days: int = 3, **extra) -> int:
    with app.app_context():
        tower = db.session.scalar(sa.select(Building).where(Building.slug == "shanghai-tower"))
        start = utcnow() + timedelta(days=days)
        item = Event(building_id=tower.id, title_zh="缓存测试活动", title_en="Cache test event", place_zh="B1", starts_at=start,
                     ends_at=start + timedelta(hours=2), seats=seats, **extra)
        db.session.add(item)
        db.session.commit()
        return item.id


def _statements(app, client, url: str, headers=None, *, queries_only: bool = False):
    seen: list[str] = []
    with app.app_context():
        listener = lambda _c, _cur, statement, *args: seen.append(statement)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            response = client.get(url, headers=headers or {})
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == 200, url
    if queries_only:  # SQLite's explicit BEGIN (app.core.db) is not a query
        seen = [s for s in seen if s.strip().upper() != "BEGIN"]
    return len(seen), response


def _seats(html: str) -> str:
    return re.search(r'<span id="seats-\d+"[^>]*>([^<]+)</span>', html).group(1)


def _received(html: str, prefix: str) -> int:
    return int(re.search(rf'<dd id="{prefix}-received">(\d+)</dd>', html).group(1))


def _pages(event_id: int) -> list[tuple[str, dict | None]]:
    slug = "/zh/boards/shanghai-tower"
    return [
        ("/zh/", None),
        ("/en/", None),
        ("/zh/boards/", None),
        ("/zh/boards/?street=lujiazui", None),
        ("/zh/boards/?street=lujiazui", HX),
        (slug, None),
        ("/en/boards/shanghai-tower", None),
        (slug + "/screen", None),
        (slug + "/screen", HX),
        (slug + "/poster", None),
        (f"{slug}/events/{event_id}", None),
        (f"{slug}/events/{event_id}?part=seats", HX),
    ]


def test_repeat_views_run_no_sql(app, client, demo):
    event_id = _new_event(app)
    for url, headers in _pages(event_id):
        first, built = _statements(app, client, url, headers)
        again, served = _statements(app, client, url, headers)
        assert first > 0 and again == 0, (url, first, again)
        if 'name="csrf_token"' in built.get_data(as_text=True):  # same visitor, same token
            assert csrf_from(served.get_data(as_text=True)) == csrf_from(built.get_data(as_text=True))
        assert CSRF_PLACEHOLDER not in served.get_data(as_text=True)
    # a fragment and the full page of one URL are different entries
    full = client.get("/zh/boards/shanghai-tower/screen").get_data(as_text=True)
    part = client.get("/zh/boards/shanghai-tower/screen", headers=HX).get_data(as_text=True)
    assert "<html" in full and part.lstrip().startswith('<div id="screen"')


def test_version_is_one_statement(app, client, demo):
    """A cache hit after the memo ran out costs exactly the version read."""
    client.get("/zh/boards/shanghai-tower")
    versions.clear()
    count, _r = _statements(app, client, "/zh/boards/shanghai-tower", queries_only=True)
    assert count == 1


def test_a_new_request_shows_on_the_next_view(app, client, demo):
    from tests.guide_fixtures import make_entries
    from tests.test_intake import form_values

    make_entries(app)
    board = _received(client.get("/zh/boards/shanghai-tower").get_data(as_text=True), "stat")
    home = _received(client.get("/zh/").get_data(as_text=True), "figure")
    assert _statements(app, client, "/zh/boards/shanghai-tower")[0] == 0
    filed = client.post("/zh/requests/new", data=form_values(client))
    assert filed.status_code == 303
    assert _received(client.get("/zh/boards/shanghai-tower").get_data(as_text=True), "stat") == board + 1
    assert _received(client.get("/zh/").get_data(as_text=True), "figure") == home + 1


def test_event_registration_shows_at_once(app, client, demo):
    """Post/Redirect/Get: after registering, the event page, its seats poll and the board
    show the seat just taken — no 2-second wait in the process that took it."""
    event_id = _new_event(app, seats=5)
    url = f"/zh/boards/shanghai-tower/events/{event_id}"
    page = client.get(url).get_data(as_text=True)
    assert "5" in _seats(page)
    client.get(url + "?part=seats", headers=HX)
    client.get("/zh/boards/shanghai-tower")
    done = client.post(url, data={"csrf_token": csrf_from(page), "name": "王小明", "phone": "13812345678"})
    assert done.status_code == 303
    assert "您已报名成功" in text_of(client.get(done.location))
    assert "4" in _seats(client.get(url).get_data(as_text=True))
    assert "4" in _seats(client.get(url + "?part=seats", headers=HX).get_data(as_text=True))
    assert "剩余 4 个座位" in text_of(client.get("/zh/boards/shanghai-tower"))


def test_staff_edit_of_a_notice_shows_to_visitors_at_once(app, client, auth, demo):
    visitor = app.test_client()
    assert "缓存公告" not in text_of(visitor.get("/zh/boards/shanghai-tower"))
    auth.login("council@example.com")
    token = csrf_from(client.get("/zh/council/boards/shanghai-tower/notices/new").get_data(as_text=True))
    created = client.post("/zh/council/boards/shanghai-tower/notices/new", data={"csrf_token": token, "title_zh": "缓存公告", "title_en": "", "body_zh": "周六停水", "body_en": ""})
    assert created.status_code == 303
    assert "缓存公告" in text_of(visitor.get("/zh/boards/shanghai-tower"))
    with app.app_context():
        notice_id = db.session.scalar(sa.select(Notice.id).where(Notice.title_zh == "缓存公告"))
    edited = client.post(f"/zh/council/boards/shanghai-tower/notices/{notice_id}", data={"csrf_token": token, "title_zh": "缓存公告（更正）", "title_en": "", "body_zh": "周日停水", "body_en": ""})
    assert edited.status_code == 303
    text = text_of(visitor.get("/zh/boards/shanghai-tower"))
    assert "缓存公告（更正）" in text and "周日停水" in text


def test_a_change_made_elsewhere_shows_once_the_memo_runs_out(app, client, demo):
    """Another process's change never bumps this process's memo: the version read does."""
    client.get("/zh/boards/shanghai-tower")
    client.get("/zh/")
    with app.app_context():
        tower_id = db.session.scalar(sa.select(Building.id).where(Building.slug == "shanghai-tower"))
        before = db.session.scalar(sa.select(sa.func.count()).select_from(ServiceRequest).where(ServiceRequest.building_id == tower_id))
        with db.engine.begin() as conn:  # outside the session: no after-commit bump
            conn.execute(sa.insert(Notice).values(building_id=tower_id, title_zh="别处的公告", body_zh="正文", published_at=utcnow(), updated_at=utcnow()))
            conn.execute(sa.insert(ServiceRequest).values(
                tracking_no="LS-2026-990001", access_code_hash="x" * 64, building_id=tower_id, description="d", stage="received",
                created_at=utcnow() - timedelta(days=400), updated_at=utcnow() - timedelta(days=400), reopen_count=0, source="web", reply_lang="zh"))
    assert "别处的公告" not in text_of(client.get("/zh/boards/shanghai-tower"))  # still memoised
    versions.clear()  # what 2 seconds do
    html = client.get("/zh/boards/shanghai-tower").get_data(as_text=True)
    assert "别处的公告" in text_of_html(html) and _received(html, "stat") == before + 1


def text_of_html(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"(?s)<[^>]+>", " ", html))


def test_signed_in_staff_never_get_a_cached_page(app, client, auth, demo):
    visitor = app.test_client()
    event_id = _new_event(app)
    urls = [u for u, _h in _pages(event_id)]
    for url in urls:
        visitor.get(url)  # fill the cache
    auth.login("council@example.com")
    for url in urls:
        count, _r = _statements(app, client, url)
        assert count > 0, url
    board = client.get("/zh/boards/shanghai-tower").get_data(as_text=True)
    assert "/council/boards/shanghai-tower/" in board  # "Edit the board": theirs only
    event_page = client.get(f"/zh/boards/shanghai-tower/events/{event_id}").get_data(as_text=True)
    assert 'value="Council Member 楼事会委员"' in event_page and csrf_from(event_page) != CSRF_PLACEHOLDER
    # and nothing of theirs reached the visitors' copies
    assert "/council/boards/shanghai-tower/" not in visitor.get("/zh/boards/shanghai-tower").get_data(as_text=True)
    assert "楼事会委员" not in visitor.get(f"/zh/boards/shanghai-tower/events/{event_id}").get_data(as_text=True)


def test_two_visitors_get_their_own_csrf_token_from_a_cached_event_page(app, demo):
    event_id = _new_event(app)
    url = f"/zh/boards/shanghai-tower/events/{event_id}"
    first, second = app.test_client(), app.test_client()
    one = first.get(url).get_data(as_text=True)
    count, response = _statements(app, second, url)
    two = response.get_data(as_text=True)
    assert count == 0
    assert CSRF_PLACEHOLDER not in one + two
    assert csrf_from(one) != csrf_from(two)
    assert re.search(r'"X-CSRFToken": "([^"]+)"', two).group(1) == csrf_from(two)  # body and form alike
    # the second visitor's token is valid for the second visitor's session
    done = second.post(url, data={"csrf_token": csrf_from(two), "name": "李四", "phone": "13900001111"})
    assert done.status_code == 303
    wrong = first.post(url, data={"csrf_token": csrf_from(two), "name": "张三", "phone": "13900002222"})
    assert wrong.status_code in (400, 422)


def test_time_bound_event_states_follow_the_clock(app, client, demo, monkeypatch):
    """Registration closing, and an event ending, change the pages with no row changing."""
    import app.boards.registrations as registrations
    import app.boards.routes as routes

    def clock(moment):  # the board (routes.py) and the event page (registrations.py)
        for module in (routes, registrations):
            monkeypatch.setattr(module, "utcnow", lambda: moment)

    closes = utcnow() + timedelta(hours=1)
    event_id = _new_event(app, days=2, registration_closes_at=closes)
    url = f"/zh/boards/shanghai-tower/events/{event_id}"
    assert "报名已截止" not in text_of(client.get(url)) and "缓存测试活动" in text_of(client.get("/zh/boards/shanghai-tower"))
    later = closes + timedelta(minutes=1)
    clock(later)
    versions.clear()  # the memo runs out
    assert "报名已截止" in text_of(client.get(url))
    after_end = utcnow() + timedelta(days=3)
    clock(after_end)
    versions.clear()
    assert "缓存测试活动" not in text_of(client.get("/zh/boards/shanghai-tower"))


def test_the_lobby_screen_clock_is_written_per_answer(app, client, demo, monkeypatch):
    import app.boards.routes as routes

    client.get("/en/boards/shanghai-tower/screen", headers=HX)
    later = utcnow() + timedelta(hours=5)
    monkeypatch.setattr(routes, "utcnow", lambda: later)
    count, response = _statements(app, client, "/en/boards/shanghai-tower/screen", HX)
    assert count == 0  # still the cached figures (the version is memoised) …
    with app.test_request_context("/en/"):
        from flask_babel import format_datetime, force_locale

        with force_locale("en"):
            expected = format_datetime(later)
    assert expected in response.get_data(as_text=True)  # … with the time of this answer


def test_a_forged_host_never_reaches_other_visitors(app, client, demo):
    evil = client.get("/zh/boards/shanghai-tower/poster", headers={"Host": "evil.example"}).get_data(as_text=True)
    assert "evil.example" in evil
    assert "evil.example" not in app.test_client().get("/zh/boards/shanghai-tower/poster").get_data(as_text=True)
    assert "evil.example" not in app.test_client().get("/zh/").get_data(as_text=True)


@pytest.mark.parametrize("url", ["/zh/boards/no-such-building", "/zh/boards/shanghai-tower/events/999999", "/zh/boards/no-such/screen"])
def test_missing_pages_are_404_and_not_cached(app, client, demo, url):
    assert client.get(url).status_code == 404
    assert client.get(url).status_code == 404
    assert not any(True for _ in page_cache._local.values() if "no-such" in _)
