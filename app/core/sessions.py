"""Flask's signed-cookie sessions and Flask-WTF's CSRF tokens, with their signing set-up
made once instead of for every request.

Flask builds a new ``URLSafeTimedSerializer`` for every session it opens and every session
it saves, Flask-WTF another for every token it signs, and itsdangerous derives the HMAC key
again (an HMAC of its own) for every signature.  None of that changes while the secret key
stays the same, and it was a third of what a cached public page with a form cost.

One difference in what is made: the payload is never zlib-compressed.  itsdangerous tries
zlib on every payload and keeps the result only when shorter, which for a CSRF token or a
visitor's session (a few dozen bytes) it never is.  Flask and Flask-WTF read both forms (a
compressed payload is marked with a leading "."), so cookies and tokens made before, and
tokens checked by Flask-WTF itself, all still work."""

from __future__ import annotations

import secrets
from functools import lru_cache

from flask import Flask, current_app, g, session
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode
from itsdangerous.serializer import Serializer


# (secret key, salt, derivation, digest) -> derived key; a handful of entries at most.
_DERIVED: dict[tuple, bytes] = {}


class _Signer(TimestampSigner):
    """itsdangerous' timestamp signer with the derived key remembered per secret key."""

    def derive_key(self, secret_key=None) -> bytes:
        cache_key = (self.secret_keys[-1] if secret_key is None else secret_key, self.salt, self.key_derivation, self.digest_method)
        key = _DERIVED.get(cache_key)
        if key is None:
            key = _DERIVED[cache_key] = super().derive_key(secret_key)
        return key


class _Serializer(URLSafeTimedSerializer):
    """URL-safe, timed, signed: itsdangerous' own, without the zlib attempt (see above)."""

    def dump_payload(self, obj) -> bytes:
        return base64_encode(Serializer.dump_payload(self, obj))


class CookieSessionInterface(SecureCookieSessionInterface):
    """Flask's session interface; only the serializer is kept between requests."""

    def __init__(self) -> None:
        self._serializers: dict[tuple, URLSafeTimedSerializer] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        keys = (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)  # the current key last
        serializer = self._serializers.get(keys)
        if serializer is None:
            serializer = _Serializer(
                list(keys),
                salt=self.salt,
                serializer=self.serializer,
                signer=_Signer,
                signer_kwargs={"key_derivation": self.key_derivation, "digest_method": self.digest_method},
            )
            self._serializers = {keys: serializer}  # a new secret key replaces the old one
        return serializer


@lru_cache(maxsize=4)
def _csrf_serializer(secret_key) -> URLSafeTimedSerializer:
    return _Serializer(secret_key, salt="wtf-csrf-token", signer=_Signer)


def csrf_token() -> str:
    """This visitor's signed CSRF token: ``flask_wtf.csrf.generate_csrf()`` (same session
    key, salt and format, checked by Flask-WTF as before) with a serializer made once."""
    field_name = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    token = g.get(field_name)
    if token is None:
        if field_name not in session:
            session[field_name] = secrets.token_hex(20)  # 40 hex digits, as Flask-WTF's sha1 of 64 random bytes
        secret = current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
        token = _csrf_serializer(secret).dumps(session[field_name])
        setattr(g, field_name, token)
    return token
