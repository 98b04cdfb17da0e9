"""Issue 17, item 3 in a real browser (JS on): the confirmation page says an SMS receipt is
sent and keeps the tracking number on one line at 390 px; a lost access code is recovered
by SMS from the track page's link, and the new code opens the request.  The SMS gateway is
a real HTTP server on 127.0.0.1 (tests/test_sms.py's recorder).  Screenshots of the pages
at 390 and 1280 px in zh and en go to SMS_SCREENSHOTS (default /tmp/sms-screenshots)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.browser.conftest import click_and_wait, tr
from tests.guide_fixtures import make_entries
from tests.test_sms import MASKED, gateway  # noqa: F401  (the recording gateway fixture)

pytestmark = pytest.mark.browser

BUILDING = "shanghai-tower"
SHOTS = Path(os.environ.get("SMS_SCREENSHOTS", "/tmp/sms-screenshots"))


@pytest.fixture
def service(app, demo):
    make_entries(app)
    return "food-licence"


def _file(pg, lang: str, service: str) -> str:
    pg.goto(f"/{lang}/requests/new?service={service}&building={BUILDING}")
    pg.locator("#description").fill("我们想在大厦 B1 开设员工咖啡厅，需要办理食品经营许可证，请问需要哪些材料？")
    pg.locator("#company_name").fill("上海星辰咨询有限公司")
    pg.locator("#contact_name").fill("王磊")
    pg.locator("#phone").fill("138 1234 5678")
    pg.locator("#consent").check()
    click_and_wait(pg, pg.locator("#request-form button[type=submit]"))
    assert re.search(rf"/{lang}/requests/LS-\d{{4}}-\d{{6}}/submitted$", pg.url), pg.url
    return pg.locator("#tracking-no").inner_text().strip()


def _one_line(pg, selector: str) -> bool:
    """The element's text is laid out on a single line (its box is one line high)."""
    return pg.evaluate("""(sel) => {
        const el = document.querySelector(sel);
        const range = document.createRange(); range.selectNodeContents(el);
        return range.getClientRects().length === 1;
    }""", selector)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_confirmation_says_sms_is_sent_and_keeps_the_number_whole(app, new_context, service, gateway, lang):  # noqa: F811
    SHOTS.mkdir(parents=True, exist_ok=True)
    pg = new_context(True, "zh-CN" if lang == "zh" else "en-US")
    for width in (390, 1280):
        pg.set_viewport_size({"width": width, "height": 900})
        number = _file(pg, lang, service)
        pg.screenshot(path=str(SHOTS / f"submitted-{lang}-{width}.png"), full_page=True)
        assert pg.locator("#receipt-sms").inner_text().strip() == tr(app, lang, "We are sending an SMS receipt to %(phone)s.", phone=MASKED)
        assert _one_line(pg, "#tracking-no"), (lang, width)
        assert _one_line(pg, "#access-code"), (lang, width)
        overflow = pg.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, (lang, width, overflow)
        assert any(number in t for t in gateway.texts)
        pg.goto(f"/{lang}/track/recover")
        pg.screenshot(path=str(SHOTS / f"recover-{lang}-{width}.png"), full_page=True)
    pg.problems.assert_clean()


def test_recover_a_lost_code_by_sms_with_javascript(app, new_context, service, gateway):  # noqa: F811
    filer = new_context(True, "zh-CN")
    number = _file(filer, "zh", service)
    old = filer.locator("#access-code").inner_text().strip()
    gateway.posts.clear()

    pg = new_context(True, "zh-CN")  # another browser: the person lost everything but the number
    pg.set_viewport_size({"width": 390, "height": 900})
    pg.goto("/zh/track")
    click_and_wait(pg, pg.get_by_role("link", name=tr(app, "zh", "Get a new one by text message")))
    assert pg.locator("h1").inner_text().strip() == tr(app, "zh", "Get a new access code")
    pg.locator("#tracking_no").fill(number)
    pg.locator("#phone").fill("13812345678")
    click_and_wait(pg, pg.get_by_role("button", name=tr(app, "zh", "Send a new code")))
    assert "新的查询码将以短信发送到该手机" in pg.locator("#recover-sent").inner_text()
    pg.screenshot(path=str(SHOTS / "recover-sent-zh-390.png"), full_page=True)
    [post] = gateway.posts
    new = re.search(r"新查询码为 ([A-Z0-9]{4}-[A-Z0-9]{4})", post["json"]["text"]).group(1)
    assert new != old

    click_and_wait(pg, pg.get_by_role("link", name=tr(app, "zh", "Enter the new code")))
    pg.locator("#tracking_no").fill(number)
    pg.locator("#code").fill(old)  # the old code first: refused
    click_and_wait(pg, pg.get_by_role("button", name=tr(app, "zh", "Show my request")), status=422)
    pg.locator("#code").fill(new)
    click_and_wait(pg, pg.get_by_role("button", name=tr(app, "zh", "Show my request")))
    assert pg.url.endswith(f"/zh/requests/{number}")
    assert "员工咖啡厅" in pg.locator("main").inner_text()  # unlocked: the requester's own text
    pg.problems.assert_clean(expected_statuses=(422,))
