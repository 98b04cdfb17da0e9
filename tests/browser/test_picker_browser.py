"""The request form's service picker in a real browser (issue 17, item 5): with
JavaScript a combobox fed by the guide's search (户口 finds 人才引进落户, chosen with the
keyboard, filed); changing the text clears an earlier choice (never a stale match);
without JavaScript a plain <select>; the contact fields' autocomplete tokens and a large
file control."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import tr
from tests.guide_fixtures import make_entries
from tests.test_picker import TALENT

pytestmark = pytest.mark.browser

BUILDING = "shanghai-tower"
DESCRIPTION = "我想了解人才引进落户需要准备哪些材料，以及办理需要多长时间"


@pytest.fixture
def entries(app, demo):
    make_entries(app, extra=[TALENT])


def fill_rest(pg) -> None:
    pg.locator("#building").select_option(BUILDING)
    pg.locator("#description").fill(DESCRIPTION)
    pg.locator("#company_name").fill("上海星辰咨询有限公司")
    pg.locator("#contact_name").fill("王磊")
    pg.locator("#phone").fill("13812345678")
    pg.locator("#consent").check()


def submit(pg, status: int):
    with pg.expect_navigation() as navigation:
        pg.locator("#request-form button[type=submit]").click()
    assert navigation.value.status == status, (navigation.value.status, pg.url)


def test_type_hukou_choose_by_keyboard_and_file(page, app, entries):
    pg = page
    pg.set_viewport_size({"width": 390, "height": 844})
    pg.goto("/zh/requests/new")
    box = pg.locator("#service-input")
    expect(box).to_be_visible()
    expect(pg.locator("#service")).to_be_hidden()  # the <select> still posts the choice
    assert box.get_attribute("role") == "combobox"
    assert box.get_attribute("aria-expanded") == "false"
    assert box.get_attribute("aria-controls") == "service-listbox"
    # the label now names the text box
    assert pg.locator("label[for=service-input]").inner_text() == tr(app, "zh", "Service")

    box.focus()
    pg.keyboard.insert_text("户口")
    listbox = pg.locator("#service-listbox")
    expect(listbox).to_be_visible()
    assert listbox.get_attribute("role") == "listbox"
    options = listbox.locator("[role=option]")
    expect(options.first).to_contain_text("人才引进落户")
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(options.last).to_have_text(tr(app, "zh", "Something else"))  # always offered
    # the count is said once the typing pauses
    expect(pg.locator("#field-service [role=status]")).to_have_text(re.compile(r"找到 \d+ 项事项|找到 1 项事项"))
    # nothing is chosen by typing alone
    assert pg.locator("#service").input_value() == ""

    pg.keyboard.press("ArrowDown")
    active_id = box.get_attribute("aria-activedescendant")
    assert active_id and pg.locator(f"#{active_id}").inner_text().startswith("人才引进落户")
    expect(pg.locator(f"#{active_id}")).to_have_attribute("aria-selected", "true")
    pg.keyboard.press("Enter")  # chooses, does not send the form
    assert pg.url.endswith("/zh/requests/new")
    expect(box).to_have_value("人才引进落户")
    expect(box).to_have_attribute("aria-expanded", "false")
    assert pg.locator("#service").input_value() == "talent-hukou"
    expect(pg.locator("#field-service [role=status]")).to_have_text("已选择：人才引进落户")

    # Editing the text (even back to the same words) clears the choice; Escape closes
    # the list without choosing; ↓ and Enter choose again.
    pg.keyboard.press("End")
    pg.keyboard.insert_text(" ")
    pg.keyboard.press("Backspace")
    expect(listbox).to_be_visible()
    assert pg.locator("#service").input_value() == ""
    pg.keyboard.press("Escape")
    expect(listbox).to_be_hidden()
    assert pg.locator("#service").input_value() == ""
    pg.keyboard.press("ArrowDown")
    expect(listbox).to_be_visible()
    pg.keyboard.press("Enter")
    assert pg.locator("#service").input_value() == "talent-hukou"

    # the autocomplete tokens and the large file control
    phone = pg.locator("#phone")
    assert (phone.get_attribute("type"), phone.get_attribute("inputmode"), phone.get_attribute("autocomplete")) == ("tel", "tel", "tel")
    assert pg.locator("#contact_name").get_attribute("autocomplete") == "name"
    assert pg.locator("#company_name").get_attribute("autocomplete") == "organization"
    assert (pg.locator("#email").get_attribute("type"), pg.locator("#email").get_attribute("autocomplete")) == ("email", "email")
    files = pg.locator("#attachments").bounding_box()
    form = pg.locator("#request-form").bounding_box()
    assert files["height"] >= 44, files
    assert files["width"] >= form["width"] - 40, (files, form)  # full width on a phone

    fill_rest(pg)
    submit(pg, 200)  # after the 303 to the confirmation
    assert re.search(r"/zh/requests/LS-\d{4}-\d{6}/submitted$", pg.url), pg.url
    expect(pg.locator("main")).to_contain_text("人才服务中心")  # routed to the entry's department
    pg.problems.assert_clean()


def test_changing_the_text_clears_the_choice(page, app, entries):
    pg = page
    pg.goto("/en/requests/new")
    box = pg.locator("#service-input")
    box.focus()
    pg.keyboard.insert_text("fire")
    options = pg.locator("#service-listbox [role=option]")
    expect(options.first).to_contain_text("Fire safety inspection of fit-outs")
    pg.keyboard.press("ArrowDown")
    pg.keyboard.press("Enter")
    assert pg.locator("#service").input_value() == "fire-check"

    # one more letter: the earlier choice is gone until the person picks again
    pg.keyboard.insert_text("x")
    expect(box).to_have_value("Fire safety inspection of fit-outsx")
    assert pg.locator("#service").input_value() == ""
    # cleared text: nothing chosen either
    box.fill("")
    assert pg.locator("#service").input_value() == ""
    pg.keyboard.insert_text("luohu")
    expect(options.first).to_contain_text("Hukou")
    assert pg.locator("#service").input_value() == ""

    # sent with text and no choice: refused, the text kept, the message says what to do
    pg.locator("#description").fill("I would like to know which papers are needed for the hukou.")
    pg.locator("#consent").check()
    submit(pg, 422)
    message = tr(app, "en", "Choose a service from the list, or “Something else”.")
    expect(pg.locator(".error-summary")).to_contain_text(message)
    expect(pg.locator("#field-service .field-error")).to_have_text(message)
    expect(pg.locator("#service-input")).to_have_value("luohu")
    assert pg.locator("#service-input").get_attribute("aria-invalid") == "true"
    # the summary's link goes to the text box
    pg.locator(".error-summary a[href='#service']").click()
    assert pg.evaluate("document.activeElement.id") == "service-input"
    pg.problems.assert_clean(expected_statuses=(422,))


def test_prefill_from_the_guide_shows_the_service(page, app, entries):
    pg = page
    pg.goto("/zh/requests/new?service=talent-hukou")
    expect(pg.locator("#service-input")).to_have_value("人才引进落户")
    assert pg.locator("#service").input_value() == "talent-hukou"


def test_without_javascript_the_select_posts(nojs_page, app, entries):
    pg = nojs_page
    pg.goto("/zh/requests/new")
    expect(pg.locator("#service-input")).to_have_count(0)
    select = pg.locator("#service")
    expect(select).to_be_visible()
    select.select_option("talent-hukou")
    fill_rest(pg)
    submit(pg, 200)  # after the 303 to the confirmation
    assert re.search(r"/zh/requests/LS-\d{4}-\d{6}/submitted$", pg.url), pg.url
    expect(pg.locator("main")).to_contain_text("人才服务中心")
