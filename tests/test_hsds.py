"""The guide as Open Referral HSDS 3.0, validated against the published JSON schemas."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from pathlib import Path

import jsonschema
import pytest

from tests.guide_fixtures import make_entries

SCHEMAS = Path(__file__).parent / "data" / "hsds-3.0"
PAGE_KEYS = {"total_items", "total_pages", "page_number", "size", "first_page", "last_page", "empty", "contents"}


def _validator(name: str, definition: str | None = None):
    schema = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    if definition:  # one of the inlined objects, with the definitions it refers to
        schema = {"$ref": f"#/definitions/{definition}", "definitions": schema["definitions"]}
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    checker = jsonschema.FormatChecker()

    @checker.checks("uuid", raises=ValueError)
    def _uuid(value):
        return not isinstance(value, str) or str(uuid.UUID(value)) == value.lower()

    @checker.checks("date-time", raises=ValueError)
    def _datetime(value):
        return not isinstance(value, str) or bool(datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo)

    @checker.checks("date", raises=ValueError)
    def _date(value):
        return not isinstance(value, str) or bool(date.fromisoformat(value))

    return cls(schema, format_checker=checker)


def test_the_validator_rejects_what_it_should():
    validator = _validator("service_with_definitions.json")
    assert _errors(validator, {"id": "not-a-uuid", "name": "x", "status": "active"})
    assert _errors(validator, {"id": str(uuid.uuid4()), "name": "x", "status": "closed"})
    assert _errors(validator, {"id": str(uuid.uuid4()), "name": "x", "status": "active", "last_modified": "yesterday"})
    assert not _errors(validator, {"id": str(uuid.uuid4()), "name": "x", "status": "active"})
    organizations = _validator("service_with_definitions.json", "organization")
    assert _errors(organizations, {"id": str(uuid.uuid4()), "name": "x"})  # description is required


@pytest.fixture
def guide(app, demo):
    return make_entries(app, extra=[{"slug": "zh-only", "department": "union", "category": "union", "title_zh": "职工暑托班报名", "title_en": "", "summary_zh": "暑期托管", "summary_en": ""}])


def _errors(validator, instance) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(instance)]


def test_every_service_validates_against_the_hsds_schema(client, guide):
    validator = _validator("service_with_definitions.json")
    for lang in ("zh", "en"):
        page = client.get(f"/api/hsds/services?full=true&per_page=100&lang={lang}").get_json()
        assert page["total_items"] == 7 and len(page["contents"]) == 7
        for service in page["contents"]:
            assert not _errors(validator, service), service["x_loushi"]["slug"]
            assert service["required_documents"] and service["cost_options"] and service["phones"] and service["schedules"]
            assert {language["code"] for language in service["languages"]} == {"zh", "en"}


def test_organizations_validate(client, guide):
    validator = _validator("service_with_definitions.json", "organization")
    page = client.get("/api/hsds/organizations?per_page=100").get_json()
    assert page["total_items"] == 18
    for organization in page["contents"]:
        assert not _errors(validator, organization)


def test_pagination_follows_the_hsds_api(client, guide):
    first = client.get("/api/hsds/services?per_page=3").get_json()
    assert PAGE_KEYS <= set(first)
    assert (first["total_items"], first["total_pages"], first["page_number"], first["size"]) == (7, 3, 1, 3)
    assert first["first_page"] and not first["last_page"] and not first["empty"]
    last = client.get("/api/hsds/services?per_page=3&page=3").get_json()
    assert last["size"] == 1 and last["last_page"] and not last["first_page"]
    beyond = client.get("/api/hsds/services?per_page=3&page=9").get_json()
    assert beyond["empty"] and beyond["contents"] == []
    assert client.get("/api/hsds/services?per_page=abc").status_code == 400
    assert len(client.get("/api/hsds/services?per_page=5000").get_json()["contents"]) == 7  # capped at 100


def test_both_languages_and_the_local_extension(client, guide):
    zh = client.get("/api/hsds/services/hukou").get_json()
    en = client.get("/api/hsds/services/hukou?lang=en").get_json()
    assert zh["name"] == "非上海生源应届毕业生落户申请" and en["name"] == "Hukou for non-Shanghai graduates"
    assert zh["id"] == en["id"] and client.get(f"/api/hsds/services/{zh['id']}").get_json()["name"] == zh["name"]
    ext = zh["x_loushi"]
    assert ext["promised_days"] == 5 and ext["legal_days"] == 20
    assert ext["legal_basis"] == {"zh": "《上海市居住证管理办法》", "en": "Shanghai Residence Permit Measures"}
    assert ext["supervision"]["zh"] == "12345 市民服务热线"
    assert zh["organization"]["name"] == "浦东新区人才服务中心"
    assert zh["url"].endswith("/zh/guide/hukou") and en["url"].endswith("/en/guide/hukou")
    # an entry without English falls back to Chinese in the English export
    fallback = client.get("/api/hsds/services/zh-only?lang=en").get_json()
    assert fallback["name"] == "职工暑托班报名"


def test_search_and_filters(client, guide):
    found = client.get("/api/hsds/services", query_string={"search": "落户"}).get_json()
    assert {s["x_loushi"]["slug"] for s in found["contents"]} == {"hukou", "body-mention"}
    org = client.get("/api/hsds/organizations/talent").get_json()
    by_org = client.get("/api/hsds/services", query_string={"organization_id": org["id"]}).get_json()
    assert {s["x_loushi"]["slug"] for s in by_org["contents"]} == {"hukou"}
    assert client.get("/api/hsds/services/no-such-service").status_code == 404
    assert client.get("/api/hsds/services/no-such-service").get_json()["code"] == 404


def test_index_documents_the_extension(client):
    index = client.get("/api/hsds/").get_json()
    assert index["version"] == "3.0" and "x_loushi" in index["x_loushi"]["description"]


# --- modified_after and organization search (issue 16, item 12) ---------------------------


def _set_updated(app, slug: str, moment: datetime) -> None:
    import sqlalchemy as sa

    from app.extensions import db
    from app.guide.models import GuideEntry

    with app.app_context():
        db.session.execute(sa.update(GuideEntry).where(GuideEntry.slug == slug).values(updated_at=moment))
        db.session.commit()
        db.session.remove()


def test_services_modified_after(client, guide, app):
    from datetime import timezone

    for slug in ("hukou", "fire-check", "tax-setup", "parking-pass", "body-mention", "food-licence", "zh-only"):
        _set_updated(app, slug, datetime(2026, 1, 1, tzinfo=timezone.utc))
    _set_updated(app, "hukou", datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc))
    _set_updated(app, "fire-check", datetime(2026, 6, 1, 2, 0, tzinfo=timezone.utc))

    def slugs(value: str) -> set[str]:
        response = client.get("/api/hsds/services", query_string={"modified_after": value, "per_page": 100})
        assert response.status_code == 200, (value, response.get_data(as_text=True))
        page = response.get_json()
        assert page["total_items"] == len(page["contents"])
        return {s["x_loushi"]["slug"] for s in page["contents"]}

    assert slugs("2026-05-31T00:00:00Z") == {"hukou", "fire-check"}
    assert slugs("2026-06-01T08:00:00Z") == {"hukou"}
    assert slugs("2026-06-01T16:00:00+08:00") == {"hukou"}  # = 08:00 UTC
    assert slugs("2026-06-01T09:30:00+08:00") == {"hukou", "fire-check"}  # = 01:30 UTC
    assert slugs("2026-06-01T10:00:00+08:00") == {"hukou"}  # = 02:00 UTC: strictly after
    assert slugs("2026-06-01T01:00:00") == {"hukou", "fire-check"}  # no offset: UTC, as HSDS times are
    assert slugs("2026-06-01") == {"hukou", "fire-check"}  # a date is its midnight
    assert slugs("2026-07-01T00:00:00Z") == set()
    assert len(slugs("")) == 7  # empty = not given
    # the last_modified each service shows agrees with the filter
    newest = client.get("/api/hsds/services?modified_after=2026-06-01T08:00:00Z").get_json()["contents"][0]
    assert newest["last_modified"] == "2026-06-01T12:00:00.000Z"
    validator = _validator("service_with_definitions.json")
    assert not _errors(validator, newest)


def test_an_invalid_modified_after_is_a_400(client, guide):
    for value in ("yesterday", "2026-13-01T00:00:00Z", "1e30", "2026-06-01T25:00", "\x00"):
        response = client.get("/api/hsds/services", query_string={"modified_after": value})
        assert response.status_code == 400, value
        assert response.get_json()["code"] == 400


def test_organizations_search(client, guide):
    def codes(search: str, lang: str = "zh") -> set[str]:
        page = client.get("/api/hsds/organizations", query_string={"search": search, "per_page": 100, "lang": lang}).get_json()
        assert page["total_items"] == len(page["contents"])
        return {o["x_loushi"]["code"] for o in page["contents"]}

    assert codes("派出所") == {"police"}
    assert codes("police", "en") == {"police"}
    assert codes("POLICE STATION") == {"police"}  # any case, either language whatever lang= says
    assert codes("消防") == {"fire"}
    assert codes("talent") == {"talent"}  # the code
    assert codes("不存在的部门") == set()
    assert codes("%") == set() and codes("_") == set()  # LIKE wildcards are plain text
    assert len(codes("")) == 18
    found = client.get("/api/hsds/organizations", query_string={"search": "消防"}).get_json()
    validator = _validator("service_with_definitions.json", "organization")
    assert found["contents"] and not _errors(validator, found["contents"][0])
    assert found["contents"][0]["name"] == "浦东新区消防救援支队陆家嘴消防救援站"
