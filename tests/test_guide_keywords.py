"""Guide keywords ("also searched as"): everyday words find the demo entries, keyword
matches rank between title and body matches, staff edit them (revision, audit, 422),
HSDS carries them.  Runs on SQLite and PostgreSQL alike (TEST_DATABASE_URL)."""

from __future__ import annotations

import sqlalchemy as sa

from app.core.models import AuditLog
from app.extensions import db
from app.guide.models import GuideEntry, GuideSearchDoc
from app.guide.services import keyword_phrases, normalise_keywords
from tests.conftest import DEMO_PASSWORD, text_of
from tests.guide_fixtures import make_entries
from tests.test_guide_manage import form_fields

# Everyday query → the entry that must come first (the demo guide, app/demo/guide_keywords.py).
FIRST = {
    "户口": "talent-introduction-hukou",
    "迁户口": "talent-introduction-hukou",
    "落户口": "talent-introduction-hukou",
    "社保": "social-insurance-query",
    "公积金": "social-insurance-query",
    "五险一金": "social-insurance-query",
    "开票": "tax-registration",
    "开发票": "tax-registration",
    "电梯坏了": "special-equipment-lift",
    "困电梯": "special-equipment-lift",
    "停车": "garage-parking-pass",
    "车位": "garage-parking-pass",
    "加班费": "labour-dispute-mediation",
    "拖欠工资": "labour-dispute-mediation",
    "被骗了": "anti-fraud-report",
    "体检": "employee-health-check",
    "打疫苗": "vaccination-flu",
    "压力大": "mental-health",
    "工签": "foreign-work-permit",
    "签证": "exit-entry-foreigners",
    "门卡丢了": "visitor-access",
    "快递": "express-delivery",
    "租办公室": "office-expansion",
    "补贴": "special-funding",
    "parking": "garage-parking-pass",
    "hukou": "talent-introduction-hukou",
    "visa": "exit-entry-foreigners",
    "invoice": "tax-registration",
    "fapiao": "tax-registration",
    "work permit": "foreign-work-permit",
    "scam": "anti-fraud-report",
    "lift broken": "special-equipment-lift",
    "stuck in the lift": "special-equipment-lift",
    "flu shot": "vaccination-flu",
    "pension": "social-insurance-query",
    "aircon": "aircon-overtime",
    "taxi": "curbside-ride-hailing",
    "shebao": "social-insurance-query",  # pinyin of a keyword
    "kaipiao": "tax-registration",
    "gongjijin": "social-insurance-query",
}


def _slugs(query: str) -> list[str]:
    from app.guide.queries import GuideFilters, guide_page  # imported late: it configures the mappers

    rows, _count = guide_page(GuideFilters(q=query))
    return [entry.slug for entry in db.session.scalars(rows)] if rows is not None else []


def test_everyday_words_find_the_demo_entries(app):
    from app.demo import seed_demo

    with app.app_context():
        seed_demo(DEMO_PASSWORD)
        db.session.commit()
        missed = {q: _slugs(q)[:3] for q, slug in FIRST.items() if _slugs(q)[:1] != [slug]}
        assert not missed, f"everyday queries whose first result is not the expected entry: {missed}"
        # "parking" lists both parking entries before the health check that mentions the bus's parking
        parking = _slugs("parking")
        assert parking[:2] == ["garage-parking-pass", "ebike-parking"] and parking.index("employee-health-check") > 1
        assert "employee-health-check" not in _slugs("停车")
        assert "special-equipment-lift" not in _slugs("invoice")
        # every demo entry has keywords in both languages
        empty = db.session.scalars(sa.select(GuideEntry.slug).where(sa.or_(GuideEntry.keywords_zh == "", GuideEntry.keywords_en == ""))).all()
        assert empty == []
        db.session.remove()


def test_seed_fills_missing_keywords_once_and_keeps_staff_words(app):
    from app.demo import seed_demo

    with app.app_context():
        seed_demo(DEMO_PASSWORD)
        db.session.commit()
        lift = db.session.scalar(sa.select(GuideEntry).where(GuideEntry.slug == "special-equipment-lift"))
        fire = db.session.scalar(sa.select(GuideEntry).where(GuideEntry.slug == "fire-drill"))
        lift.keywords_zh, lift.keywords_en = "", ""  # as before keywords existed
        fire.keywords_zh = "员工自己写的词"
        db.session.commit()
        seed_demo(DEMO_PASSWORD)
        db.session.commit()
        db.session.expire_all()
        assert "电梯坏了" in db.session.get(GuideEntry, lift.id).keywords_zh
        assert db.session.get(GuideEntry, fire.id).keywords_zh == "员工自己写的词"
        db.session.remove()


# --- ranking: title above keywords above body ------------------------------------------

RANKED = [
    # the word in the title
    {"slug": "title-match", "department": "housing", "category": "property", "title_zh": "快递收发点", "title_en": "Parcel room",
     "summary_zh": "楼内收发。", "summary_en": "In the building."},
    # the word only in the keywords
    {"slug": "keyword-match", "department": "housing", "category": "property", "title_zh": "物流与邮件服务", "title_en": "Mail services",
     "summary_zh": "寄件与收件。", "summary_en": "Sending and receiving.", "keywords_zh": "快递、寄快递", "keywords_en": "courier, parcel"},
    # the word only in the body, many times
    {"slug": "body-match", "department": "housing", "category": "property", "title_zh": "前台服务", "title_en": "Reception desk",
     "summary_zh": "前台可代收快递，快递多时请到快递柜自取快递。", "summary_en": "Reception takes in parcels; many parcels go to the parcel lockers."},
]


def test_keyword_match_ranks_between_title_and_body_matches(app, demo):
    make_entries(app, RANKED, base=False)
    with app.app_context():
        assert _slugs("快递") == ["title-match", "keyword-match", "body-match"]
        assert _slugs("parcel") == ["title-match", "keyword-match", "body-match"]
        assert _slugs("courier") == ["keyword-match"]
        # pinyin ranks the same way: the title's full pinyin counts as title, the keywords' as keywords
        assert _slugs("kuaidi") == ["title-match", "keyword-match", "body-match"]
        assert _slugs("youjian kuaidi")[:1] == ["keyword-match"]  # 邮件 in the title, 快递 in the keywords
        # a query split between title and keywords is still a strong match
        assert _slugs("邮件 寄快递") == ["keyword-match"]
        doc = db.session.scalar(sa.select(GuideSearchDoc).join(GuideEntry).where(GuideEntry.slug == "keyword-match"))
        assert "快递" in doc.keywords.split() and "courier" in doc.keywords.split() and "快递" not in doc.body.split()
        db.session.remove()


def test_keyword_phrases_and_normalising():
    assert keyword_phrases("户口，落户口、 迁户口\n社保;社保 ,, ") == ["户口", "落户口", "迁户口", "社保"]
    assert keyword_phrases("Parking, parking lot,PARKING\r\ncar  park") == ["Parking", "parking lot", "car park"]
    assert normalise_keywords("户口，社保\n开票", "zh") == "户口、社保、开票"
    assert normalise_keywords("hukou;invoice , visa", "en") == "hukou, invoice, visa"
    assert keyword_phrases("") == [] and keyword_phrases(None) == []


# --- staff editing ---------------------------------------------------------------------


def test_editor_round_trip_search_history_and_audit(app, client, demo, auth):
    make_entries(app)
    assert "food-licence" not in text_of(client.get("/zh/guide/?q=开奶茶店"))
    auth.login("staff@example.com")  # market regulation: the food licence is theirs
    page = client.get("/en/council/guide/food-licence/edit")
    text = text_of(page)
    assert "Also searched as (Chinese)" in text and "Words people type for this service, separated by commas" in text
    data = form_fields(page.get_data(as_text=True))
    assert data["keywords_zh"].strip() == "" and data["keywords_en"].strip() == ""
    data.update(keywords_zh="开奶茶店，开咖啡馆\n食堂", keywords_en="bubble tea shop, cafe", note="everyday words", save="y")
    response = client.post("/en/council/guide/food-licence/edit", data=data)
    assert response.status_code == 303, text_of(response)
    # the editor shows them as stored
    again = form_fields(client.get("/en/council/guide/food-licence/edit").get_data(as_text=True))
    assert again["keywords_zh"].strip() == "开奶茶店、开咖啡馆、食堂" and again["keywords_en"].strip() == "bubble tea shop, cafe"
    # the public search finds the entry by the new words, in both languages and pinyin
    assert "食品经营许可证办理" in text_of(client.get("/zh/guide/?q=开奶茶店"))
    assert "Food business licence" in text_of(client.get("/en/guide/?q=bubble+tea"))
    assert "食品经营许可证办理" in text_of(client.get("/zh/guide/?q=naicha"))
    # the public page does not show them
    assert "开奶茶店" not in text_of(client.get("/zh/guide/food-licence"))
    history = text_of(client.get("/en/council/guide/food-licence/history"))
    assert "everyday words" in history and "keywords_zh" in history and "keywords_en" in history
    with app.app_context():
        entry = db.session.scalar(sa.select(GuideEntry).where(GuideEntry.slug == "food-licence"))
        log = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "guide.update", AuditLog.target_id == str(entry.id)))
        assert log.actor.email == "staff@example.com"
        assert log.before["keywords_zh"] == "" and log.after["keywords_zh"] == "开奶茶店、开咖啡馆、食堂"
        db.session.remove()


def test_too_many_keywords_is_422_with_everything_kept(app, client, demo, auth):
    make_entries(app)
    auth.login("admin@example.com")
    data = form_fields(client.get("/zh/council/guide/tax-setup/edit").get_data(as_text=True))
    long_zh = "、".join(["开发票"] * 130)  # 519 characters
    data.update(keywords_zh=long_zh, keywords_en="invoice, fapiao", save="y")
    response = client.post("/zh/council/guide/tax-setup/edit", data=data)
    assert response.status_code == 422
    text, html = text_of(response), response.get_data(as_text=True)
    assert "搜索词请控制在 500 个字符以内（现为 519 个）" in text
    assert long_zh in html and "invoice, fapiao" in html
    with app.app_context():
        assert db.session.scalar(sa.select(GuideEntry.keywords_zh).where(GuideEntry.slug == "tax-setup")) == ""
        db.session.remove()


def test_preview_shows_the_keywords(app, client, demo, auth):
    make_entries(app)
    auth.login("admin@example.com")
    data = form_fields(client.get("/en/council/guide/tax-setup/edit").get_data(as_text=True))
    response = client.post("/en/council/guide/tax-setup/edit", data=dict(data, preview="y"))
    assert "No keywords yet" in text_of(response)
    response = client.post("/en/council/guide/tax-setup/edit", data=dict(data, keywords_zh="开票，开发票", keywords_en="invoice;fapiao", preview="y"))
    text = text_of(response)
    assert response.status_code == 200 and "Preview (not saved yet)" in text
    assert "开票、开发票" in text and "invoice, fapiao" in text
    with app.app_context():
        assert db.session.scalar(sa.select(GuideEntry.keywords_zh).where(GuideEntry.slug == "tax-setup")) == ""
        db.session.remove()


def test_hsds_carries_the_keywords(app, client, demo):
    make_entries(app, [dict(RANKED[1])], base=False)
    service = client.get("/api/hsds/services/keyword-match").get_json()
    assert service["x_loushi"]["keywords"] == {"zh": ["快递", "寄快递"], "en": ["courier", "parcel"]}
    found = client.get("/api/hsds/services", query_string={"search": "courier"}).get_json()
    assert [s["x_loushi"]["slug"] for s in found["contents"]] == ["keyword-match"]


def test_reindex_guide_rewrites_every_search_row(app, runner, demo):
    make_entries(app, [dict(RANKED[1])], base=False)
    with app.app_context():
        doc = db.session.scalar(sa.select(GuideSearchDoc))
        doc.keywords, doc.title = "", ""  # as a row written before keywords were indexed
        db.session.commit()
        db.session.remove()
        assert _slugs("courier") == []
    result = runner.invoke(args=["reindex-guide"])
    assert result.exit_code == 0 and "Reindexed 1 guide entries." in result.output
    with app.app_context():
        assert _slugs("courier") == ["keyword-match"] and _slugs("邮件")[:1] == ["keyword-match"]
        db.session.remove()
