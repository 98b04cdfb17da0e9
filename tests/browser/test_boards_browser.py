"""楼务公开墙 in a real browser: the lobby screen and an event's seat count refresh through
htmx polling (driven by Playwright's fake clock, so a 60-second poll takes no minute);
three people register for a two-seat event, one cancels through the private link and
the first on the waitlist moves up (with JavaScript and without); a council member adds
a 楼务会 decision through the staff form and the public board shows it.

Texts are looked up through the app's own translations (``tr``), so the tests hold while
the Chinese catalogue is being completed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import click_and_wait, count_polls, mark_document, polls, same_document, sign_in, tr, zh_date

pytestmark = pytest.mark.browser

BUILDING = "shanghai-tower"
BUILDING_ZH = "上海中心大厦"
TITLE_ZH, TITLE_EN = "人才政策宣讲", "Talent policy briefing"
SECOND_ZH, SECOND_EN = "职工心理健康讲座", "Employee mental health talk"
PHONE_A, MASKED_A = "13812345678", "138****5678"
PHONE_B, MASKED_B = "13900001111", "139****1111"
PHONE_C = "13700002222"
TOPIC = "早高峰门前停车秩序"
DECISION = "物业在北广场划设15分钟临停区，交警加强巡查"
HELD_ON = date(2026, 11, 20)


def seats_left(app, lang: str, num: int) -> str:
    from flask_babel import force_locale, ngettext

    with app.test_request_context(f"/{lang}/"), force_locale(lang):
        return ngettext("%(num)d seat left", "%(num)d seats left", num)


# --- rows made on the server side (what other people do meanwhile) --------------------------


def make_event(app, seats: int, title_zh: str = TITLE_ZH, title_en: str = TITLE_EN, days: int = 3) -> int:
    from app.boards.models import Event
    from app.core.timeutil import utcnow
    from app.extensions import db
    from app.org.models import Building

    with app.app_context():
        tower = db.session.scalar(sa.select(Building).where(Building.slug == BUILDING))
        start = utcnow() + timedelta(days=days)
        event = Event(building_id=tower.id, title_zh=title_zh, title_en=title_en, description_zh="现场答疑；欢迎参加",
                      description_en="Questions welcome, all of them", place_zh="B1 党群服务站", place_en="B1 station",
                      starts_at=start, ends_at=start + timedelta(hours=2), seats=seats)
        db.session.add(event)
        db.session.commit()
        event_id = event.id
        db.session.remove()
    return event_id


def register_elsewhere(app, event_id: int, phone: str) -> None:
    """Someone registers from another device, through the same service."""
    from app.boards.services import register
    from app.core.db import begin_write
    from app.extensions import db

    with app.test_request_context("/zh/"):
        begin_write(db.session)
        register(event_id, "别处报名", phone)
        db.session.commit()
        db.session.remove()


def file_request_elsewhere(app, number: int) -> None:
    """A request for the building arrives (written directly: only the count matters here)."""
    from app.core.timeutil import utcnow
    from app.extensions import db
    from app.intake.models import ServiceRequest
    from app.org.models import Building

    with app.app_context():
        tower = db.session.scalar(sa.select(Building).where(Building.slug == BUILDING))
        now = utcnow()
        db.session.add(ServiceRequest(
            tracking_no=f"LS-2026-9{number:05d}", access_code_hash="x" * 64, submission_key=f"screen-{number}",
            building_id=tower.id, description="大堂空调太冷", company_name="", contact_name="张三", phone="13912345678",
            stage="received", created_at=now, updated_at=now,
        ))
        db.session.commit()
        db.session.remove()


# --- the lobby screen -----------------------------------------------------------------------


@pytest.mark.smoke  # the one journey of this surface in `make test-fast`
def test_lobby_screen_refreshes_in_place(page, app, demo):
    make_event(app, seats=10)
    page.clock.install()  # htmx's "every 60s" runs on this clock: the test moves it on
    page.goto(f"/en/boards/{BUILDING}/screen")
    screen = page.locator("#screen")
    received = page.locator("#screen-received")
    expect(screen).to_have_attribute("data-hx-trigger", "every 60s")
    expect(received).to_have_text("0")
    expect(screen).to_contain_text(TITLE_EN)
    expect(screen).not_to_contain_text(SECOND_EN)
    mark_document(page)
    count_polls(page)

    file_request_elsewhere(app, 1)
    make_event(app, seats=30, title_zh=SECOND_ZH, title_en=SECOND_EN, days=4)
    page.clock.run_for("00:30")  # half a minute: not polled yet
    assert polls(page) == 0
    expect(received).to_have_text("0")
    expect(screen).not_to_contain_text(SECOND_EN)

    page.clock.run_for("00:35")  # past the minute: htmx asks for the screen again
    assert polls(page) == 1
    expect(received).to_have_text("1")
    expect(screen).to_contain_text(SECOND_EN)
    expect(screen.locator("li", has_text=TITLE_EN)).to_contain_text(seats_left(app, "en", 10))  # title, time and seats in one row
    expect(screen).to_contain_text(seats_left(app, "en", 30))
    assert same_document(page), "the lobby screen reloaded the page"

    # the swapped-in screen keeps polling
    file_request_elsewhere(app, 2)
    page.clock.run_for("01:05")
    assert polls(page) == 2
    expect(received).to_have_text("2")
    expect(page.locator("#screen")).to_have_count(1)  # replaced, not nested
    assert same_document(page), "the lobby screen reloaded the page"
    page.problems.assert_clean()


# --- an event's seats -----------------------------------------------------------------------


def test_seats_left_update_in_place(page, app, demo):
    event_id = make_event(app, seats=3)
    page.clock.install()
    page.goto(f"/zh/boards/{BUILDING}/events/{event_id}")
    seats = page.locator(f"#seats-{event_id}")
    expect(seats).to_have_attribute("data-hx-trigger", "every 15s")
    expect(seats).to_have_text(f"{seats_left(app, 'zh', 3)} / 3")
    mark_document(page)
    count_polls(page)

    register_elsewhere(app, event_id, "13600000001")
    page.clock.run_for("00:10")  # not yet
    assert polls(page) == 0
    expect(seats).to_have_text(f"{seats_left(app, 'zh', 3)} / 3")
    page.clock.run_for("00:06")
    assert polls(page) == 1
    expect(seats).to_have_text(f"{seats_left(app, 'zh', 2)} / 3")

    register_elsewhere(app, event_id, "13600000002")
    register_elsewhere(app, event_id, "13600000003")
    page.clock.run_for("00:16")  # the swapped-in count keeps polling
    assert polls(page) == 2
    expect(seats).to_have_text(tr(app, "zh", "Full: waitlist open"))
    expect(page.locator(f"#seats-{event_id}")).to_have_count(1)
    assert same_document(page), "the seat count reloaded the page"
    page.problems.assert_clean()


# --- registering, the waitlist and cancelling -------------------------------------------------


def open_event(pg, app, event_id: int) -> None:
    pg.goto(f"/zh/boards/{BUILDING}/events/{event_id}")
    assert pg.locator("h1").inner_text() == TITLE_ZH
    expect(pg.locator("dl.entry-facts")).to_contain_text("B1 党群服务站")


def register_in_browser(pg, app, event_id: int, name: str, phone: str, button: str, status: int = 200) -> None:
    open_event(pg, app, event_id)
    pg.locator("#name").fill(name)
    pg.locator("#phone").fill(phone)
    click_and_wait(pg, pg.get_by_role("button", name=tr(app, "zh", button), exact=True), status=status)


def registration_journey(people: list, app, event_id: int) -> None:
    a, b, c = people
    seats = f"#seats-{event_id}"

    open_event(a, app, event_id)
    expect(a.locator(seats)).to_have_text(f"{seats_left(app, 'zh', 2)} / 2")
    register_in_browser(a, app, event_id, "王小明", PHONE_A, "Register")
    assert a.locator("h1").inner_text() == tr(app, "zh", "You have a seat")
    main = a.locator("main")
    expect(main).to_contain_text(f"王小明 · {MASKED_A}")
    expect(main).to_contain_text(TITLE_ZH)
    assert PHONE_A not in a.locator("body").inner_text()
    cancel_url = a.locator("#cancel-url").input_value()
    assert f"/zh/boards/{BUILDING}/cancel/" in cancel_url, cancel_url

    register_in_browser(b, app, event_id, "李四", PHONE_B, "Register")
    assert b.locator("h1").inner_text() == tr(app, "zh", "You have a seat")
    expect(b.locator("main")).to_contain_text(f"李四 · {MASKED_B}")
    assert PHONE_B not in b.locator("body").inner_text()

    open_event(c, app, event_id)
    expect(c.locator(seats)).to_have_text(tr(app, "zh", "Full: waitlist open"))
    expect(c.locator(".flash-warning")).to_have_text(
        tr(app, "zh", "The event is full; you can join the waitlist and move up when someone cancels."))
    expect(c.get_by_role("button", name=tr(app, "zh", "Register"), exact=True)).to_have_count(0)
    register_in_browser(c, app, event_id, "赵六", PHONE_C, "Join the waitlist")
    assert c.locator("h1").inner_text() == tr(app, "zh", "You are on the waitlist")
    expect(c.locator("p.lead")).to_have_text(tr(app, "zh", "You are number %(pos)d on the waitlist; you move up when someone ahead of you cancels.", pos=1))
    c_cancel_url = c.locator("#cancel-url").input_value()

    # the same phone number (typed with spaces) once more: refused, in Chinese, with what was typed kept
    register_in_browser(b, app, event_id, "李四", "139 0000 1111", "Join the waitlist", status=422)
    already = tr(app, "zh", "This phone number is already registered for this event.")
    expect(b.locator("#field-phone .field-error")).to_have_text(already)
    expect(b.locator(".error-summary")).to_contain_text(already)
    assert b.locator("#name").input_value() == "李四"
    assert b.locator("h1").inner_text() == TITLE_ZH

    # A cannot come: the private link, then the confirmation
    a.goto(cancel_url)
    assert a.locator("h1").inner_text() == tr(app, "zh", "Cancel a registration")
    expect(a.locator("main")).to_contain_text(f"王小明 · {MASKED_A} · {tr(app, 'zh', 'seat confirmed')}")
    assert PHONE_A not in a.locator("body").inner_text()
    click_and_wait(a, a.get_by_role("button", name=tr(app, "zh", "Cancel my registration")))
    assert a.locator("h1").inner_text() == tr(app, "zh", "Registration cancelled")
    expect(a.locator("p.lead")).to_have_text(tr(app, "zh", "Thank you: your seat went to the first person on the waitlist."))
    a.goto(cancel_url)  # the link now only says so
    expect(a.locator("main")).to_contain_text(tr(app, "zh", "already cancelled"))
    expect(a.get_by_role("button", name=tr(app, "zh", "Cancel my registration"))).to_have_count(0)

    # C moved up: the event stays full, and C's own link says the seat is confirmed
    open_event(a, app, event_id)
    expect(a.locator(seats)).to_have_text(tr(app, "zh", "Full: waitlist open"))
    c.goto(c_cancel_url)
    expect(c.locator("main")).to_contain_text(f"赵六 · 137****2222 · {tr(app, 'zh', 'seat confirmed')}")

    # the building's board lists the event, and its link leads to it
    a.goto(f"/zh/boards/{BUILDING}")
    assert a.locator("h1").inner_text() == BUILDING_ZH
    item = a.locator("ul.events li", has_text=TITLE_ZH)
    expect(item).to_have_count(1)
    expect(item).to_contain_text(tr(app, "zh", "Full: waitlist open"))
    click_and_wait(a, item.get_by_role("link", name=TITLE_ZH))
    assert a.url.endswith(f"/zh/boards/{BUILDING}/events/{event_id}"), a.url

    a.problems.assert_clean()
    b.problems.assert_clean(expected_statuses=(422,))
    c.problems.assert_clean()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_register_join_the_waitlist_and_cancel(new_context, app, demo, javascript):
    event_id = make_event(app, seats=2)
    registration_journey([new_context(javascript=javascript) for _ in range(3)], app, event_id)


# --- staff editing --------------------------------------------------------------------------


def test_council_member_adds_a_decision_shown_on_the_board(page, app, demo):
    from app.boards.models import DECISION_STATUSES

    page.goto(f"/zh/boards/{BUILDING}")
    expect(page.locator("section[aria-labelledby=decisions-title]")).to_contain_text(tr(app, "zh", "No decisions recorded yet."))

    sign_in(page, app, "council@example.com", "zh")
    page.goto(f"/zh/council/boards/{BUILDING}/")
    assert page.locator("h1").inner_text() == f"{tr(app, 'zh', 'Edit the board')}: {BUILDING_ZH}"
    section = page.locator("section[aria-labelledby=h-decisions]")
    expect(section).to_contain_text(tr(app, "zh", "Nothing yet."))
    click_and_wait(page, section.get_by_role("link", name=tr(app, "zh", "Add"), exact=True))
    assert page.url.endswith(f"/zh/council/boards/{BUILDING}/decisions/new"), page.url
    assert page.locator("h1").inner_text() == tr(app, "zh", "Add")

    # without the decision: refused, what was typed is kept
    page.get_by_label(tr(app, "zh", "Meeting date"), exact=True).fill(HELD_ON.isoformat())
    page.get_by_label(tr(app, "zh", "Topic (Chinese)"), exact=True).fill(TOPIC)
    save = page.get_by_role("button", name=tr(app, "zh", "Save"), exact=True)
    click_and_wait(page, save, status=422)
    expect(page.locator("#field-decision_zh .field-error")).to_have_text(tr(app, "zh", "Enter the decision."))
    expect(page.locator(".error-summary")).to_contain_text(tr(app, "zh", "Enter the decision."))
    assert page.get_by_label(tr(app, "zh", "Topic (Chinese)"), exact=True).input_value() == TOPIC
    assert page.get_by_label(tr(app, "zh", "Meeting date"), exact=True).input_value() == HELD_ON.isoformat()

    page.get_by_label(tr(app, "zh", "Decision (Chinese)"), exact=True).fill(DECISION)
    click_and_wait(page, page.get_by_role("button", name=tr(app, "zh", "Save"), exact=True))
    assert page.url.endswith(f"/zh/council/boards/{BUILDING}/"), page.url
    expect(page.locator("#flash")).to_contain_text(tr(app, "zh", "Saved."))
    item = page.locator("section[aria-labelledby=h-decisions] ul.manage-list li")
    expect(item).to_have_count(1)
    expect(item).to_contain_text(f"{zh_date(app, HELD_ON)} · {TOPIC} · {tr(app, 'zh', DECISION_STATUSES['open'])}")

    click_and_wait(page, page.get_by_role("link", name=tr(app, "zh", "View the public board")))
    assert page.url.endswith(f"/zh/boards/{BUILDING}"), page.url
    rows = page.locator("table.decisions tbody tr")
    expect(rows).to_have_count(1)
    cells = rows.first.locator("td")
    expect(cells.nth(0)).to_have_text(zh_date(app, HELD_ON))
    expect(cells.nth(1)).to_have_text(TOPIC)
    expect(cells.nth(2)).to_have_text(DECISION)
    expect(cells.nth(4)).to_have_text(tr(app, "zh", DECISION_STATUSES["open"]))
    page.problems.assert_clean(expected_statuses=(422,))
