"""Searching the guide in a real browser: live results with JS, a plain form without."""

from __future__ import annotations

import re

import pytest

from tests.guide_fixtures import make_entries

pytestmark = pytest.mark.browser


@pytest.fixture
def guide(app, demo):
    return make_entries(app)


@pytest.mark.smoke  # the one journey of this surface in `make test-fast`
def test_typing_updates_results_without_a_reload(page, guide):
    page.goto("/zh/guide/")
    page.evaluate("() => { window.__sameDocument = true; }")  # survives only if no reload happens
    count = page.locator("#guide-results-count")
    assert "6 个服务" in count.inner_text()
    page.get_by_label("搜索服务指南").press_sequentially("落户", delay=50)
    page.wait_for_function("() => document.querySelector('#guide-results-count').textContent.includes('落户')")
    assert "找到 2 个" in count.inner_text()
    assert page.locator("#guide-results mark", has_text="落户").first.is_visible()
    assert page.evaluate("() => window.__sameDocument") is True
    assert re.search(r"/zh/guide/\?q=%E8%90%BD%E6%88%B7", page.url), page.url  # pushed: shareable

    page.get_by_label("类别").select_option("party")
    page.wait_for_function("() => document.querySelector('#guide-results-count').textContent.includes('1')")
    assert page.get_by_role("link", name="楼宇党群服务站活动预约").is_visible()

    page.get_by_label("搜索服务指南").fill("完全找不到的东西")
    page.wait_for_function("() => document.querySelector('#guide-results-count').textContent.includes('找到 0 个')")
    assert page.get_by_role("link", name="改为提交诉求").is_visible()
    assert page.evaluate("() => window.__sameDocument") is True

    # the pushed URL serves a full page on its own
    page.reload()
    assert page.get_by_role("heading", level=1).inner_text() == "楼事服务指南"
    page.problems.assert_clean()


def test_pinyin_and_english_search_then_open_an_entry(page, guide):
    page.goto("/en/guide/")
    page.get_by_label("Search the guide").fill("xiaofang")
    page.wait_for_function("() => document.querySelector('#guide-results-count').textContent.includes('xiaofang')")
    page.get_by_role("link", name="Fire safety inspection of fit-outs").click()
    page.wait_for_url(re.compile(r"/en/guide/fire-check$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Fire safety inspection of fit-outs"
    assert page.get_by_role("link", name="Request this service").get_attribute("href") == "/en/requests/new?service=fire-check"
    assert page.locator("svg.qr").is_visible()
    page.problems.assert_clean()


def test_search_form_works_without_javascript(nojs_page, guide):
    nojs_page.goto("/en/guide/")
    nojs_page.get_by_label("Search the guide").fill("parking")
    nojs_page.get_by_role("button", name="Search").click()
    nojs_page.wait_for_url(re.compile(r"/en/guide/\?q=parking"))
    assert "1 service found" in nojs_page.locator("#guide-results-count").inner_text()
    assert nojs_page.get_by_role("link", name="Monthly parking pass for the garage").is_visible()
    nojs_page.get_by_label("Category").select_option("fire")
    nojs_page.get_by_label("Search the guide").fill("")
    nojs_page.get_by_role("button", name="Search").click()
    assert "1 service" in nojs_page.locator("#guide-results-count").inner_text()
    nojs_page.problems.assert_clean()


def test_staff_edit_an_entry_in_the_browser(page, guide):
    from tests.conftest import DEMO_PASSWORD

    page.goto("/en/login")
    page.get_by_label("Email").fill("staff@example.com")
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/en/council/guide/food-licence/edit")
    page.get_by_label("Title (English)").fill("Food business licence for canteens")
    page.get_by_role("button", name="Add a step").click()
    page.locator("#steps-1-title_zh").fill("领取许可证")
    page.locator("#steps-1-title_en").fill("Collect the licence")
    page.get_by_role("button", name="Save").click()
    assert page.get_by_text("Saved.").is_visible()
    page.goto("/en/guide/food-licence")
    assert page.get_by_role("heading", level=1).inner_text() == "Food business licence for canteens"
    assert page.get_by_text("Collect the licence").is_visible()
    page.problems.assert_clean()


def test_no_match_offers_did_you_mean_live(page, guide):
    """Typing a search nothing matches in full: the live results offer the closest entry
    ("did you mean") above the request form, and it opens."""
    page.goto("/zh/guide/")
    page.evaluate("() => { window.__sameDocument = true; }")
    page.get_by_label("搜索服务指南").press_sequentially("停车场在哪里", delay=30)
    page.wait_for_function("() => document.querySelector('#guide-results').textContent.includes('您是不是要找')")
    assert "找到 0 个" in page.locator("#guide-results-count").inner_text()
    assert page.get_by_role("heading", name="您是不是要找…").is_visible()
    assert page.get_by_role("link", name="改为提交诉求").is_visible()
    assert page.evaluate("() => window.__sameDocument") is True
    page.get_by_role("link", name="地下车库停车月卡办理").click()
    page.wait_for_url(re.compile(r"/zh/guide/parking-pass$"))
    page.problems.assert_clean()


def test_no_match_offers_did_you_mean_without_javascript(nojs_page, guide):
    nojs_page.goto("/en/guide/")
    nojs_page.get_by_label("Search the guide").fill("parking lot")
    nojs_page.get_by_role("button", name="Search").click()
    nojs_page.wait_for_url(re.compile(r"/en/guide/\?q=parking\+lot"))
    assert "0 services found" in nojs_page.locator("#guide-results-count").inner_text()
    assert nojs_page.get_by_role("heading", name="Did you mean…").is_visible()
    assert nojs_page.get_by_role("link", name="File a request instead").is_visible()
    nojs_page.get_by_role("link", name="Monthly parking pass for the garage").click()
    nojs_page.wait_for_url(re.compile(r"/en/guide/parking-pass$"))
    nojs_page.problems.assert_clean()
