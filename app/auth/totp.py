"""Two-step sign-in: TOTP (RFC 6238, 30-second steps, 6 digits) and recovery codes.

Set-up keeps the new secret in the signed session until the person proves it works
with a code; only then is it stored.  A code is accepted once (the step is kept), one
step of clock drift either way is allowed, and wrong codes are rate-limited by the
routes.  Ten recovery codes, stored hashed, each usable once, replace a lost phone."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import pyotp
import sqlalchemy as sa
from flask import current_app

from ..core import audit
from ..core.timeutil import utcnow
from ..extensions import db
from .models import RecoveryCode, User

ISSUER = "Loushi 楼事通"
STEP_SECONDS = 30
RECOVERY_CODES = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i


def required_for(user: User) -> bool:
    """Whether this person must use two-step sign-in (``TOTP_REQUIRED_ROLES``)."""
    return user.role in current_app.config["TOTP_REQUIRED_ROLES"]


def needs_setup(user: User) -> bool:
    return required_for(user) and not user.totp_enabled


def new_secret() -> str:
    return pyotp.random_base32()  # 32 base32 characters: 160 bits


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def grouped(secret: str) -> str:
    """The secret in groups of four for typing into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _normalize(code: str) -> str:
    """Digits and letters only, lower case; full-width digits become ASCII."""
    code = (code or "")[:64].translate({0xFF10 + i: 0x30 + i for i in range(10)})
    return "".join(c for c in code.lower() if c.isascii() and c.isalnum())


def _matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int((time.time() if now is None else now) // STEP_SECONDS)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def check_code(user: User, code: str, *, secret: str | None = None) -> bool:
    """A fresh, correct code for ``user`` (or for ``secret`` during set-up); the step is
    remembered so the same code (or an older one) is refused next time."""
    step = _matching_step(secret or user.totp_secret or "", _normalize(code))
    if step is None:
        return False
    if user.totp_last_step is not None and step <= user.totp_last_step:
        return False
    user.totp_last_step = step
    return True


def _code_hash(user: User, code: str) -> str:
    return hashlib.sha256(f"{user.id}:{_normalize(code)}".encode()).hexdigest()


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _i in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_ALPHABET) for _j in range(10))
        code = f"{raw[:5]}-{raw[5:]}"
        codes.append(code)
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_code_hash(user, code)))
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    """Spend one unused recovery code; True when it matched."""
    if len(_normalize(code)) != 10:
        return False
    row = db.session.scalar(
        sa.select(RecoveryCode).where(
            RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _code_hash(user, code), RecoveryCode.used_at.is_(None)
        )
    )
    if row is None:
        return False
    row.used_at = utcnow()
    audit.record("auth.recovery_code_used", user, actor=user, after={"left": recovery_codes_left(user) - 1})
    return True


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


def verify_second_step(user: User, code: str) -> bool:
    """A sign-in's second step: a TOTP code, or else a recovery code."""
    return check_code(user, code) or use_recovery_code(user, code)


def enable(user: User, secret: str, code: str) -> list[str] | None:
    """Turn two-step sign-in on once ``code`` proves the app holds ``secret``; returns
    the new recovery codes (shown once), or None when the code is wrong."""
    from .services import security_notice

    if not check_code(user, code, secret=secret):
        return None
    user.totp_secret = secret
    user.totp_enabled_at = utcnow()
    codes = _new_recovery_codes(user)
    audit.record("auth.two_step_on", user, actor=user)
    security_notice(user, "totp_on")
    return codes


def regenerate_recovery_codes(user: User) -> list[str]:
    from .services import security_notice

    codes = _new_recovery_codes(user)
    audit.record("auth.recovery_codes_new", user, actor=user)
    security_notice(user, "recovery")
    return codes


def _turn_off(user: User) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def disable(user: User) -> None:
    """The person turns it off themselves (not allowed where it is required: the route
    checks ``required_for``)."""
    from .services import security_notice

    _turn_off(user)
    audit.record("auth.two_step_off", user, actor=user)
    security_notice(user, "totp_off")


def reset_two_step(user: User, *, actor) -> None:
    """An administrator clears a person's two-step set-up (a lost phone): their
    sessions end, and they set it up again at their next sign-in where it is required."""
    from .services import security_notice

    if not user.totp_enabled:
        return
    _turn_off(user)
    user.revoke_sessions()
    audit.record("user.reset_two_step", user, actor=actor)
    security_notice(user, "totp_off")


def enroll_for_demo(user: User) -> tuple[str, list[str]]:
    """seed-demo: a demo administrator with two-step sign-in already on (its key and
    recovery codes are printed so that the demo can be signed in to)."""
    secret = new_secret()
    user.totp_secret = secret
    user.totp_enabled_at = utcnow()
    user.totp_last_step = None
    db.session.flush()
    return secret, _new_recovery_codes(user)
