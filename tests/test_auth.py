"""Sign-in and sign-out: sessions, next, rate limits, revocation, no enumeration."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.auth.models import User
from app.auth.routes import safe_next
from app.core.models import AuditLog
from app.extensions import db
from tests.conftest import DEMO_PASSWORD, csrf_from, text_of


def test_login_page_in_both_languages(client):
    zh, en = client.get("/zh/login"), client.get("/en/login")
    assert "工作人员登录" in text_of(zh) and "电子邮箱" in text_of(zh) and "密码" in text_of(zh)
    assert "Staff sign-in" in text_of(en) and "Email" in text_of(en)


def test_sign_in_goes_to_the_workspace_and_records_it(app, client, demo, auth):
    response = auth.login("council@example.com")
    assert response.status_code == 303 and response.location == "/zh/council/"
    page = client.get("/zh/council/")
    assert page.status_code == 200
    text = text_of(page)
    assert "楼事会工作台" in text and "council@example.com" in text and "上海中心大厦" in text
    assert "auth.login" in text  # the dashboard lists the person's own recent activity
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "council@example.com"))
        assert user.last_login_at is not None
        assert db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "auth.login", AuditLog.actor_id == user.id))


def test_wrong_password_unknown_email_and_inactive_user_get_one_message(app, client, demo, auth):
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "staff@example.com"))
        user.active = False
        db.session.commit()
    messages = set()
    for email, password in (
        ("admin@example.com", "wrong-password"),
        ("nobody@example.com", DEMO_PASSWORD),
        ("staff@example.com", DEMO_PASSWORD),
    ):
        response = auth.login(email, password, lang="en")
        assert response.status_code == 422
        text = text_of(response)
        assert "The email or password is not correct." in text
        assert email in response.get_data(as_text=True)  # what the person typed is kept
        messages.add(text.replace(email, "EMAIL"))
    assert len(messages) == 1, "the three failures must look the same"


def test_invalid_form_shows_field_errors_in_chinese(client):
    page = client.get("/zh/login")
    response = client.post("/zh/login", data={"email": "not-an-email", "password": "", "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in html and "请更正以下内容" in text_of(response)
    assert 'value="not-an-email"' in html


def test_session_is_renewed_on_sign_in(client, demo, auth):
    client.get("/zh/login")
    with client.session_transaction() as sess:
        sess["planted"] = "by-an-attacker"
    auth.login()
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert "_user_id" in sess


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/zh/council/", "/zh/council/"),
        ("/en/council/?x=1", "/en/council/?x=1"),
        ("https://evil.example/", None),
        ("//evil.example/", None),
        ("/\\evil.example", None),
        ("javascript:alert(1)", None),
        ("http:/evil.example", None),
        ("", None),
        ("/zh/\nSet-Cookie:x", None),
    ],
)
def test_next_is_validated(target, expected):
    assert safe_next(target) == expected


def test_login_follows_a_safe_next_and_ignores_an_unsafe_one(client, demo):
    page = client.get("/zh/login?next=/en/council/")
    assert 'value="/en/council/"' in page.get_data(as_text=True)
    response = client.post("/zh/login", data={"email": "council@example.com", "password": DEMO_PASSWORD, "next": "/en/council/", "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.location == "/en/council/"
    client.post("/zh/logout", data={"csrf_token": csrf_from(client.get("/zh/council/").get_data(as_text=True))})
    page = client.get("/zh/login?next=https://evil.example/")
    assert re.search(r'<input id="next" name="next" type="hidden" value="">', page.get_data(as_text=True))
    response = client.post("/zh/login", data={"email": "council@example.com", "password": DEMO_PASSWORD, "next": "https://evil.example/", "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.location == "/zh/council/"


def test_anonymous_workspace_visit_redirects_to_login_with_next(client):
    response = client.get("/en/council/")
    assert response.status_code == 302
    assert response.location.startswith("/en/login?next=")
    assert "Please sign in" in text_of(client.get(response.location))


def test_failed_logins_are_rate_limited_per_account(app, client, demo, auth, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_DELAY_BASE_SECONDS", 60)  # a wait no slow machine outlasts
    for _ in range(5):
        assert auth.login("admin@example.com", "wrong-password").status_code == 422
    response = auth.login("admin@example.com", DEMO_PASSWORD)
    assert response.status_code == 429
    assert "尝试次数过多" in text_of(response)
    # another account from the same address is not locked by it
    assert auth.login("council@example.com", DEMO_PASSWORD).status_code == 303


def test_successful_logins_do_not_count_against_the_account(client, demo, auth):
    for _ in range(7):
        assert auth.login("admin@example.com", DEMO_PASSWORD).status_code == 303
        auth.logout()


def test_login_attempts_are_rate_limited_per_ip(app, client, demo, auth):
    for i in range(20):
        assert auth.login(f"person{i}@example.com", "wrong-password").status_code == 422
    assert auth.login("admin@example.com", DEMO_PASSWORD).status_code == 429


def test_logout_needs_a_post_and_ends_every_session(app, client, demo, auth):
    auth.login()
    assert client.get("/zh/logout").status_code == 200  # a confirmation page, not a sign-out
    assert client.get("/zh/council/").status_code == 200
    with client.session_transaction() as sess:
        stolen = dict(sess)
    other = app.test_client()
    with other.session_transaction() as sess:
        sess.update(stolen)
    assert other.get("/zh/council/").status_code == 200  # a copied cookie works while signed in
    response = auth.logout()
    assert response.status_code == 303 and response.location == "/zh/"
    assert "您已退出登录" in text_of(client.get("/zh/"))
    assert client.get("/zh/council/").status_code == 302
    # the copied cookie stops working too: the server rotated the session token
    assert other.get("/zh/council/").status_code == 302


def test_remember_me_cookie_is_revoked_by_logout(app, client, demo, auth):
    auth.login(remember="y")
    remember = client.get_cookie("remember_token")
    assert remember is not None
    replay = app.test_client()
    replay.set_cookie("remember_token", remember.value)
    assert replay.get("/zh/council/").status_code == 200
    auth.logout()
    fresh = app.test_client()
    fresh.set_cookie("remember_token", remember.value)
    assert fresh.get("/zh/council/").status_code == 302


def test_deactivation_ends_sessions(app, client, demo, auth):
    auth.login("staff@example.com")
    assert client.get("/zh/council/").status_code == 200
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "staff@example.com"))
        user.active = False
        db.session.commit()
    assert client.get("/zh/council/").status_code == 302


def test_production_hashes_passwords_with_scrypt_and_the_suite_with_a_cheap_hash(app, monkeypatch):
    from app.auth.models import User
    from app.config import Config

    assert getattr(Config(), "PASSWORD_HASH_METHOD", None) is None  # production: Werkzeug's scrypt
    with app.app_context():
        user = User(email="hash@example.com")
        user.set_password("a long enough password")
        assert user.password_hash.startswith("pbkdf2:sha256:1000$") and user.check_password("a long enough password")
        monkeypatch.setitem(app.config, "PASSWORD_HASH_METHOD", None)
        user.set_password("a long enough password")
        assert user.password_hash.startswith("scrypt:") and user.check_password("a long enough password")
