"""Issue 17's whole journey as one person meets it, in one browser test (JavaScript on, zh,
on a phone-sized screen):

find a service by the everyday word 户口 from the home page → open it → "办理此事项" →
attach a photo, send the form with one mistake → the photo is still there → fix it and
file → the confirmation says an SMS and an e-mail are on their way, and both arrive (a real
HTTP server records what the SMS gateway adapter posts; a real SMTP server, aiosmtpd,
receives the mail) → the person loses the access code, and on another browser gets a new one
by SMS from the tracking number and phone → staff reply in the workspace → the requester sees
the reply on the status page (and an SMS says so) → rates it.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import click_and_wait, sign_in, tr
from tests.guide_fixtures import make_entries
from tests.test_mail import smtp  # noqa: F401  (the recording SMTP server fixture)
from tests.test_picker import TALENT
from tests.test_sms import MASKED, gateway  # noqa: F401  (the recording SMS gateway fixture)
from tests.test_uploads import image_bytes

pytestmark = pytest.mark.browser

BUILDING = "shanghai-tower"
EMAIL = "wang.lei@example.org"
DESCRIPTION = "我刚入职陆家嘴一家外资公司，想把户口迁到上海，人才引进落户要准备哪些材料？"
REPLY = "请准备劳动合同、社保缴纳记录和学历证明，到人才服务中心二楼窗口办理。"


@pytest.fixture
def entries(app, demo):
    make_entries(app, extra=[TALENT])


def _send(pg, status: int):
    """Press the form's own send button (not a kept file's 'remove' button)."""
    with pg.expect_navigation() as navigation:
        pg.locator("#request-form .actions button[type=submit]").click()
    errors = pg.locator(".error-summary").all_inner_texts()
    assert navigation.value.status == status, (navigation.value.status, pg.url, errors)


def test_find_file_with_a_photo_recover_the_code_see_the_reply_and_rate(app, new_context, entries, gateway, smtp, tmp_path):  # noqa: F811
    photo = tmp_path / "hukou-form.jpg"
    photo.write_bytes(image_bytes("JPEG", size=(800, 600)))

    # 1. Find the service by the word people say.
    person = new_context(True, "zh-CN")
    person.set_viewport_size({"width": 390, "height": 844})
    person.goto("/zh/")
    person.locator("#home-q").fill("户口")
    click_and_wait(person, person.locator("form.home-search button[type=submit]"))
    assert "/zh/guide/" in person.url and "q=" in person.url, person.url
    first = person.locator("#guide-results .entry-title a").first
    expect(first).to_have_text("人才引进落户")
    click_and_wait(person, first)
    expect(person.locator("h1")).to_have_text("人才引进落户")
    click_and_wait(person, person.get_by_role("link", name=tr(app, "zh", "Request this service")))
    expect(person.locator("h1")).to_have_text(tr(app, "zh", "File a request"))
    expect(person.locator("#service-input")).to_have_value("人才引进落户")  # the picker shows the choice

    # 2. Fill it in with a photo, forget the name: one error, nothing lost.
    person.locator("#building").select_option(BUILDING)
    person.locator("#description").fill(DESCRIPTION)
    person.locator("#company_name").fill("汇丰环球服务中心")
    person.locator("#contact_name").fill("")
    person.locator("#phone").fill("138 1234 5678")
    person.locator("#email").fill(EMAIL)
    person.locator("#consent").check()
    person.locator("#attachments").set_input_files(str(photo))
    _send(person, 422)
    expect(person.locator(".error-summary")).to_be_visible()
    expect(person.locator("#stashed-files")).to_contain_text(f"hukou-form.jpg {tr(app, 'zh', 'uploaded')}")
    assert person.locator("#description").input_value() == DESCRIPTION
    assert person.locator("#email").input_value() == EMAIL
    expect(person.locator("#service-input")).to_have_value("人才引进落户")

    person.locator("#contact_name").fill("王磊")
    _send(person, 200)
    assert re.search(r"/zh/requests/LS-\d{4}-\d{6}/submitted$", person.url), person.url
    number = person.locator("#tracking-no").inner_text().strip()
    lost_code = person.locator("#access-code").inner_text().strip()
    expect(person.locator("#receipt-sms")).to_have_text(tr(app, "zh", "We are sending an SMS receipt to %(phone)s.", phone=MASKED))
    expect(person.locator("#receipt-mail")).to_contain_text("w***@example.org")

    # 3. Both receipts arrived, each with the tracking number.
    [receipt_sms] = [t for t in gateway.texts if number in t]
    assert "/zh/requests/" in receipt_sms  # the short link to the status page
    mails = [m for m in smtp.messages() if m["To"] == EMAIL]
    assert len(mails) == 1 and number in mails[0].get_body(("plain",)).get_content()
    person.problems.assert_clean(expected_statuses=(422,))

    # 4. The code is lost: another browser, only the tracking number remembered.
    again = new_context(True, "zh-CN")
    again.set_viewport_size({"width": 390, "height": 844})
    again.goto("/zh/track")
    click_and_wait(again, again.get_by_role("link", name=tr(app, "zh", "Get a new one by text message")))
    again.locator("#tracking_no").fill(number)
    again.locator("#phone").fill("13812345678")
    gateway.posts.clear()
    click_and_wait(again, again.get_by_role("button", name=tr(app, "zh", "Send a new code")))
    [recovery] = gateway.texts
    assert number in recovery
    new_code = re.search(r"(?<![\w-])([A-Z2-9]{4}-[A-Z2-9]{4})(?![\w-])", recovery.replace(number, "")).group(1)
    assert new_code != lost_code
    click_and_wait(again, again.get_by_role("link", name=tr(app, "zh", "Enter the new code")))
    again.locator("#tracking_no").fill(number)
    again.locator("#code").fill(new_code)
    click_and_wait(again, again.get_by_role("button", name=tr(app, "zh", "Show my request")))
    assert again.url.endswith(f"/zh/requests/{number}"), again.url
    expect(again.locator("main")).to_contain_text("户口迁到上海")
    expect(again.locator("#timeline").get_by_role("link", name="hukou-form.jpg")).to_have_count(1)

    # 5. Staff answer in the workspace and close the loop.
    staff = new_context(True, "en-US")
    sign_in(staff, app, "admin@example.com", "en")
    staff.goto(f"/en/council/requests/{number}")
    expect(staff.locator("h1")).to_contain_text(number)
    expect(staff.locator("main")).to_contain_text("户口迁到上海")  # the description, on top
    gateway.posts.clear()
    staff.locator(".reply-form textarea[name=body]").fill(REPLY)
    staff.locator(".reply-form input[name=visibility][value=public]").check()
    click_and_wait(staff, staff.locator(".reply-form button[type=submit]"))
    expect(staff.locator("#flash")).to_contain_text("Reply sent.")
    staff.locator("#stage-box select[name=stage]").select_option("resolved")
    staff.locator("#stage-box button[type=submit]").click()
    expect(staff.locator("#staff-stage")).to_have_text("Resolved")
    staff.problems.assert_clean()
    assert any(number in t for t in gateway.texts), gateway.texts  # the requester is told by SMS

    # 6. The requester sees the reply on the status page and rates it.
    again.reload()
    expect(again.locator("#timeline")).to_contain_text(REPLY)
    expect(again.locator("#request-stage")).to_have_text(tr(app, "zh", "Resolved"))
    again.locator("input[name=rating][value='5']").check()
    again.locator("#comment").fill("回复很清楚，谢谢")
    click_and_wait(again, again.locator(f"form[action='/zh/requests/{number}/rate'] button[type=submit]"))
    expect(again.locator("#flash")).to_contain_text(tr(app, "zh", "Thank you for your rating."))
    expect(again.locator("#timeline")).to_contain_text("回复很清楚，谢谢")
    overflow = again.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, overflow
    again.problems.assert_clean()
