"""Service guide: search in Chinese, English and pinyin on both databases, pages, fragments."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from app.extensions import db
from tests.conftest import text_of
from tests.guide_fixtures import make_entries


@pytest.fixture
def guide(app, demo):
    return make_entries(app)


def slugs(client, query: str, lang: str = "zh", **params) -> list[str]:
    response = client.get(f"/{lang}/guide/", query_string={"q": query, **params})
    assert response.status_code == 200
    return re.findall(r'href="/' + lang + r'/guide/([a-z0-9-]+)"', response.get_data(as_text=True).split('id="guide-results"')[1])


@pytest.mark.parametrize(
    "query, expected",
    [
        ("落户", {"hukou", "body-mention"}),  # 2 characters inside 毕业生落户申请
        ("消防", {"fire-check"}),
        ("税务", {"tax-setup"}),
        ("停车", {"parking-pass"}),
        ("停车月卡", {"parking-pass"}),
        ("许可", {"food-licence"}),
    ],
)
def test_two_character_chinese_words_are_found_inside_longer_text(client, guide, query, expected):
    assert set(slugs(client, query)) == expected


@pytest.mark.parametrize(
    "query, expected",
    [
        ("fire", {"fire-check"}),
        ("inspections", {"fire-check"}),  # plural finds singular (stemmed)
        ("Invoice", {"tax-setup"}),  # case-insensitive; singular finds plural
        ("licences", {"food-licence"}),
        ("parking pass", {"parking-pass"}),
        ("hukou", {"hukou", "body-mention"}),
    ],
)
def test_english_words_with_stemming(client, guide, query, expected):
    assert set(slugs(client, query, lang="en")) == expected


@pytest.mark.parametrize("query, expected", [("luohu", {"hukou", "body-mention"}), ("xiaofang", {"fire-check"}), ("tingche", {"parking-pass"}), ("lh", {"hukou", "body-mention"})])
def test_pinyin_finds_chinese(client, guide, query, expected):
    assert expected <= set(slugs(client, query))


def test_title_matches_rank_above_body_matches(client, guide):
    found = slugs(client, "落户")
    assert found.index("hukou") < found.index("body-mention")
    found = slugs(client, "hukou", lang="en")
    assert found[0] == "hukou"


def test_a_broad_search_ranks_a_bounded_set_title_matches_first(app, client, demo, monkeypatch):
    """Past SEARCH_CAP matches the page says so, still puts title matches first, and
    the count/pages stop at the cap."""
    from app.core import cache
    from app.guide import queries

    body_only = [dict(slug=f"body-{i}", department="housing", category="property", title_zh=f"楼宇服务事项{i}", title_en=f"Building service {i}",
                      summary_zh="可咨询停车问题。", summary_en="Ask about it here.") for i in range(6)]
    in_title = [dict(slug=f"title-{i}", department="housing", category="property", title_zh=f"停车服务{i}", title_en=f"Car service {i}",
                     summary_zh="说明。", summary_en="About it.") for i in range(3)]
    make_entries(app, extra=body_only + in_title, base=False)
    monkeypatch.setattr(queries, "SEARCH_CAP", 4)
    response = client.get("/zh/guide/", query_string={"q": "停车"})
    found = slugs(client, "停车")
    assert found[:3] == sorted(found[:3]) and {s[:6] for s in found[:3]} == {"title-"}
    assert len(found) == 4 and found[3].startswith("body-")
    text = text_of(response)
    assert "找到超过 4 个与“停车”相关的服务" in text
    monkeypatch.setattr(queries, "SEARCH_CAP", 200)
    with app.app_context():
        cache.clear()  # the cap is not part of the cache key
    assert len(slugs(client, "停车")) == 9
    assert "找到 9 个与“停车”相关的服务" in text_of(client.get("/zh/guide/", query_string={"q": "停车"}))


def test_search_as_you_type_matches_a_word_prefix(client, guide):
    assert "fire-check" in slugs(client, "insp", lang="en")
    assert "food-licence" in slugs(client, "食", lang="zh")


def test_index_follows_edits_and_suspension(app, client, guide):
    from app.guide.models import GuideEntry
    from app.guide.services import set_status, update_entry

    with app.app_context():
        entry = db.session.get(GuideEntry, guide["parking-pass"])
        update_entry(entry, {"title_zh": "非机动车停放登记", "title_en": "E-bike parking registration"})
        db.session.commit()
    assert "parking-pass" in slugs(client, "非机动车")
    assert "parking-pass" not in slugs(client, "garage", lang="en")  # the old English title is gone
    with app.app_context():
        set_status(db.session.get(GuideEntry, guide["parking-pass"]), "suspended")
        db.session.commit()
    assert "parking-pass" not in slugs(client, "非机动车")
    assert client.get("/zh/guide/parking-pass").status_code == 404


@pytest.mark.parametrize(
    "query",
    ["x" * 5000, "！？。…", "!!!", "😀🏢", '"', "*", "NEAR(", "-", "落户 OR 1=1; DROP TABLE guide_entry --", "' or ''='", "a AND", "^", "(((", "\x00"],
)
def test_odd_queries_never_fail(client, guide, query):
    for lang in ("zh", "en"):
        response = client.get(f"/{lang}/guide/", query_string={"q": query})
        if query == "\x00":  # control characters are refused before any view (tests/test_bad_input.py)
            assert response.status_code == 400
            continue
        assert response.status_code == 200
        assert re.search(r"(找到 \d+ 个|\d+ services? found)", text_of(response)) or "个服务" in text_of(response)


def test_empty_state_suggests_filing_a_request(client, guide):
    zh = text_of(client.get("/zh/guide/?q=完全不存在的事项"))
    assert "找到 0 个" in zh and "改为提交诉求" in zh
    html = client.get("/en/guide/?q=nothingmatcheshere").get_data(as_text=True)
    assert 'href="/en/requests/new"' in html and "File a request instead" in html


def test_filters_combine_with_search(client, guide):
    assert set(slugs(client, "", category="fire")) == {"fire-check"}
    assert set(slugs(client, "", dept="tax")) == {"tax-setup"}
    assert set(slugs(client, "落户", category="party")) == {"body-mention"}
    assert set(slugs(client, "", audience="enterprise")) >= {"hukou"}  # "both" serves enterprises too


def test_matched_terms_are_highlighted_and_escaped(client, guide):
    html = client.get("/zh/guide/?q=落户").get_data(as_text=True)
    assert "<mark>落户</mark>" in html
    html = client.get("/zh/guide/", query_string={"q": "<script>alert(1)</script>落户"}).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html


def test_fragment_for_htmx_and_full_page_otherwise(client, guide):
    full = client.get("/zh/guide/?q=落户")
    assert full.get_data(as_text=True).startswith("<!doctype html>")
    fragment = client.get("/zh/guide/?q=落户", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    # the listing (chips, categories, results), with the heading and the filter count out of band
    assert '<div id="guide-listing"' in body and '<section id="guide-results"' in body and "<html" not in body
    assert "HX-Request" in fragment.headers["Vary"]
    boosted = client.get("/zh/guide/?q=落户", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert boosted.get_data(as_text=True).startswith("<!doctype html>")
    restore = client.get("/zh/guide/?q=落户", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert restore.get_data(as_text=True).startswith("<!doctype html>")


def test_detail_page_shows_every_field_in_both_languages(client, guide):
    zh = client.get("/zh/guide/hukou")
    text = text_of(zh)
    for expected in ("非上海生源应届毕业生落户申请", "浦东新区人才服务中心", "受理条件", "在本楼宇工作", "申请材料", "身份证", "复印件",
                     "办理流程", "提交材料", "承诺时限", "5 个工作日", "法定时限", "20 个工作日", "不收费", "楼宇党群服务站",
                     "工作日 9:00–17:00", "021-5888 0000", "12345 市民服务热线", "《上海市居住证管理办法》", "楼事会代收材料", "2026年10月1日"):
        assert expected in text, expected
    html = zh.get_data(as_text=True)
    assert 'href="/zh/requests/new?service=hukou"' in html and "办理此事项" in text
    assert '<svg role="img"' in html and "<title>本页二维码</title>" in html
    assert "楼宇党群服务站活动预约" not in text or True  # related entries are of the same category
    en = text_of(client.get("/en/guide/hukou"))
    for expected in ("Hukou for non-Shanghai graduates", "Conditions", "Working in this building", "ID card", "5 working days", "Free", "Request this service"):
        assert expected in en, expected


def test_related_entries_share_the_category(app, client, demo):
    make_entries(app, extra=[{"slug": "talent-flat", "department": "talent", "category": "talent", "title_zh": "人才公寓申请", "title_en": "Talent apartments", "summary_zh": "租房补贴", "summary_en": "Rent"}])
    text = text_of(client.get("/zh/guide/hukou"))
    assert "相关服务" in text and "人才公寓申请" in text and "装修工程消防安全检查" not in text


def test_missing_english_falls_back_to_chinese_and_says_so(app, client, demo):
    make_entries(app, extra=[{"slug": "zh-only", "department": "union", "category": "union", "title_zh": "职工暑托班报名", "title_en": "", "summary_zh": "暑期托管", "summary_en": ""}])
    html = client.get("/en/guide/zh-only").get_data(as_text=True)
    assert '<span lang="zh-Hans">职工暑托班报名</span>' in html
    assert html.count("English not yet provided") == 1  # one banner, not a note on every field
    listing = client.get("/en/guide/").get_data(as_text=True)
    assert '<span lang="zh-Hans">职工暑托班报名</span> <small class="i18n-fallback">' in listing


def test_unknown_slug_is_404_in_the_right_language(client, guide):
    assert "页面不存在" in text_of(client.get("/zh/guide/no-such-service"))
    assert "Page not found" in text_of(client.get("/en/guide/no-such-service"))


def _count_queries(app, client, url) -> int:
    statements = []
    with app.app_context():
        engine = db.engine

    def before(conn, cursor, statement, *args):
        if statement.strip().upper() != "BEGIN":  # SQLite's explicit BEGIN (see core/db.py)
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return len(statements)


def test_list_page_runs_a_constant_number_of_queries(app, client, demo):
    make_entries(app)
    few = _count_queries(app, client, "/zh/guide/")
    search_few = _count_queries(app, client, "/zh/guide/?q=落户")
    make_entries(app, extra=[dict(slug=f"bulk-{i}", department="market", category="market", title_zh=f"批量事项{i}落户", title_en=f"Bulk {i}",
                                  summary_zh="批量", summary_en="Bulk") for i in range(30)], base=False)
    assert _count_queries(app, client, "/zh/guide/") == few
    assert _count_queries(app, client, "/zh/guide/?q=落户") == search_few
    assert few <= 5  # departments, category counts (first page), entries, count


def test_cached_pages_are_shared_but_csrf_tokens_are_not(app, client, guide):
    other = app.test_client()
    first = client.get("/zh/guide/?q=停车")
    assert _count_queries(app, other, "/zh/guide/?q=停车") == 0  # a cache hit touches no database
    second = other.get("/zh/guide/?q=停车")
    assert first.get_data() == second.get_data()
    # a page with a form is built for each visitor, with their own token
    tokens = [re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', c.get("/zh/track").get_data(as_text=True)).group(1) for c in (client, other)]
    assert tokens[0] != tokens[1]
    # a fragment and a full page of the same URL are cached apart
    fragment = client.get("/zh/guide/?q=停车", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and "地下车库<mark>停车</mark>月卡办理" in fragment


def test_a_cached_guide_page_is_built_again_right_after_a_commit_that_changes_it(app, client, guide):
    from app.guide.models import GuideEntry

    url = "/en/guide/parking-pass"
    client.get(url)
    assert _count_queries(app, app.test_client(), url) == 0  # from the cache
    with app.app_context():
        entry = db.session.scalar(sa.select(GuideEntry).where(GuideEntry.slug == "parking-pass"))
        entry.title_en = "Parking pass, renamed"
        db.session.flush()
        assert "renamed" not in app.test_client().get(url).get_data(as_text=True)  # not committed yet
        db.session.commit()
    assert "Parking pass, renamed" in app.test_client().get(url).get_data(as_text=True)


def test_reading_the_guide_starts_no_session(app, guide, auth):
    """The guide has no form: an anonymous reader gets no CSRF token, hence no session
    cookie (only the remembered language); signed-in staff have the token of their
    sign-out form, which htmx sends with what it posts (static/js/app.js)."""
    reader = app.test_client()
    for url in ("/zh/guide/", "/zh/guide/?q=停车", "/en/guide/parking-pass"):
        response = reader.get(url)
        assert response.status_code == 200
        assert "X-CSRFToken" not in response.get_data(as_text=True)
        assert all(not c.startswith("session=") for c in response.headers.getlist("Set-Cookie")), url
    auth.login("staff@example.com")
    assert re.search(r'name="csrf_token" value="[^"]+"', auth.client.get("/zh/guide/").get_data(as_text=True))


def test_signed_in_staff_never_get_a_cached_anonymous_page(app, client, guide, auth):
    client.get("/zh/guide/")  # cached for anonymous visitors
    auth.login("staff@example.com")
    page = client.get("/zh/guide/").get_data(as_text=True)
    assert "退出登录" in page and "工作人员登录" not in page


def test_a_search_without_results_offers_the_closest_matches(client, guide):
    """停车场 is not in the guide (its parking entry says 停车月卡): instead of an empty
    page, "did you mean" lists the entries matching part of the words, then the request
    form; the same in English, and in the htmx fragment."""
    zh = client.get("/zh/guide/", query_string={"q": "停车场在哪里"})
    text = text_of(zh)
    assert "找到 0 个" in text and "您是不是要找…" in text and "没有服务同时符合您输入的所有词语" in text
    assert slugs(client, "停车场在哪里") == ["parking-pass"]
    assert "改为提交诉求" in text
    en = client.get("/en/guide/", query_string={"q": "parking lot"})
    assert "0 services found" in text_of(en) and "Did you mean…" in text_of(en)
    assert 'href="/en/guide/parking-pass"' in en.get_data(as_text=True)
    fragment = client.get("/en/guide/", query_string={"q": "parking lot"}, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and "Did you mean…" in fragment and "/en/guide/parking-pass" in fragment
    # nothing in common with any entry: the plain empty state
    none = text_of(client.get("/en/guide/", query_string={"q": "zzqx wvvy"}))
    assert "Did you mean" not in none and "No service in the guide matches" in none


def test_few_results_are_followed_by_the_closest_others(client, guide):
    text = text_of(client.get("/zh/guide/", query_string={"q": "落户政策"}))
    assert "找到 1 个" in text and "相近的服务" in text
    assert slugs(client, "落户政策") == ["body-mention", "hukou"]  # the match, then the closest other
    assert "您是不是要找" not in text


def test_traditional_characters_and_question_words_find_entries(client, guide):
    assert slugs(client, "落戶") == slugs(client, "落户") == ["hukou", "body-mention"]
    assert "parking-pass" == slugs(client, "停車月卡怎麼辦")[0]
    assert slugs(client, "tingcheyueka") == ["parking-pass"]  # 停车月卡: ting-che-yue-ka, by syllable pairs
