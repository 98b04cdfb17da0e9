"""Issue 16, item 1 (and the ``description`` rule of item 12): sensitive requests and
requests whose requester ticked "do not list publicly" never appear as items on any
public page, feed, screen, poster, export or Open311 read — only in the totals.

Everything is set up the way people do it (the request form, the guide editor), so the
tests also say what today's code shows."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from babel.dates import format_date

from app.core.models import AuditLog
from app.core.timeutil import utcnow
from app.core.workdays import SHANGHAI
from app.extensions import db
from app.guide.models import GuideEntry, GuideRevision
from app.intake.models import ServiceRequest
from tests.conftest import Auth, csrf_from, text_of
from tests.guide_fixtures import make_entries

BUILDING = "shanghai-tower"
TRACKING = re.compile(r"LS-\d{4}-\d{6}")

# The one listable request, and what it shows.
LISTED_NAME_ZH, LISTED_NAME_EN = "食品经营许可证办理", "Food business licence"
LISTED_TEXT = "我们想在 12 楼开一家咖啡店，需要办理食品经营许可。"
# Three that must never be listed: a sensitive service, an opted-out one, "something else".
SENSITIVE = {
    "slug": "labour-mediation", "department": "justice", "category": "legal", "audience": "both", "sensitive": True,
    "title_zh": "劳动争议调解", "title_en": "Labour dispute mediation",
    "summary_zh": "职工与企业之间的劳动争议在楼宇内调解。", "summary_en": "Mediation of labour disputes in the building.",
}
FOR_EMPLOYEES = {
    "slug": "lunch-room", "department": "union", "category": "union", "audience": "employee",
    "title_zh": "职工午休室预约", "title_en": "Booking the staff lunch room",
    "summary_zh": "为楼内职工预约午休室。", "summary_en": "Lunch-room bookings for employees.",
}
HIDDEN_NAMES = ("劳动争议调解", "Labour dispute mediation", "装修工程消防安全检查", "Fire safety inspection of fit-outs",
                "其他诉求", "Something else")
HIDDEN_DEPARTMENTS = ("司法所", "Justice Office", "消防救援站", "Fire and Rescue Station")
HIDDEN_TEXTS = ("加班费计算有异议，希望在楼宇里调解", "装修即将完工，想请消防顾问", "大堂的快递柜经常满")


@pytest.fixture
def guide(app, demo):
    return make_entries(app, extra=[SENSITIVE, FOR_EMPLOYEES])


def form_values(client, lang="zh", **overrides) -> dict:
    html = client.get(f"/{lang}/requests/new").get_data(as_text=True)
    key = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', html).group(1)
    data = {
        "csrf_token": csrf_from(html), "submission_key": key, "service": "food-licence", "building": BUILDING,
        "company_name": "上海云杉餐饮有限公司", "contact_name": "王小明", "phone": "138 1234 5678", "email": "",
        "description": LISTED_TEXT, "reply_lang": "zh", "consent": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def file(client, lang="zh", **overrides) -> str:
    response = client.post(f"/{lang}/requests/new", data=form_values(client, lang, **overrides))
    assert response.status_code == 303, text_of(response)[:600]
    return TRACKING.search(response.location).group(0)


def stored(app, number: str) -> ServiceRequest:
    with app.app_context():
        req = db.session.scalar(sa.select(ServiceRequest).where(ServiceRequest.tracking_no == number))
        db.session.expunge(req)
        db.session.remove()
    return req


def backdate(app, number: str, days: int):
    when = utcnow() - timedelta(days=days)
    with app.app_context():
        db.session.execute(sa.update(ServiceRequest).where(ServiceRequest.tracking_no == number).values(created_at=when, updated_at=when))
        db.session.commit()
        db.session.remove()
    return when.astimezone(SHANGHAI).date()


def date_texts(day) -> tuple[str, ...]:
    """How a date can show: the zh and en page formats, ISO (feeds, Open311)."""
    return (format_date(day, locale="zh_Hans_CN"), format_date(day, locale="en"), day.isoformat())


def xlsx_text(body: bytes) -> str:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(body))
    return "\n".join(" ".join(str(c) for c in row if c is not None) for sheet in book for row in sheet.iter_rows(values_only=True))


# --- the walk over everything public -------------------------------------------------


def test_sensitive_opted_out_and_something_else_requests_never_listed_publicly_only_counted(app, client, guide):
    listed = file(client)
    sensitive = file(client, service="labour-mediation", description="员工对加班费计算有异议，希望在楼宇里调解。")
    opted_out = file(client, service="fire-check", unlisted="y", description="32楼装修即将完工，想请消防顾问来看看。")
    other = file(client, service="other", description="大堂的快递柜经常满，午饭时间取件排长队。")
    hidden = (sensitive, opted_out, other)
    hidden_dates = [d for n, days in zip(hidden, (37, 41, 45)) for d in date_texts(backdate(app, n, days))]
    forbidden = HIDDEN_NAMES + HIDDEN_TEXTS + tuple(hidden_dates)

    public = app.test_client()  # a stranger: no cookie of the requester
    council = app.test_client()
    assert Auth(council).login("council@example.com").status_code in (302, 303)
    start = (utcnow() - timedelta(days=80)).strftime("%Y-%m-%dT%H:%M:%SZ")
    bodies: dict[str, str] = {}
    for lang in ("zh", "en"):
        b = f"/{lang}/boards/{BUILDING}"
        for path in (f"/{lang}/", f"/{lang}/boards/", b, f"{b}/screen", f"{b}/poster", f"{b}/feed.atom", f"{b}/events.ics",
                     *(f"/{lang}/requests/{n}" for n in (listed, *hidden))):
            response = public.get(path)
            assert response.status_code == 200, path
            bodies[path] = response.get_data(as_text=True)
        poll = public.get(f"{b}/screen", headers={"HX-Request": "true"})  # the lobby screen's poll
        assert poll.status_code == 200 and 'id="screen"' in poll.get_data(as_text=True)
        bodies[f"{b}/screen (poll)"] = poll.get_data(as_text=True)
        api = "/api/open311/v2"
        for path in (f"{api}/requests.json?lang={lang}", f"{api}/requests.json?lang={lang}&start_date={start}",
                     f"{api}/requests.json?lang={lang}&service_request_id={','.join((listed, *hidden))}",
                     f"{api}/requests.json?lang={lang}&service_code=labour-mediation,fire-check,other&start_date={start}",
                     *(f"{api}/requests/{n}.json?lang={lang}" for n in (listed, *hidden))):
            response = public.get(path)
            assert response.status_code == (404 if any(f"/{n}.json" in path for n in hidden) else 200), path
            # also with \uXXXX escapes decoded
            bodies[path] = json.dumps(response.get_json(), ensure_ascii=False)
        for fmt in ("csv", "xlsx"):  # the board's lists as exported for print
            response = council.get(f"/{lang}/council/boards/{BUILDING}/export.{fmt}")
            assert response.status_code == 200, fmt
            bodies[f"export.{fmt} ({lang})"] = response.get_data(as_text=True) if fmt == "csv" else xlsx_text(response.data)

    leaks = [(where, text) for where, body in bodies.items() for text in forbidden if text in body]
    assert leaks == [], leaks
    api_bodies = [body for where, body in bodies.items() if where.startswith("/api/")]
    assert not [d for body in api_bodies for d in HIDDEN_DEPARTMENTS if d in body]  # a department would tell the service

    # The listable one is listed (so the walk looked at the right places) …
    assert LISTED_NAME_ZH in bodies[f"/zh/boards/{BUILDING}"] and LISTED_NAME_EN in bodies[f"/en/boards/{BUILDING}"]
    assert LISTED_NAME_ZH in bodies["export.csv (zh)"] and LISTED_NAME_ZH in bodies["export.xlsx (zh)"]
    listing = public.get("/api/open311/v2/requests.json").get_json()
    assert [r["service_request_id"] for r in listing] == [listed]
    assert listing[0]["description"] == LISTED_TEXT  # item 12: the requester's own text, as it is public
    # … a hidden one is not found by its number, exactly as an unknown one …
    unknown = public.get("/api/open311/v2/requests/LS-2026-999999.json").get_json()
    for number in hidden:
        response = public.get(f"/api/open311/v2/requests/{number}.json?lang=en")
        assert response.status_code == 404
        assert response.get_json() == [{"code": 404, "description": unknown[0]["description"].replace("LS-2026-999999", number)}]
    # … and all four count in every total.
    for lang in ("zh", "en"):
        board = bodies[f"/{lang}/boards/{BUILDING}"]
        assert re.search(r'id="stat-received">\s*4\s*<', board) and re.search(r'id="stat-in-progress">\s*4\s*<', board)
        assert re.search(r'id="screen-received">\s*4\s*<', bodies[f"/{lang}/boards/{BUILDING}/screen"])
    rows = list(csv.reader(io.StringIO(bodies["export.csv (en)"].lstrip("\ufeff"))))
    assert ["Requests received", "4"] in rows


def test_the_rule_is_one_and_the_same_in_sql_and_in_python(app, guide):
    """``publicly_listed()`` (SQL, every list) and ``is_publicly_listed`` (one loaded
    request, Open311's single GET) agree on every case."""
    from app.intake.queries import is_publicly_listed, publicly_listed
    from app.intake.services import submit_request
    from app.org.models import Building

    with app.app_context():
        tower = db.session.scalar(sa.select(Building).where(Building.slug == BUILDING))
        entries = {e.slug: e for e in db.session.scalars(sa.select(GuideEntry))}
        cases = {("food-licence", False): True, ("food-licence", True): False, ("labour-mediation", False): False,
                 ("labour-mediation", True): False, (None, False): False, (None, True): False}
        numbers = {}
        for i, (slug, unlisted) in enumerate(cases):
            filed = submit_request({"entry": entries.get(slug), "building": tower, "company_name": "某公司", "contact_name": "王",
                                    "phone": "13900001111", "description": "一个十个字以上的诉求描述。", "unlisted": unlisted},
                                   [], f"privacy-rule-case-{i:04d}-0000")
            numbers[filed.tracking_no] = cases[(slug, unlisted)]
        in_sql = set(db.session.scalars(sa.select(ServiceRequest.tracking_no).where(publicly_listed())))
        for req in db.session.scalars(sa.select(ServiceRequest)):
            assert is_publicly_listed(req) is numbers[req.tracking_no] is (req.tracking_no in in_sql), req.tracking_no
        db.session.remove()


# --- the request form ------------------------------------------------------------------


@pytest.mark.parametrize("lang, label, explained", [
    ("zh", "不公开展示", "只计入总数"),
    ("en", "Do not list publicly", "appears only in the totals"),
])
def test_the_form_offers_do_not_list_publicly_in_plain_words(client, guide, lang, label, explained):
    response = client.get(f"/{lang}/requests/new")
    html = response.get_data(as_text=True)
    assert re.search(r'<input[^>]*id="unlisted"[^>]*type="checkbox"|<input[^>]*type="checkbox"[^>]*id="unlisted"', html)
    assert 'aria-describedby="unlisted-hint"' in html
    text = text_of(response)
    assert label in text and explained in text
    assert f'href="/{lang}/privacy"' in html


@pytest.mark.parametrize("lang, phone_error", [("zh", "手机号"), ("en", "Enter a mobile number")])
def test_a_422_keeps_the_do_not_list_box_ticked(app, client, guide, lang, phone_error):
    response = client.post(f"/{lang}/requests/new", data=form_values(client, lang, phone="12", unlisted="y"))
    assert response.status_code == 422
    assert phone_error in text_of(response)
    assert re.search(r'<input[^>]*checked[^>]*id="unlisted"|<input[^>]*id="unlisted"[^>]*checked', response.get_data(as_text=True))
    # Unticked stays unticked.
    response = client.post(f"/{lang}/requests/new", data=form_values(client, lang, phone="12"))
    assert not re.search(r'<input[^>]*checked[^>]*id="unlisted"|<input[^>]*id="unlisted"[^>]*checked', response.get_data(as_text=True))


def test_the_box_is_stored_without_javascript(app, client, guide):
    """The plain form post (no htmx): the choice is kept with the request."""
    assert stored(app, file(client, unlisted="y")).unlisted is True
    assert stored(app, file(client)).unlisted is False


@pytest.mark.parametrize("lang, required", [("zh", "请填写企业名称。"), ("en", "Enter your company's name.")])
def test_company_name_is_optional_for_services_about_the_employee_personally(app, client, guide, lang, required):
    page = text_of(client.get(f"/{lang}/requests/new"))
    assert ("服务" if lang == "zh" else "about you personally") in page  # the hint under the field
    for service in ("labour-mediation", "lunch-room", "other"):  # sensitive, for employees, something else
        number = file(client, lang, service=service, company_name="")
        assert stored(app, number).company_name is None
    response = client.post(f"/{lang}/requests/new", data=form_values(client, lang, service="food-licence", company_name=""))
    assert response.status_code == 422
    assert required in text_of(response)
    # Given, it is still checked (at least 2 readable characters).
    response = client.post(f"/{lang}/requests/new", data=form_values(client, lang, service="lunch-room", company_name="x"))
    assert response.status_code == 422


def test_open311_company_is_optional_for_the_same_services(app, client, guide):
    from app.intake.services import create_api_key

    with app.app_context():
        key = create_api_key("privacy-test")
        db.session.commit()
        db.session.remove()
    base = "/api/open311/v2"
    attributes = {s: client.get(f"{base}/services/{s}.json").get_json()["attributes"] for s in ("labour-mediation", "food-licence")}
    assert [a["required"] for a in attributes["labour-mediation"] if a["code"] == "company_name"] == [False]
    assert [a["required"] for a in attributes["food-licence"] if a["code"] == "company_name"] == [True]
    data = {"api_key": key, "address_id": BUILDING, "description": "员工对加班费计算有异议，希望调解。", "phone": "13900001111"}
    assert client.post(f"{base}/requests.json", data=dict(data, service_code="labour-mediation")).status_code == 201
    assert client.post(f"{base}/requests.json", data=dict(data, service_code="food-licence")).status_code == 400


def test_open311_description_has_no_phone_or_e_mail_typed_into_it(app, client, guide):
    number = file(client, description="我们想开咖啡店，请打 139 0000 1111 或写信到 shop@example.com 联系我。")
    item = client.get(f"/api/open311/v2/requests/{number}.json").get_json()[0]
    assert item["description"] == "我们想开咖啡店，请打 *** 或写信到 *** 联系我。"


# --- the guide editor and the demo -----------------------------------------------------


def test_staff_mark_an_entry_sensitive_in_the_guide_editor_with_history_and_audit(app, client, guide):
    auth = Auth(client)
    assert auth.login("staff@example.com").status_code in (302, 303)  # market regulation: food-licence is theirs
    page = client.get("/zh/council/guide/food-licence/edit")
    html = page.get_data(as_text=True)
    assert "敏感" in text_of(page) and 'id="sensitive"' in html
    from tests.test_guide_manage import form_fields  # the editor tests' helper: every field as the page has it

    data = form_fields(html)
    data.update(sensitive="y", note="劳动纠纷相关", save="y")
    response = client.post("/zh/council/guide/food-licence/edit", data=data)
    assert response.status_code == 303, text_of(response)[:500]
    with app.app_context():
        entry = db.session.scalar(sa.select(GuideEntry).where(GuideEntry.slug == "food-licence"))
        assert entry.sensitive is True
        revision = db.session.scalars(sa.select(GuideRevision).where(GuideRevision.entry_id == entry.id).order_by(GuideRevision.version.desc())).first()
        assert revision.data["sensitive"] is True
        record = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "guide.update").order_by(AuditLog.id.desc())).first()
        assert record.before["sensitive"] is False and record.after["sensitive"] is True
        db.session.remove()
    assert 'checked' in re.search(r'<input[^>]*id="sensitive"[^>]*>', client.get("/zh/council/guide/food-licence/edit").get_data(as_text=True)).group(0)
    # From now on, its requests are counted, not listed.
    number = file(app.test_client())
    assert LISTED_NAME_ZH not in client.get(f"/zh/boards/{BUILDING}").get_data(as_text=True)
    assert client.get("/api/open311/v2/requests.json").get_json() == []
    assert client.get(f"/api/open311/v2/requests/{number}.json").status_code == 404


def test_the_demo_marks_sensitive_services(app, runner):
    assert runner.invoke(args=["seed-demo", "--password", "demo-password-1234"]).exit_code == 0
    with app.app_context():
        marked = set(db.session.scalars(sa.select(GuideEntry.slug).where(GuideEntry.sensitive.is_(True))))
        db.session.remove()
    assert {"labour-dispute-mediation", "legal-aid", "mental-health", "difficult-employee-aid"} <= marked
    assert "fitout-fire-inspection" not in marked
    client = app.test_client()
    # The demo's labour-dispute request (jiaxing-building) and counselling request (bocom-financial-tower) stay off the boards.
    for slug, name in (("jiaxing-building", "劳动争议调解"), ("bocom-financial-tower", "职工心理健康咨询")):
        board = client.get(f"/zh/boards/{slug}")
        assert board.status_code == 200 and name not in board.get_data(as_text=True)


# --- the privacy notice -------------------------------------------------------------------


@pytest.mark.parametrize("lang, says", [
    ("zh", ("不公开展示", "劳动争议调解", "只计入总数", "需求清单", "Open311", "服务、阶段和提交日期")),
    ("en", ("Do not list publicly", "labour dispute", "only count in the totals", "needs list", "Open311", "the service, the stage and the date")),
])
def test_the_privacy_notice_says_exactly_what_is_public(app, client, lang, says):
    response = client.get(f"/{lang}/privacy")
    assert response.status_code == 200
    text = text_of(response)
    for phrase in says:
        assert phrase in text, phrase
    assert str(app.config["RETENTION_DAYS"]) in text
    assert f'href="/{lang}/privacy"' in client.get(f"/{lang}/").get_data(as_text=True)  # linked from every page's footer


def test_open311_description_is_empty_for_a_request_that_may_not_be_listed(app, client, guide):
    """Item 12: ``description`` holds the requester's text only when the request is public."""
    from app.api.open311 import request_json

    listed, opted_out = file(client), file(client, unlisted="y")
    with app.test_request_context("/api/open311/v2/requests.json"):
        reqs = {r.tracking_no: r for r in db.session.scalars(sa.select(ServiceRequest))}
        assert request_json(reqs[listed], "zh")["description"] == LISTED_TEXT
        hidden = request_json(reqs[opted_out], "zh")
        assert (hidden["description"], hidden["service_name"], hidden["service_code"]) == ("", "", "")
        db.session.remove()
