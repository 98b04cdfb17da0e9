"""Signing in with two-step sign-in in a real browser: the district admin types the
authenticator app's code (with JavaScript, and with it off); a council member turns
two-step sign-in on from the QR page's key, keeps the recovery codes, and later signs in
with one of them instead of the phone.  Signing out ends the session for good."""

from __future__ import annotations

import re

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import click_and_wait, tr
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
