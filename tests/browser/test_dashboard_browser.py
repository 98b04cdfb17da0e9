"""The workspace dashboard in a real browser: a council member signs in through the login
form and sees their counts; a request arrives meanwhile and, one (fake) minute later,
htmx has refreshed the counts in place, without a reload.  Without JavaScript the counts
are on the page all the same.

Texts come from the app's own catalogue (``tr``/``ntr``), so the tests hold before and
after the new strings' Chinese is merged."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import count_polls, mark_document, polls, same_document, sign_in, tr

pytestmark = pytest.mark.browser

BUILDING = "shanghai-tower"


def ntr(app, lang: str, singular: str, plural: str, num: int) -> str:
    from flask_babel import force_locale, ngettext

    with app.test_request_context(f"/{lang}/"), force_locale(lang):
        return ngettext(singular, plural, num)


def new_requests(app, lang: str, num: int) -> str:
    return ntr(app, lang, "%(num)d new request", "%(num)d new requests", num)


def file_request(app, n: int, building: str = BUILDING) -> str:
    """Someone files a request for the building (through the intake service)."""
    from app.extensions import db
    from app.intake.services import submit_request
    from app.org.models import Building

    with app.test_request_context("/zh/"):
        place = db.session.scalar(sa.select(Building).where(Building.slug == building))
        filed = submit_request({"entry": None, "building": place, "company_name": "星辰咨询", "contact_name": "王磊",
                                "phone": "13812345678", "description": "大堂门禁卡无法识别，需要重新办理。"}, [],
                               f"dashboard-browser-{building}-{n:04d}")
        db.session.commit()
        number = filed.request.tracking_no
        db.session.remove()
    return number


def make_overdue(app, number: str) -> None:
    from app.core.timeutil import utcnow
    from app.extensions import db
    from app.intake.models import ServiceRequest

    with app.app_context():
        req = db.session.scalar(sa.select(ServiceRequest).where(ServiceRequest.tracking_no == number))
        req.due_on = (utcnow() - timedelta(days=3)).date()
        db.session.commit()
        db.session.remove()


@pytest.mark.smoke  # the one journey of this surface in `make test-fast`
def test_counts_refresh_in_place_every_minute(page, app, demo):
    file_request(app, 1)
    file_request(app, 2, building="jin-mao-tower")  # not the council member's building
    page.clock.install()  # htmx's "every 60s" runs on this clock: the test moves it on
    sign_in(page, app, "council@example.com", lang="zh")
    page.goto("/zh/council/")
    counts = page.locator("#counts")
    expect(counts).to_have_attribute("data-hx-trigger", "every 60s")
    new = page.locator("#count-new")
    expect(new).to_have_text(new_requests(app, "zh", 1))
    expect(page.locator("#count-overdue")).to_have_text(tr(app, "zh", "Nothing overdue"))
    expect(page.locator("#count-pending-wishes")).to_have_text(tr(app, "zh", "No wishes waiting for moderation"))
    mark_document(page)
    count_polls(page)

    second = file_request(app, 3)
    make_overdue(app, second)
    page.clock.run_for("00:30")  # half a minute: not asked again yet
    assert polls(page) == 0
    expect(new).to_have_text(new_requests(app, "zh", 1))

    page.clock.run_for("00:35")  # past the minute: htmx asks for the counts
    assert polls(page) == 1
    expect(page.locator("#count-new")).to_have_text(new_requests(app, "zh", 2))
    overdue = page.locator("#count-overdue a")
    expect(overdue).to_have_text(ntr(app, "zh", "%(num)d overdue request", "%(num)d overdue requests", 1))
    expect(page.locator("#counts")).to_have_count(1)  # replaced, not nested
    expect(page.get_by_role("heading", name=tr(app, "zh", "Your tools"))).to_have_count(1)
    assert same_document(page), "the dashboard reloaded the page"

    # the swapped-in block keeps polling
    file_request(app, 4)
    page.clock.run_for("01:05")
    assert polls(page) == 2
    expect(page.locator("#count-new")).to_have_text(new_requests(app, "zh", 3))
    assert same_document(page), "the dashboard reloaded the page"

    # a count is a link into the queue, filtered
    with page.expect_navigation():
        overdue.click()
    assert page.url.endswith("/zh/council/requests/?overdue=1"), page.url
    expect(page.locator("#queue")).to_contain_text(second)
    page.problems.assert_clean()


def test_counts_without_javascript(nojs_page, app, demo):
    file_request(app, 1)
    pg = nojs_page
    sign_in(pg, app, "council@example.com", lang="en")
    pg.goto("/en/council/")
    expect(pg.locator("#count-new")).to_have_text(new_requests(app, "en", 1))
    expect(pg.locator("#count-new a")).to_have_attribute("href", "/en/council/requests/?stage=received")
    expect(pg.locator("#count-due-today")).to_have_text(tr(app, "en", "Nothing due today"))
    expect(pg.locator("#counts")).to_contain_text(tr(app, "en", "No event is filling up."))
    pg.problems.assert_clean()
