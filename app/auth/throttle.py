"""Sign-in throttling that slows the guesser, not the owner (OWASP "device cookies").

Wrong passwords are counted per account (a keyed hash of the typed address, so unknown
addresses behave the same) for the browsers the account has not signed in from.  After
``LOGIN_FREE_FAILURES`` of them, every further sign-in to the account from such a browser
must wait: 1 s, 2 s, 4 s … (``LOGIN_DELAY_BASE_SECONDS`` doubled per failure, at most
``LOGIN_DELAY_MAX_SECONDS``).  An attempt made while it must wait is refused at once, its
password not checked; no worker sleeps.  The count runs for ``LOGIN_FAILURE_WINDOW_SECONDS``
from the first failure.

A successful sign-in sets a device cookie (signed, HttpOnly, a year): the account and a
random device id.  A browser that presents a device cookie of the account it signs in to
is not held by the account's count — it has its own count and delays, by device id, under
the same rules — so strangers' guesses cannot lock the owner out.  The per-address limit
(``LOGIN_LIMIT_PER_IP``, Flask-Limiter) applies to every browser.

The counts live in the rate limiter's storage (Redis, or the database: shared by every
worker); with rate limiting off there is no throttling either.
"""

from __future__ import annotations

import math
import secrets
import time
from dataclasses import dataclass

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..core.logsafe import pseudonym
from ..extensions import limiter
from .queries import normalize_email

DEVICE_COOKIE = "loushi_device"


@dataclass(frozen=True)
class Subject:
    """Whose failures an attempt counts against: ``account`` (unknown browsers) or ``device``."""

    kind: str
    ident: str

    def key(self, what: str) -> str:
        return f"{current_app.config['RATELIMIT_KEY_PREFIX']}/login-{what}/{self.kind}/{self.ident}"


def account_key(email: str) -> str:
    return pseudonym(normalize_email(email or ""))


# --- the device cookie ------------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="loushi-device-cookie")


def _max_age() -> int:
    return int(current_app.config["LOGIN_DEVICE_COOKIE_DAYS"]) * 24 * 3600


def device_of(account: str) -> str | None:
    """The device id of this browser's device cookie when it was set by a sign-in to
    ``account``; else None (no cookie, another account's, forged or too old)."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return None
    try:
        value = _serializer().loads(raw, max_age=_max_age())
    except BadSignature:
        return None
    if not isinstance(value, dict) or value.get("a") != account or not isinstance(value.get("d"), str):
        return None
    return value["d"]


def set_device_cookie(response, email: str):
    """After a successful sign-in: (re)issue this browser's device cookie for the account,
    keeping its device id when it had one."""
    account = account_key(email)
    device = device_of(account) or secrets.token_hex(16)
    response.set_cookie(
        DEVICE_COOKIE, _serializer().dumps({"a": account, "d": device}), max_age=_max_age(), httponly=True,
        samesite="Lax", secure=current_app.config.get("SESSION_COOKIE_SECURE", False), path="/",
    )
    return response


# --- counting -------------------------------------------------------------------------------


def subject_for(email: str) -> Subject:
    account = account_key(email)
    device = device_of(account)
    return Subject("device", device) if device else Subject("account", account)


def _storage():
    if not (limiter.enabled and current_app.config.get("RATELIMIT_ENABLED", True)):
        return None
    return getattr(limiter, "_storage", None)


def wait_seconds(subject: Subject) -> int:
    """How long this subject must still wait before its password is checked (0: not at all)."""
    storage = _storage()
    if storage is None or storage.get(subject.key("wait")) <= 0:
        return 0
    return max(1, math.ceil(storage.get_expiry(subject.key("wait")) - time.time()))


def delay_after(failures: int) -> int:
    """The wait after the ``failures``-th failure (0 while within the free ones)."""
    cfg = current_app.config
    over = failures - int(cfg["LOGIN_FREE_FAILURES"])
    if over < 0:
        return 0
    return int(min(cfg["LOGIN_DELAY_MAX_SECONDS"], cfg["LOGIN_DELAY_BASE_SECONDS"] * 2 ** min(over, 30)))


def record_failure(subject: Subject) -> int:
    """Count a wrong password; start the wait it earns.  Returns the wait in seconds."""
    storage = _storage()
    if storage is None:
        return 0
    failures = storage.incr(subject.key("failures"), int(current_app.config["LOGIN_FAILURE_WINDOW_SECONDS"]))
    delay = delay_after(failures)
    if delay:
        storage.clear(subject.key("wait"))
        storage.incr(subject.key("wait"), delay)
    current_app.logger.warning(
        "sign-in failed: %s %s, failure %d, next attempt in %d s", subject.kind, subject.ident[:12], failures, delay
    )
    return delay


def record_success(subject: Subject) -> None:
    """A right password from a known device: that device's count starts again.  (The
    account's count for unknown browsers is left to run out: the guesser may still be at it.)"""
    storage = _storage()
    if storage is not None and subject.kind == "device":
        storage.clear(subject.key("failures"))
        storage.clear(subject.key("wait"))
