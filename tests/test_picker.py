"""The request form's service picker (issue 17, item 5): one search behind the guide and
the form.  The suggestions the form's combobox shows come from the guide's own search
(same words found, same order), the form still works as a plain <select> without
JavaScript, a typed text without a choice is refused with a clear message (the text
kept), and the contact fields carry their autocomplete tokens."""

from __future__ import annotations

import re

import pytest

from tests.conftest import text_of
from tests.guide_fixtures import make_entries
from tests.test_guide import slugs
from tests.test_intake import form_values

TALENT = dict(
    slug="talent-hukou", department="talent", category="talent", title_zh="人才引进落户",
    title_en="Hukou through the talent introduction scheme",
    summary_zh="符合条件的引进人才申办本市常住户口。", summary_en="Permanent household registration for introduced talent.",
)


@pytest.fixture
def guide(app, demo):
    return make_entries(app, extra=[TALENT])


def suggest(client, query: str, lang: str = "zh") -> dict:
    response = client.get(f"/{lang}/guide/suggest", query_string={"q": query})
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/json"
    return response.get_json()


def values(data: dict) -> list[str]:
    return [item["value"] for item in data["results"]]


@pytest.mark.parametrize("query", ["户口", "luohu", "lh", "落户"])
def test_suggestions_find_the_talent_hukou_entry(client, guide, query):
    data = suggest(client, query)
    assert "talent-hukou" in values(data)
    assert "人才引进落户" in [item["label"] for item in data["results"]]


def test_suggestions_find_fire_in_english(client, guide):
    data = suggest(client, "fire", lang="en")
    assert values(data)[0] == "fire-check"
    assert data["results"][0]["label"] == "Fire safety inspection of fit-outs"
    assert data["count"] == len(data["results"])


@pytest.mark.parametrize("query, lang", [("户口", "zh"), ("luohu", "zh"), ("lh", "zh"), ("落户", "zh"), ("fire", "en"), ("hukou", "en")])
def test_suggestions_rank_as_the_guide_search(client, guide, query, lang):
    assert values(suggest(client, query, lang)) == slugs(client, query, lang=lang)


def test_suggestions_for_nothing_searchable_are_empty(client, guide):
    assert suggest(client, "  ")["results"] == []
    assert suggest(client, "zzzqqq")["results"] == []


def test_the_form_renders_a_select_enhanced_by_a_static_script(client, guide):
    html = client.get("/zh/requests/new").get_data(as_text=True)
    select = re.search(r"<select[^>]*\bid=\"service\"[^>]*>", html).group(0)
    assert 'data-combobox' in select and 'data-suggest-url="/zh/guide/suggest"' in select
    assert "data-searchable" not in select  # the old filter that kept a stale choice
    assert re.search(r'<script src="/static/js/picker\.js[^"]*" defer></script>', html)
    assert '<option value="talent-hukou">人才引进落户</option>' in html


def test_the_no_js_form_posts_the_select(app, client, guide):
    data = dict(form_values(client), service="talent-hukou")
    response = client.post("/zh/requests/new", data=data)
    assert response.status_code == 303, text_of(response)[:400]
    assert "人才服务中心" in text_of(client.get(response.location))  # routed to the entry's department


def test_a_typed_text_without_a_choice_is_refused_with_the_text_kept(client, guide):
    data = dict(form_values(client), service="", service_text="户口 迁入")
    response = client.post("/zh/requests/new", data=data)
    assert response.status_code == 422
    text = text_of(response)
    assert "请从列表中选择事项，或选择“其他诉求”。" in text
    assert 'data-typed="户口 迁入"' in response.get_data(as_text=True)
    response = client.post("/en/requests/new", data=dict(form_values(client, "en"), service="", service_text="fire"))
    assert response.status_code == 422
    assert "Choose a service from the list, or “Something else”." in text_of(response)
    assert 'data-typed="fire"' in response.get_data(as_text=True)


def test_nothing_typed_and_nothing_chosen_keeps_the_plain_message(client, guide):
    response = client.post("/zh/requests/new", data=dict(form_values(client), service=""))
    assert response.status_code == 422
    assert "请选择服务事项，或选择“其他诉求”。" in text_of(response)


def test_a_choice_wins_over_the_text_left_in_the_box(client, guide):
    """The script clears the choice whenever the text changes; a choice that is posted
    was made explicitly, so it is filed whatever the box says."""
    response = client.post("/zh/requests/new", data=dict(form_values(client), service="food-licence", service_text="食品经营许可证办理"))
    assert response.status_code == 303


def test_the_guide_prefill_still_selects_the_service(client, guide):
    html = client.get("/zh/requests/new", query_string={"service": "talent-hukou"}).get_data(as_text=True)
    assert '<option selected value="talent-hukou">人才引进落户</option>' in html


def test_contact_fields_have_autocomplete_tokens_and_input_types(client, guide):
    html = client.get("/zh/requests/new").get_data(as_text=True)

    def tag(name):
        return re.search(r"<input[^>]*\bname=\"" + name + r"\"[^>]*>", html).group(0)

    phone = tag("phone")
    assert 'type="tel"' in phone and 'inputmode="tel"' in phone and 'autocomplete="tel"' in phone
    assert 'autocomplete="name"' in tag("contact_name")
    assert 'autocomplete="organization"' in tag("company_name")
    email = tag("email")
    assert 'type="email"' in email and 'autocomplete="email"' in email
