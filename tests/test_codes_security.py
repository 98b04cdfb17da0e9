"""Issue 16, items 4 and 5: the Open311 token is not the web form's key, a known form key
does not hand out the access code, and access-code guessing is limited per tracking
number and per client IP on every route that takes a code (?code=, /unlock, /track)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.intake.models import ServiceRequest
from tests.conftest import csrf_from, text_of
from tests.test_intake import file_request as file_web_request
from tests.test_intake import form_values
from tests.test_open311 import BASE, DESCRIPTION
from tests.test_open311 import file_request as file_api_request
from tests.test_open311 import guide  # noqa: F401  (the Open311 tests' guide: hukou, food-licence, …)

WRONG = "ZZZZ-ZZZZ"
SESSION_COOKIE = "loushi_session"
TOO_MANY_ZH = "错误查询码的尝试次数过多"
TOO_MANY_EN = "Too many wrong access codes"


@pytest.fixture
def api_key(app, guide):  # noqa: F811
    from app.intake.services import create_api_key

    with app.app_context():
        key = create_api_key("codes-client")
        db.session.commit()
        db.session.remove()
    return key


def _row(app, tracking_no: str) -> ServiceRequest:
    with app.app_context():
        req = db.session.scalar(sa.select(ServiceRequest).where(ServiceRequest.tracking_no == tracking_no))
        db.session.expunge(req)
        db.session.remove()
    return req


def _code_of(app, tracking_no: str) -> str:
    from app.intake.services import access_code_for

    with app.app_context():
        key = db.session.scalar(sa.select(ServiceRequest.submission_key).where(ServiceRequest.tracking_no == tracking_no))
        code = access_code_for(key)
        db.session.remove()
    return code


# --- item 4: the Open311 token and the form's key ---------------------------------------


def test_open311_token_is_its_own_value_and_resolves(app, client, api_key):
    created = file_api_request(client, api_key)
    req = _row(app, created["service_request_id"])
    assert created["token"] and created["token"] != req.submission_key
    assert req.public_token == created["token"]
    lookup = client.get(f"{BASE}/tokens/{created['token']}.json")
    assert lookup.status_code == 200
    assert lookup.get_json() == [{"service_request_id": created["service_request_id"], "token": created["token"]}]
    # The form's key of an API request is no token.
    assert client.get(f"{BASE}/tokens/{req.submission_key}.json").status_code == 404


def test_web_form_posted_with_the_api_token_neither_shows_the_code_nor_unlocks(app, client, api_key):
    created = file_api_request(client, api_key)
    number = created["service_request_id"]
    code = _code_of(app, number)
    stranger = app.test_client()
    data = dict(form_values(stranger), submission_key=created["token"], description="另一个人的诉求：想了解停车证办理。")
    response = stranger.post("/zh/requests/new", data=data, follow_redirects=True)
    assert code not in response.get_data(as_text=True)
    page = text_of(stranger.get(f"/zh/requests/{number}"))
    assert DESCRIPTION not in page and "查看详情" in page  # still locked: the unlock form, no description
    assert stranger.post(f"/zh/requests/{number}/info", data={"csrf_token": csrf_from(stranger.get("/zh/track").get_data(as_text=True)),
                                                               "body": "冒充补充的信息"}).status_code == 403


def test_a_known_form_key_from_another_session_gets_no_code(app, client, guide):  # noqa: F811
    owner = app.test_client()
    values = form_values(owner)
    first = owner.post("/zh/requests/new", data=values)
    assert first.status_code == 303
    receipt = owner.get(first.location).get_data(as_text=True)
    number = re.search(r'id="tracking-no">([^<]+)<', receipt).group(1)
    code = re.search(r'id="access-code">([^<]+)<', receipt).group(1)

    stranger = app.test_client()
    data = dict(form_values(stranger), submission_key=values["submission_key"])
    response = stranger.post("/zh/requests/new", data=data)
    assert response.status_code == 303 and "/submitted" not in response.location
    shown = stranger.get(response.location)
    assert code not in shown.get_data(as_text=True)
    text = text_of(shown)
    assert "这份表单已经提交过" in text and number in text
    assert values["description"] not in text and "查看详情" in text  # locked
    assert code not in text_of(stranger.get(f"/zh/requests/{number}/submitted", follow_redirects=True))
    assert _count(app) == 1

    # In English too.
    other = app.test_client()
    data = dict(form_values(other, lang="en"), submission_key=values["submission_key"])
    english = other.post("/en/requests/new", data=data, follow_redirects=True)
    assert "This form was sent already" in text_of(english) and code not in english.get_data(as_text=True)


def test_a_second_click_in_the_same_browser_still_gets_the_receipt(app, client, guide):  # noqa: F811
    values = form_values(client)
    first = client.post("/zh/requests/new", data=values)
    second = client.post("/zh/requests/new", data=values)
    assert first.status_code == second.status_code == 303 and first.location == second.location
    receipt = client.get(second.location).get_data(as_text=True)
    number = re.search(r'id="tracking-no">([^<]+)<', receipt).group(1)
    assert re.search(r'id="access-code">([^<]+)<', receipt).group(1) == _code_of(app, number)
    assert _count(app) == 1
    assert values["description"] in text_of(client.get(f"/zh/requests/{number}"))


def test_an_api_request_receipt_mail_still_carries_a_working_code(app, client, api_key):
    from app.core.mail import OutboxMail
    from app.intake.services import announce_pending

    created = file_api_request(client, api_key, email="requester@example.com")
    with app.app_context():
        announce_pending()
        db.session.commit()
        bodies = [m.body_text for m in db.session.scalars(sa.select(OutboxMail)) if m.to_addr == "requester@example.com"]
        db.session.remove()
    code = _code_of(app, created["service_request_id"])
    assert any(code in body for body in bodies)
    requester = app.test_client()
    assert requester.get(f"/zh/requests/{created['service_request_id']}?code={code}").status_code == 303
    assert DESCRIPTION in text_of(requester.get(f"/zh/requests/{created['service_request_id']}"))


def _count(app) -> int:
    with app.app_context():
        try:
            return db.session.scalar(sa.select(sa.func.count()).select_from(ServiceRequest))
        finally:
            db.session.remove()


# --- item 5: limits on presenting a code ----------------------------------------------


def _client_from(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _try_code(client, route: str, number: str, code: str, lang: str = "zh"):
    """Present ``code`` for ``number`` by one of the three routes."""
    if route == "link":
        return client.get(f"/{lang}/requests/{number}", query_string={"code": code})
    if route == "unlock":
        token = csrf_from(client.get(f"/{lang}/requests/{number}").get_data(as_text=True))
        return client.post(f"/{lang}/requests/{number}/unlock", data={"csrf_token": token, "code": code})
    token = csrf_from(client.get(f"/{lang}/track").get_data(as_text=True))
    return client.post(f"/{lang}/track", data={"csrf_token": token, "tracking_no": number, "code": code})


@pytest.mark.parametrize("lang, message", [("zh", TOO_MANY_ZH), ("en", TOO_MANY_EN)])
def test_eleven_wrong_codes_by_mixed_routes_lock_the_number(app, guide, lang, message):  # noqa: F811
    owner = app.test_client()
    number, code, _text = file_web_request(owner, lang)
    guesser = app.test_client()
    routes = ["link", "unlock", "track"]
    for n in range(10):
        response = _try_code(guesser, routes[n % 3], number, WRONG, lang)
        assert response.status_code == 422, (n, response.status_code)
        assert message not in text_of(response)
    for route in routes:  # the 11th wrong code, then the right one: refused by every route
        for attempt in (WRONG, code):
            refused = _try_code(guesser, route, number, attempt, lang)
            assert refused.status_code == 429, (route, attempt)
            assert message in text_of(refused)
    page = text_of(guesser.get(f"/{lang}/requests/{number}"))
    assert "我们想在 12 楼开一家咖啡店" not in page  # never unlocked
    # The owner's browser had it unlocked already: still open for them.
    assert "我们想在 12 楼开一家咖啡店" in text_of(owner.get(f"/{lang}/requests/{number}"))


def test_a_right_code_does_not_count(app, guide):  # noqa: F811
    number, code, _text = file_web_request(app.test_client())
    for n in range(15):
        visitor = app.test_client()
        assert _try_code(visitor, ["link", "unlock", "track"][n % 3], number, code).status_code == 303


def test_wrong_codes_leave_the_session_cookie_unchanged(app, guide):  # noqa: F811
    number, _code, _text = file_web_request(app.test_client())
    guesser = app.test_client()
    # The visitor's session exists: its CSRF token, and Flask-Login's one-time mark of an
    # anonymous session (set on the first page that is not served from the page cache; an
    # empty look-up is not a code: it counts nothing).
    token = csrf_from(guesser.get(f"/zh/requests/{number}").get_data(as_text=True))
    assert guesser.post("/zh/track", data={"csrf_token": token, "tracking_no": "", "code": ""}).status_code == 422
    before = guesser.get_cookie(SESSION_COOKIE).value
    for n in range(12):
        _try_code(guesser, ["link", "unlock", "track"][n % 3], number, WRONG)
        assert len(guesser.get_cookie(SESSION_COOKIE).value) == len(before), n
    for n in range(5):  # and a script that never follows the answer's links
        guesser.get(f"/zh/requests/{number}?code=AAAA-AAA{n}")
    assert len(guesser.get_cookie(SESSION_COOKIE).value) == len(before)


def test_the_limit_is_per_tracking_number(app, guide):  # noqa: F811
    requester = app.test_client()
    first, _code1, _t1 = file_web_request(requester)
    second, code2, _t2 = file_web_request(requester, description="第二个诉求：我们需要办理停车证。")
    guesser = app.test_client()
    for n in range(10):
        assert _try_code(guesser, "link", first, WRONG).status_code == 422
    assert _try_code(guesser, "unlock", first, WRONG).status_code == 429
    assert _try_code(guesser, "unlock", second, code2).status_code == 303
    assert "第二个诉求" in text_of(guesser.get(f"/zh/requests/{second}"))


def test_the_limit_is_per_client_ip(app, guide):  # noqa: F811
    requester = app.test_client()
    numbers = [file_web_request(requester, description=f"第 {n} 个诉求：需要办理食品经营许可。")[:2] for n in range(4)]
    guesser = _client_from(app, "203.0.113.7")
    for n in range(20):  # spread over three numbers: no number reaches its own limit
        assert _try_code(guesser, ["link", "unlock", "track"][n % 3], numbers[n % 3][0], WRONG).status_code == 422, n
    fourth, code4 = numbers[3]
    refused = _try_code(guesser, "track", fourth, code4)
    assert refused.status_code == 429 and TOO_MANY_ZH in text_of(refused)
    assert _try_code(guesser, "link", fourth, code4).status_code == 429
    # Another client still opens its request (the numbers themselves are below their limit).
    other = _client_from(app, "198.51.100.9")
    assert _try_code(other, "link", fourth, code4).status_code == 303
    assert _try_code(other, "unlock", numbers[0][0], numbers[0][1]).status_code == 303
