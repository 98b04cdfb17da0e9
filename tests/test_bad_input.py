"""Bad input gets a 400/404 in the page's language or the API's error format, never a 500.

Issue 16, item 10: a NUL byte in a query parameter or a path segment was a 500 on
PostgreSQL, a multipart part without a name crashed the CSRF check, and a huge ``page=``
overflowed an integer in the HSDS API.  The walk below visits every GET route of the URL
map (signed in as the demo admin, with real slugs and ids from the demo data), learns
which query arguments each view reads by recording the reads of ``request.args`` during a
normal request, and sends each of them a NUL, 10**30 and -1; it also puts a NUL in every
path segment and 10**30 in every ``<int:…>``.  Then every POST route gets a multipart body
with a nameless part.  Run it on both databases (``TEST_DATABASE_URL`` for PostgreSQL)."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import ImmutableMultiDict

from app.extensions import db, limiter
from tests.conftest import DEMO_PASSWORD, csrf_from, text_of

HUGE = str(10**30)
BAD_VALUES = ("\x00", HUGE, "-1")
ZH_400, ZH_404 = "请求无效", "页面不存在"
# Routes the walk leaves alone: signing out would end the walk; static files read no database.
SKIP_GET = {"auth.logout", "static"}
SKIP_POST = {"auth.logout"}
# Query arguments every view answers the same way whatever their value.
IGNORED_ARGS = {"lang_code"}


class RecordingArgs(ImmutableMultiDict):
    """``request.args`` that notes every key a view asks for."""

    seen: set[str] = set()

    def __getitem__(self, key):
        RecordingArgs.seen.add(key)
        return super().__getitem__(key)

    def getlist(self, key, type=None):
        RecordingArgs.seen.add(key)
        return super().getlist(key, type)

    def __contains__(self, key):
        RecordingArgs.seen.add(key)
        return super().__contains__(key)


@pytest.fixture
def samples(app):
    """The full demo data (``seed-demo``: guide, requests, wishes, boards) and a real value
    for every path argument of the URL map."""
    from app.auth.models import User
    from app.boards.models import Event
    from app.demo import seed_demo
    from app.guide.models import GuideEntry
    from app.intake.models import RequestAttachment, ServiceRequest
    from app.org.models import Department
    from app.wall.models import Resource, Wish

    with app.app_context():
        seed_demo(DEMO_PASSWORD)
        db.session.commit()
        event = db.session.scalar(sa.select(Event).order_by(Event.id))
        req = db.session.scalar(sa.select(ServiceRequest).order_by(ServiceRequest.id))
        entry = db.session.scalar(sa.select(GuideEntry.slug).where(GuideEntry.status == "active").order_by(GuideEntry.id))
        values = {
            "lang_code": "zh",
            "slug": event.building.slug,
            "event_id": event.id,
            "item_id": event.id,
            "kind": "events",
            "tracking_no": req.tracking_no,
            "attachment_id": db.session.scalar(sa.select(sa.func.coalesce(sa.func.min(RequestAttachment.id), 1))),
            "user_id": db.session.scalar(sa.select(User.id).where(User.email == "staff@example.com")),
            "wish_id": db.session.scalar(sa.select(Wish.id).order_by(Wish.id)),
            "resource_id": db.session.scalar(sa.select(Resource.id).order_by(Resource.id)),
            "token": "no-such-token",
            "organization_id": db.session.scalar(sa.select(Department.code).order_by(Department.id)),
            "service_id": entry,
            "service_code": entry,
            "guide_slug": entry,
            "service_request_id": req.tracking_no,
            "fmt": "json",
            "filename": "css/app.css",
        }
        db.session.remove()
    return values


def _values_for(rule, samples: dict) -> dict:
    values = {name: samples[name] for name in rule.arguments}
    if rule.endpoint.startswith("guide"):
        values["slug"] = samples["guide_slug"]  # a guide entry's slug, not a building's
    return values


def _url(app, rule, values: dict) -> str:
    with app.test_request_context():
        return app.url_map.bind("localhost").build(rule.endpoint, values, method="GET" if "GET" in rule.methods else "POST")


def _fetch(client, url: str, **kwargs):
    """One request, read to the end and closed (CSV exports stream their body)."""
    response = client.open(url, **kwargs)
    response.get_data()
    response.close()
    return response


def _rules(app, method: str, skip: set[str]):
    return [r for r in app.url_map.iter_rules() if method in r.methods and r.endpoint not in skip]


def assert_good_refusal(response, where: str) -> None:
    """Never a 500; a 400/404 is the translated page or the API's error format."""
    status = response.status_code
    assert status < 500, f"{where}: {status}"
    if status not in (400, 404):
        return
    path = where.split("?", 1)[0]
    if path.startswith("/api/open311/"):
        body = response.get_json()
        assert isinstance(body, list) and body[0]["code"] == status and body[0]["description"], where
    elif path.startswith("/api/"):
        body = response.get_json()
        assert body["code"] == status and body["error"], where
    else:
        assert response.mimetype == "text/html", where
        assert (ZH_400 if status == 400 else ZH_404) in text_of(response), where


@pytest.fixture
def admin(client, auth, samples, monkeypatch):
    """The demo admin signed in (two-step included); rate limits off for the walk."""
    response = auth.login()
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    monkeypatch.setattr(limiter, "enabled", False)
    return client


def test_every_get_route_survives_nul_huge_and_negative_arguments(app, admin, samples, monkeypatch):
    monkeypatch.setattr(app.request_class, "parameter_storage_class", RecordingArgs)
    checked = 0
    for rule in _rules(app, "GET", SKIP_GET):
        url = _url(app, rule, _values_for(rule, samples))
        RecordingArgs.seen = set()
        normal = _fetch(admin, url)
        assert normal.status_code < 500, f"{url}: {normal.status_code}"
        read = RecordingArgs.seen - IGNORED_ARGS
        for name in sorted(read):
            for bad in BAD_VALUES:
                target = f"{url}{'&' if '?' in url else '?'}{quote(name)}={quote(bad)}"
                response = _fetch(admin, target)
                assert_good_refusal(response, target)
                if bad == "\x00":
                    assert response.status_code == 400, target
                checked += 1
    assert checked > 50  # the recording did find the arguments views read


def test_a_nul_in_any_path_segment_and_a_huge_id_are_refused(app, admin, samples):
    for rule in _rules(app, "GET", SKIP_GET):
        values = _values_for(rule, samples)
        for name in rule.arguments - {"lang_code", "fmt", "filename"}:
            broken = dict(values, **{name: "x\x00" if not isinstance(values[name], int) else 1})
            if isinstance(values[name], int):
                url = re.sub(rf"/{values[name]}(?=/|\.|$)", f"/{HUGE}", _url(app, rule, values), count=1)
                response = _fetch(admin, url)
                assert response.status_code == 404, url
                assert_good_refusal(response, url)
                continue
            url = _url(app, rule, broken)
            response = _fetch(admin, url)
            assert response.status_code == 400, url
            assert_good_refusal(response, url)


def test_the_examples_of_the_issue(client, samples, app):
    """Signed out, as the attack run found them."""
    for url in ("/zh/guide/?dept=%00", "/zh/wall/?building=%00", "/zh/boards/%00", "/zh/guide/?q=a%00b"):
        response = client.get(url)
        assert response.status_code == 400, url
        page = text_of(response)
        assert ZH_400 in page and "控制字符" in page, url
    english = client.get("/en/wall/?building=%00")
    assert english.status_code == 400 and "control characters" in text_of(english)
    api = client.get("/api/hsds/services/%00")
    assert api.status_code == 400 and api.get_json()["code"] == 400
    open311 = client.get("/api/open311/v2/requests/LS%00.json")
    assert open311.status_code == 400
    assert "control characters" in open311.get_json()[0]["description"]
    # a tab or a line break in a value is ordinary text
    assert client.get("/zh/guide/?q=%E8%90%BD%E6%88%B7%09%0A").status_code == 200


def test_a_huge_or_negative_page_in_the_hsds_api(client, samples):
    for page in (HUGE, "-5", "0"):
        response = client.get(f"/api/hsds/services?page={page}")
        assert response.status_code == 200, page
        body = response.get_json()
        assert body["page_number"] >= 1
        if page == HUGE:
            assert body["empty"] and body["contents"] == []
        else:
            assert body["page_number"] == 1 and body["contents"]
    assert client.get(f"/api/hsds/organizations?per_page={HUGE}").get_json()["size"] <= 100
    bad = client.get("/api/hsds/services?page=%C2%B2")  # "²" passes str.isdigit but is no page number
    assert bad.status_code == 400 and bad.get_json()["code"] == 400


def _nameless(extra: dict | None = None) -> tuple[bytes, str]:
    boundary = "loushi-boundary"
    parts = [b"--" + boundary.encode() + b"\r\nContent-Disposition: form-data\r\n\r\nno name\r\n"]
    parts.append(b"--" + boundary.encode() + b'\r\nContent-Disposition: form-data; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nfile without a name\r\n')
    for key, value in (extra or {}).items():
        parts.append(b"--" + boundary.encode() + f'\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode())
    body = b"".join(parts) + b"--" + boundary.encode() + b"--\r\n"
    return body, f"multipart/form-data; boundary={boundary}"


def test_a_nameless_multipart_part_is_no_500_on_any_post(app, admin, samples):
    token = csrf_from(admin.get("/zh/council/").get_data(as_text=True))
    for rule in _rules(app, "POST", SKIP_POST):
        url = _url(app, rule, _values_for(rule, samples))
        for extra in ({}, {"csrf_token": token}):
            body, content_type = _nameless(extra)
            response = _fetch(admin, url, method="POST", data=body, content_type=content_type)
            assert_good_refusal(response, url)


def test_a_nameless_part_alone_is_the_csrf_400_page(client, samples):
    body, content_type = _nameless()
    response = client.post("/zh/track", data=body, content_type=content_type)
    assert response.status_code == 400
    assert ZH_400 in text_of(response)


def test_a_nul_in_a_form_is_refused_and_text_with_line_breaks_is_not(client, samples):
    page = client.get("/zh/track")
    token = csrf_from(page.get_data(as_text=True))
    response = client.post("/zh/track", data={"csrf_token": token, "tracking_no": "LS-2026-000001", "code": "ab\x00cd"})
    assert response.status_code == 400 and "控制字符" in text_of(response)
    response = client.post("/zh/track", data={"csrf_token": token, "tracking_no": "LS-2026-000001", "code": "ab\r\ncd"})
    assert response.status_code != 400
