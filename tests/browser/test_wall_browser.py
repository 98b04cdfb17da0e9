"""楼宇心愿墙 in a real browser: an office worker posts a wish, the building's council
member approves it, people support it, a partner organisation claims and fulfils it;
once with JavaScript (htmx: the moderation row and the +1 are updated in place) and once
with plain form posts and redirects.  A second test: three people's reports from one
network only queue a wish for review; a crowd of distinct reporters hides it, and the
hidden wish heads the moderation queue with an alert.

Texts are looked up through the app's own translations (``tr``), so the tests hold while
the Chinese catalogue is being completed."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import click_and_wait, mark_document, same_document, sign_in, tr, zh_date

pytestmark = pytest.mark.browser

BUILDING = "shanghai-tower"
BUILDING_ZH = "上海中心大厦"
# Full-width punctuation on purpose: it is kept as typed.
WISH = "希望楼里每周三中午开一节瑜伽课，缓解久坐的疲劳？"
ORG_ZH, ORG_EN = "陆家嘴瑜伽社", "Lujiazui Yoga Club"
OFFER_ZH, OFFER_EN = "午间瑜伽课", "Lunchtime yoga classes"
PLAN = "每周三 12:15 在 B1 多功能厅上课"
TARGET = date(2026, 12, 20)
RESULT = "瑜伽课已开课，每周约 30 人参加"
OTHER_WISH = "希望大堂多放几把椅子"


def approved_wish(app, text: str) -> int:
    """A wish already on the wall, made on the server side; its id."""
    from app.extensions import db
    from app.org.models import Building
    from app.wall.services import post_wish

    with app.app_context():
        building = db.session.scalar(db.select(Building).where(Building.slug == BUILDING))
        wish, _token = post_wish(building, text, "", "", "zh")
        wish.status, wish.published_at = "approved", wish.created_at
        db.session.commit()
        wish_id = wish.id
        db.session.remove()
    return wish_id


# --- the office worker ------------------------------------------------------------------------


def post_a_wish(pg, app) -> str:
    """Post WISH from the form with the building preselected; the private follow URL."""
    pg.goto(f"/zh/wall/new?building={BUILDING}")
    assert pg.locator("h1").inner_text() == tr(app, "zh", "Make a wish")
    assert pg.locator("#building option:checked").inner_text() == BUILDING_ZH
    pg.locator("#body").fill(WISH)
    click_and_wait(pg, pg.get_by_role("button", name=tr(app, "zh", "Send my wish")))

    assert "/zh/wall/mine/" in pg.url and pg.url.endswith("?posted=1"), pg.url
    assert pg.locator("h1").inner_text() == tr(app, "zh", "Thank you for your wish")
    assert pg.locator("blockquote.wish-text").inner_text() == WISH
    assert pg.locator("#wish-status").inner_text() == tr(app, "zh", "Waiting for review")
    expect(pg.locator("main")).to_contain_text(BUILDING_ZH)
    follow_url = pg.locator("#follow-url").input_value()
    assert "/zh/wall/mine/" in follow_url and "posted" not in follow_url, follow_url
    assert pg.url.split("?")[0] == follow_url  # the link shown is the page itself
    return follow_url


def wall_card(pg, wish_id: int):
    return pg.locator(f"#wish-{wish_id}")


def support_twice(pg, app, wish_id: int, javascript: bool) -> None:
    pg.goto("/zh/wall/")
    card = wall_card(pg, wish_id)
    count = card.locator(".support-count")
    button = card.get_by_role("button", name=tr(app, "zh", "Me too"))
    expect(count).to_have_text("0")
    expect(button).to_have_attribute("aria-pressed", "false")
    if javascript:
        mark_document(pg)
        button.click()
        expect(count).to_have_text("1")
        expect(button).to_have_attribute("aria-pressed", "true")
        expect(card.locator(".support-note")).to_have_count(0)  # a new support: no note
        card.get_by_role("button", name=tr(app, "zh", "Me too")).click()
        expect(card.locator(".support-note")).to_have_text(tr(app, "zh", "You already support this wish."))
        expect(count).to_have_text("1")
        assert same_document(pg), "supporting reloaded the page"
        assert pg.url.endswith("/zh/wall/"), pg.url
    else:
        click_and_wait(pg, button)  # 303 back to the wall
        assert pg.url.endswith("/zh/wall/"), pg.url
        expect(wall_card(pg, wish_id).locator(".support-count")).to_have_text("1")
        click_and_wait(pg, wall_card(pg, wish_id).get_by_role("button", name=tr(app, "zh", "Me too")))
        assert pg.url.endswith("/zh/wall/"), pg.url
        expect(wall_card(pg, wish_id).locator(".support-count")).to_have_text("1")  # once per person
    pg.reload()
    expect(wall_card(pg, wish_id).locator(".support-count")).to_have_text("1")


# --- the council member -----------------------------------------------------------------------


def approve_from_queue(pg, app, javascript: bool) -> int:
    """Find WISH in the pending queue, approve it; its id."""
    pg.goto("/zh/council/wall/")
    expect(pg.locator("nav.tabs a[aria-current=page]")).to_contain_text(tr(app, "zh", "Waiting for review"))
    row = pg.locator("li.moderation-item", has=pg.locator("blockquote.wish-text", has_text=WISH))
    expect(row).to_have_count(1)
    expect(row).to_contain_text(tr(app, "zh", "Waiting for review"))
    expect(row).to_contain_text(BUILDING_ZH)
    wish_id = int(row.get_attribute("id").removeprefix("mod-"))
    approved = tr(app, "zh", "Approved: the wish is on the wall.")
    approve = row.get_by_role("button", name=tr(app, "zh", "Approve"), exact=True)
    if javascript:
        mark_document(pg)
        approve.click()
        swapped = pg.locator(f"#mod-{wish_id}")
        expect(swapped.locator(".flash-success")).to_have_text(approved)
        expect(swapped).to_contain_text(tr(app, "zh", "On the wall"))
        expect(swapped.get_by_role("button", name=tr(app, "zh", "Approve"), exact=True)).to_have_count(0)
        expect(swapped.get_by_role("button", name=tr(app, "zh", "Hide"), exact=True)).to_have_count(1)
        assert same_document(pg), "approving reloaded the page"
        assert pg.url.endswith("/zh/council/wall/"), pg.url
    else:
        click_and_wait(pg, approve)
        assert pg.url.endswith("/zh/council/wall/"), pg.url  # redirected back to the queue
        expect(pg.locator("#flash")).to_contain_text(approved)
        expect(pg.locator(f"#mod-{wish_id}")).to_have_count(0)  # no longer waiting
    return wish_id


def add_resource(pg, app) -> None:
    pg.goto("/zh/council/wall/resources/new")
    assert pg.locator("h1").inner_text() == tr(app, "zh", "Add a resource")
    pg.locator("#building").select_option(label=BUILDING_ZH)
    pg.locator("#org_zh").fill(ORG_ZH)
    pg.locator("#org_en").fill(ORG_EN)
    pg.locator("#offer_zh").fill(OFFER_ZH)
    pg.locator("#offer_en").fill(OFFER_EN)
    click_and_wait(pg, pg.get_by_role("button", name=tr(app, "zh", "Save"), exact=True))
    assert pg.url.endswith("/zh/council/wall/resources"), pg.url
    expect(pg.locator("#flash")).to_contain_text(tr(app, "zh", "Resource saved."))
    row = pg.locator("table tbody tr", has_text=ORG_ZH)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(OFFER_ZH)
    expect(row).to_contain_text(BUILDING_ZH)


def claim_wish(pg, app, wish_id: int) -> None:
    pg.goto(f"/zh/council/wall/{wish_id}")
    assert pg.locator("h1").inner_text() == tr(app, "zh", "Wish %(id)d", id=wish_id)
    assert pg.locator("#wish-progress").inner_text() == tr(app, "zh", "Open")
    pg.locator("#resource").select_option(label=f"{ORG_ZH} · {OFFER_ZH}")
    pg.locator("#plan").fill(PLAN)
    pg.locator("#target_on").fill(TARGET.isoformat())
    click_and_wait(pg, pg.get_by_role("button", name=tr(app, "zh", "Record the claim")))
    assert pg.url.endswith(f"/zh/council/wall/{wish_id}"), pg.url
    expect(pg.locator("#flash")).to_contain_text(tr(app, "zh", "Claimed by %(org)s.", org=ORG_ZH))
    assert pg.locator("#wish-progress").inner_text() == tr(app, "zh", "Claimed")
    facts = pg.locator("dl.entry-facts")
    expect(facts).to_contain_text(ORG_ZH)
    expect(facts).to_contain_text(PLAN)
    expect(facts).to_contain_text(zh_date(app, TARGET))
    expect(pg.get_by_role("button", name=tr(app, "zh", "Record the claim"))).to_have_count(0)


def fulfil_wish(pg, app, wish_id: int) -> None:
    pg.goto(f"/zh/council/wall/{wish_id}")
    pg.locator("#result").fill(RESULT)
    click_and_wait(pg, pg.get_by_role("button", name=tr(app, "zh", "Mark fulfilled")))
    assert pg.url.endswith(f"/zh/council/wall/{wish_id}"), pg.url
    expect(pg.locator("#flash")).to_contain_text(tr(app, "zh", "Fulfilled: the wall now credits %(org)s.", org=ORG_ZH))
    assert pg.locator("#wish-progress").inner_text() == tr(app, "zh", "Fulfilled")
    expect(pg.locator("dl.entry-facts")).to_contain_text(RESULT)
    expect(pg.get_by_role("button", name=tr(app, "zh", "Mark fulfilled"))).to_have_count(0)


# --- the journey ------------------------------------------------------------------------------


def wish_wall_journey(worker, council, app, javascript: bool) -> None:
    other_id = approved_wish(app, OTHER_WISH)
    follow_url = post_a_wish(worker, app)

    worker.goto("/zh/wall/")
    assert worker.locator("h1").inner_text() == tr(app, "zh", "Wish Wall")
    expect(worker.locator("#wall-cards")).not_to_contain_text(WISH)  # not before review
    expect(wall_card(worker, other_id)).to_contain_text(OTHER_WISH)  # the wall itself is there

    sign_in(council, app, "council@example.com", "zh")
    wish_id = approve_from_queue(council, app, javascript)

    worker.goto("/zh/wall/")
    card = wall_card(worker, wish_id)
    expect(card.locator("blockquote.wish-text")).to_have_text(WISH)
    expect(card.locator(".wish-status")).to_have_text(tr(app, "zh", "Open"))
    expect(card.locator(".wish-meta")).to_contain_text(BUILDING_ZH)
    worker.goto(follow_url)
    assert worker.locator("#wish-status").inner_text() == tr(app, "zh", "On the wall")

    support_twice(worker, app, wish_id, javascript)

    add_resource(council, app)
    claim_wish(council, app, wish_id)

    worker.goto("/zh/wall/")
    status = wall_card(worker, wish_id).locator(".wish-status")
    expect(status).to_contain_text(tr(app, "zh", "Claimed by %(org)s", org=ORG_ZH))
    expect(status).to_contain_text(tr(app, "zh", "target %(date)s", date=zh_date(app, TARGET)))
    expect(status).not_to_contain_text(tr(app, "zh", "Fulfilled"))
    worker.goto(follow_url)
    expect(worker.locator("main")).to_contain_text(f"{tr(app, 'zh', 'Claimed by %(org)s', org=ORG_ZH)}: {PLAN}")

    fulfil_wish(council, app, wish_id)

    worker.goto("/zh/wall/")
    status = wall_card(worker, wish_id).locator(".wish-status")
    expect(status.locator("strong")).to_have_text(tr(app, "zh", "Fulfilled"))
    expect(status).to_contain_text(f"{tr(app, 'zh', 'by %(org)s', org=ORG_ZH)}: {RESULT}")
    expect(wall_card(worker, wish_id).locator(".support-count")).to_have_text("1")

    worker.goto("/zh/wall/?sort=fulfilled")
    assert worker.locator("input[name=sort]:checked").get_attribute("value") == "fulfilled"
    fulfilled = wall_card(worker, wish_id)
    expect(fulfilled.locator("blockquote.wish-text")).to_have_text(WISH)
    expect(fulfilled.locator(".wish-status")).to_contain_text(RESULT)
    expect(wall_card(worker, other_id)).to_have_count(0)  # only fulfilled wishes are listed there
    expect(worker.locator("#wish-list > li.wish-card")).to_have_count(1)

    worker.goto(follow_url)
    assert worker.locator("#wish-status").inner_text() == tr(app, "zh", "On the wall")
    expect(worker.locator(".wish-review-status")).to_contain_text(tr(app, "zh", "Fulfilled"))
    expect(worker.locator("main")).to_contain_text(f"{tr(app, 'zh', 'Fulfilled by %(org)s', org=ORG_ZH)}: {RESULT}")

    worker.problems.assert_clean()
    council.problems.assert_clean()


@pytest.mark.smoke  # the one journey of this surface in `make test-fast`
def test_wish_wall_journey_with_javascript(page, new_context, app, demo):
    wish_wall_journey(page, new_context(javascript=True), app, javascript=True)


def test_wish_wall_journey_without_javascript(nojs_page, new_context, app, demo):
    wish_wall_journey(nojs_page, new_context(javascript=False), app, javascript=False)


# --- reports ----------------------------------------------------------------------------------


def ntr(app, lang: str, singular: str, plural: str, num: int) -> str:
    from flask_babel import force_locale, ngettext

    with app.test_request_context(f"/{lang}/"), force_locale(lang):
        return ngettext(singular, plural, num)


def reports_from_other_networks(app, wish_id: int, number: int) -> None:
    """``number`` more people report the wish, each from a network of their own (the
    browsers here all come from 127.0.0.1), through the same service the form uses."""
    from app.extensions import db
    from app.wall.models import Wish
    from app.wall.services import report

    with app.test_request_context():
        for i in range(number):
            report(db.session.get(Wish, wish_id), f"browser-test-person-{i}", "这是广告信息", f"browser-test-network-{i}")
        db.session.commit()
        db.session.remove()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_reports_from_one_network_only_queue_a_wish_and_a_crowd_hides_it_for_review(new_context, app, demo, javascript):
    wish_id = approved_wish(app, WISH)
    reporters = [new_context(javascript=javascript) for _ in range(3)]
    for number, reporter in enumerate(reporters, start=1):
        reporter.goto("/zh/wall/")
        card = wall_card(reporter, wish_id)
        expect(card.locator("blockquote.wish-text")).to_have_text(WISH)
        click_and_wait(reporter, card.get_by_role("link", name=tr(app, "zh", "Report")))
        assert reporter.url.endswith(f"/zh/wall/{wish_id}/report"), reporter.url
        assert reporter.locator("h1").inner_text() == tr(app, "zh", "Report a wish")
        assert reporter.locator("blockquote.wish-text").inner_text() == WISH
        if number == 1:  # an empty reason is refused, and nothing is counted
            click_and_wait(reporter, reporter.get_by_role("button", name=tr(app, "zh", "Send report")), status=422)
            expect(reporter.locator("#field-reason .field-error")).to_have_text(tr(app, "zh", "Tell us what is wrong."))
        reporter.get_by_label(tr(app, "zh", "What is wrong with it?")).fill("这是广告信息")
        click_and_wait(reporter, reporter.get_by_role("button", name=tr(app, "zh", "Send report")))
        assert reporter.locator("h1").inner_text() == tr(app, "zh", "Report received")
        # three fresh browsers on one network are one reporter: the wish stays on the wall
        reporter.goto("/zh/wall/")
        expect(wall_card(reporter, wish_id)).to_have_count(1)

    council = new_context(javascript=javascript)
    sign_in(council, app, "council@example.com", "zh")
    council.goto("/zh/council/wall/?queue=reported")
    row = council.locator(f"#mod-{wish_id}")
    expect(row).to_contain_text(WISH)
    expect(row.locator(".badge")).to_have_text(re.compile(r"^1\D"))  # one network, one report

    # four more people on networks of their own: five distinct reporters hide a wish without supports
    reports_from_other_networks(app, wish_id, 4)
    reporters[0].goto("/zh/wall/")
    expect(wall_card(reporters[0], wish_id)).to_have_count(0)
    assert reporters[0].goto(f"/zh/wall/{wish_id}/report").status == 404

    council.goto("/zh/council/wall/")  # the default queue: the hidden wish heads it, with the alert
    first = council.locator("li.moderation-item").first
    expect(first).to_have_attribute("id", f"mod-{wish_id}")
    expect(first.get_by_role("alert")).to_have_text(
        ntr(app, "zh", "Hidden automatically after %(num)d report — review now.", "Hidden automatically after %(num)d reports — review now.", 5))
    keep = first.get_by_role("button", name=tr(app, "zh", "Keep hidden (uphold the reports)"))
    if javascript:
        mark_document(council)
        keep.click()
        expect(council.locator(f"#mod-{wish_id} .flash-success")).to_have_text(tr(app, "zh", "Hidden from the wall."))
        assert same_document(council), "the decision reloaded the page"
    else:
        click_and_wait(council, keep)
        expect(council.locator("#flash")).to_contain_text(tr(app, "zh", "Hidden from the wall."))
    council.goto("/zh/council/wall/")
    expect(council.get_by_role("alert")).to_have_count(0)
    reporters[1].goto("/zh/wall/")
    expect(wall_card(reporters[1], wish_id)).to_have_count(0)
    reporters[1].problems.assert_clean()
    reporters[2].problems.assert_clean()
    reporters[0].problems.assert_clean(expected_statuses=(422, 404))
    council.problems.assert_clean()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_support_a_wish_that_load_more_brought_in(page, app, demo, lang):
    """Cards fetched by “Load more” are a fragment swapped into the page: their +1 must
    still work, with the visitor's own token."""
    from app.wall.queries import PAGE_SIZE

    oldest = approved_wish(app, "最早的心愿：希望楼下多一个快递柜")
    for i in range(PAGE_SIZE + 1):
        approved_wish(app, f"后来的心愿第{i + 1}条：希望午餐多一些选择")
    page.goto(f"/{lang}/wall/")
    expect(wall_card(page, oldest)).to_have_count(0)  # on the second page
    mark_document(page)
    page.get_by_role("link", name=tr(app, lang, "Load more")).click()
    card = wall_card(page, oldest)
    expect(card).to_be_visible()
    assert card.locator('input[name="csrf_token"]').get_attribute("value")  # a token of this visitor's session
    card.get_by_role("button", name=tr(app, lang, "Me too")).click()
    expect(card.locator(".support-count")).to_have_text("1")
    expect(card.get_by_role("button", name=tr(app, lang, "Me too"))).to_have_attribute("aria-pressed", "true")
    assert same_document(page), "supporting reloaded the page"
    page.reload()
    page.get_by_role("link", name=tr(app, lang, "Load more")).click()
    expect(wall_card(page, oldest).locator(".support-count")).to_have_text("1")
