"""Both languages: URL prefixes, the / redirect, the switcher, hreflang, dates, content fallback."""

from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
from flask_babel import format_datetime
from markupsafe import Markup

from app.core.i18n import LANG_COOKIE, lang_from_accept_language, localized
from tests.conftest import text_of


@pytest.mark.parametrize(
    "header, expected",
    [
        ("zh-CN,zh;q=0.9", "zh"),
        ("zh-Hans", "zh"),
        ("zh-TW", "zh"),
        ("zh-HK,en;q=0.5", "zh"),
        ("en-US,en;q=0.9,zh-CN;q=0.8", "en"),
        ("fr-FR", "en"),
        ("de, ja;q=0.5", "en"),
        ("ja, zh-CN;q=0.5", "zh"),
        ("", "zh"),
    ],
)
def test_root_redirects_by_accept_language(client, header, expected):
    headers = {"Accept-Language": header} if header else {}
    response = client.get("/", headers=headers)
    assert response.status_code == 302
    assert response.location == f"/{expected}/"
    assert "Accept-Language" in response.headers["Vary"] and "Cookie" in response.headers["Vary"]


def test_remembered_choice_beats_accept_language(client):
    # Visiting an English page remembers English...
    page = client.get("/en/")
    assert f"{LANG_COOKIE}=en" in page.headers["Set-Cookie"]
    assert client.get("/", headers={"Accept-Language": "zh-CN"}).location == "/en/"
    # ...and a later Chinese page changes the remembered choice.
    client.get("/zh/")
    assert client.get("/", headers={"Accept-Language": "en"}).location == "/zh/"


def test_unknown_language_prefix_is_404(client):
    assert client.get("/fr/").status_code == 404
    assert client.get("/zh-TW/").status_code == 404


@pytest.mark.parametrize("lang, html_lang, heading", [("zh", "zh-Hans", "楼事有人应，难事有人解"), ("en", "en", "Building affairs, answered")])
def test_home_in_both_languages(client, demo, lang, html_lang, heading):
    response = client.get(f"/{lang}/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'<html lang="{html_lang}">' in html
    assert heading in text_of(response)
    # hreflang alternates for both languages and x-default
    assert 'hreflang="zh-Hans" href="http://localhost/zh/"' in html
    assert 'hreflang="en" href="http://localhost/en/"' in html
    assert 'hreflang="x-default" href="http://localhost/"' in html


def test_chinese_page_has_no_untranslated_ui(client, demo):
    text = text_of(client.get("/zh/"))
    for english in ("Skip to main content", "Across the district", "Office buildings", "Staff sign-in", "Every question"):
        assert english not in text
    assert "全区概况" in text and "商务楼宇" in text and "工作人员登录" in text


def test_switcher_keeps_page_and_query(client):
    html = client.get("/zh/login?next=/zh/council/&x=1&x=2").get_data(as_text=True)
    assert 'href="/en/login?next=/zh/council/&amp;x=1&amp;x=2"' in html
    assert 'data-lang-switch="en"' in html
    # the current language is shown, not linked
    assert '<span aria-current="true" lang="zh-Hans">中文</span>' in html


def test_error_pages_switch_to_home(client):
    html = client.get("/en/no-such-page").get_data(as_text=True)
    assert 'href="/zh/"' in html


def test_dates_are_shown_in_shanghai_time(app):
    moment = datetime(2026, 11, 22, 16, 30, tzinfo=timezone.utc)  # 00:30 next day in Shanghai
    with app.test_request_context("/zh/"):
        app.preprocess_request()
        assert "2026年11月23日" in format_datetime(moment, "long")
        assert "00:30" in format_datetime(moment, "short")
    with app.test_request_context("/en/"):
        app.preprocess_request()
        assert "Nov 23, 2026" in format_datetime(moment, "medium")


def test_localized_prefers_current_language_and_marks_fallback(app):
    both = SimpleNamespace(title_zh="落户办理", title_en="Household registration")
    only_zh = SimpleNamespace(title_zh="落户办理", title_en="  ")
    only_en = SimpleNamespace(title_zh="", title_en="Household registration")
    neither = SimpleNamespace(title_zh="", title_en=None)
    with app.test_request_context("/en/"):
        app.preprocess_request()
        assert str(localized(both, "title")) == "Household registration"
        assert not localized(both, "title").fallback
        fb = localized(only_zh, "title")
        assert (fb.text, fb.lang, fb.fallback) == ("落户办理", "zh", True)
        html = Markup(fb).__html__() if hasattr(fb, "__html__") else ""
        assert '<span lang="zh-Hans">落户办理</span>' in html
        assert "English not yet provided" in html
        assert str(localized(neither, "title")) == "" and not localized(neither, "title")
    with app.test_request_context("/zh/"):
        app.preprocess_request()
        assert str(localized(both, "title")) == "落户办理"
        fb = localized(only_en, "title")
        assert fb.fallback and fb.lang == "en"
        assert '<span lang="en">Household registration</span>' in fb.__html__()
        assert "暂无中文版本" in fb.__html__()
        assert localized(both, "title", lang="en").text == "Household registration"


def test_localized_escapes_content(app):
    evil = SimpleNamespace(title_zh="<script>alert(1)</script>", title_en="")
    with app.test_request_context("/en/"):
        app.preprocess_request()
        html = localized(evil, "title").__html__()
        assert "<script>" not in html and "&lt;script&gt;" in html
    with app.test_request_context("/zh/"):
        app.preprocess_request()
        assert "<script>" not in localized(evil, "title").__html__()


def test_models_read_fields_through_the_helper(app, demo):
    from app.extensions import db
    from app.org.models import Department
    import sqlalchemy as sa

    with app.test_request_context("/en/"):
        app.preprocess_request()
        dept = db.session.scalars(sa.select(Department).where(Department.name_en == "")).first()
        assert dept is not None, "the demo data has a department without English, to show the fallback"
        name = dept.loc("name")
        assert name.fallback and name.text == dept.name_zh


def test_a_fragment_does_not_change_the_remembered_language(client):
    """htmx fragments are parts of a page already visited: only page visits (boosted ones
    included) set the remembered language."""
    client.get("/zh/")
    fragment = client.get("/en/guide/?q=parking", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and LANG_COOKIE not in fragment.headers.get("Set-Cookie", "")
    assert client.get("/", headers={"Accept-Language": "en"}).location == "/zh/"
    boosted = client.get("/en/guide/", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert f"{LANG_COOKIE}=en" in boosted.headers["Set-Cookie"]
