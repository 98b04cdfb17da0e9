"""A person opens the site in a real browser, in both languages, with and without JS."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


@pytest.mark.smoke  # the one journey of this surface in `make test-fast`
def test_home_in_chinese_then_switch_to_english_and_back(page, demo, live_server):
    page.goto("/")  # the browser says zh-CN
    assert re.search(r"/zh/$", page.url)
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert page.get_by_role("heading", level=1).inner_text() == "楼事有人应，难事有人解"
    assert page.get_by_text("全区概况").is_visible()
    buildings = page.locator(".figure", has_text="商务楼宇").locator("dd").inner_text()
    assert int(buildings) >= 12
    # htmx loaded and was configured from the meta tag (no inline script needed)
    assert page.evaluate("() => window.htmx && htmx.version").startswith("2.0")
    assert page.evaluate("() => htmx.config.allowEval") is False
    assert page.evaluate("() => htmx.config.selfRequestsOnly") is True

    page.get_by_role("link", name="English").click()
    page.wait_for_url(re.compile(r"/en/$"))
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == "Building affairs, answered"
    assert page.get_by_text("Across the district").is_visible()

    # the choice is remembered: / now goes to English although the browser prefers Chinese
    page.goto("/")
    assert re.search(r"/en/$", page.url)
    page.get_by_role("link", name="中文").click()
    page.wait_for_url(re.compile(r"/zh/$"))
    page.problems.assert_clean()


def test_switching_language_keeps_page_and_query(page, demo):
    page.goto("/zh/login?next=/zh/council/")
    assert page.get_by_role("heading", level=1).inner_text() == "工作人员登录"
    page.get_by_role("link", name="English").click()
    page.wait_for_url(re.compile(r"/en/login\?next=/zh/council/$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Staff sign-in"
    page.problems.assert_clean()


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(page, demo):
    page.goto("/en/")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.textContent.trim()")
    assert focused == "Skip to main content"
    assert page.locator(".skip-link").is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    page.problems.assert_clean()


def test_staff_sign_in_and_out_in_the_browser(page, demo):
    from tests.conftest import DEMO_PASSWORD

    page.goto("/zh/council/")
    page.wait_for_url(re.compile(r"/zh/login\?next="))
    assert page.get_by_text("请先登录后查看此页面。").is_visible()
    page.get_by_label("电子邮箱").fill("council@example.com")
    page.get_by_label("密码", exact=True).fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    assert page.get_by_text("邮箱或密码不正确。").first.is_visible()
    assert page.get_by_label("电子邮箱").input_value() == "council@example.com"
    page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/zh/council/$"))
    assert page.get_by_role("heading", level=1).inner_text() == "楼事会工作台"
    assert page.get_by_text("上海中心大厦").first.is_visible()
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url(re.compile(r"/zh/$"))
    assert page.get_by_text("您已退出登录。").is_visible()
    page.problems.assert_clean(expected_statuses=(422,))  # the wrong password, on purpose


@pytest.mark.parametrize("path, heading", [("/zh/", "楼事有人应，难事有人解"), ("/en/", "Building affairs, answered"), ("/en/login", "Staff sign-in"), ("/zh/login", "工作人员登录")])
def test_pages_without_javascript(nojs_page, demo, path, heading):
    nojs_page.goto(path)
    assert nojs_page.get_by_role("heading", level=1).inner_text() == heading
    # no script ran, yet the page is whole: navigation, language switch and footer are there
    assert nojs_page.locator("a[data-lang-switch]").count() == 1
    assert nojs_page.locator("footer").is_visible()
    nojs_page.problems.assert_clean()


def test_language_switch_and_sign_in_without_javascript(nojs_page, app, demo):
    from tests.conftest import DEMO_PASSWORD, totp_code

    nojs_page.goto("/")
    assert nojs_page.url.endswith("/en/")  # the browser says en-US
    nojs_page.get_by_role("link", name="中文").click()
    nojs_page.wait_for_url(re.compile(r"/zh/$"))
    assert nojs_page.get_by_role("heading", level=1).inner_text() == "楼事有人应，难事有人解"
    nojs_page.get_by_role("link", name="工作人员登录").click()
    nojs_page.get_by_label("电子邮箱").fill("admin@example.com")
    nojs_page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    nojs_page.get_by_role("button", name="登录").click()
    nojs_page.wait_for_url(re.compile(r"/zh/login/two-step$"))  # an admin: the app's code too
    nojs_page.get_by_label("验证码").fill(totp_code(app, "admin@example.com"))
    nojs_page.get_by_role("button", name="继续").click()
    nojs_page.wait_for_url(re.compile(r"/zh/council/$"))
    assert nojs_page.get_by_text("全区所有楼宇和部门。").is_visible()
