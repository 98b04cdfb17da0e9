"""Staff at a glance in a real browser (issue 23, item 5; docs/council/at-a-glance.md):
the request queue filtered by a service's name with the request form's picker (htmx
swaps the queue) and without JS (a plain list); the queue as cards on a phone; a stage
change that says old → new in place; the wish moderation's bulk bar that starts unchosen,
keeps the selection on an error and asks "Approve 2 wishes?" in place before acting."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import click_and_wait, mark_document, same_document, sign_in, tr
from tests.guide_fixtures import make_entries
from tests.test_staff_glance import make_request

pytestmark = pytest.mark.browser

FOOD = "食品经营许可证办理"


@pytest.fixture
def queue_data(app, demo):
    make_entries(app)
    return {
        "food": make_request(app, entry_slug="food-licence", description="想开咖啡店，电话 13812345678", photos=2, urgent=True),
        "other": make_request(app, description="别的事情"),
    }


def test_service_filter_by_name_with_the_picker(page, app, queue_data):
    pg = page
    sign_in(pg, app, "council@example.com", "zh")
    pg.goto("/zh/council/requests/")
    box = pg.locator("#queue-service-input")
    expect(box).to_be_visible()
    expect(pg.locator("#queue-service")).to_be_hidden()
    assert box.get_attribute("role") == "combobox"
    assert pg.locator("label[for=queue-service-input]").inner_text() == tr(app, "zh", "Service")
    expect(pg.locator("#queue")).to_contain_text(queue_data["other"])
    mark_document(pg)
    box.focus()
    pg.keyboard.insert_text("食品经营")
    options = pg.locator("#queue-service-listbox [role=option]")
    expect(options.first).to_contain_text(FOOD)
    pg.keyboard.press("ArrowDown")
    pg.keyboard.press("Enter")
    expect(box).to_have_value(FOOD)
    # the queue is swapped in place and names the chosen service
    expect(pg.locator("#queue .result-count")).to_have_text(f"“{FOOD}”：1 条诉求")
    expect(pg.locator("#queue")).not_to_contain_text(queue_data["other"])
    row = pg.locator(f"#queue-{queue_data['food']}")
    expect(row).to_contain_text("想开咖啡店，电话 138****5678")
    expect(row).to_contain_text(tr(app, "zh", "Urgent"))
    expect(row.locator(".photo-marker .visually-hidden")).to_have_text("有 2 张照片")
    assert same_document(pg) and "service=food-licence" in pg.url
    pg.problems.assert_clean()


def test_service_filter_without_javascript_is_a_plain_list(nojs_page, app, queue_data):
    pg = nojs_page
    sign_in(pg, app, "council@example.com", "en")
    pg.goto("/en/council/requests/")
    select = pg.locator("#queue-service")
    expect(select).to_be_visible()
    select.select_option(label=select.locator("option[value=food-licence]").inner_text())
    click_and_wait(pg, pg.get_by_role("button", name=tr(app, "en", "Filter")))
    assert "service=food-licence" in pg.url
    expect(pg.locator("#queue")).to_contain_text(queue_data["food"])
    expect(pg.locator("#queue")).not_to_contain_text(queue_data["other"])
    name = pg.locator("#queue-service option:checked").inner_text()
    expect(pg.locator("#queue .result-count")).to_have_text(f"1 request for “{name}”")
    pg.problems.assert_clean()


def test_the_queue_is_cards_on_a_phone(page, app, queue_data):
    pg = page
    pg.set_viewport_size({"width": 390, "height": 844})
    sign_in(pg, app, "council@example.com", "zh")
    pg.goto("/zh/council/requests/")
    row = pg.locator(f"#queue-{queue_data['food']}")
    stage, due = row.locator("td[data-label='阶段']"), row.locator("td[data-label='期限']")
    expect(stage).to_be_visible()
    expect(due).to_be_visible()
    # within the screen, no sideways scroll, the column's name beside its value
    for cell in (stage, due):
        box = cell.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    assert pg.evaluate("() => document.scrollingElement.scrollWidth") <= 391
    assert pg.evaluate("(el) => getComputedStyle(el, '::before').content", stage.element_handle()) == '"阶段"'


def test_stage_change_says_old_and_new_in_place(page, app, demo):
    pg = page
    number = make_request(app, stage="assigned")
    sign_in(pg, app, "council@example.com", "zh")
    pg.goto(f"/zh/council/requests/{number}")
    mark_document(pg)
    pg.locator("#stage-box select[name=stage]").select_option("in_progress")
    pg.locator("#stage-box textarea[name=note]").fill("物业已到场查看")
    pg.locator("#stage-box button[type=submit]").click()
    expect(pg.locator("#stage-done")).to_have_text("阶段已从 议题共商 改为 资源整合。")
    expect(pg.locator("#staff-stage")).to_have_text("资源整合")
    expect(pg.locator("#timeline")).to_contain_text("物业已到场查看")
    assert same_document(pg)
    # the focus stays on the button, which is described by the message
    # (htmx puts it back after the settle delay, so wait for it rather than read it at once)
    pg.wait_for_function("() => document.activeElement && document.activeElement.getAttribute('aria-describedby') === 'stage-done'")
    assert pg.evaluate("() => document.activeElement.textContent.trim()") == "变更阶段"
    pg.problems.assert_clean()


def _pending_wishes(app, *texts) -> list[int]:
    from app.extensions import db
    from app.org.models import Building
    from app.wall.services import post_wish

    ids = []
    with app.app_context():
        building = db.session.scalar(db.select(Building).where(Building.slug == "shanghai-tower"))
        for text in texts:
            wish, _token = post_wish(building, text, "", "", "zh")
            db.session.flush()
            ids.append(wish.id)
        db.session.commit()
        db.session.remove()
    return ids


def test_bulk_bar_keeps_the_selection_and_asks_in_place(page, app, demo):
    pg = page
    first, second = _pending_wishes(app, "希望增加共享雨伞", "希望大堂有咖啡角")
    sign_in(pg, app, "council@example.com", "zh")
    pg.goto("/zh/council/wall/")
    action = pg.locator("#bulk-action")
    expect(action.locator("option:checked")).to_have_text("选择操作…")
    mark_document(pg)
    for wish_id in (first, second):
        pg.locator(f"input[name=ids][value='{wish_id}']").check()
    apply = pg.get_by_role("button", name=tr(app, "zh", "Apply"))
    apply.click()  # no action chosen
    expect(pg.locator("#bulk-action-error")).to_have_text("请为所选心愿选择操作。")
    expect(pg.locator("#bulk-action")).to_have_attribute("aria-invalid", "true")
    for wish_id in (first, second):
        expect(pg.locator(f"input[name=ids][value='{wish_id}']")).to_be_checked()
    pg.locator("#bulk-action").select_option("approve")
    pg.get_by_role("button", name=tr(app, "zh", "Apply")).click()
    expect(pg.locator("#bulk-question")).to_have_text("通过 2 条心愿？")
    # cancel: the bar comes back, the selection stays
    pg.locator("#bulk-confirm").get_by_role("link", name=tr(app, "zh", "Cancel")).click()
    expect(pg.locator("#bulk-action")).to_be_visible()
    expect(pg.locator(f"input[name=ids][value='{first}']")).to_be_checked()
    assert same_document(pg)
    pg.locator("#bulk-action").select_option("approve")
    pg.get_by_role("button", name=tr(app, "zh", "Apply")).click()
    expect(pg.locator("#bulk-question")).to_have_text("通过 2 条心愿？")
    click_and_wait(pg, pg.locator("#bulk-confirm").get_by_role("button", name=tr(app, "zh", "Confirm")))
    expect(pg.locator("#flash")).to_contain_text("已更新 2 条心愿。")
    pg.problems.assert_clean(expected_statuses=(422,))


def test_bulk_without_javascript_confirms_on_a_page(nojs_page, app, demo):
    pg = nojs_page
    ids = _pending_wishes(app, "希望增加共享雨伞", "希望大堂有咖啡角", "希望周五有市集")
    sign_in(pg, app, "council@example.com", "en")
    pg.goto("/en/council/wall/")
    for wish_id in ids:
        pg.locator(f"input[name=ids][value='{wish_id}']").check()
    pg.locator("#bulk-action").select_option("hide")
    click_and_wait(pg, pg.get_by_role("button", name=tr(app, "en", "Apply")))
    expect(pg.locator("h1")).to_have_text("Hide 3 wishes?")
    expect(pg.locator(".bulk-list li")).to_have_count(3)
    click_and_wait(pg, pg.get_by_role("button", name=tr(app, "en", "Confirm")))
    expect(pg.locator("#flash")).to_contain_text("3 wishes updated.")
    assert re.search(r"/en/council/wall/(\?queue=pending)?$", pg.url), pg.url
    pg.problems.assert_clean()
