"""A per-browser identity for anonymous actions (supporting or reporting a wish): a
random id in a signed, HttpOnly cookie.  Only its hash is stored, so the database cannot
link supports to a cookie, and a forged cookie is simply a new identity."""

from __future__ import annotations

import hashlib
import secrets

from flask import Flask, current_app, g, request
from itsdangerous import BadSignature, URLSafeSerializer

COOKIE = "loushi_bid"
MAX_AGE = 365 * 24 * 3600


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="loushi-browser-id")


def browser_id() -> str:
    """This browser's id (created on first use; the cookie is set with the response)."""
    if "browser_id" in g:
        return g.browser_id
    raw = request.cookies.get(COOKIE)
    value = None
    if raw:
        try:
            value = _serializer().loads(raw)
        except BadSignature:
            value = None
    if not isinstance(value, str) or len(value) != 32:
        value = secrets.token_hex(16)
        g.browser_id_new = True
    g.browser_id = value
    return value


def browser_key() -> str:
    """What is stored: a hash of the id (with the secret key, so ids cannot be guessed
    from the database)."""
    return hashlib.sha256((current_app.config["SECRET_KEY"] + ":" + browser_id()).encode()).hexdigest()


def init_identity(app: Flask) -> None:
    @app.after_request
    def _set_cookie(response):
        if g.get("browser_id_new"):
            response.set_cookie(
                COOKIE, _serializer().dumps(g.browser_id), max_age=MAX_AGE, httponly=True, samesite="Lax",
                secure=app.config.get("SESSION_COOKIE_SECURE", False),
            )
        return response
