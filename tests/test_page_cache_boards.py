"""The page cache in front of the public boards pages, the lobby screen and the home page:
a repeat view by an anonymous visitor runs no SQL; any commit that writes what they show
makes them stale at once (after the commit, whichever code wrote it); a page with a form,
a signed-in person's page and a missing page are never served from the cache; the
screen's clock, the host and time-bound event states are right on a cached page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from app.boards.models import Event, Notice
from app.core import cache
from app.org.models import Building
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


def _pages() -> list[tuple[str, dict | None]]:
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
    ]


@pytest.fixture
def still(monkeypatch):
    """The boards' clock stopped (the screen is cached for its second only)."""
    import app.boards.routes as routes

    now = utcnow()
    monkeypatch.setattr(routes, "utcnow", lambda: now)
    return now


def test_repeat_views_run_no_sql(app, client, demo, still):
    _new_event(app)
    for url, headers in _pages():
        first, built = _statements(app, client, url, headers)
        again, served = _statements(app, client, url, headers)
        assert first > 0 and again == 0, (url, first, again)
        assert served.get_data() == built.get_data()
        assert 'name="csrf_token"' not in served.get_data(as_text=True)  # no form: nothing of the visitor in it
    # a fragment and the full page of one URL are different entries
    full = client.get("/zh/boards/shanghai-tower/screen").get_data(as_text=True)
    part = client.get("/zh/boards/shanghai-tower/screen", headers=HX).get_data(as_text=True)
    assert "<html" in full and part.lstrip().startswith('<div id="screen"')


def test_a_page_with_a_form_is_never_served_from_the_cache(app, client, demo):
    """The event page has the registration form (the visitor's CSRF token): built for
    every view, and each visitor's token is their own and works."""
    event_id = _new_event(app)
    url = f"/zh/boards/shanghai-tower/events/{event_id}"
    first, second = app.test_client(), app.test_client()
    one = first.get(url).get_data(as_text=True)
    count, response = _statements(app, second, url)
    two = response.get_data(as_text=True)
    assert count > 0
    assert csrf_from(one) != csrf_from(two)
    done = second.post(url, data={"csrf_token": csrf_from(two), "name": "李四", "phone": "13900001111"})
    assert done.status_code == 303
    wrong = first.post(url, data={"csrf_token": csrf_from(two), "name": "张三", "phone": "13900002222"})
    assert wrong.status_code in (400, 422)


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


def test_a_change_committed_by_any_session_shows_at_once_and_nothing_before_its_commit(app, client, demo):
    """The invalidation runs after the commit (never before: a reader between the two would
    put the old page back under the new generation), whichever code wrote the change."""
    client.get("/zh/boards/shanghai-tower")
    with app.app_context():
        tower_id = db.session.scalar(sa.select(Building.id).where(Building.slug == "shanghai-tower"))
        db.session.add(Notice(building_id=tower_id, title_zh="别处的公告", body_zh="正文", published_at=utcnow()))
        db.session.flush()
        assert "别处的公告" not in text_of(client.get("/zh/boards/shanghai-tower"))  # written, not committed: the old page
        db.session.commit()
    assert "别处的公告" in text_of(client.get("/zh/boards/shanghai-tower"))
    with app.app_context():  # a Core statement through the session counts too
        db.session.execute(sa.update(Notice).where(Notice.title_zh == "别处的公告").values(title_zh="别处的公告（更正）"))
        db.session.commit()
    assert "别处的公告（更正）" in text_of(client.get("/zh/boards/shanghai-tower"))


def test_a_change_made_outside_the_session_shows_when_the_entry_runs_out(app, client, demo):
    """A write that no session sees (raw SQL on the engine, another program) is not noticed:
    it shows once the entry runs out (PAGE_CACHE_SECONDS)."""
    client.get("/zh/boards/shanghai-tower")
    with app.app_context():
        tower_id = db.session.scalar(sa.select(Building.id).where(Building.slug == "shanghai-tower"))
        before = db.session.scalar(sa.select(sa.func.count()).select_from(ServiceRequest).where(ServiceRequest.building_id == tower_id))
        with db.engine.begin() as conn:  # outside the session: no listener sees it
            conn.execute(sa.insert(Notice).values(building_id=tower_id, title_zh="别处的公告", body_zh="正文", published_at=utcnow(), updated_at=utcnow()))
            conn.execute(sa.insert(ServiceRequest).values(
                tracking_no="LS-2026-990001", access_code_hash="x" * 64, building_id=tower_id, description="d", stage="received",
                created_at=utcnow() - timedelta(days=400), updated_at=utcnow() - timedelta(days=400), reopen_count=0, source="web", reply_lang="zh"))
    assert "别处的公告" not in text_of(client.get("/zh/boards/shanghai-tower"))  # still the kept entry
    with app.app_context():
        cache.clear()  # what PAGE_CACHE_SECONDS do
    html = client.get("/zh/boards/shanghai-tower").get_data(as_text=True)
    assert "别处的公告" in text_of_html(html) and _received(html, "stat") == before + 1


def text_of_html(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"(?s)<[^>]+>", " ", html))


def test_signed_in_staff_never_get_a_cached_page(app, client, auth, demo, still):
    visitor = app.test_client()
    event_id = _new_event(app)
    urls = [u for u, _h in _pages()]
    for url in urls:
        visitor.get(url)  # fill the cache
    auth.login("council@example.com")
    for url in urls:
        count, _r = _statements(app, client, url)
        assert count > 0, url
    board = client.get("/zh/boards/shanghai-tower").get_data(as_text=True)
    assert "/council/boards/shanghai-tower/" in board  # "Edit the board": theirs only
    event_page = client.get(f"/zh/boards/shanghai-tower/events/{event_id}").get_data(as_text=True)
    assert 'value="Council Member 楼事会委员"' in event_page and csrf_from(event_page)
    # and nothing of theirs reached the visitors' copies
    assert "/council/boards/shanghai-tower/" not in visitor.get("/zh/boards/shanghai-tower").get_data(as_text=True)
    assert "楼事会委员" not in visitor.get(f"/zh/boards/shanghai-tower/events/{event_id}").get_data(as_text=True)


def test_time_bound_event_states_follow_the_clock(app, client, demo, monkeypatch):
    """Registration closing, and an event ending, change the pages with no row changing:
    a built board holds until the next event moment."""
    import app.boards.registrations as registrations
    import app.boards.routes as routes

    def clock(moment):  # the board (routes.py) and the event page (registrations.py)
        for module in (routes, registrations):
            monkeypatch.setattr(module, "utcnow", lambda: moment)

    closes = utcnow() + timedelta(hours=1)
    event_id = _new_event(app, days=2, registration_closes_at=closes)
    url = f"/zh/boards/shanghai-tower/events/{event_id}"
    assert "报名已截止" not in text_of(client.get(url)) and "缓存测试活动" in text_of(client.get("/zh/boards/shanghai-tower"))
    assert _statements(app, client, "/zh/boards/shanghai-tower")[0] == 0  # cached
    later = closes + timedelta(minutes=1)
    clock(later)
    assert "报名已截止" in text_of(client.get(url))
    after_end = utcnow() + timedelta(days=3)
    clock(after_end)
    assert "缓存测试活动" not in text_of(client.get("/zh/boards/shanghai-tower"))


def test_the_lobby_screen_clock_is_that_of_the_answer(app, client, demo, monkeypatch):
    """Screens polling in the same minute share one page; the next minute's is built
    with its own "Updated" time, to the minute."""
    import app.boards.routes as routes

    now = utcnow().replace(second=5, microsecond=0)
    monkeypatch.setattr(routes, "utcnow", lambda: now)
    client.get("/en/boards/shanghai-tower/screen", headers=HX)
    monkeypatch.setattr(routes, "utcnow", lambda: now + timedelta(seconds=50))  # the same minute
    assert _statements(app, app.test_client(), "/en/boards/shanghai-tower/screen", HX)[0] == 0
    later = now + timedelta(hours=5, seconds=20)
    monkeypatch.setattr(routes, "utcnow", lambda: later)
    count, response = _statements(app, client, "/en/boards/shanghai-tower/screen", HX)
    assert count > 0  # built again
    with app.test_request_context("/en/"):
        from flask_babel import force_locale, format_datetime

        from app.core.timeutil import WHEN_PATTERNS

        with force_locale("en"):
            expected = format_datetime(later, WHEN_PATTERNS["en"])
    html = response.get_data(as_text=True)
    assert f"Updated {expected}" in html
    assert not re.search(r"Updated [^<]*\d:\d\d:\d\d", html)  # to the minute, no seconds


def test_a_forged_host_never_reaches_other_visitors(app, client, demo):
    evil = client.get("/zh/boards/shanghai-tower/poster", headers={"Host": "evil.example"}).get_data(as_text=True)
    assert "evil.example" in evil
    assert "evil.example" not in app.test_client().get("/zh/boards/shanghai-tower/poster").get_data(as_text=True)
    assert "evil.example" not in app.test_client().get("/zh/").get_data(as_text=True)


@pytest.mark.parametrize("url", ["/zh/boards/no-such-building", "/zh/boards/shanghai-tower/events/999999", "/zh/boards/no-such/screen"])
def test_missing_pages_are_404_and_not_cached(app, client, demo, url):
    assert client.get(url).status_code == 404
    seen: list[str] = []
    with app.app_context():
        listener = lambda _c, _cur, statement, *args: seen.append(statement)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get(url).status_code == 404
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
    assert seen  # looked up again, not answered from a kept page
