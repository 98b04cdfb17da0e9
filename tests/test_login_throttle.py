"""Sign-in throttling that slows the guesser, not the owner (issue 16, item 7).

Wrong passwords earn growing waits per account for browsers the account has never signed
in from; a browser with the account's device cookie (set at each successful sign-in) is
not held by strangers' failures — it has its own count — and every browser still gets the
per-address limit.  "Waiting out" a delay is done by forgetting the wait the storage keeps
(the same as the seconds passing), so the tests do not sleep."""

from __future__ import annotations

import re

import pytest

from app.auth import throttle
from app.extensions import limiter
from tests.conftest import DEMO_PASSWORD, Auth, csrf_from, text_of

OWNER = "council@example.com"
ATTACKER_IP = "203.0.113.66"
OWNER_IP = "198.51.100.7"


@pytest.fixture
def slow(app, monkeypatch):
    """Waits of a minute and more, so that a slow test machine cannot outlast one."""
    monkeypatch.setitem(app.config, "LOGIN_DELAY_BASE_SECONDS", 60)
    monkeypatch.setitem(app.config, "LOGIN_DELAY_MAX_SECONDS", 300)


def _client(app, ip: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    return client


def _login(client, email=OWNER, password=DEMO_PASSWORD, lang="zh"):
    page = client.get(f"/{lang}/login")
    return client.post(f"/{lang}/login", data={"email": email, "password": password, "csrf_token": csrf_from(page.get_data(as_text=True))})


def _wait_out(app, email=OWNER):
    """As if the account's current wait (for unknown browsers) had passed."""
    with app.test_request_context():
        limiter.storage.clear(throttle.Subject("account", throttle.account_key(email)).key("wait"))


def _seconds(response) -> int:
    match = re.search(r"Try again in (\d+) seconds?|请在 (\d+) 秒后再试", text_of(response))
    assert match, text_of(response)
    return int(match.group(1) or match.group(2))


def _owner_with_device_cookie(app):
    owner = _client(app, OWNER_IP)
    assert _login(owner).status_code == 303
    assert owner.get_cookie(throttle.DEVICE_COOKIE) is not None
    Auth(owner).logout()  # signing out keeps the device cookie
    assert owner.get_cookie(throttle.DEVICE_COOKIE) is not None
    return owner


def test_a_strangers_twenty_wrong_passwords_do_not_stop_the_owner_with_a_device_cookie(app, demo, slow):
    owner = _owner_with_device_cookie(app)
    attacker = _client(app, ATTACKER_IP)
    for i in range(20):
        _wait_out(app)
        response = _login(attacker, password=f"guess-{i}")
        assert response.status_code == 422 and "邮箱或密码不正确" in text_of(response), i
    # the account is held for browsers it does not know...
    stranger = _client(app, "192.0.2.10")
    held = _login(stranger)
    assert held.status_code == 429 and _seconds(held) == 300
    # ...but its owner, on a browser it signed in from before, gets in at once
    response = _login(owner)
    assert response.status_code == 303 and response.location == "/zh/council/"


def test_the_owner_without_a_device_cookie_sees_how_long_to_wait(app, demo, slow):
    attacker = _client(app, ATTACKER_IP)
    for _ in range(5):
        assert _login(attacker, password="wrong-password").status_code == 422
    response = _login(_client(app, OWNER_IP), lang="zh")
    assert response.status_code == 429
    assert re.search(r"该账号的登录尝试次数过多，请在 (59|60) 秒后再试。", text_of(response)), text_of(response)
    assert int(response.headers["Retry-After"]) >= 59  # (Flask-Limiter may name a later time: its own window's end)
    assert 'value="council@example.com"' in response.get_data(as_text=True)  # what was typed is kept
    response = _login(_client(app, OWNER_IP), lang="en")
    assert response.status_code == 429
    assert re.search(r"Too many attempts to sign in to this account\. Try again in (59|60) seconds\.", text_of(response))
    # once the wait is over, the right password works
    _wait_out(app)
    assert _login(_client(app, OWNER_IP)).status_code == 303


def test_a_one_second_wait_reads_in_the_singular(app, demo, monkeypatch):
    monkeypatch.setattr(throttle, "wait_seconds", lambda subject: 1)
    response = _login(_client(app, OWNER_IP), lang="en")
    assert response.status_code == 429 and "Try again in 1 second." in text_of(response)


def test_the_guessers_waits_grow_and_are_capped(app, demo, slow):
    attacker = _client(app, ATTACKER_IP)
    for _ in range(5):
        assert _login(attacker, password="wrong-password").status_code == 422
    waits = []
    for _ in range(5):
        refused = _login(attacker, password="wrong-password")
        assert refused.status_code == 429  # the password is not even checked
        waits.append(_seconds(refused))
        _wait_out(app)
        assert _login(attacker, password="wrong-password").status_code == 422
    assert [w // 10 * 10 for w in (w + 1 for w in waits)] == [60, 120, 240, 300, 300], waits


def test_a_device_cookie_has_its_own_count(app, demo, slow):
    owner = _owner_with_device_cookie(app)
    for _ in range(5):
        assert _login(owner, password="wrong-password").status_code == 422
    held = _login(owner)
    assert held.status_code == 429 and _seconds(held) in {59, 60}
    # that count is the device's: a browser without the cookie is not held by it
    assert _login(_client(app, "192.0.2.20")).status_code == 303


def test_the_per_address_limit_still_holds_for_a_device_cookie(app, demo):
    owner = _owner_with_device_cookie(app)
    # 20 sign-in tries per 10 minutes from one address, whatever the accounts
    shared_ip = _client(app, ATTACKER_IP)
    for i in range(20):
        assert _login(shared_ip, email=f"person{i}@example.com", password="wrong-password").status_code == 422
    owner.environ_base["REMOTE_ADDR"] = ATTACKER_IP
    blocked = _login(owner)
    assert blocked.status_code == 429 and "尝试次数过多" in text_of(blocked)
    assert "该账号" not in text_of(blocked)  # the address's limit, not the account's wait
    owner.environ_base["REMOTE_ADDR"] = OWNER_IP
    assert _login(owner).status_code == 303


def test_the_device_cookie_is_signed_httponly_and_long_lived(app, demo):
    client = _client(app, OWNER_IP)
    page = client.get("/zh/login")
    response = client.post("/zh/login", data={"email": OWNER, "password": DEMO_PASSWORD, "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.status_code == 303
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(throttle.DEVICE_COOKIE + "="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert int(re.search(r"Max-Age=(\d+)", cookie).group(1)) == 365 * 24 * 3600
    value = cookie.split(";", 1)[0].split("=", 1)[1]
    assert OWNER not in value  # the account is a keyed hash, not the address
    # signing in again keeps the device's id
    Auth(client).logout()
    again = _login(client)
    value_again = next(h for h in again.headers.getlist("Set-Cookie") if h.startswith(throttle.DEVICE_COOKIE + "=")).split(";", 1)[0].split("=", 1)[1]
    with app.test_request_context(headers={"Cookie": f"{throttle.DEVICE_COOKIE}={value}"}):
        first = throttle.device_of(throttle.account_key(OWNER))
    with app.test_request_context(headers={"Cookie": f"{throttle.DEVICE_COOKIE}={value_again}"}):
        assert throttle.device_of(throttle.account_key(OWNER)) == first is not None
        assert throttle.device_of(throttle.account_key("admin@example.com")) is None  # another account's: no
    with app.test_request_context(headers={"Cookie": f"{throttle.DEVICE_COOKIE}={value[:-2]}xx"}):
        assert throttle.device_of(throttle.account_key(OWNER)) is None  # tampered with: no


def test_a_forged_or_other_accounts_device_cookie_does_not_exempt(app, demo, slow):
    mine = _owner_with_device_cookie(app)
    forged = _client(app, OWNER_IP)
    forged.set_cookie(throttle.DEVICE_COOKIE, mine.get_cookie(throttle.DEVICE_COOKIE).value[:-3] + "abc")
    attacker = _client(app, ATTACKER_IP)
    for _ in range(5):
        _login(attacker, password="wrong-password")
    assert _login(forged).status_code == 429
    assert _login(mine).status_code == 303
