"""The one-stop request's closed loop in a real browser: a requester files a request,
the department's staff handle it, the requester rates it; once with JavaScript (htmx
inline checks and in-place updates) and once with plain form posts and redirects.

Texts of the zh pages are looked up through the app's own translations (``tr``), so
the tests hold while the Chinese catalogue is being completed; staff use /en/ pages."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import mark_document, same_document, sign_in, tr
from tests.guide_fixtures import make_entries

pytestmark = pytest.mark.browser

TRACKING_RE = re.compile(r"^LS-\d{4}-\d{6}$")
CODE_RE = re.compile(r"^[A-Z2-9]{4}-[A-Z2-9]{4}$")
SERVICE = "food-licence"  # department "market": the demo staff account's department
SERVICE_ZH = "食品经营许可证办理"
SERVICE_EN = "Food business licence"
BUILDING = "shanghai-tower"
BUILDING_ZH = "上海中心大厦"
PHONE = "13812345678"
MASKED = "138****5678"
# No full-width punctuation (，？！): the form folds it to ASCII with NFKC (see the report).
DESCRIPTION = "我们想在大厦 B1 开设员工咖啡厅。需要办理食品经营许可证。请问需要哪些材料"


def stage_label(app, lang: str, stage: str) -> str:
    from app.intake.models import STAGES

    return tr(app, lang, STAGES[stage])


def phone_error(app, lang: str) -> str:
    from app.intake.forms import Phone

    return tr(app, lang, Phone.message)


@pytest.fixture
def service(app, demo):
    make_entries(app)
    return SERVICE


# --- the requester --------------------------------------------------------------------


def open_form(pg, app) -> None:
    pg.goto(f"/zh/requests/new?service={SERVICE}&building={BUILDING}")
    assert pg.locator("h1").inner_text() == tr(app, "zh", "File a request")
    assert pg.locator("#service option:checked").inner_text() == SERVICE_ZH
    assert pg.locator("#building option:checked").inner_text() == BUILDING_ZH


def fill_form(pg, phone: str = PHONE) -> None:
    pg.locator("#description").fill(DESCRIPTION)
    pg.locator("#company_name").fill("上海星辰咨询有限公司")
    pg.locator("#contact_name").fill("王磊")
    pg.locator("#phone").fill(phone)
    pg.locator("#consent").check()


def submit_form(pg, expect_status: int = 200):
    with pg.expect_navigation() as navigation:
        pg.locator("#request-form button[type=submit]").click()
    response = navigation.value
    assert response is not None and response.status == expect_status, (response and response.status, pg.url)
    return response


def read_receipt(pg, app) -> tuple[str, str]:
    assert re.search(r"/zh/requests/LS-\d{4}-\d{6}/submitted$", pg.url), pg.url
    assert pg.locator("h1").inner_text() == tr(app, "zh", "Request received")
    number = pg.locator("#tracking-no").inner_text().strip()
    code = pg.locator("#access-code").inner_text().strip()
    assert TRACKING_RE.match(number), number
    assert CODE_RE.match(code), code
    assert pg.url.endswith(f"/zh/requests/{number}/submitted")
    return number, code


def rate_and_close(pg, app, number: str, reply_text: str) -> None:
    pg.goto(f"/zh/requests/{number}")
    assert pg.locator("#request-stage").inner_text() == stage_label(app, "zh", "resolved")
    timeline = pg.locator("#timeline")
    expect(timeline).to_contain_text(reply_text)
    expect(timeline).to_contain_text(DESCRIPTION)
    expect(pg.locator("#rate-title")).to_be_visible()
    pg.locator("input[name=rating][value='5']").check()
    pg.locator("#comment").fill("办得很快。谢谢")
    with pg.expect_navigation():
        pg.locator(f"form[action='/zh/requests/{number}/rate'] button[type=submit]").click()
    assert pg.url.endswith(f"/zh/requests/{number}"), pg.url
    expect(pg.locator("#flash")).to_contain_text(tr(app, "zh", "Thank you for your rating."))
    assert pg.locator("#request-stage").inner_text() == stage_label(app, "zh", "closed")
    expect(pg.locator(".request-facts")).to_contain_text("5 / 5")
    expect(pg.locator("#timeline")).to_contain_text("办得很快。谢谢")
    expect(pg.locator("#rate-title")).to_have_count(0)  # nothing left to rate


# --- staff ----------------------------------------------------------------------------


def open_from_queue(pg, number: str) -> None:
    pg.goto("/en/council/requests/")
    row = pg.locator("#queue tbody tr", has=pg.get_by_role("link", name=number))
    expect(row).to_have_count(1)
    expect(row).to_contain_text(SERVICE_EN)
    expect(row).to_contain_text("Received")
    with pg.expect_navigation():
        row.get_by_role("link", name=number).click()
    assert pg.url.endswith(f"/en/council/requests/{number}"), pg.url
    assert pg.locator("h1").inner_text().startswith(number)
    assert pg.locator("#contact-phone").inner_text() == MASKED
    assert PHONE not in pg.locator("main").inner_text()


def change_stage(pg, stage: str, label: str, javascript: bool, number: str, before: str) -> None:
    """Move the request to ``stage``; the page says what changed, ``before`` → ``label``:
    in the stage box (htmx) or as the flash after the redirect."""
    said = f"Stage changed from “{before}” to “{label}”."
    pg.locator("#stage-box select[name=stage]").select_option(stage)
    if javascript:
        mark_document(pg)
        pg.locator("#stage-box button[type=submit]").click()
        expect(pg.locator("#staff-stage")).to_have_text(label)
        expect(pg.locator("#stage-box #stage-done")).to_have_text(said)
        assert same_document(pg), "the stage change reloaded the page"
    else:
        with pg.expect_navigation():
            pg.locator("#stage-box button[type=submit]").click()
        assert pg.url.endswith(f"/en/council/requests/{number}"), pg.url  # redirected back
        expect(pg.locator("#flash")).to_contain_text(said)
        assert pg.locator("#staff-stage").inner_text() == label
    expect(pg.locator("#timeline")).to_contain_text(f"Stage changed → {label}")


def send_public_reply(pg, number: str, text: str) -> None:
    pg.locator(".reply-form textarea[name=body]").fill(text)
    pg.locator(".reply-form input[name=visibility][value=public]").check()
    with pg.expect_navigation():
        pg.locator(".reply-form button[type=submit]").click()
    assert pg.url.endswith(f"/en/council/requests/{number}"), pg.url
    expect(pg.locator("#flash")).to_contain_text("Reply sent.")
    reply_item = pg.locator("#timeline li.timeline-reply")
    expect(reply_item).to_have_count(1)
    expect(reply_item).to_contain_text(text)
    expect(reply_item.locator(".badge")).to_have_count(0)  # public, not an internal note


def handle_as_staff(pg, app, number: str, javascript: bool, reply_text: str) -> None:
    sign_in(pg, app, "staff@example.com", "en")
    open_from_queue(pg, number)

    if javascript:
        mark_document(pg)
        pg.get_by_role("button", name="Show the full contact details (logged)").click()
        expect(pg.locator("#contact-phone")).to_have_text(PHONE)
        assert same_document(pg), "showing the phone number reloaded the page"
    else:
        with pg.expect_navigation():
            pg.get_by_role("button", name="Show the full contact details (logged)").click()
        assert pg.locator("#contact-phone").inner_text() == PHONE
    expect(pg.get_by_role("button", name="Show the full contact details (logged)")).to_have_count(0)

    change_stage(pg, "in_progress", "In progress", javascript, number, before="Received")
    send_public_reply(pg, number, reply_text)
    # the reveal is in the staff timeline only (internal)
    expect(pg.locator("#timeline li.timeline-reveal .badge")).to_have_text("internal")
    change_stage(pg, "resolved", "Resolved", javascript, number, before="In progress")
    pg.problems.assert_clean()


# --- the journeys ---------------------------------------------------------------------


@pytest.mark.smoke  # the one journey of this surface in `make test-fast`
def test_closed_loop_with_javascript(page, new_context, app, service):
    requester = page
    open_form(requester, app)
    form_url = requester.url

    # The inline check: leaving the phone field with a bad number shows the error at once.
    mark_document(requester)
    requester.locator("#phone").fill("123")
    requester.locator("#phone").blur()
    expect(requester.locator("#field-phone .field-error")).to_have_text(phone_error(app, "zh"))
    expect(requester.locator("#field-phone")).to_have_class(re.compile(r"\bfield-invalid\b"))
    expect(requester.locator("#phone")).to_have_attribute("aria-invalid", "true")
    assert requester.locator("#phone").input_value() == "123"
    assert requester.url == form_url
    assert same_document(requester), "the inline check reloaded the page"

    # A good number clears it, again in place.
    requester.locator("#phone").fill(PHONE)
    requester.locator("#phone").blur()
    expect(requester.locator("#field-phone .field-error")).to_have_count(0)
    expect(requester.locator("#field-phone")).not_to_have_class(re.compile(r"\bfield-invalid\b"))
    assert same_document(requester)

    fill_form(requester)
    submit_form(requester)
    number, code = read_receipt(requester, app)
    requester.problems.assert_clean()

    staff = new_context(javascript=True, locale="en-US")
    handle_as_staff(staff, app, number, javascript=True, reply_text="许可证材料清单已发到您的邮箱，请到三楼窗口提交。")

    rate_and_close(requester, app, number, "许可证材料清单已发到您的邮箱，请到三楼窗口提交。")
    requester.problems.assert_clean()


def test_closed_loop_without_javascript(nojs_page, new_context, app, service):
    requester = nojs_page
    open_form(requester, app)
    fill_form(requester, phone="123")
    submit_form(requester, expect_status=422)  # no inline check: the server says it
    expect(requester.locator(".error-summary")).to_contain_text(phone_error(app, "zh"))
    expect(requester.locator("#field-phone .field-error")).to_have_text(phone_error(app, "zh"))
    assert requester.locator("#phone").input_value() == "123"
    assert requester.locator("#description").input_value() == DESCRIPTION
    assert requester.locator("#service option:checked").inner_text() == SERVICE_ZH

    assert requester.locator("#consent").is_checked()  # the tick is kept too
    requester.locator("#phone").fill(PHONE)
    submit_form(requester)
    number, code = read_receipt(requester, app)
    requester.problems.assert_clean(expected_statuses=(422,))

    staff = new_context(javascript=False, locale="en-US")
    handle_as_staff(staff, app, number, javascript=False, reply_text="Please bring the floor plan to the window on floor 3.")

    rate_and_close(requester, app, number, "Please bring the floor plan to the window on floor 3.")
    requester.problems.assert_clean(expected_statuses=(422,))


def test_empty_form_shows_the_errors_and_keeps_what_was_typed(page, app, service):
    page.goto("/zh/requests/new")
    assert page.locator("#service option:checked").inner_text() == tr(app, "zh", "Choose a service")
    page.locator("#company_name").fill("上海星辰咨询有限公司")
    submit_form(page, expect_status=422)
    assert page.url.endswith("/zh/requests/new"), page.url

    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    for message in ("Choose a service, or “Something else”.", "Choose your building.", "Describe what you need.",
                    "Enter your name.", "Enter a phone number.",
                    "Please agree to the notice so that we can handle your request."):
        expect(summary).to_contain_text(tr(app, "zh", message))
    for name in ("service", "building", "description", "contact_name", "phone", "consent"):
        expect(page.locator(f"#field-{name} .field-error")).to_have_count(1)
    expect(page.locator("#field-company_name .field-error")).to_have_count(0)
    expect(page.locator("#field-email .field-error")).to_have_count(0)
    assert page.locator("#company_name").input_value() == "上海星辰咨询有限公司"
    assert not page.locator("#consent").is_checked()
    page.problems.assert_clean(expected_statuses=(422,))


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_track_with_number_and_access_code(new_context, app, service, javascript):
    from app.extensions import db
    from app.intake.queries import active_entry
    from app.org.queries import building_by_slug
    from app.intake.services import new_submission_key, submit_request

    with app.test_request_context("/zh/"):
        filed = submit_request(
            {"entry": db.session.scalar(active_entry(SERVICE)), "building": db.session.scalar(building_by_slug(BUILDING)),
             "company_name": "上海星辰咨询有限公司", "contact_name": "王磊", "phone": PHONE, "email": "",
             "description": DESCRIPTION, "reply_lang": "zh"},
            [],
            new_submission_key(),
        )
        number, code = filed.request.tracking_no, filed.code
        db.session.remove()
    wrong = "AAAA-BBBB" if code != "AAAA-BBBB" else "CCCC-DDDD"

    pg = new_context(javascript=javascript, locale="zh-CN")
    pg.goto("/zh/track")
    assert pg.locator("h1").inner_text() == tr(app, "zh", "Track your request")
    pg.locator("#tracking_no").fill(number)
    pg.locator("#code").fill(wrong)
    with pg.expect_navigation() as navigation:
        pg.locator("form[action='/zh/track'] button[type=submit]").click()
    assert navigation.value.status == 422
    message = tr(app, "zh", "No request matches this tracking number and access code.")
    expect(pg.locator("#field-code .field-error")).to_have_text(message)
    expect(pg.locator(".error-summary")).to_contain_text(message)
    assert pg.locator("#tracking_no").input_value() == number
    expect(pg.locator("#timeline")).to_have_count(0)
    assert DESCRIPTION not in pg.locator("body").inner_text()

    # Lower case and without the dash: still the right code.
    pg.locator("#code").fill(code.replace("-", "").lower())
    with pg.expect_navigation():
        pg.locator("form[action='/zh/track'] button[type=submit]").click()
    assert pg.url.endswith(f"/zh/requests/{number}"), pg.url
    assert pg.locator("h1").inner_text() == tr(app, "zh", "Request %(no)s").replace("%(no)s", number)
    assert pg.locator("#request-stage").inner_text() == stage_label(app, "zh", "received")
    timeline = pg.locator("#timeline")
    expect(timeline).to_be_visible()
    expect(timeline.locator("li.timeline-submitted")).to_contain_text(DESCRIPTION)
    expect(pg.locator(".request-facts")).to_contain_text(SERVICE_ZH)
    assert PHONE not in pg.locator("body").inner_text()  # never on the requester's page either
    pg.problems.assert_clean(expected_statuses=(422,))
