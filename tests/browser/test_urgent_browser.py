"""Issue 17, item 4 in a real browser (JS on): typing "有人被困电梯" into the request
form's description brings up the "call first" notice before anything is sent; the
emergency notice and the fraud entry fit phone and desktop widths (screenshots saved)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.guide_fixtures import make_entries

pytestmark = pytest.mark.browser

BUILDING = "shanghai-tower"
SHOTS = Path(os.environ.get("URGENT_SCREENSHOTS", "/tmp/urgent-screenshots"))
FRAUD = {
    "slug": "anti-fraud", "department": "police", "category": "police", "audience": "both", "emergency": "fraud",
    "title_zh": "反诈骗咨询与报案", "title_en": "Fraud advice and reports",
    "summary_zh": "遇到电信网络诈骗时的咨询与报案。", "summary_en": "Advice and reports on telecom and online fraud.",
}


@pytest.fixture
def service(app, demo):
    make_entries(app, extra=[FRAUD])
    return "food-licence"


def test_typing_someone_trapped_in_the_lift_shows_the_notice_before_submit(app, page, service):
    page.goto(f"/zh/requests/new?service={service}&building={BUILDING}")
    assert page.locator("#description-emergency").count() == 0
    url = page.url
    page.locator("#description").fill("有人被困电梯")
    page.locator("#description").press("Tab")  # leaving the field checks it (htmx)
    notice = page.locator("#field-description .emergency-notice")
    notice.wait_for(state="visible")
    assert "是否有人身处危险" in notice.inner_text()
    assert notice.locator('a[href="tel:110"]').is_visible() and notice.locator('a[href="tel:119"]').is_visible()
    box = notice.locator('a[href="tel:110"]').bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44  # a large touch target
    assert page.url == url  # nothing was submitted
    assert page.locator("#description").input_value() == "有人被困电梯"
    # ordinary text takes it away again
    page.locator("#description").fill("我们想在 12 楼开一家咖啡店，需要办理食品经营许可。")
    page.locator("#description").press("Tab")
    page.wait_for_function("() => !document.querySelector('#field-description .emergency-notice')")
    page.problems.assert_clean()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_emergency_notice_fits_phone_and_desktop(app, new_context, service, lang):
    SHOTS.mkdir(parents=True, exist_ok=True)
    pg = new_context(True, "zh-CN" if lang == "zh" else "en-US")
    for width in (390, 1280):
        pg.set_viewport_size({"width": width, "height": 900})
        for name, path in (("request-form", f"/{lang}/requests/new?building={BUILDING}"), ("fraud-entry", f"/{lang}/guide/anti-fraud")):
            pg.goto(path)
            overflow = pg.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, (path, width, overflow)
            for link in pg.locator('.emergency-notice a[href^="tel:"]').all():
                box = link.bounding_box()
                assert box["height"] >= 44, (path, width, box)
            pg.screenshot(path=str(SHOTS / f"{name}-{lang}-{width}.png"), full_page=False)
    pg.problems.assert_clean()
