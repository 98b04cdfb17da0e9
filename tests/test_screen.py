"""The public rates (响应率 解决率 满意率) follow one rule on every page that shows them —
the building's board, the lobby screen (page and poll) and the district roll-up: the count
beside each rate, "—" below ``RATE_MIN_COUNT`` (default 5) ratings or requests, and the rule
written beside them.  And the A4 poster: a call to action, the contact, both languages."""

from __future__ import annotations

import html as _html
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.core.timeutil import utcnow
from app.extensions import db
from app.intake.models import ServiceRequest
from app.org.models import Building
from tests.conftest import text_of

BUILDING = "shanghai-tower"
HX = {"HX-Request": "true"}


def _closed(app, ratings: list[int], slug: str = BUILDING) -> None:
    """One closed, on-time request per rating (written directly)."""
    with app.app_context():
        building = db.session.scalar(sa.select(Building).where(Building.slug == slug))
        now = utcnow()
        start = db.session.scalar(sa.select(sa.func.count()).select_from(ServiceRequest))
        for i, rating in enumerate(ratings, start):
            db.session.add(ServiceRequest(
                tracking_no=f"LS-2026-7{i:05d}", access_code_hash="x" * 64, submission_key=f"rates-{slug}-{i}",
                building_id=building.id, description="大堂空调太冷", company_name="", contact_name="张三", phone="13912345678",
                stage="closed", rating=rating, first_response_on_time=True, created_at=now - timedelta(days=2),
                updated_at=now, resolved_at=now - timedelta(days=1), closed_at=now,
            ))
        db.session.commit()
        db.session.remove()


def _dd(page: str, dd_id: str) -> str:
    """The visible text of ``<dd id=dd_id>``, white space folded."""
    match = re.search(rf'<dd id="{dd_id}">(.*?)</dd>', page, re.S)
    assert match, f"no dd#{dd_id} on the page"
    text = re.sub(r"\s+", " ", _html.unescape(re.sub(r"<[^>]+>", " ", match.group(1)))).strip()
    return text.replace(" （", "（")  # the space between value and count: no gap before a full-width bracket


PAGES = {  # where the rates are shown publicly, and the id prefix of their figures there
    "board": (f"/{{lang}}/boards/{BUILDING}", None, "stat"),
    "screen": (f"/{{lang}}/boards/{BUILDING}/screen", None, "screen"),
    "screen poll": (f"/{{lang}}/boards/{BUILDING}/screen", HX, "screen"),
    "roll-up": ("/{lang}/boards/", None, "district"),
}

RULE = {
    "zh": "满意率按已评价诉求计算；少于 5 次评价时不显示。",
    "en": "The satisfaction rate counts rated requests only; it is not shown below 5 ratings.",
}
FEWER_RATINGS = {"zh": "—（评价不足 5 次）", "en": "— (fewer than 5 ratings)"}
FEWER_REQUESTS = {"zh": "—（诉求不足 5 件）", "en": "— (fewer than 5 requests)"}


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("where", list(PAGES))
def test_one_rating_shows_a_dash_and_why(app, client, demo, lang, where):
    """满意率 100 % from one rating was on the lobby screen: now "—" and "评价不足 5 次"."""
    _closed(app, [5])
    path, headers, prefix = PAGES[where]
    response = client.get(path.format(lang=lang), headers=headers)
    page = response.get_data(as_text=True)
    assert _dd(page, f"{prefix}-satisfaction") == FEWER_RATINGS[lang]
    assert _dd(page, f"{prefix}-resolution") == FEWER_REQUESTS[lang]
    assert "100%" not in text_of(response)
    assert RULE[lang] in text_of(response)  # the rule is written where the rates are


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("where", list(PAGES))
def test_five_ratings_show_the_rate_with_its_count(app, client, demo, lang, where):
    _closed(app, [5, 5, 4, 4, 2])
    path, headers, prefix = PAGES[where]
    page = client.get(path.format(lang=lang), headers=headers).get_data(as_text=True)
    expected = {"zh": ("80%（5 次评价）", "100%（5 件诉求）"), "en": ("80% (5 ratings)", "100% (5 requests)")}[lang]
    assert _dd(page, f"{prefix}-satisfaction") == expected[0]
    assert _dd(page, f"{prefix}-resolution") == expected[1]
    if prefix != "screen":  # the screen shows received / completed / resolution / satisfaction / wishes
        assert _dd(page, f"{prefix}-response") == expected[1]


def test_the_roll_up_counts_every_building(app, client, demo):
    """Three ratings in one building and two in another: no board shows a rate, the
    district (five ratings) does."""
    _closed(app, [5, 5, 5])
    _closed(app, [1, 1], slug="jin-mao-tower")
    assert _dd(client.get(f"/en/boards/{BUILDING}").get_data(as_text=True), "stat-satisfaction") == FEWER_RATINGS["en"]
    assert _dd(client.get("/en/boards/jin-mao-tower").get_data(as_text=True), "stat-satisfaction") == FEWER_RATINGS["en"]
    assert _dd(client.get("/en/boards/").get_data(as_text=True), "district-satisfaction") == "60% (5 ratings)"


def test_the_minimum_is_configurable(app, client, demo, monkeypatch):
    monkeypatch.setitem(app.config, "RATE_MIN_COUNT", 1)
    _closed(app, [5])
    page = client.get(f"/zh/boards/{BUILDING}/screen").get_data(as_text=True)
    assert _dd(page, "screen-satisfaction") == "100%（1 次评价）"
    assert "少于 1 次评价时不显示" in page


def test_no_requests_no_rate(app, client, demo):
    page = client.get(f"/en/boards/{BUILDING}").get_data(as_text=True)
    assert _dd(page, "stat-satisfaction") == FEWER_RATINGS["en"] and _dd(page, "stat-response") == FEWER_REQUESTS["en"]


# --- the A4 poster ---------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_poster_calls_to_action_in_both_languages_with_the_contact(app, client, demo, lang):
    page = client.get(f"/{lang}/boards/{BUILDING}/poster").get_data(as_text=True)
    page = page[page.index('<article class="poster">'):page.index("</article>")]
    text = re.sub(r"\s+", " ", _html.unescape(re.sub(r"<[^>]+>", " ", page)))
    # zh first, en second, whatever the URL's language
    assert text.index("扫码反映问题、查进度") < text.index("Scan to report a problem or track a request")
    assert text.index("上海中心大厦") < text.index("Shanghai Tower")
    for zh, en in (("反映问题", "Report a problem"), ("查进度", "Track a request"), ("许个愿", "Make a wish")):
        assert zh in text and en in text
    # the contact: the council and the office hotline, never a person's phone number
    assert "上海中心大厦楼事会" in text and "咨询热线" in text and "Hotline" in text
    assert 'href="tel:12345"' in page
    assert "110" in text and "119" in text and "120" in text
    assert not re.search(r"1[3-9]\d{9}", text)  # no mobile number
    # the QR codes: report (large), track, board, wish; they open pages in the URL's language
    assert page.count("<svg") == 4
    assert f"/{lang}/requests/new?building={BUILDING}" in text  # printed under the main code


def test_poster_hotline_comes_from_configuration(app, client, demo, monkeypatch):
    monkeypatch.setitem(app.config, "SITE_HOTLINE", "021-5878 8000")
    page = client.get(f"/zh/boards/{BUILDING}/poster").get_data(as_text=True)
    assert 'href="tel:02158788000"' in page and "021-5878 8000" in page
