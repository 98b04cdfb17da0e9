"""Finding a guide entry by an everyday word (its "also searched as" keywords) in a real
browser: results update as you type with JS, the plain GET form works without."""

from __future__ import annotations

import re

import pytest

from tests.guide_fixtures import make_entries

pytestmark = pytest.mark.browser

MAIL = {
    "slug": "mail-room", "department": "housing", "category": "property", "title_zh": "物流与邮件服务", "title_en": "Mail services",
    "summary_zh": "寄件与收件。", "summary_en": "Sending and receiving.", "keywords_zh": "寄快递、快递丢了", "keywords_en": "courier, lost parcel",
}


@pytest.fixture
def guide(app, demo):
    return make_entries(app, [MAIL])


def test_typing_an_everyday_word_finds_the_entry(page, guide):
    page.goto("/zh/guide/")
    page.evaluate("() => { window.__sameDocument = true; }")
    page.get_by_label("搜索服务指南").press_sequentially("快递丢了", delay=50)
    page.wait_for_function("() => document.querySelector('#guide-results-count').textContent.includes('快递丢了')")
    assert "找到 1 个" in page.locator("#guide-results-count").inner_text()
    assert page.get_by_role("link", name="物流与邮件服务").is_visible()
    assert page.evaluate("() => window.__sameDocument") is True
    page.get_by_role("link", name="物流与邮件服务").click()
    page.wait_for_url(re.compile(r"/zh/guide/mail-room$"))
    assert page.get_by_role("heading", level=1).inner_text() == "物流与邮件服务"
    page.problems.assert_clean()


def test_everyday_word_without_javascript(nojs_page, guide):
    nojs_page.goto("/en/guide/")
    nojs_page.get_by_label("Search the guide").fill("courier")
    nojs_page.get_by_role("button", name="Search").click()
    nojs_page.wait_for_url(re.compile(r"/en/guide/\?q=courier"))
    assert "1 service found" in nojs_page.locator("#guide-results-count").inner_text()
    assert nojs_page.get_by_role("link", name="Mail services").is_visible()
    nojs_page.problems.assert_clean()
