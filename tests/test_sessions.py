"""app/core/sessions.py: Flask's cookie sessions and Flask-WTF's CSRF tokens with their
serializers made once.  What they make must stay readable by the stock code, and the
other way round, or every visitor would be signed out and every open form refused."""

from __future__ import annotations

import pytest
from flask import Flask, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import generate_csrf, validate_csrf
from wtforms.validators import ValidationError

from app.core.sessions import CookieSessionInterface, csrf_token


def test_our_tokens_pass_flask_wtf_and_flask_wtf_tokens_pass_its_check(app):
    with app.test_request_context("/zh/"):
        ours = csrf_token()
        validate_csrf(ours)  # Flask-WTF's own check: raises when refused
        assert generate_csrf() == ours  # one token per request, whoever asks first
    with app.test_request_context("/zh/"):
        stock = generate_csrf()
        validate_csrf(stock)
        assert csrf_token() == stock
    with app.test_request_context("/zh/"):
        session["csrf_token"] = "another visitor's raw token"
        with pytest.raises(ValidationError):
            validate_csrf(ours)  # bound to the session it was made for


def _stock(secret: str, fallbacks=()) -> tuple[Flask, SecureCookieSessionInterface]:
    flask_app = Flask(__name__)
    flask_app.config.update(SECRET_KEY=secret, SECRET_KEY_FALLBACKS=list(fallbacks))
    return flask_app, SecureCookieSessionInterface()


def test_session_cookies_are_read_both_ways_and_survive_a_key_rotation():
    data = {"csrf_token": "a" * 40, "_user_id": "7", "lang": "中文", "nested": {"list": [1, 2, 3] * 40}}
    old_app, stock = _stock("old-secret")
    ours = CookieSessionInterface()
    mine = ours.get_signing_serializer(old_app).dumps(data)
    theirs = stock.get_signing_serializer(old_app).dumps(data)
    assert theirs.startswith(".") and not mine.startswith(".")  # stock compressed this one; we never do
    assert stock.get_signing_serializer(old_app).loads(mine) == data
    assert ours.get_signing_serializer(old_app).loads(theirs) == data
    # a new secret key with the old one as a fallback: old cookies still open, new ones use the new key
    new_app, _ = _stock("new-secret", fallbacks=["old-secret"])
    serializer = ours.get_signing_serializer(new_app)
    assert serializer.loads(mine) == data and serializer.loads(theirs) == data
    fresh = serializer.dumps(data)
    assert _stock("new-secret")[1].get_signing_serializer(_stock("new-secret")[0]).loads(fresh) == data
    from itsdangerous import BadSignature

    with pytest.raises(BadSignature):
        ours.get_signing_serializer(_stock("someone-else")[0]).loads(mine)


def test_a_form_page_and_its_post_work_end_to_end(app, client, demo):
    """The visitor's first view makes the session and token (ours); Flask-WTF checks the post."""
    from tests.conftest import csrf_from

    page = client.get("/zh/track")
    assert any(c.startswith("loushi_session=") for c in page.headers.getlist("Set-Cookie"))
    refused = client.post("/zh/track", data={"csrf_token": "forged", "tracking_no": "LS-2026-000001", "code": "ABCD-EFGH"})
    assert refused.status_code == 400
    answered = client.post("/zh/track", data={"csrf_token": csrf_from(page.get_data(as_text=True)), "tracking_no": "LS-2026-000001",
                                              "code": "ABCD-EFGH"})
    assert answered.status_code == 422  # past the CSRF check: the look-up itself answers
