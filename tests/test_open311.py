"""Open311 GeoReport v2 (/api/open311/v2/…) and the OpenAPI document (/api/openapi.json).

Field lists are those of the GeoReport v2 specification (wiki.open311.org/GeoReport_v2)."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jsonschema
import pytest
import sqlalchemy as sa

from app.extensions import db
from app.intake.models import ApiKey, ServiceRequest
from tests.guide_fixtures import make_entries

BASE = "/api/open311/v2"
SHANGHAI = timezone(timedelta(hours=8))
TRACKING = re.compile(r"^LS-\d{4}-\d{6}$")

# GET Service List: the response fields of the spec.
SPEC_SERVICE_FIELDS = {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
# GET Service Definition: an attribute's fields (``values`` for list datatypes).
SPEC_ATTRIBUTE_FIELDS = {"variable", "code", "datatype", "required", "datatype_description", "order", "description"}
# GET Service Requests / GET Service Request.
SPEC_REQUEST_FIELDS = {
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description", "agency_responsible",
    "service_notice", "requested_datetime", "updated_datetime", "expected_datetime", "address", "address_id", "zipcode",
    "lat", "long", "media_url",
}
# POST Service Request: the response (we return the id and the token both).
SPEC_CREATED_FIELDS = {"service_request_id", "service_notice", "account_id", "token"}

# Personal data of the requester: none of it may come out of a public read.
COMPANY = "欧阳数据科技上海有限公司"
FIRST_NAME, LAST_NAME = "晓明", "欧阳"
PHONE_TYPED, PHONE = "138 0013 5678", "13800135678"
DESCRIPTION = "我们的紫藤计划需要为两名应届生办理落户，请联系我。"  # Chinese punctuation is kept
EMAIL = "ouyang.xiaoming@example.com"


# --- fixtures and helpers ---------------------------------------------------------


@pytest.fixture
def guide(app, demo):
    return make_entries(app, extra=[{
        "slug": "paused-service", "department": "union", "category": "union", "status": "suspended",
        "title_zh": "暂停的服务", "title_en": "A paused service", "summary_zh": "暂停", "summary_en": "Paused",
    }])


@pytest.fixture
def api_key(app, guide):
    from app.intake.services import create_api_key

    with app.app_context():
        key = create_api_key("test-client")
        db.session.commit()
        db.session.remove()
    return key


def form(key: str | None, **changes) -> dict:
    data = {
        "api_key": key, "service_code": "hukou", "address_id": "shanghai-tower", "description": DESCRIPTION,
        "attribute[company_name]": COMPANY, "first_name": FIRST_NAME, "last_name": LAST_NAME, "phone": PHONE_TYPED,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def file_request(client, key: str, **changes) -> dict:
    response = client.post(f"{BASE}/requests.json", data=form(key, **changes))
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()[0]


def request_count(app) -> int:
    with app.app_context():
        try:
            return db.session.scalar(sa.select(sa.func.count(ServiceRequest.id)))
        finally:
            db.session.remove()


def update_request(app, tracking_no: str, **values) -> None:
    with app.app_context():
        db.session.execute(sa.update(ServiceRequest).where(ServiceRequest.tracking_no == tracking_no).values(**values))
        db.session.commit()
        db.session.remove()


def ids(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [r["service_request_id"] for r in response.get_json()]


def assert_spec_error(response, status: int, *fragments: str) -> None:
    """The spec's error format: a list of {code, description}, with the HTTP status."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/json; charset=utf-8"
    body = response.get_json()
    assert isinstance(body, list) and body
    for error in body:
        assert set(error) == {"code", "description"}
        assert error["code"] == status
        assert isinstance(error["description"], str) and error["description"]
    text = " ".join(error["description"] for error in body)
    for fragment in fragments:
        assert fragment in text


def department_names(app, code: str) -> tuple[str, str]:
    from app.org.models import Department

    with app.app_context():
        dept = db.session.scalar(sa.select(Department).where(Department.code == code))
        try:
            return dept.name_zh, dept.name_en
        finally:
            db.session.remove()


def building_texts(app, slug: str) -> dict:
    from app.org.models import Building

    with app.app_context():
        b = db.session.scalar(sa.select(Building).where(Building.slug == slug))
        try:
            return {"name_zh": b.name_zh, "name_en": b.name_en, "address_zh": b.address_zh, "address_en": b.address_en}
        finally:
            db.session.remove()


# --- services ----------------------------------------------------------------------


def test_services_list_has_the_spec_fields_in_both_languages(client, guide):
    response = client.get(f"{BASE}/services.json")
    assert response.status_code == 200
    assert response.content_type == "application/json; charset=utf-8"
    services = response.get_json()
    assert {s["service_code"] for s in services} == {"hukou", "fire-check", "tax-setup", "parking-pass", "body-mention", "food-licence", "other"}
    for service in services:
        assert set(service) == SPEC_SERVICE_FIELDS
        assert service["metadata"] is True and service["type"] == "realtime" and service["keywords"] == ""
    by_code = {s["service_code"]: s for s in services}
    assert by_code["hukou"]["service_name"] == "非上海生源应届毕业生落户申请"
    assert by_code["hukou"]["description"] == "应届毕业生办理人才引进落户。"
    assert by_code["hukou"]["group"] == "人才与落户"
    assert by_code["other"]["service_name"] == "其他诉求"
    assert services[-1]["service_code"] == "other"

    english = {s["service_code"]: s for s in client.get(f"{BASE}/services.json?lang=en").get_json()}
    assert english["hukou"]["service_name"] == "Hukou for non-Shanghai graduates"
    assert english["hukou"]["description"] == "Household registration for graduates hired in Shanghai."
    assert english["hukou"]["group"] == "Talent and hukou"
    assert english["other"]["service_name"] == "Something else"
    assert "paused-service" not in english  # suspended entries are not offered


def test_service_definition(client, guide, app):
    response = client.get(f"{BASE}/services/hukou.json?lang=en")
    assert response.status_code == 200
    definition = response.get_json()
    assert set(definition) == {"service_code", "attributes"}
    assert definition["service_code"] == "hukou"
    attributes = definition["attributes"]
    assert [a["code"] for a in attributes] == ["building", "company_name", "reply_lang"]
    assert [a["order"] for a in attributes] == [1, 2, 3]
    building, company, reply_lang = attributes
    for attribute in attributes:
        assert SPEC_ATTRIBUTE_FIELDS <= set(attribute) <= SPEC_ATTRIBUTE_FIELDS | {"values"}
        assert attribute["variable"] is True
    assert (building["datatype"], building["required"]) == ("singlevaluelist", True)
    assert (company["datatype"], company["required"]) == ("string", True)
    assert (reply_lang["datatype"], reply_lang["required"]) == ("singlevaluelist", False)
    assert {"key": "shanghai-tower", "name": building_texts(app, "shanghai-tower")["name_en"]} in building["values"]
    assert len(building["values"]) == len({v["key"] for v in building["values"]}) >= 10
    assert reply_lang["values"] == [{"key": "zh", "name": "中文"}, {"key": "en", "name": "English"}]
    assert building["description"] == "Your building"

    chinese = client.get(f"{BASE}/services/other.json").get_json()
    assert chinese["service_code"] == "other"
    assert {"key": "shanghai-tower", "name": "上海中心大厦"} in chinese["attributes"][0]["values"]
    assert chinese["attributes"][0]["description"] == "所在楼宇"


def test_unknown_or_suspended_service_definition_is_a_spec_404(client, guide):
    assert_spec_error(client.get(f"{BASE}/services/no-such-thing.json"), 404, "service_code not found")
    assert_spec_error(client.get(f"{BASE}/services/paused-service.json"), 404, "service_code not found")


# --- filing --------------------------------------------------------------------------


def test_post_with_a_valid_key_files_a_request(client, api_key, app):
    from app.intake.services import access_code_for

    before = request_count(app)
    response = client.post(f"{BASE}/requests.json", data=form(api_key, **{"attribute[reply_lang]": "en"}))
    assert response.status_code == 201, response.get_data(as_text=True)
    assert request_count(app) == before + 1
    body = response.get_json()
    assert isinstance(body, list) and len(body) == 1
    created = body[0]
    assert set(created) == SPEC_CREATED_FIELDS
    assert TRACKING.match(created["service_request_id"])
    assert created["account_id"] is None
    assert response.headers["Location"].endswith(f"{BASE}/requests/{created['service_request_id']}.json")
    dept_zh, dept_en = department_names(app, "talent")
    assert dept_en in created["service_notice"]  # in the reply language

    with app.app_context():
        req = db.session.scalar(sa.select(ServiceRequest).where(ServiceRequest.tracking_no == created["service_request_id"]))
        assert req.source == "open311"
        assert req.entry.slug == "hukou" and req.building.slug == "shanghai-tower"
        assert req.department.code == "talent"
        assert req.company_name == COMPANY
        assert req.contact_name == "欧阳晓明"  # family name first
        assert req.phone == PHONE
        assert req.email is None
        assert req.description == DESCRIPTION
        assert req.reply_lang == "en"
        assert req.stage == "received"
        assert created["token"] == req.public_token and created["token"] != req.submission_key
        code = access_code_for(req.submission_key)
        assert req.due_on.isoformat() in created["service_notice"]
        db.session.remove()
    assert code not in response.get_data(as_text=True)  # the access code never leaves through the API
    assert code.replace("-", "") not in response.get_data(as_text=True)


def test_the_api_texts_come_from_the_catalogues_in_the_asked_language(client, api_key, app):
    """The notice of a filing and the "other" service, word for word in zh and en (the
    catalogues' entries, whatever the request's own locale)."""
    dept_zh, dept_en = department_names(app, "talent")
    for lang, dept, notice in (("zh", dept_zh, "诉求已受理，由{}牵头办理，承诺于 {} 前答复。"),
                               ("en", dept_en, "Received. {} leads on it and promises an answer by {}.")):
        created = file_request(client, api_key, **{"attribute[reply_lang]": lang})
        with app.app_context():
            due = db.session.scalar(sa.select(ServiceRequest.due_on).where(ServiceRequest.tracking_no == created["service_request_id"]))
            db.session.remove()
        assert created["service_notice"] == notice.format(dept, due.isoformat())
    other = {lang: next(s for s in client.get(f"{BASE}/services.json?lang={lang}").get_json() if s["service_code"] == "other")
             for lang in ("zh", "en")}
    assert (other["zh"]["service_name"], other["zh"]["group"]) == ("其他诉求", "其他")
    assert other["zh"]["description"] == "服务指南中没有的诉求：楼事会接收后分派给负责的部门。"
    assert (other["en"]["service_name"], other["en"]["group"]) == ("Something else", "Other")
    definition = client.get(f"{BASE}/services/hukou.json?lang=zh").get_json()
    texts = {a["code"]: (a["description"], a["datatype_description"]) for a in definition["attributes"]}
    assert texts["company_name"] == ("企业名称", "2 至 120 个字符。不会公开。")
    assert texts["reply_lang"] == ("答复语言", "默认中文。")


def test_post_with_attribute_building_and_other_service(client, api_key, app):
    created = file_request(client, api_key, service_code="other", address_id=None, **{"attribute[building]": "jin-mao-tower"})
    with app.app_context():
        req = db.session.scalar(sa.select(ServiceRequest).where(ServiceRequest.tracking_no == created["service_request_id"]))
        assert (req.entry_id, req.building.slug, req.department_id) == (None, "jin-mao-tower", None)  # the council takes it
        db.session.remove()
    # "Something else" is never listed publicly: its GET is a 404 as an unknown id (tests/test_privacy_security.py).
    assert client.get(f"{BASE}/requests/{created['service_request_id']}.json?lang=en").status_code == 404


def test_public_reads_have_no_personal_data(client, api_key, app):
    created = file_request(client, api_key, email=None)
    tracking_no = created["service_request_id"]
    dept_zh, dept_en = department_names(app, "talent")
    building = building_texts(app, "shanghai-tower")

    response = client.get(f"{BASE}/requests.json")
    assert response.status_code == 200
    listing = response.get_json()
    assert [r["service_request_id"] for r in listing] == [tracking_no]
    item = listing[0]
    assert set(item) == SPEC_REQUEST_FIELDS
    assert item["status"] == "open"
    assert item["agency_responsible"] == dept_zh
    assert item["service_code"] == "hukou"
    assert item["service_name"] == "非上海生源应届毕业生落户申请"
    assert item["description"] == DESCRIPTION  # listable: the requester's own text (item 12 of issue 16)
    assert item["address_id"] == "shanghai-tower"
    assert item["address"] == f"{building['name_zh']}（{building['address_zh']}）"
    assert item["service_notice"] == ""
    assert item["zipcode"] is None and item["lat"] is None and item["long"] is None and item["media_url"] is None

    english = client.get(f"{BASE}/requests.json?lang=en").get_json()[0]
    assert english["agency_responsible"] == dept_en
    assert english["status_notes"] == "Received"
    assert english["address"] == f"{building['name_en']}, {building['address_en']}"

    bodies = [
        response.get_data(as_text=True),
        client.get(f"{BASE}/requests.json?lang=en").get_data(as_text=True),
        client.get(f"{BASE}/requests/{tracking_no}.json").get_data(as_text=True),
        client.get(f"{BASE}/tokens/{created['token']}.json").get_data(as_text=True),
    ]
    for body in bodies:
        # Also after decoding escapes, in case a \uXXXX would hide a Chinese string.
        for text in (body, json.dumps(json.loads(body), ensure_ascii=False)):
            for personal in (COMPANY, "欧阳", FIRST_NAME, PHONE, PHONE_TYPED, "138****5678"):
                assert personal not in text


def test_an_email_is_kept_for_the_department_and_the_requester_is_mailed(client, api_key, app):
    from app.core.mail import OutboxMail, produce_pending

    created = file_request(client, api_key, phone=None, email=EMAIL)
    tracking_no = created["service_request_id"]
    with app.app_context():
        req = db.session.scalar(sa.select(ServiceRequest).where(ServiceRequest.tracking_no == tracking_no))
        assert (req.email, req.phone) == (EMAIL, None)
        assert produce_pending() == 0  # the filing queued the new request's mails itself
        mails = db.session.scalars(sa.select(OutboxMail).where(OutboxMail.to_addr == EMAIL)).all()
        assert len(mails) == 1 and tracking_no in mails[0].subject
        db.session.remove()
    for url in (f"{BASE}/requests.json", f"{BASE}/requests/{tracking_no}.json", f"{BASE}/tokens/{created['token']}.json"):
        body = client.get(url).get_data(as_text=True)
        assert tracking_no in body
        assert EMAIL not in body and "ouyang" not in body


def test_datetimes_are_iso_8601_with_the_shanghai_offset(client, api_key, app):
    created = file_request(client, api_key)
    item = client.get(f"{BASE}/requests/{created['service_request_id']}.json").get_json()[0]
    with app.app_context():
        req = db.session.scalar(sa.select(ServiceRequest).where(ServiceRequest.tracking_no == created["service_request_id"]))
        created_at = req.created_at if req.created_at.tzinfo else req.created_at.replace(tzinfo=timezone.utc)
        due_on = req.due_on
        db.session.remove()
    for field in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert item[field].endswith("+08:00"), field
    assert abs(datetime.fromisoformat(item["requested_datetime"]) - created_at) < timedelta(seconds=1)
    assert item["expected_datetime"] == f"{due_on.isoformat()}T18:00:00+08:00"
    assert datetime.fromisoformat(item["expected_datetime"]) > datetime.fromisoformat(item["requested_datetime"])


def test_closed_and_merged_requests(client, api_key, app):
    first = file_request(client, api_key)["service_request_id"]
    second = file_request(client, api_key)["service_request_id"]
    now = datetime.now(timezone.utc)
    with app.app_context():
        original_id = db.session.scalar(sa.select(ServiceRequest.id).where(ServiceRequest.tracking_no == first))
        db.session.remove()
    update_request(app, second, stage="closed", closed_at=now, duplicate_of_id=original_id)

    item = client.get(f"{BASE}/requests/{second}.json").get_json()[0]
    assert item["status"] == "closed"
    assert item["status_notes"].endswith(f"已并入 {first}")
    english = client.get(f"{BASE}/requests/{second}.json?lang=en").get_json()[0]
    assert english["status_notes"] == f"Closed; merged into {first}"
    assert abs(datetime.fromisoformat(english["updated_datetime"]) - now) < timedelta(seconds=1)
    assert client.get(f"{BASE}/requests/{first}.json").get_json()[0]["status"] == "open"


def test_token_lookup(client, api_key, app):
    created = file_request(client, api_key)
    response = client.get(f"{BASE}/tokens/{created['token']}.json")
    assert response.status_code == 200
    assert response.get_json() == [{"service_request_id": created["service_request_id"], "token": created["token"]}]
    assert_spec_error(client.get(f"{BASE}/tokens/not-a-token.json"), 404, "token not found")

    # A request filed on the website has a form token too, but it is not an API token.
    from app.intake.services import new_submission_key, submit_request
    from app.org.models import Building

    with app.app_context():
        building = db.session.scalar(sa.select(Building).where(Building.slug == "ifc"))
        web_key = new_submission_key()
        submit_request({"entry": None, "building": building, "company_name": "网页公司", "contact_name": "王", "phone": "13900001111",
                        "description": "来自网页表单的诉求，共十个字以上。"}, [], web_key)
        db.session.remove()
    assert_spec_error(client.get(f"{BASE}/tokens/{web_key}.json"), 404, "token not found")


# --- reading with filters ---------------------------------------------------------------


def test_request_filters(client, api_key, app):
    hukou = file_request(client, api_key)["service_request_id"]
    # (not "other": a "something else" request is never listed, see tests/test_privacy_security.py)
    other = file_request(client, api_key, service_code="fire-check")["service_request_id"]
    update_request(app, other, stage="resolved", resolved_at=datetime.now(timezone.utc))

    assert ids(client.get(f"{BASE}/requests.json")) == [other, hukou]  # newest first
    assert ids(client.get(f"{BASE}/requests.json?status=open")) == [hukou]
    assert ids(client.get(f"{BASE}/requests.json?status=closed")) == [other]
    assert ids(client.get(f"{BASE}/requests.json?status=open,closed")) == [other, hukou]
    assert ids(client.get(f"{BASE}/requests.json?service_code=hukou")) == [hukou]
    assert ids(client.get(f"{BASE}/requests.json?service_code=fire-check")) == [other]
    assert ids(client.get(f"{BASE}/requests.json?service_code=other")) == []
    assert ids(client.get(f"{BASE}/requests.json?service_code=hukou,fire-check")) == [other, hukou]
    assert ids(client.get(f"{BASE}/requests.json?service_request_id={hukou}")) == [hukou]
    # service_request_id overrides every other argument
    assert ids(client.get(f"{BASE}/requests.json?service_request_id={hukou},{other}&status=closed")) == [other, hukou]

    now = datetime.now(timezone.utc)
    q = lambda start, end: client.get(f"{BASE}/requests.json", query_string={"start_date": start.isoformat(), "end_date": end.isoformat()})  # noqa: E731
    assert ids(q(now - timedelta(days=1), now + timedelta(minutes=1))) == [other, hukou]
    assert ids(q(now + timedelta(hours=1), now + timedelta(days=2))) == []
    assert ids(q(now - timedelta(days=3), now - timedelta(days=1))) == []
    # The w3 form with Z and the Shanghai offset both work, and mean the same instant.
    start_z = (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    start_sh = (now - timedelta(hours=1)).astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M:%S+08:00")
    assert ids(client.get(f"{BASE}/requests.json", query_string={"start_date": start_z})) == [other, hukou]
    assert ids(client.get(f"{BASE}/requests.json", query_string={"start_date": start_sh})) == [other, hukou]


def test_default_window_is_the_last_90_days(client, api_key, app):
    old = file_request(client, api_key)["service_request_id"]
    new = file_request(client, api_key)["service_request_id"]
    update_request(app, old, created_at=datetime.now(timezone.utc) - timedelta(days=100))
    assert ids(client.get(f"{BASE}/requests.json")) == [new]
    assert ids(client.get(f"{BASE}/requests.json?service_request_id={old}")) == [old]
    start = (datetime.now(timezone.utc) - timedelta(days=101)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids(client.get(f"{BASE}/requests.json", query_string={"start_date": start})) == [old]


BAD_FILTERS = [
    ({"start_date": "yesterday"}, "start_date must be an ISO 8601"),
    ({"end_date": "2026-13-45T00:00:00Z"}, "end_date must be an ISO 8601"),
    ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, "more than 90 days"),
    ({"start_date": "2026-06-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, "end_date is before start_date"),
    ({"status": "pending"}, "status must be open or closed"),
]


def test_bad_filters_are_spec_400s(client, guide):
    for query, fragment in BAD_FILTERS:
        assert_spec_error(client.get(f"{BASE}/requests.json", query_string=query), 400, fragment)
    exactly_90_days = {"start_date": "2026-01-01T00:00:00+08:00", "end_date": "2026-04-01T00:00:00+08:00"}
    assert client.get(f"{BASE}/requests.json", query_string=exactly_90_days).status_code == 200


def test_unknown_request_id_is_a_spec_404(client, guide):
    assert_spec_error(client.get(f"{BASE}/requests/LS-2026-999999.json"), 404, "service_request_id not found")


# --- errors --------------------------------------------------------------------------


def test_wrong_missing_or_inactive_key_is_a_spec_403(client, api_key, app):
    before = request_count(app)
    assert_spec_error(client.post(f"{BASE}/requests.json", data=form("ls_not-a-real-key")), 403, "api_key")
    assert_spec_error(client.post(f"{BASE}/requests.json", data=form(None)), 403, "api_key")
    assert_spec_error(client.post(f"{BASE}/requests.json", data=form("")), 403, "api_key")
    with app.app_context():
        db.session.execute(sa.update(ApiKey).values(active=False))
        db.session.commit()
        db.session.remove()
    assert_spec_error(client.post(f"{BASE}/requests.json", data=form(api_key)), 403, "api_key")
    assert request_count(app) == before


def test_unknown_or_missing_service_code(client, api_key, app):
    assert_spec_error(client.post(f"{BASE}/requests.json", data=form(api_key, service_code="no-such-service")), 404, "service_code not found")
    assert_spec_error(client.post(f"{BASE}/requests.json", data=form(api_key, service_code="paused-service")), 404, "service_code not found")
    assert_spec_error(client.post(f"{BASE}/requests.json", data=form(api_key, service_code=None)), 400, "service_code was not provided")
    assert request_count(app) == 0


INVALID_POSTS = [
    ({"description": None}, "description is required"),
    ({"description": "太短了"}, "description is required"),
    ({"description": "很长" * 1001}, "description is too long"),
    ({"address_id": None}, "location not provided"),
    ({"address_id": None, "lat": "31.2336", "long": "121.5055"}, "location not provided"),
    ({"address_id": None, "address_string": "银城中路 999 号"}, "address_string is not a known building"),
    ({"address_id": "no-such-building"}, "not a known building"),
    ({"attribute[building]": "jin-mao-tower"}, "different buildings"),
    ({"phone": "12345"}, "phone is not a valid number"),
    ({"phone": "138-0013-567"}, "phone is not a valid number"),
    ({"email": "not-an-email"}, "email is not a valid"),
    ({"phone": None}, "phone or email is required"),
    ({"attribute[company_name]": None}, "attribute[company_name] is required"),
    ({"attribute[reply_lang]": "fr"}, "attribute[reply_lang] must be zh or en"),
]


def test_invalid_posts_are_spec_400s(client, api_key, app):
    for changes, fragment in INVALID_POSTS:
        response = client.post(f"{BASE}/requests.json", data=form(api_key, **changes))
        assert response.status_code == 400, (changes, response.get_data(as_text=True))
        assert_spec_error(response, 400, fragment)
    assert request_count(app) == 0


def test_several_problems_are_reported_together(client, api_key, app):
    response = client.post(f"{BASE}/requests.json", data=form(api_key, description="短", phone="123", **{"attribute[company_name]": ""}))
    assert_spec_error(response, 400, "description is required", "phone is not a valid number", "attribute[company_name] is required")
    assert len(response.get_json()) == 3


def test_formats_other_than_json_and_xml_are_refused(client, api_key, app):
    for method, path in [
        ("get", "/services.csv"), ("get", "/services/hukou.yaml"), ("get", "/requests.html"), ("post", "/requests.csv"),
        ("get", "/requests/LS-2026-000001.txt"), ("get", "/tokens/abc.XML"), ("get", "/discovery.rss"),
    ]:
        data = form(api_key) if method == "post" else None
        response = getattr(client, method)(f"{BASE}{path}", data=data)
        assert response.status_code == 400, path
        assert_spec_error(response, 400, "format not supported")
    assert request_count(app) == 0


def test_jurisdiction_id(client, api_key, app):
    assert client.get(f"{BASE}/services.json?jurisdiction_id=loushi.example").status_code == 200
    assert client.get(f"{BASE}/requests.json?jurisdiction_id=").status_code == 200  # empty = not given
    assert_spec_error(client.get(f"{BASE}/services.json?jurisdiction_id=sfgov.org"), 404, "jurisdiction_id not found")
    assert_spec_error(client.get(f"{BASE}/requests.json?jurisdiction_id=sfgov.org"), 404, "jurisdiction_id not found")
    assert_spec_error(client.post(f"{BASE}/requests.json", data=form(api_key, jurisdiction_id="sfgov.org")), 404, "jurisdiction_id not found")
    assert request_count(app) == 0
    assert client.post(f"{BASE}/requests.json", data=form(api_key, jurisdiction_id="loushi.example")).status_code == 201


def test_routing_errors_under_the_api_use_the_spec_format_and_nowhere_else(client, guide):
    assert_spec_error(client.get(f"{BASE}/no-such-resource"), 404)
    assert_spec_error(client.get("/api/open311/v3/services.json"), 404)
    response = client.delete(f"{BASE}/requests.json")
    assert_spec_error(response, 405)
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    # Other URLs keep the app's own error pages.
    hsds = client.get("/api/hsds/no-such-resource")
    assert hsds.status_code == 404 and isinstance(hsds.get_json(), dict) and hsds.get_json()["code"] == 404
    page = client.get("/zh/no-such-page")
    assert page.status_code == 404 and page.content_type.startswith("text/html")


def test_a_failure_on_our_side_is_a_general_service_error(client, api_key, app, monkeypatch, caplog):
    import app.api.open311 as open311

    def broken(*args, **kwargs):
        raise RuntimeError("the database fell over")

    monkeypatch.setattr(open311, "submit_request", broken)
    with caplog.at_level("ERROR", logger="loushi.errors"):
        response = client.post(f"{BASE}/requests.json", data=form(api_key))
    assert_spec_error(response, 400, "General service error (incident ")
    incident = re.search(r"incident ([0-9a-f]{12})", response.get_json()[0]["description"]).group(1)
    assert any(incident in record.getMessage() for record in caplog.records)  # logged for us to find
    assert "fell over" not in response.get_data(as_text=True)  # no internals leak
    assert request_count(app) == 0


def test_posts_are_rate_limited_in_the_spec_format(app, client, guide):
    previous = app.config.get("RATELIMIT_ENABLED", True)
    app.config["RATELIMIT_ENABLED"] = True  # whatever an earlier test left behind
    try:
        statuses = [client.post(f"{BASE}/requests.json", data={"api_key": "wrong"}).status_code for _ in range(30)]
        limited = client.post(f"{BASE}/requests.json", data={"api_key": "wrong"})
        read = client.get(f"{BASE}/services.json")
    finally:
        app.config["RATELIMIT_ENABLED"] = previous
    assert statuses == [403] * 30
    assert_spec_error(limited, 429, "Too many requests")
    assert limited.headers["Retry-After"]
    assert read.status_code == 200  # reads have their own limit


def test_no_csrf_token_is_needed_and_the_response_is_cors_readable(client, api_key):
    response = client.post(f"{BASE}/requests.json", data=form(api_key))  # no csrf_token field
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    listing = client.get(f"{BASE}/requests.json")
    assert listing.headers["Access-Control-Allow-Origin"] == "*"


# --- command line -------------------------------------------------------------------


def test_create_api_key_command(app, client, guide):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-api-key", "crm-12345"])
    assert result.exit_code == 0, result.output
    match = re.search(r"(ls_[A-Za-z0-9_-]{20,})", result.output)
    assert match, result.output
    key = match.group(1)
    assert "only its SHA-256 hash is stored" in result.output
    with app.app_context():
        row = db.session.scalar(sa.select(ApiKey).where(ApiKey.name == "crm-12345"))
        assert row is not None and row.active
        assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
        assert key not in (row.name, row.key_hash)
        db.session.remove()

    again = runner.invoke(args=["create-api-key", "crm-12345"])
    assert again.exit_code == 1
    assert "already exists" in again.output
    assert key not in again.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ApiKey.id))) == 1
        db.session.remove()

    # The printed key works.
    created = file_request(client, key)
    assert TRACKING.match(created["service_request_id"])
    with app.app_context():
        assert db.session.scalar(sa.select(ApiKey.last_used_at).where(ApiKey.name == "crm-12345")) is not None
        db.session.remove()


# --- the OpenAPI document -------------------------------------------------------------

OAS_SCHEMA = Path(__file__).parent / "data" / "open311" / "openapi-3.1-schema-2022-10-07.json"


@pytest.fixture
def api_client(app, tmp_path):
    """A client for /api/openapi.json: the session app's when create_app registers the
    blueprint, else a fresh app that registers it (a used app cannot take blueprints)."""
    if "openapi.document" in app.view_functions:
        return app.test_client()
    from app import create_app
    from app.api.open311 import openapi_bp
    from app.config import TestingConfig

    fresh = create_app(TestingConfig(instance_path=tmp_path))
    if "openapi.document" not in fresh.view_functions:
        fresh.register_blueprint(openapi_bp)
    return fresh.test_client()


def _documented_path(rule) -> str:
    path = re.sub(r"\.<fmt>$", ".json", rule.rule)
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", path)


def test_openapi_document_lists_every_route_and_validates(app, api_client):
    response = api_client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.content_type == "application/json; charset=utf-8"
    doc = json.loads(response.get_data(as_text=True))
    assert doc["openapi"].startswith("3.1")

    # Every route of the Open311 and HSDS blueprints, with every method, is documented.
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in ("open311", "hsds"):
            continue
        path = _documented_path(rule)
        assert path in doc["paths"], path
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in doc["paths"][path], (path, method)
    open311_paths = {p for p in doc["paths"] if p.startswith(BASE)}
    json_paths = {
        f"{BASE}/services.json", f"{BASE}/services/{{service_code}}.json", f"{BASE}/requests.json",
        f"{BASE}/requests/{{service_request_id}}.json", f"{BASE}/tokens/{{token}}.json", f"{BASE}/discovery.json",
    }
    assert open311_paths == json_paths | {path.removesuffix(".json") + ".xml" for path in json_paths}
    post = doc["paths"][f"{BASE}/requests.json"]["post"]
    assert list(post["requestBody"]["content"]) == ["application/x-www-form-urlencoded"]
    assert set(post["responses"]) >= {"201", "400", "403", "404"}
    assert set(doc["components"]["schemas"]["Service"]["required"]) == SPEC_SERVICE_FIELDS
    assert set(doc["components"]["schemas"]["ServiceRequest"]["required"]) == SPEC_REQUEST_FIELDS
    assert doc["components"]["schemas"]["Error"]["required"] == ["code", "description"]

    # Valid OpenAPI 3.1 (the official schema, 2022-10-07).
    validator = jsonschema.Draft202012Validator(json.loads(OAS_SCHEMA.read_text(encoding="utf-8")))
    assert not [e.message for e in validator.iter_errors(doc)]
    broken = dict(doc, paths={f"{BASE}/x.json": {"get": {"parameters": [{"name": "x", "in": "path", "schema": {}}], "responses": {}}}})
    assert list(validator.iter_errors(broken))  # the validator does catch mistakes


def _component_validator(doc: dict, name: str):
    checker = jsonschema.FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def _datetime(value):
        return not isinstance(value, str) or bool(datetime.fromisoformat(value).tzinfo)

    schema = {"$ref": f"#/components/schemas/{name}", "components": doc["components"]}
    return jsonschema.Draft202012Validator(schema, format_checker=checker)


def test_responses_match_the_openapi_schemas(client, api_client, api_key):
    doc = api_client.get("/api/openapi.json").get_json()
    created = client.post(f"{BASE}/requests.json", data=form(api_key)).get_json()
    assert not list(_component_validator(doc, "ServiceRequestCreated").iter_errors(created[0]))
    requests_ = client.get(f"{BASE}/requests.json").get_json()
    services = client.get(f"{BASE}/services.json").get_json()
    definition = client.get(f"{BASE}/services/hukou.json").get_json()
    error = client.get(f"{BASE}/requests/LS-2000-000000.json").get_json()
    for name, instances in (("ServiceRequest", requests_), ("Service", services), ("ServiceDefinition", [definition]), ("Errors", [error])):
        validator = _component_validator(doc, name)
        assert instances
        for instance in instances:
            assert not [e.message for e in validator.iter_errors(instance)], name
    bad = dict(requests_[0], status="pending")
    assert list(_component_validator(doc, "ServiceRequest").iter_errors(bad))


# --- XML (the spec's .xml format) ----------------------------------------------------------

from xml.etree import ElementTree as ET  # noqa: E402  (the tests parse what the API writes)


def xml_of(response, root: str) -> ET.Element:
    """The parsed document, after checking its content type, declaration and root."""
    assert response.content_type == "text/xml; charset=utf-8", response.get_data(as_text=True)
    body = response.get_data()
    assert body.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    document = ET.fromstring(body)  # noqa: S314 (our own answer, in a test)
    assert document.tag == root
    return document


def fields(element: ET.Element) -> dict:
    """The children of a flat element as {tag: text}, "" for an empty element."""
    return {child.tag: child.text or "" for child in element}


def assert_xml_error(response, status: int, *fragments: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    errors = xml_of(response, "errors")
    assert len(errors) >= 1 and all(e.tag == "error" for e in errors)
    for error in errors:
        assert list(fields(error)) == ["code", "description"]
        assert fields(error)["code"] == str(status)
    text = " ".join(fields(e)["description"] for e in errors)
    for fragment in fragments:
        assert fragment in text


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def test_services_and_definition_in_xml_match_the_json_field_by_field(client, guide, app):
    for lang in ("zh", "en"):
        as_json = client.get(f"{BASE}/services.json?lang={lang}").get_json()
        services = xml_of(client.get(f"{BASE}/services.xml?lang={lang}"), "services")
        assert [s.tag for s in services] == ["service"] * len(as_json)
        for element, expected in zip(services, as_json):
            assert [c.tag for c in element][:3] == ["service_code", "service_name", "description"]  # the spec's order
            assert fields(element) == {k: _as_text(v) for k, v in expected.items()}
    hukou = fields(xml_of(client.get(f"{BASE}/services.xml"), "services")[0])
    assert set(hukou) == SPEC_SERVICE_FIELDS and hukou["metadata"] == "true" and hukou["type"] == "realtime"

    definition = xml_of(client.get(f"{BASE}/services/hukou.xml?lang=en"), "service_definition")
    assert [c.tag for c in definition] == ["service_code", "attributes"]
    assert definition.findtext("service_code") == "hukou"
    attributes = definition.find("attributes")
    assert [a.tag for a in attributes] == ["attribute"] * 3
    building = attributes[0]
    assert SPEC_ATTRIBUTE_FIELDS <= {c.tag for c in building}
    assert (building.findtext("code"), building.findtext("datatype"), building.findtext("required")) == ("building", "singlevaluelist", "true")
    assert building.findtext("order") == "1" and building.findtext("variable") == "true"
    values = {v.findtext("key"): v.findtext("name") for v in building.find("values")}
    assert values["shanghai-tower"] == building_texts(app, "shanghai-tower")["name_en"]
    reply_lang = attributes[2]
    assert [fields(v) for v in reply_lang.find("values")] == [{"key": "zh", "name": "中文"}, {"key": "en", "name": "English"}]
    assert reply_lang.findtext("required") == "false"


def test_post_requests_xml_and_read_it_back_in_xml(client, api_key, app):
    response = client.post(f"{BASE}/requests.xml", data=form(api_key))
    assert response.status_code == 201
    created = xml_of(response, "service_requests")
    assert [c.tag for c in created] == ["request"]
    values = fields(created[0])
    assert set(values) == SPEC_CREATED_FIELDS
    tracking_no = values["service_request_id"]
    assert TRACKING.match(tracking_no) and values["account_id"] == "" and values["token"]
    assert response.headers["Location"].endswith(f"{BASE}/requests/{tracking_no}.xml")

    one = xml_of(client.get(f"{BASE}/requests/{tracking_no}.xml"), "service_requests")
    as_json = client.get(f"{BASE}/requests/{tracking_no}.json").get_json()[0]
    assert [c.tag for c in one] == ["request"]
    assert [c.tag for c in one[0]][:3] == ["service_request_id", "status", "status_notes"]  # the spec's order
    assert fields(one[0]) == {k: _as_text(v) for k, v in as_json.items()}
    assert fields(one[0])["status"] == "open" and fields(one[0])["address_id"] == "shanghai-tower"
    assert fields(one[0])["zipcode"] == "" and fields(one[0])["lat"] == ""  # absent values: empty elements

    listing = xml_of(client.get(f"{BASE}/requests.xml?status=open"), "service_requests")
    assert [fields(r)["service_request_id"] for r in listing] == [tracking_no]
    text = client.get(f"{BASE}/requests.xml").get_data(as_text=True)
    for private in (COMPANY, PHONE, FIRST_NAME):
        assert private not in text
    # a listable request's own text is public (issue 16's rule), in XML as in JSON
    assert f"<description>{DESCRIPTION}</description>" in text

    token = xml_of(client.get(f"{BASE}/tokens/{values['token']}.xml"), "service_requests")
    assert [fields(r) for r in token] == [{"service_request_id": tracking_no, "token": values["token"]}]


def test_errors_in_xml_have_the_spec_shape(client, api_key, app):
    assert_xml_error(client.get(f"{BASE}/requests/LS-2000-000000.xml"), 404, "service_request_id not found")
    assert_xml_error(client.get(f"{BASE}/services/no-such-thing.xml"), 404, "service_code not found")
    assert_xml_error(client.get(f"{BASE}/tokens/nope.xml"), 404, "token not found")
    assert_xml_error(client.get(f"{BASE}/requests.xml?status=pending"), 400, "status must be open or closed")
    assert_xml_error(client.post(f"{BASE}/requests.xml", data=form("wrong-key")), 403, "api_key")
    several = client.post(f"{BASE}/requests.xml", data=form(api_key, description="短", phone="123"))
    assert_xml_error(several, 400, "description is required", "phone is not a valid number")
    assert len(xml_of(several, "errors")) == 2
    assert_xml_error(client.get(f"{BASE}/no-such-resource.xml"), 404)  # a routing error, in the asked format
    assert_xml_error(client.get(f"{BASE}/requests/LS%00.xml"), 400, "control characters")
    assert request_count(app) == 0


def test_xml_text_is_escaped_not_concatenated(client, api_key, app):
    """Markup in a name stays text: the document still parses and gives the text back."""
    from app.guide.models import GuideEntry

    tricky = '<b>&amp;</b> "A & B" <![CDATA[x]]> ]]> \x01'
    with app.app_context():
        entry = db.session.scalar(sa.select(GuideEntry).where(GuideEntry.slug == "hukou"))
        entry.title_zh = tricky
        db.session.commit()
        db.session.remove()
    services = xml_of(client.get(f"{BASE}/services.xml"), "services")
    names = [s.findtext("service_name") for s in services]
    assert tricky.replace("\x01", "") in names  # XML 1.0 cannot carry U+0001 at all: dropped


def test_discovery_in_both_formats(client, api_client, guide):
    as_json = client.get(f"{BASE}/discovery.json").get_json()
    assert set(as_json) == {"changeset", "contact", "key_service", "endpoints"}
    (endpoint,) = as_json["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/api/open311/v2") and endpoint["type"] == "production"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    doc = api_client.get("/api/openapi.json").get_json()
    assert not [e.message for e in _component_validator(doc, "Discovery").iter_errors(as_json)]

    document = xml_of(client.get(f"{BASE}/discovery.xml"), "discovery")
    assert [c.tag for c in document] == ["changeset", "contact", "key_service", "endpoints"]
    assert document.findtext("changeset") == as_json["changeset"]
    xml_endpoint = document.find("endpoints/endpoint")
    assert xml_endpoint.findtext("url") == endpoint["url"]
    assert [f.text for f in xml_endpoint.find("formats")] == ["text/xml", "application/json"]


# --- address_string --------------------------------------------------------------------------


def test_address_string_is_matched_to_a_building(client, api_key, app):
    tower = building_texts(app, "shanghai-tower")
    for address_string in (tower["name_zh"], tower["name_en"].upper(), f"  {tower['address_zh']} ", tower["address_en"],
                           f"{tower['name_zh']}（{tower['address_zh']}）", f"{tower['name_zh']} 52 楼", "银城中路501号"):
        created = file_request(client, api_key, address_id=None, address_string=address_string)
        listed = client.get(f"{BASE}/requests/{created['service_request_id']}.json").get_json()[0]
        assert listed["address_id"] == "shanghai-tower", address_string
    jin_mao = building_texts(app, "jin-mao-tower")
    created = file_request(client, api_key, address_id=None, address_string=jin_mao["name_en"])
    assert client.get(f"{BASE}/requests/{created['service_request_id']}.json").get_json()[0]["address_id"] == "jin-mao-tower"
    # address_id, when given, decides
    created = file_request(client, api_key, address_id="ifc", address_string=jin_mao["name_en"])
    assert client.get(f"{BASE}/requests/{created['service_request_id']}.json").get_json()[0]["address_id"] == "ifc"


def test_an_unknown_or_ambiguous_address_string_is_a_spec_400(client, api_key, app):
    before = request_count(app)
    assert_spec_error(client.post(f"{BASE}/requests.json", data=form(api_key, address_id=None, address_string="火星大道 1 号")),
                      400, "address_string is not a known building")
    assert_xml_error(client.post(f"{BASE}/requests.xml", data=form(api_key, address_id=None, address_string="Nowhere Tower")),
                     400, "address_string is not a known building")
    both = f"{building_texts(app, 'shanghai-tower')['name_zh']} {building_texts(app, 'jin-mao-tower')['name_zh']}"
    assert_spec_error(client.post(f"{BASE}/requests.json", data=form(api_key, address_id=None, address_string=both)),
                      400, "address_string matches several buildings")
    assert_spec_error(client.post(f"{BASE}/requests.json", data=form(api_key, address_id=None, address_string="   ")),
                      400, "location not provided")
    assert request_count(app) == before


def test_json_answers_still_validate_after_the_xml_work(client, api_client, api_key):
    doc = api_client.get("/api/openapi.json").get_json()
    created = client.post(f"{BASE}/requests.json", data=form(api_key, address_id=None, address_string="上海中心大厦")).get_json()
    assert not list(_component_validator(doc, "ServiceRequestCreated").iter_errors(created[0]))
    listed = client.get(f"{BASE}/requests.json").get_json()
    assert listed and not [e.message for r in listed for e in _component_validator(doc, "ServiceRequest").iter_errors(r)]
    for path in ("/services.xml", "/requests.xml", "/discovery.xml", "/services/{service_code}.xml", "/tokens/{token}.xml"):
        operation = doc["paths"][BASE + path]["get"]
        assert list(operation["responses"]["200"]["content"]) == ["text/xml"]
        assert operation["responses"]["404" if "{" in path else "400"]["content"]["text/xml"]["schema"]["xml"]["name"] == "errors"
    post = doc["paths"][f"{BASE}/requests.xml"]["post"]
    assert post["responses"]["201"]["content"]["text/xml"]["schema"]["xml"]["name"] == "service_requests"
    assert "address_string" in doc["components"]["schemas"]["CreateServiceRequest"]["properties"]
    assert "Not supported" not in doc["components"]["schemas"]["CreateServiceRequest"]["properties"]["address_string"]["description"]
