"""Browsing the service guide by category: the first page's category cards with their
counts, a category's own page, the filters as removable chips, the page cache after staff
edits (docs/guide/browse.md)."""

from __future__ import annotations

import re
from collections import Counter

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from sqlalchemy import event

from app.demo.guide_data import ENTRIES
from app.extensions import db
from app.guide.models import CATEGORIES, CATEGORY_DESCRIPTIONS
from app.org.models import Department
from tests.conftest import csrf_from, text_of

# What the demo catalogue lists per category (active entries only).
ACTIVE = Counter(row["category"] for row in ENTRIES if row["status"] == "active")


@pytest.fixture
def catalogue(app, demo):
    """The demo guide as seed-demo makes it (60 entries, one suspended)."""
    from app.guide.services import load_entries

    with app.app_context():
        departments = {d.code: d for d in db.session.scalars(sa.select(Department))}
        load_entries(ENTRIES, departments)
        db.session.commit()
        db.session.remove()


def label(app, key: str, lang: str) -> str:
    with app.test_request_context(f"/{lang}/"), force_locale(lang):
        return str(CATEGORIES[key]), str(CATEGORY_DESCRIPTIONS[key])


def cards(html: str) -> dict[str, str]:
    """category key -> the text of its card's link on the browse page."""
    grid = html.split('class="topic-grid"')[1].split("</ul>")[0]
    found = re.findall(r'<a class="topic-link" href="/\w+/guide/\?category=(\w+)">(.*?)</a>', grid, re.S)
    return {key: re.sub(r"<[^>]+>", "", text).strip() for key, text in found}


def result_slugs(html: str, lang: str = "zh") -> list[str]:
    return re.findall(r'href="/' + lang + r'/guide/([a-z0-9-]+)"', html.split('id="guide-results"')[1])


def test_every_category_has_a_description_and_demo_entries():
    assert set(CATEGORY_DESCRIPTIONS) == set(CATEGORIES)
    assert {row["category"] for row in ENTRIES} <= set(CATEGORIES)
    assert set(ACTIVE) == set(CATEGORIES), "every category has an active demo entry"
    assert ACTIVE["tax"] == 2 and ACTIVE["fire"] == 4  # tax is its own topic; one fire entry is suspended


@pytest.mark.parametrize("lang, unit", [("zh", "个服务"), ("en", "service")])
def test_first_page_offers_every_category_with_its_count(app, client, catalogue, lang, unit):
    response = client.get(f"/{lang}/guide/")
    html = response.get_data(as_text=True)
    shown = cards(html)
    assert list(shown) == list(CATEGORIES), "all categories, in their order"
    for key, text in shown.items():
        name, description = label(app, key, lang)
        assert text.startswith(f"{name} · {ACTIVE[key]} ")
        assert unit in text
        assert description in text_of(response)
    if lang == "zh":
        assert shown["talent"] == "人才与落户 · 9 个服务"
        assert shown["tax"] == "税务 · 2 个服务"
        assert "按类别浏览" in text_of(response) and "全部服务" in text_of(response)
    else:
        assert shown["tax"] == "Tax · 2 services"
        assert shown["union"] == "Employee care · 6 services"
    # All services follow below the categories, and the count agrees with the cards.
    assert sum(ACTIVE.values()) == 59
    count = re.search(r'id="guide-results-count"[^>]*>(.*?)</p>', html, re.S).group(1)
    assert "59" in count


@pytest.mark.parametrize("key", list(CATEGORIES))
def test_a_category_page_lists_exactly_its_active_entries(app, client, catalogue, key):
    response = client.get("/zh/guide/", query_string={"category": key})
    html = response.get_data(as_text=True)
    expected = {row["slug"] for row in ENTRIES if row["category"] == key and row["status"] == "active"}
    assert set(result_slugs(html)) == expected
    assert len(result_slugs(html)) == ACTIVE[key]  # the card's count is what the list shows
    name, description = label(app, key, "zh")
    assert re.search(r"<h1>\s*" + re.escape(name) + r"\s*</h1>", html)
    assert description in text_of(response)
    assert "topic-grid" not in html  # the grid is only on the first page
    breadcrumb = re.search(r'<nav class="breadcrumb"[^>]*>(.*?)</nav>', html, re.S).group(1)
    assert 'href="/zh/guide/"' in breadcrumb and "楼事服务指南" in breadcrumb
    assert 'type="search"' in html and 'role="search"' in html  # the search box is still there
    assert f"<title>{name} · 楼事服务指南" in html


def test_a_suspended_entry_is_neither_counted_nor_listed(client, catalogue):
    html = client.get("/en/guide/").get_data(as_text=True)
    assert cards(html)["fire"] == "Safety and fire · 4 services"
    listed = client.get("/en/guide/?category=fire").get_data(as_text=True)
    assert "fire-safety-training" not in listed and "4 services" in text_of_html(listed)


def text_of_html(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_counts_follow_a_staff_edit_at_once_despite_the_page_cache(app, catalogue):
    public = app.test_client()
    staff = app.test_client()
    assert cards(public.get("/zh/guide/").get_data(as_text=True))["market"] == "市场监管与消费维权 · 4 个服务"
    assert "food-business-licence" in result_slugs(public.get("/zh/guide/?category=market").get_data(as_text=True))
    from tests.conftest import Auth

    Auth(staff).login("staff@example.com")  # staff of market regulation
    token = csrf_from(staff.get("/zh/council/").get_data(as_text=True))
    assert staff.post("/zh/council/guide/food-business-licence/status", data={"csrf_token": token, "status": "suspended"}).status_code == 303

    shown = cards(public.get("/zh/guide/").get_data(as_text=True))  # the same URL, cached before
    assert shown["market"] == "市场监管与消费维权 · 3 个服务"
    assert "food-business-licence" not in result_slugs(public.get("/zh/guide/?category=market").get_data(as_text=True))

    assert staff.post("/zh/council/guide/food-business-licence/status", data={"csrf_token": token, "status": "active"}).status_code == 303
    assert cards(public.get("/zh/guide/").get_data(as_text=True))["market"] == "市场监管与消费维权 · 4 个服务"


def test_the_counts_cost_one_grouped_query(app, client, catalogue):
    statements: list[str] = []

    def note(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        client.get("/zh/guide/", headers={"Cookie": ""})
    finally:
        event.remove(engine, "before_cursor_execute", note)
    grouped = [s for s in statements if "GROUP BY" in s.upper()]
    assert len(grouped) == 1 and "guide_entry.category" in grouped[0]
    assert len(statements) <= 6, statements  # version, departments, counts, entries, count


def test_filters_show_as_removable_chips_and_are_counted(client, catalogue):
    response = client.get("/en/guide/", query_string={"q": "fire", "category": "fire", "audience": "enterprise"})
    html = response.get_data(as_text=True)
    chips = re.findall(r'<a class="chip" href="([^"]+)" aria-label="([^"]+)">', html)
    assert [label for _href, label in chips] == ["Remove filter: Category: Safety and fire", "Remove filter: For: Enterprises"]
    hrefs = [href.replace("&amp;", "&") for href, _label in chips]
    assert hrefs[0] == "/en/guide/?q=fire&audience=enterprise"
    assert hrefs[1] == "/en/guide/?q=fire&category=fire"
    assert re.search(r"Filters<span[^>]*> \(2 active\)</span>", html)
    assert "<details" in html and "<details open" not in html  # folded by default (site.css opens it on a desktop)
    # a search is not a category page: the guide's own heading stays
    assert re.search(r"<h1>\s*Service Guide\s*</h1>", html)

    zh = client.get("/zh/guide/", query_string={"dept": "tax"}).get_data(as_text=True)
    assert "移除筛选条件：办理部门：税务局" in zh and "已选 1 项" in zh
    assert "已选" not in client.get("/zh/guide/").get_data(as_text=True)


def test_an_htmx_answer_updates_heading_and_filter_count_out_of_band(client, catalogue):
    headers = {"HX-Request": "true"}
    fragment = client.get("/zh/guide/?category=tax", headers=headers).get_data(as_text=True)
    assert "<html" not in fragment
    assert re.search(r'<div id="guide-heading" class="guide-heading" data-hx-swap-oob="true">', fragment)
    assert re.search(r"<h1>\s*税务\s*</h1>", fragment)
    assert 'id="guide-filter-count" class="filter-count" data-hx-swap-oob="true"> (已选 1 项)' in fragment
    assert fragment.count('id="guide-listing"') == 1 and "topic-grid" not in fragment
    # clearing the box brings the categories back
    browse = client.get("/zh/guide/?q=", headers=headers).get_data(as_text=True)
    assert "topic-grid" in browse and re.search(r"<h1>\s*楼事服务指南\s*</h1>", browse)
    # a full page carries each id once, and no out-of-band marker
    page = client.get("/zh/guide/?category=tax").get_data(as_text=True)
    assert page.count('id="guide-heading"') == 1 and "hx-swap-oob" not in page


def test_an_unknown_category_is_the_first_page(client, catalogue):
    html = client.get("/zh/guide/?category=nonsense").get_data(as_text=True)
    assert "topic-grid" in html and re.search(r"<h1>\s*楼事服务指南\s*</h1>", html)


def test_page_two_of_all_services_has_no_grid(client, catalogue):
    html = client.get("/zh/guide/?page=2").get_data(as_text=True)
    assert "topic-grid" not in html and len(result_slugs(html)) == 20


def test_the_entry_breadcrumb_leads_to_its_category_page(client, catalogue):
    html = client.get("/zh/guide/tax-registration").get_data(as_text=True)
    assert '<a href="/zh/guide/?category=tax">税务</a>' in html


def test_a_chip_keeps_only_the_guide_own_parameters(client, catalogue):
    html = client.get("/zh/guide/?category=tax&lang_code=en&page=1&utm=x").get_data(as_text=True)
    assert re.findall(r'<a class="chip" href="([^"]+)"', html) == ["/zh/guide/"]
