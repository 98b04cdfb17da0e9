"""Open building boards (first part): the index with its district roll-up, and a building's
board with figures that equal counts made independently here, the chart and its table,
the roster and the three lists — and nothing personal."""

from __future__ import annotations

import random
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from app.core.timeutil import utcnow
from app.extensions import db
from app.intake.models import ServiceRequest
from app.org.models import Building
from tests.conftest import text_of


def _make_requests(app, building_slug: str, n: int, seed: int = 1) -> list[dict]:
    """Requests in random states, written directly; returns what was written."""
    rng = random.Random(seed)
    made = []
    with app.app_context():
        building = db.session.scalar(sa.select(Building).where(Building.slug == building_slug))
        now = utcnow()
        for i in range(n):
            stage = rng.choice(["received", "assigned", "in_progress", "resolved", "closed"])
            rating = rng.choice([None, 1, 2, 3, 4, 5]) if stage == "closed" else None
            on_time = rng.choice([True, False, None])
            created = now - timedelta(days=rng.randint(0, 300))
            db.session.add(ServiceRequest(
                tracking_no=f"LS-2026-{seed:02d}{i:04d}", access_code_hash="x" * 64, submission_key=f"board-{building_slug}-{seed}-{i}",
                building_id=building.id, description="私密描述不应出现", company_name="保密公司", contact_name="张保密", phone="13912345678",
                stage=stage, rating=rating, first_response_on_time=on_time, created_at=created, updated_at=created,
                resolved_at=created + timedelta(days=1) if stage in ("resolved", "closed") else None,
            ))
            made.append({"stage": stage, "rating": rating, "on_time": on_time})
        db.session.commit()
    return made


def _figures(html: str) -> dict[str, str]:
    """Each figure's value (a rate's value without the count beside it: see tests/test_screen.py)."""
    return dict(re.findall(r'<dd id="stat-([a-z-]+)">(?:<span class="rate-value">)?([^<]+)', html))


def test_board_figures_equal_independent_counts(app, client, demo):
    made = _make_requests(app, "shanghai-tower", 57)
    _make_requests(app, "jin-mao-tower", 11, seed=2)  # another building's must not count
    received = len(made)
    completed = sum(r["stage"] in ("resolved", "closed") for r in made)
    on_time = sum(r["on_time"] is True for r in made)
    ratings = [r["rating"] for r in made if r["rating"] is not None]
    satisfied = sum(r >= 4 for r in ratings)
    html = client.get("/zh/boards/shanghai-tower").get_data(as_text=True)
    figures = _figures(html)
    assert figures["received"] == str(received)
    assert figures["completed"] == str(completed)
    assert figures["in-progress"] == str(received - completed)
    assert figures["response"] == f"{on_time / received * 100:.0f}%"
    assert figures["resolution"] == f"{completed / received * 100:.0f}%"
    assert figures["satisfaction"] == (f"{satisfied / len(ratings) * 100:.0f}%" if len(ratings) >= 5 else "—")  # RATE_MIN_COUNT
    text = text_of(client.get("/zh/boards/shanghai-tower"))
    assert f"1 个工作日内首次答复的诉求（{on_time}）÷ 受理诉求（{received}）" in text  # the formula, with its numbers
    for private in ("私密描述不应出现", "保密公司", "张保密", "13912345678"):
        assert private not in html


def test_monthly_chart_and_its_table_agree(app, client, demo):
    made = _make_requests(app, "shanghai-tower", 30, seed=3)
    html = client.get("/en/boards/shanghai-tower").get_data(as_text=True)
    assert '<svg class="chart"' in html and "<title id=\"chart-title\">Requests received and completed per month</title>" in html
    table = html.split('class="table chart-table"')[1].split("</table>")[0]
    rows = re.findall(r"<tr><th scope=\"row\">(\d{4}-\d{2})</th><td>(\d+)</td><td>(\d+)</td></tr>", table)
    assert len(rows) == 12
    recent = sum(int(r) for _m, r, _c in rows)
    assert 0 < recent <= len(made)
    for month, received, _c in rows:
        assert f"<title>{month}: {received} received</title>" in html


def test_index_rolls_up_the_district_and_filters_by_street(app, client, demo):
    made = _make_requests(app, "shanghai-tower", 9, seed=4) + _make_requests(app, "jing-an-kerry-centre", 5, seed=5)
    html = client.get("/zh/boards/").get_data(as_text=True)
    assert re.search(r'<dd id="district-received">(\d+)</dd>', html).group(1) == str(len(made))
    done = sum(r["stage"] in ("resolved", "closed") for r in made)
    assert re.search(r'<dd id="district-completed">(\d+)</dd>', html).group(1) == str(done)
    with app.app_context():
        from app.org.models import Street

        kerry = db.session.scalar(sa.select(Building).where(Building.slug == "jing-an-kerry-centre"))
        street_code = db.session.get(Street, kerry.street_id).code
    filtered = client.get("/zh/boards/", query_string={"street": street_code}).get_data(as_text=True)
    assert 'id="board-jing-an-kerry-centre"' in filtered and 'id="board-shanghai-tower"' not in filtered


def test_board_shows_roster_lists_and_404(app, client, demo):
    from app.wall.models import Resource
    from app.wall.services import post_wish

    with app.app_context():
        tower = db.session.scalar(sa.select(Building).where(Building.slug == "shanghai-tower"))
        wish, _t = post_wish(tower, "希望大堂有自助咖啡机", "", "私人联系方式", "zh")
        wish.status = "approved"
        db.session.add(Resource(building_id=tower.id, org_zh="浦发银行", org_en="SPD Bank", offer_zh="免费场地", offer_en="A free floor", contact="经理手机 13800000000"))
        db.session.commit()
    text = text_of(client.get("/zh/boards/shanghai-tower"))
    assert "楼长" in text  # the roster with the six roles
    assert "希望大堂有自助咖啡机" in text and "浦发银行" in text and "免费场地" in text
    assert "私人联系方式" not in text and "13800000000" not in text
    missing = client.get("/en/boards/no-such-building")
    assert missing.status_code == 404 and "not found" in text_of(missing).lower()


def test_board_runs_a_constant_number_of_queries(app, client, demo):
    def statements() -> int:
        seen = []
        with app.app_context():
            listener = lambda *args: seen.append(1)  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                assert client.get("/zh/boards/shanghai-tower").status_code == 200
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    _make_requests(app, "shanghai-tower", 5, seed=6)
    small = statements()
    _make_requests(app, "shanghai-tower", 80, seed=7)
    assert statements() == small


# --- events, feeds, the lobby screen ------------------------------------------------------


def _event(app, seats: int = 10, days: int = 3, **extra) -> int:
    from app.boards.models import Event

    with app.app_context():
        tower = db.session.scalar(sa.select(Building).where(Building.slug == "shanghai-tower"))
        start = utcnow() + timedelta(days=days)
        event = Event(building_id=tower.id, title_zh="人才政策宣讲", title_en="Talent policy briefing", description_zh="现场答疑；欢迎参加",
                      description_en="Questions welcome, all of them", place_zh="B1 党群服务站", place_en="B1 station", starts_at=start,
                      ends_at=start + timedelta(hours=2), seats=seats, **extra)
        db.session.add(event)
        db.session.commit()
        return event.id


def test_concurrent_registrations_never_overbook_and_cancel_promotes(app, demo):
    from concurrent.futures import ThreadPoolExecutor

    from app.boards.models import Event, Registration
    from app.boards.services import cancel, register
    from app.core.db import begin_write

    event_id = _event(app, seats=10)

    def one(i: int) -> str:
        with app.app_context():
            begin_write(db.session)  # what every POST does
            done = register(event_id, f"报名{i}", f"138{i:08d}")
            db.session.commit()
            token = done.cancel_token
            db.session.remove()
            return token

    with ThreadPoolExecutor(max_workers=16) as pool:
        tokens = list(pool.map(one, range(50)))
    with app.app_context():
        regs = db.session.scalars(sa.select(Registration).where(Registration.event_id == event_id)).all()
        assert sum(r.status == "confirmed" for r in regs) == 10
        assert sum(r.status == "waitlisted" for r in regs) == 40
        assert db.session.get(Event, event_id).confirmed_count == 10
        assert sorted(r.position for r in regs) == list(range(1, 51))
        first_waiting = min((r for r in regs if r.status == "waitlisted"), key=lambda r: r.position)
        confirmed = next(r for r in regs if r.status == "confirmed")
        first_id = first_waiting.id
    # cancel one confirmed seat through its private link
    from app.boards.services import token_hash

    token = next(t for t in tokens if token_hash(t) == confirmed.cancel_token_hash)
    with app.app_context():
        cancelled, promoted = cancel(token)
        db.session.commit()
        assert cancelled.status == "cancelled" and promoted is not None and promoted.id == first_id
        assert db.session.get(Event, event_id).confirmed_count == 10


def test_registration_page_refuses_politely(app, client, demo):
    from app.boards.models import Event

    event_id = _event(app, seats=1)
    url = f"/zh/boards/shanghai-tower/events/{event_id}"
    html = client.get(url).get_data(as_text=True)
    assert "剩余 1 个座位" in text_of(client.get(url))
    from tests.conftest import csrf_from

    ok = client.post(url, data={"csrf_token": csrf_from(html), "name": "王小明", "phone": "13812345678"})
    ok = client.get(ok.location)
    assert ok.status_code == 200 and "您已报名成功" in text_of(ok) and "138****5678" in text_of(ok) and "13812345678" not in text_of(ok)
    again = client.post(url, data={"csrf_token": csrf_from(html), "name": "王小明", "phone": "138 1234 5678"})
    assert again.status_code == 422 and "该手机号已报名此活动" in text_of(again)
    wait = client.get(client.post(url, data={"csrf_token": csrf_from(html), "name": "李四", "phone": "13900001111"}).location)
    assert "您已进入候补名单" in text_of(wait)
    past = _event(app, seats=5, days=-1)
    late = client.post(f"/zh/boards/shanghai-tower/events/{past}", data={"csrf_token": csrf_from(html), "name": "赵", "phone": "13700001111"})
    assert late.status_code == 422 and "该活动已经结束" in text_of(late)
    closed = _event(app, seats=5, registration_closes_at=utcnow() - timedelta(hours=1))
    response = client.post(f"/zh/boards/shanghai-tower/events/{closed}", data={"csrf_token": csrf_from(html), "name": "钱", "phone": "13600001111"})
    assert response.status_code == 422 and "报名已截止" in text_of(response)
    assert client.get("/zh/boards/shanghai-tower/events/999999").status_code == 404
    with app.app_context():
        assert db.session.get(Event, event_id).confirmed_count == 1


def test_ical_and_atom_parse_with_standard_libraries(app, client, demo):
    import xml.etree.ElementTree as ET

    import icalendar

    from app.boards.models import Decision, Notice

    event_id = _event(app)
    with app.app_context():
        tower = db.session.scalar(sa.select(Building).where(Building.slug == "shanghai-tower"))
        db.session.add(Notice(building_id=tower.id, title_zh="消防演练<通知>", title_en="Fire drill", body_zh="周五 & 周六", body_en="Friday"))
        db.session.add(Decision(building_id=tower.id, held_on=utcnow().date(), topic_zh="停车秩序", topic_en="Parking", decision_zh="划设临停区", decision_en="A drop-off zone"))
        db.session.commit()
    one = client.get(f"/zh/boards/shanghai-tower/events/{event_id}.ics")
    assert one.mimetype == "text/calendar"
    calendar = icalendar.Calendar.from_ical(one.data)
    events = [c for c in calendar.walk("VEVENT")]
    assert len(events) == 1 and str(events[0]["SUMMARY"]) == "人才政策宣讲" and str(events[0]["DESCRIPTION"]) == "现场答疑；欢迎参加"
    assert str(events[0]["LOCATION"]) == "B1 党群服务站"
    english = icalendar.Calendar.from_ical(client.get("/en/boards/shanghai-tower/events.ics").data)
    assert [str(e["DESCRIPTION"]) for e in english.walk("VEVENT")] == ["Questions welcome, all of them"]
    feed = client.get("/zh/boards/shanghai-tower/feed.atom")
    assert feed.mimetype == "application/atom+xml"
    root = ET.fromstring(feed.data)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [e.find("a:title", ns).text for e in root.findall("a:entry", ns)]
    assert set(titles) == {"消防演练<通知>", "停车秩序"}
    assert client.get("/zh/boards/shanghai-tower/feed.atom?page=-1&x=junk").status_code == 200
    assert client.get("/zh/boards/shanghai-tower/feed.atom?x=%00").status_code == 400  # the NUL guard
    assert client.get("/zh/boards/nowhere/feed.atom").status_code == 404
    assert client.get("/zh/boards/nowhere/events.ics").status_code == 404


def test_lobby_screen_polls_with_htmx(app, client, demo):
    _event(app)
    page = client.get("/en/boards/shanghai-tower/screen").get_data(as_text=True)
    assert 'hx-trigger="every 60s"' in page and "Talent policy briefing" in page and page.count("<svg") >= 2
    fragment = client.get("/en/boards/shanghai-tower/screen", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="screen"') and "<html" not in fragment


def test_demo_boards_have_a_full_event_with_a_waitlist(app, runner):
    from app.boards.models import Event, Registration

    result = runner.invoke(args=["seed-demo", "--password", "demo-password-1234"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        full = [e for e in db.session.scalars(sa.select(Event)) if e.confirmed_count >= e.seats]
        assert full
        waiting = db.session.scalar(sa.select(sa.func.count()).select_from(Registration).where(Registration.event_id == full[0].id, Registration.status == "waitlisted"))
        assert waiting > 0


def test_a_signed_in_person_registers_with_the_account(app, client, auth, demo):
    from app.boards.models import Registration
    from tests.conftest import csrf_from

    event_id = _event(app, seats=3)
    url = f"/zh/boards/shanghai-tower/events/{event_id}"
    anonymous = client.post(url, data={"csrf_token": csrf_from(client.get(url).get_data(as_text=True)), "name": "路人", "phone": ""})
    assert anonymous.status_code == 422 and "请填写联系电话" in text_of(anonymous)
    auth.login("council@example.com")
    page = client.get(url).get_data(as_text=True)
    assert 'value="Council Member 楼事会委员"' in page
    first = client.post(url, data={"csrf_token": csrf_from(page), "name": "Council Member 楼事会委员", "phone": ""})
    first = client.get(first.location)
    assert first.status_code == 200 and "您已报名成功" in text_of(first)
    again = client.post(url, data={"csrf_token": csrf_from(page), "name": "Council Member 楼事会委员", "phone": ""})
    assert again.status_code == 422 and "您已报名此活动" in text_of(again)
    with app.app_context():
        regs = db.session.scalars(sa.select(Registration).where(Registration.event_id == event_id)).all()
        assert len(regs) == 1 and regs[0].user_id is not None and regs[0].phone is None


def test_registrations_are_rate_limited_but_viewing_the_event_is_not(app, client, demo):
    from tests.conftest import csrf_from

    event_id = _event(app, seats=50)
    url = f"/zh/boards/shanghai-tower/events/{event_id}"
    app.config.update(RATELIMIT_ENABLED=True, EVENT_REGISTER_LIMIT="3 per hour")
    try:
        for _ in range(10):  # views (the page and its seats poll) are never counted
            html = client.get(url).get_data(as_text=True)
            assert client.get(url + "?part=seats", headers={"HX-Request": "true"}).status_code == 200
        statuses = [client.post(url, data={"csrf_token": csrf_from(html), "name": f"访客{i}", "phone": f"1381234{i:04d}"}).status_code
                    for i in range(4)]
        refused = client.post(url, data={"csrf_token": csrf_from(html), "name": "访客9", "phone": "13812349999"})
    finally:
        app.config.update(RATELIMIT_ENABLED=True, EVENT_REGISTER_LIMIT="10 per hour")
    assert statuses == [303, 303, 303, 429]
    assert refused.status_code == 429 and "尝试次数过多" in text_of(refused)
    assert client.get(url).status_code == 200  # the page itself still opens
