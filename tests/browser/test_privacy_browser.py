"""Issue 16, item 1 in a real browser: filing with "do not list publicly" ticked (JS on),
and the layout of the pages it changed (request form, privacy notice) at phone and
desktop widths in zh and en, with screenshots saved for a person to look at."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.browser.conftest import tr
from tests.guide_fixtures import make_entries

pytestmark = pytest.mark.browser

BUILDING = "shanghai-tower"
SERVICE_ZH = "食品经营许可证办理"
SHOTS = Path(os.environ.get("PRIVACY_SCREENSHOTS", "/tmp/privacy-screenshots"))


@pytest.fixture
def service(app, demo):
    make_entries(app)
    return "food-licence"


def test_filing_with_do_not_list_publicly_ticked_keeps_it_off_the_board(app, page, service):
    page.goto(f"/zh/requests/new?service={service}&building={BUILDING}")
    box = page.locator("#unlisted")
    assert page.locator("label[for=unlisted]").inner_text().strip() == "不公开展示"
    assert page.locator("#unlisted-hint").is_visible()
    page.locator("#description").fill("我们想在大厦 B1 开设员工咖啡厅。需要办理食品经营许可证。请问需要哪些材料")
    page.locator("#company_name").fill("上海星辰咨询有限公司")
    page.locator("#contact_name").fill("王磊")
    page.locator("#phone").fill("13812345678")
    box.check()
    page.locator("#consent").check()
    with page.expect_navigation():
        page.locator("#request-form button[type=submit]").click()
    assert re.search(r"/zh/requests/LS-\d{4}-\d{6}/submitted$", page.url), page.url
    assert page.locator("h1").inner_text() == tr(app, "zh", "Request received")
    number = page.locator("#tracking-no").inner_text().strip()

    from app.extensions import db
    from app.intake.models import ServiceRequest

    with app.app_context():
        assert db.session.scalar(sa.select(ServiceRequest.unlisted).where(ServiceRequest.tracking_no == number)) is True
        db.session.remove()
    page.goto(f"/zh/boards/{BUILDING}")
    assert page.locator("#stat-received").inner_text().strip() == "1"  # counted …
    assert SERVICE_ZH not in page.locator("main").inner_text()  # … never listed
    page.problems.assert_clean()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_request_form_and_privacy_notice_fit_phone_and_desktop(app, new_context, service, lang):
    SHOTS.mkdir(parents=True, exist_ok=True)
    pg = new_context(True, "zh-CN" if lang == "zh" else "en-US")
    for width in (390, 1280):
        pg.set_viewport_size({"width": width, "height": 900})
        for name, path in (("request-form", f"/{lang}/requests/new?service={service}&building={BUILDING}"), ("privacy", f"/{lang}/privacy")):
            pg.goto(path)
            overflow = pg.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, (path, width, overflow)
            if name == "request-form":  # the new checkbox and its explanation sit side by side with nothing on top
                label, hint = pg.locator("label[for=unlisted]").bounding_box(), pg.locator("#unlisted-hint").bounding_box()
                assert label and hint and label["y"] + label["height"] <= hint["y"] + 1, (label, hint)
            pg.screenshot(path=str(SHOTS / f"{name}-{lang}-{width}.png"), full_page=True)
    pg.problems.assert_clean()
