"""Browsing the guide by category in a real browser: cards to a category's page and back
by the breadcrumb (JS on and off), filters folded on a phone and open on a desktop, the
first result on the first screen of a phone (docs/guide/browse.md)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import tr
from tests.test_guide_browse import catalogue  # noqa: F401  (fixture: the demo guide)

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def test_browse_a_category_and_come_back_by_the_breadcrumb(page, catalogue):  # noqa: F811
    page.goto("/zh/guide/")
    grid = page.locator(".topic-grid")
    expect(grid.get_by_role("link")).to_have_count(11)
    page.evaluate("() => { window.__sameDocument = true; }")
    grid.get_by_role("link", name="人才与落户 · 9 个服务").click()
    page.wait_for_url(re.compile(r"/zh/guide/\?category=talent$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("人才与落户")
    expect(page.locator("#guide-results .entry-card")).to_have_count(9)
    expect(page.get_by_role("link", name="非上海生源应届高校毕业生落户申请")).to_be_visible()
    expect(page.locator(".filter-chips")).to_contain_text("类别：人才与落户")
    expect(page.get_by_label("搜索服务指南")).to_be_visible()  # the search box is still there

    # searching inside the category: results swap in, the heading becomes the guide's
    page.get_by_label("搜索服务指南").press_sequentially("落户", delay=50)
    page.wait_for_function("() => document.querySelector('#guide-results-count').textContent.includes('落户')")
    expect(page.get_by_role("heading", level=1)).to_have_text("楼事服务指南")
    expect(page.locator("#guide-filter-count")).to_have_text(" (已选 1 项)")

    page.go_back()
    page.wait_for_url(re.compile(r"/zh/guide/\?category=talent$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("人才与落户")
    page.get_by_role("navigation", name="当前位置").get_by_role("link", name="楼事服务指南").click()
    page.wait_for_url(re.compile(r"/zh/guide/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("楼事服务指南")
    expect(grid.get_by_role("link", name="税务 · 2 个服务")).to_be_visible()
    page.problems.assert_clean()


def test_browse_without_javascript(nojs_page, app, catalogue):  # noqa: F811
    pg = nojs_page
    pg.goto("/en/guide/")
    pg.locator(".topic-grid").get_by_role("link", name="Tax · 2 services").click()
    pg.wait_for_url(re.compile(r"/en/guide/\?category=tax$"))
    expect(pg.get_by_role("heading", level=1)).to_have_text("Tax")
    expect(pg.locator("#guide-results .entry-card")).to_have_count(2)
    expect(pg.get_by_text(tr(app, "en", "Tax registration, invoices and tax incentives for companies."))).to_be_visible()
    # a chip removes its filter: back to all categories
    pg.get_by_role("link", name="Remove filter: Category: Tax").click()
    pg.wait_for_url(re.compile(r"/en/guide/$"))
    expect(pg.locator(".topic-grid")).to_be_visible()
    pg.locator(".topic-grid").get_by_role("link", name=re.compile(r"^Safety and fire · 4 services")).click()
    pg.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Service Guide").click()
    pg.wait_for_url(re.compile(r"/en/guide/$"))
    expect(pg.get_by_role("heading", level=1)).to_have_text("Service Guide")
    pg.problems.assert_clean()


@pytest.mark.parametrize("lang, query", [("zh", "落户"), ("en", "hukou")])
def test_the_first_result_is_on_the_first_screen_of_a_phone(new_context, catalogue, lang, query):  # noqa: F811
    pg = new_context(True, "zh-CN" if lang == "zh" else "en-US")
    pg.set_viewport_size(PHONE)
    pg.goto(f"/{lang}/guide/?q={query}&audience=employee")
    first = pg.locator("#guide-results .entry-card").first
    expect(first).to_be_visible()
    box = first.bounding_box()
    assert box is not None and box["y"] < PHONE["height"], box  # top of the first result, page not scrolled
    title = first.locator(".entry-title").bounding_box()
    assert title["y"] + title["height"] <= PHONE["height"], title  # its title can be read too
    # folded: the filters' summary shows how many are on, the selects are hidden until opened
    summary = pg.locator(".filters-panel > summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("1")
    audience = pg.locator("#audience")
    expect(audience).to_be_hidden()
    summary.click()
    expect(audience).to_be_visible()
    # a category page too
    pg.goto(f"/{lang}/guide/?category=property")
    assert pg.locator("#guide-results .entry-card").first.bounding_box()["y"] < PHONE["height"]
    pg.problems.assert_clean()


@pytest.mark.parametrize("javascript", [True, False])
def test_a_desktop_shows_the_filters_open(new_context, catalogue, javascript):  # noqa: F811
    pg = new_context(javascript, "en-US")
    pg.set_viewport_size(DESKTOP)
    pg.goto("/en/guide/?q=hukou")
    expect(pg.locator("#category")).to_be_visible()
    expect(pg.locator("#dept")).to_be_visible()
    assert pg.locator("#guide-results .entry-card").first.bounding_box()["y"] < DESKTOP["height"]
    pg.problems.assert_clean()
