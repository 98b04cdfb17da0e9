"""The audit viewer in a real browser: a council member signs in with the login form and
narrows the log by action.  With JavaScript the results swap in place (htmx), the URL
follows (a shareable link) and Back returns to the previous filter; without JavaScript the same
form submits as a plain GET.

Texts are looked up through the app's own translations (``tr``), so the tests hold while
the Chinese catalogue is being completed."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import click_and_wait, mark_document, same_document, tr
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.browser


def count_text(app, lang: str, num: int) -> str:
    from flask_babel import force_locale, ngettext

    with app.test_request_context(f"/{lang}/"), force_locale(lang):
        return ngettext("%(num)d record", "%(num)d records", num)


def make_records(app) -> None:
    """Three records in the council member's building (two exports, one automatic hide)
    and one in another building the council member must not see."""
    from app.auth.models import User
    from app.core import audit
    from app.extensions import db
    from app.org.models import Building

    with app.app_context():
        tower = db.session.scalar(sa.select(Building).where(Building.slug == "shanghai-tower"))
        jinmao = db.session.scalar(sa.select(Building).where(Building.slug == "jin-mao-tower"))
        council = db.session.scalar(sa.select(User).where(User.email == "council@example.com"))
        admin = db.session.scalar(sa.select(User).where(User.email == "admin@example.com"))
        for day, (action, target, actor, extra) in enumerate([
            ("board.export", tower, council, {}),
            ("wish.auto_hide", None, None, {"target_type": "wish", "target_id": 1, "building_id": tower.id}),
            ("board.export", tower, council, {}),
            ("board.export", jinmao, admin, {}),
        ], start=1):
            entry = audit.record(action, target, actor=actor, after={"n": day}, **extra)
            entry.created_at = datetime(2026, 3, day, 2, tzinfo=timezone.utc)
        db.session.commit()
        db.session.remove()


def sign_in_council(pg, app, lang: str) -> None:
    pg.goto(f"/{lang}/login")
    pg.locator("#email").fill("council@example.com")
    pg.locator("#password").fill(DEMO_PASSWORD)
    click_and_wait(pg, pg.get_by_role("button", name=tr(app, lang, "Sign in")))
    expect(pg.locator("#flash")).to_contain_text(tr(app, lang, "You are signed in."))


def test_filter_by_action_with_javascript(page, app, demo):
    make_records(app)
    sign_in_council(page, app, "zh")
    page.goto("/zh/council/audit/")
    expect(page.locator("h1")).to_have_text(tr(app, "zh", "Audit log"))
    results = page.locator("#audit-results")
    count = results.locator("[role=status]")
    expect(count).to_contain_text(count_text(app, "zh", 3))
    expect(results.locator("table.audit-table > tbody > tr")).to_have_count(3)
    expect(results).to_contain_text("wish.auto_hide")
    expect(results).not_to_contain_text("金茂大厦")  # the other building's export

    mark_document(page)
    page.get_by_label(tr(app, "zh", "Action"), exact=True).select_option("board.export")
    expect(count).to_contain_text(count_text(app, "zh", 2))
    expect(results.locator("table.audit-table > tbody > tr")).to_have_count(2)
    expect(results).not_to_contain_text("wish.auto_hide")
    expect(page).to_have_url(re.compile(r"/zh/council/audit/\?.*action=board\.export"))
    assert same_document(page), "the results should change in place, not by a new page"

    # a group works the same way; the URL follows
    page.get_by_label(tr(app, "zh", "Action"), exact=True).select_option("wish.*")
    expect(count).to_contain_text(count_text(app, "zh", 1))
    expect(results).to_contain_text("wish.auto_hide")
    expect(page).to_have_url(re.compile(r"action=wish\.\*|action=wish\.%2A"))

    # Back returns to the previous filter (htmx restores it from the server)
    page.go_back()
    expect(page).to_have_url(re.compile(r"action=board\.export"))
    expect(page.locator("#audit-results [role=status]")).to_contain_text(count_text(app, "zh", 2))
    page.go_forward()
    expect(page.locator("#audit-results [role=status]")).to_contain_text(count_text(app, "zh", 1))

    # the pushed URL is a page of its own
    shared = page.url
    page.goto(shared)
    expect(page.locator("#audit-results [role=status]")).to_contain_text(count_text(app, "zh", 1))
    expect(page.get_by_label(tr(app, "zh", "Action"), exact=True)).to_have_value("wish.*")
    page.problems.assert_clean()


def test_filter_by_action_without_javascript(nojs_page, app, demo):
    page = nojs_page
    make_records(app)
    sign_in_council(page, app, "en")
    page.goto("/en/council/audit/")
    results = page.locator("#audit-results")
    expect(results.locator("table.audit-table > tbody > tr")).to_have_count(3)
    page.get_by_label(tr(app, "en", "Action"), exact=True).select_option("board.export")
    expect(results.locator("table.audit-table > tbody > tr")).to_have_count(3)  # nothing happens until the form is sent
    click_and_wait(page, page.get_by_role("button", name=tr(app, "en", "Filter"), exact=True))
    assert re.search(r"/en/council/audit/\?.*action=board\.export", page.url), page.url
    expect(results.locator("[role=status]")).to_contain_text(count_text(app, "en", 2))
    expect(results.locator("table.audit-table > tbody > tr")).to_have_count(2)
    expect(results).not_to_contain_text("wish.auto_hide")
    expect(page.get_by_label(tr(app, "en", "Action"), exact=True)).to_have_value("board.export")
    # a bad date comes back as a message, not an error page
    page.get_by_label(tr(app, "en", "To (date)"), exact=True).fill("2026-03-01")
    page.get_by_label(tr(app, "en", "From (date)"), exact=True).fill("2026-03-05")
    click_and_wait(page, page.get_by_role("button", name=tr(app, "en", "Filter"), exact=True))
    expect(page.locator(".error-summary")).to_contain_text(tr(app, "en", "The end date is before the start date."))
    page.problems.assert_clean()
