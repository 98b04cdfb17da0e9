"""User administration in a real browser: an administrator invites a council member
through the form (refused first without a building, every value kept), then finds the
new person with the list's filters, which htmx applies in place while the address bar
follows; and the same filters without JavaScript, as a plain GET form.

Texts are looked up through the app's own translations (``tr``)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import click_and_wait, mark_document, same_document, sign_in, tr

pytestmark = pytest.mark.browser

EMAIL, NAME = "zhou.min@example.com", "周敏"


def _listed(pg) -> list[str]:
    return pg.locator("#user-list table tbody tr td:nth-child(2)").all_inner_texts()


@pytest.mark.smoke  # the one journey of this surface in `make test-fast`
def test_admin_invites_a_council_member_and_filters_the_list(page, app, demo):
    from app.auth.models import User
    from app.core.mail import OutboxMail
    from app.extensions import db

    sign_in(page, app, "admin@example.com", lang="zh")
    page.goto("/zh/council/users/")
    expect(page.locator("h1")).to_have_text(tr(app, "zh", "User accounts"))
    click_and_wait(page, page.get_by_role("link", name=tr(app, "zh", "Invite a person")))
    assert page.url.endswith("/zh/council/users/new"), page.url

    # no building for a council member: refused, what was typed is kept
    page.get_by_label(tr(app, "zh", "Email"), exact=True).fill(EMAIL)
    page.get_by_label(tr(app, "zh", "Name"), exact=True).fill(NAME)
    expect(page.locator("input[name=role][value=council]")).to_be_checked()  # the usual invitation
    page.locator("input[name=locale][value=zh]").check()
    send = page.get_by_role("button", name=tr(app, "zh", "Send the invitation"))
    click_and_wait(page, send, status=422)
    message = tr(app, "zh", "Council members and observers need at least one building.")
    expect(page.locator("#field-buildings .field-error")).to_have_text(message)
    expect(page.locator(".error-summary")).to_contain_text(message)
    assert page.get_by_label(tr(app, "zh", "Email"), exact=True).input_value() == EMAIL
    assert page.get_by_label(tr(app, "zh", "Name"), exact=True).input_value() == NAME

    page.locator("#buildings-shanghai-tower").check()
    click_and_wait(page, page.get_by_role("button", name=tr(app, "zh", "Send the invitation")))
    assert re.search(r"/zh/council/users/\d+$", page.url), page.url
    expect(page.locator("#flash")).to_contain_text(
        tr(app, "zh", "Invitation sent to %(email)s. The link works for %(hours)d hours.", email=EMAIL, hours=72))
    expect(page.locator("h1")).to_have_text(NAME)
    expect(page.locator("#buildings-shanghai-tower")).to_be_checked()
    with app.app_context():
        person = db.session.scalar(sa.select(User).where(User.email == EMAIL))
        assert person.role == "council" and [b.slug for b in person.buildings] == ["shanghai-tower"] and not person.has_password
        mail = db.session.scalar(sa.select(OutboxMail).where(OutboxMail.to_addr == EMAIL))
        assert mail.kind == "auth.invite" and "/zh/password/" in mail.body_text
        db.session.remove()

    # the list: filters apply in place (no page load) and the address follows
    page.goto("/zh/council/users/")
    assert len(_listed(page)) == 5
    mark_document(page)
    page.locator("form.user-filters select[name=status]").select_option("invited")
    expect(page.locator("#user-list table tbody tr")).to_have_count(1)
    assert _listed(page) == [EMAIL]
    expect(page).to_have_url(re.compile(r"status=invited"))
    page.locator("form.user-filters select[name=status]").select_option("")
    expect(page.locator("#user-list table tbody tr")).to_have_count(5)
    page.locator("#user-q").fill("observer")  # typing: the list follows after a pause
    expect(page.locator("#user-list table tbody tr")).to_have_count(1)
    assert _listed(page) == ["observer@example.com"]
    expect(page).to_have_url(re.compile(r"q=observer"))
    assert same_document(page)

    # the pushed address is a whole page of its own
    page.reload()
    assert _listed(page) == ["observer@example.com"]
    assert page.locator("#user-q").input_value() == "observer"
    page.problems.assert_clean(expected_statuses=(422,))


def test_user_filters_work_without_javascript(nojs_page, app, demo):
    pg = nojs_page
    sign_in(pg, app, "admin@example.com", lang="en")
    pg.goto("/en/council/users/")
    assert len(_listed(pg)) == 4
    pg.locator("form.user-filters select[name=role]").select_option("staff")
    click_and_wait(pg, pg.get_by_role("button", name=tr(app, "en", "Filter"), exact=True))
    assert "role=staff" in pg.url, pg.url
    assert _listed(pg) == ["staff@example.com"]
    assert pg.locator("form.user-filters select[name=role]").input_value() == "staff"

    pg.locator("form.user-filters select[name=role]").select_option("")
    pg.locator("form.user-filters select[name=building]").select_option("jin-mao-tower")
    click_and_wait(pg, pg.get_by_role("button", name=tr(app, "en", "Filter"), exact=True))
    assert _listed(pg) == ["observer@example.com"]
    pg.locator("form.user-filters select[name=building]").select_option("")
    pg.locator("#user-q").fill("nobody at all")
    click_and_wait(pg, pg.get_by_role("button", name=tr(app, "en", "Filter"), exact=True))
    expect(pg.locator("#user-list")).to_contain_text(tr(app, "en", "No accounts match these filters."))
    pg.problems.assert_clean()
