"""Signing in with two-step sign-in in a real browser: the district admin types the
authenticator app's code (with JavaScript, and with it off); a council member turns
two-step sign-in on from the QR page's key, keeps the recovery codes, and later signs in
with one of them instead of the phone.  Signing out ends the session for good.  A staff
member changes their password on the account pages (the other device is signed out, the
old password stops working, the new one signs in) and saves preferences (the workspace
follows the chosen language; the notification switches stay as saved)."""

from __future__ import annotations

import re

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import click_and_wait, sign_in, tr
from tests.conftest import DEMO_PASSWORD, totp_code

pytestmark = pytest.mark.browser


def _password_step(pg, app, lang: str, email: str) -> None:
    pg.goto(f"/{lang}/login")
    pg.locator("#email").fill(email)
    pg.locator("#password").fill(DEMO_PASSWORD)
    click_and_wait(pg, pg.get_by_role("button", name=tr(app, lang, "Sign in")))


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_admin_signs_in_with_the_code_from_the_app(app, demo, new_context, javascript):
    lang = "zh" if javascript else "en"
    pg = new_context(javascript, "zh-CN" if javascript else "en-US")
    _password_step(pg, app, lang, "admin@example.com")
    expect(pg).to_have_url(re.compile(rf"/{lang}/login/two-step$"))
    expect(pg.locator("h1")).to_have_text(tr(app, lang, "Two-step sign-in"))
    # the workspace is not open yet
    pg.goto(f"/{lang}/council/")
    expect(pg).to_have_url(re.compile(rf"/{lang}/login\?next="))
    pg.goto(f"/{lang}/login/two-step")
    # a wrong code: a clear message, the field marked, and another try
    pg.locator("#code").fill("000000")
    click_and_wait(pg, pg.get_by_role("button", name=tr(app, lang, "Continue")), status=422)
    expect(pg.locator("#code")).to_have_attribute("aria-invalid", "true")
    expect(pg.locator(".field-error")).to_contain_text(tr(app, lang, "That code is not correct or has already been used. Wait for the next code and try again."))
    pg.locator("#code").fill(totp_code(app, "admin@example.com"))
    click_and_wait(pg, pg.get_by_role("button", name=tr(app, lang, "Continue")))
    expect(pg).to_have_url(re.compile(rf"/{lang}/council/$"))
    expect(pg.locator("#flash")).to_contain_text(tr(app, lang, "You are signed in."))
    expect(pg.locator("h1")).to_have_text(tr(app, lang, "Council workspace"))
    # sign out: the same cookie no longer opens the workspace
    cookies = pg.context.cookies()
    click_and_wait(pg, pg.get_by_role("button", name=tr(app, lang, "Sign out")))
    pg.context.add_cookies(cookies)
    pg.goto(f"/{lang}/council/")
    expect(pg).to_have_url(re.compile(rf"/{lang}/login\?next="))
    pg.problems.assert_clean(expected_statuses=(422,))


def test_council_member_turns_on_two_step_and_later_uses_a_recovery_code(app, demo, page):
    lang = "en"
    _password_step(page, app, lang, "council@example.com")
    expect(page.locator("#flash")).to_contain_text(tr(app, lang, "You are signed in."))
    page.get_by_role("banner").get_by_role("link", name=tr(app, lang, "Your account")).click()
    expect(page.locator("h1")).to_have_text(tr(app, lang, "Your account"))
    page.get_by_role("link", name=tr(app, lang, "Turn on two-step sign-in")).click()
    expect(page.locator("h1")).to_have_text(tr(app, lang, "Set up two-step sign-in"))
    expect(page.get_by_role("img", name=tr(app, lang, "QR code for your authenticator app"))).to_be_visible()
    key = page.locator("#totp-key").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", key)
    page.locator("#code").fill(pyotp.TOTP(key).now())
    click_and_wait(page, page.get_by_role("button", name=tr(app, lang, "Turn on two-step sign-in")))
    expect(page.locator("#flash")).to_contain_text(tr(app, lang, "Two-step sign-in is on."))
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("link", name=tr(app, lang, "I have saved them: go to the workspace")).click()
    expect(page.locator("h1")).to_have_text(tr(app, lang, "Council workspace"))
    click_and_wait(page, page.get_by_role("button", name=tr(app, lang, "Sign out")))

    # the phone is not at hand: a recovery code instead
    _password_step(page, app, lang, "council@example.com")
    expect(page).to_have_url(re.compile(r"/en/login/two-step$"))
    page.locator("#code").fill(codes[3])
    click_and_wait(page, page.get_by_role("button", name=tr(app, lang, "Continue")))
    expect(page.locator("#flash")).to_contain_text(tr(app, lang, "You are signed in."))
    page.goto("/en/council/account/")
    expect(page.locator("dl.facts")).to_contain_text("9 recovery codes left")
    page.problems.assert_clean()


# --- the account pages: a new password, and preferences ----------------------------------------

NEW_PASSWORD = "violet tugboat marmalade 47"


def test_staff_member_changes_their_password_and_signs_in_with_it(app, demo, page, new_context):
    lang, email = "zh", "staff@example.com"
    other = new_context(True)  # the same person on another device
    sign_in(other, app, email, lang)
    sign_in(page, app, email, lang)
    page.get_by_role("banner").get_by_role("link", name=tr(app, lang, "Your account")).click()
    expect(page.locator("h1")).to_have_text(tr(app, lang, "Your account"))
    page.get_by_role("link", name=tr(app, lang, "Change your password")).click()
    expect(page).to_have_url(re.compile(rf"/{lang}/council/account/password$"))
    expect(page.locator("h1")).to_have_text(tr(app, lang, "Change your password"))

    # a wrong current password: said at the field, nothing changed
    page.get_by_label(tr(app, lang, "Current password")).fill("not-my-password-at-all")
    page.get_by_label(tr(app, lang, "New password"), exact=True).fill(NEW_PASSWORD)
    page.get_by_label(tr(app, lang, "New password, again")).fill(NEW_PASSWORD)
    click_and_wait(page, page.get_by_role("button", name=tr(app, lang, "Save the password")), status=422)
    expect(page.locator("#current")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#current-error")).to_have_text(tr(app, lang, "The current password is not correct."))

    page.get_by_label(tr(app, lang, "Current password")).fill(DEMO_PASSWORD)
    page.get_by_label(tr(app, lang, "New password"), exact=True).fill(NEW_PASSWORD)
    page.get_by_label(tr(app, lang, "New password, again")).fill(NEW_PASSWORD)
    click_and_wait(page, page.get_by_role("button", name=tr(app, lang, "Save the password")))
    expect(page).to_have_url(re.compile(rf"/{lang}/council/account/$"))
    expect(page.locator("#flash")).to_contain_text(
        tr(app, lang, "Your password is changed. Every other device signed in to your account was signed out."))
    # this browser goes on; the other device is signed out
    page.get_by_role("banner").get_by_role("link", name=tr(app, lang, "Workspace"), exact=True).click()
    expect(page.locator("h1")).to_have_text(tr(app, lang, "Council workspace"))
    other.goto(f"/{lang}/council/")
    expect(other).to_have_url(re.compile(rf"/{lang}/login\?next="))
    click_and_wait(page, page.get_by_role("button", name=tr(app, lang, "Sign out")))

    # the old password no longer opens the account; the new one does
    page.goto(f"/{lang}/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(DEMO_PASSWORD)
    click_and_wait(page, page.get_by_role("button", name=tr(app, lang, "Sign in")), status=422)
    expect(page.locator("#password-error")).to_have_text(tr(app, lang, "The email or password is not correct."))
    sign_in(page, app, email, lang, password=NEW_PASSWORD)
    expect(page).to_have_url(re.compile(rf"/{lang}/council/$"))
    expect(page.locator("h1")).to_have_text(tr(app, lang, "Council workspace"))
    page.problems.assert_clean(expected_statuses=(422,))
    other.problems.assert_clean()


def test_staff_member_saves_preferences_and_the_workspace_follows_them(app, demo, page):
    lang, email = "zh", "staff@example.com"
    new_mail = tr(app, lang, "E-mail me about new requests in my scope")
    updates_mail = tr(app, lang, "E-mail me when a request I handle is transferred, co-handled, added to or reopened")
    sign_in(page, app, email, lang)
    page.get_by_role("banner").get_by_role("link", name=tr(app, lang, "Your account")).click()
    expect(page.locator("h1")).to_have_text(tr(app, lang, "Your account"))
    expect(page.get_by_role("radio", name="中文")).to_be_checked()
    expect(page.get_by_role("checkbox", name=new_mail)).to_be_checked()
    expect(page.get_by_role("checkbox", name=updates_mail)).to_be_checked()

    # English, and no mail about new requests (updates still mailed)
    page.get_by_role("radio", name="English").check()
    page.get_by_role("checkbox", name=new_mail).uncheck()
    click_and_wait(page, page.get_by_role("button", name=tr(app, lang, "Save preferences")))

    # the workspace now speaks English, and the page shows what was saved
    lang = "en"
    new_mail = tr(app, lang, "E-mail me about new requests in my scope")
    updates_mail = tr(app, lang, "E-mail me when a request I handle is transferred, co-handled, added to or reopened")
    expect(page).to_have_url(re.compile(r"/en/council/account/$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#flash")).to_contain_text(tr(app, lang, "Your preferences are saved."))
    expect(page.locator("h1")).to_have_text(tr(app, lang, "Your account"))
    for _visit in range(2):  # as saved, and still so when the page is opened again
        expect(page.get_by_role("radio", name="English")).to_be_checked()
        expect(page.get_by_role("radio", name="中文")).not_to_be_checked()
        expect(page.get_by_role("checkbox", name=new_mail)).not_to_be_checked()
        expect(page.get_by_role("checkbox", name=updates_mail)).to_be_checked()
        page.reload()
    expect(page.locator("#flash .flash")).to_have_count(0)  # the message was shown once
    page.get_by_role("banner").get_by_role("link", name=tr(app, lang, "Workspace"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/en/council/$"))
    expect(page.locator("h1")).to_have_text(tr(app, lang, "Council workspace"))
    # the dashboard's recent activity lists the change, in English
    expect(page.get_by_role("region", name=tr(app, lang, "Your recent activity"))).to_contain_text(
        tr(app, lang, "Changed notification preferences"))
    page.problems.assert_clean()
