"""A per-browser identity for anonymous actions (supporting or reporting a wish): a
random id in a signed, HttpOnly cookie.  Only its hash is stored, so the database cannot
link supports to a cookie, and a forged cookie is simply a new identity.

A cookie is free to drop, so a "person" (``current_person``) is the cookie (or the
signed-in account) together with a keyed hash of the client's network, which the wish
wall allows only a few supports and reports per wish (app/wall/services.py)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from dataclasses import dataclass

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


def _keyed(purpose: str, value: str) -> str:
    return hmac.new(current_app.config["SECRET_KEY"].encode(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def network_of(address: str | None) -> str | None:
    """The network an address stands for: an IPv4 address whole (many people of an office
    tower share one NAT address, which the per-network allowance accounts for), an IPv6
    address by its /64 (one subscriber's prefix: the rest can be changed at will)."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def network_key() -> str | None:
    """A keyed hash (HMAC with the secret key) of the client's network: the raw address is
    never stored, and the hash cannot be recomputed from a list of addresses without the key."""
    network = network_of(request.remote_addr)
    return _keyed("loushi-network", network) if network else None


@dataclass(frozen=True)
class Person:
    """Who does an anonymous action: ``key`` counts once per wish (the signed-in account, or
    else the browser cookie); ``network`` is the allowance per network, None for a signed-in
    account (an account is one person, wherever it is)."""

    key: str
    network: str | None


def current_person() -> Person:
    from flask_login import current_user

    if getattr(current_user, "is_authenticated", False):
        return Person(key=_keyed("loushi-account", str(current_user.get_id())), network=None)
    browser_id()
    return Person(key=browser_key(), network=network_key())


def init_identity(app: Flask) -> None:
    @app.after_request
    def _set_cookie(response):
        if g.get("browser_id_new"):
            response.set_cookie(
                COOKIE, _serializer().dumps(g.browser_id), max_age=MAX_AGE, httponly=True, samesite="Lax",
                secure=app.config.get("SESSION_COOKIE_SECURE", False),
            )
        return response
