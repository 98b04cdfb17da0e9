"""Writes for accounts: authentication, sign-out, passwords, one-time links, user
administration and preferences.  Two-step sign-in is in ``totp.py``."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from ..core import audit
from ..core.mail import external_url, queue_mail, user_lang
from ..core.timeutil import aware, utcnow
from ..core.errors import ServiceError
from ..extensions import db
from .models import BUILDING_ROLES, ROLES, AccountToken, User, password_hash_method
from .queries import normalize_email, user_by_email

# Compared against when the email is unknown, so a wrong email and a wrong password
# take the same time (no account enumeration by timing).
_DUMMY_HASHES: dict[str, str] = {}


def _dummy_hash() -> str:
    method = password_hash_method()
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = generate_password_hash("not-a-real-password", method=method)
    return _DUMMY_HASHES[method]

MIN_PASSWORD_LENGTH = 12


class UserError(ServiceError):
    pass


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None (one answer for every
    kind of failure)."""
    user = db.session.scalar(user_by_email(email))
    if user is None or not user.has_password:
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def record_login(user: User, *, two_step: bool = False) -> None:
    user.last_login_at = utcnow()
    audit.record("auth.login", user, actor=user, after={"two_step": two_step})


def sign_out(user: User) -> None:
    """End every session of this user (cookies issued before stop working)."""
    user.revoke_sessions()
    audit.record("auth.logout", user, actor=user)


def create_user(
    email: str,
    password: str,
    role: str,
    *,
    name: str = "",
    buildings=(),
    department=None,
    actor=None,
) -> User:
    email = normalize_email(email)
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    problems = password_problems(password, email=email, name=name)
    if problems:
        raise UserError(problems[0])
    if db.session.scalar(user_by_email(email)) is not None:
        raise UserError(f"a user with email {email} already exists")
    if role in BUILDING_ROLES and not buildings:
        raise UserError("council members and observers need at least one building (--building SLUG)")
    if role == "staff" and department is None:
        raise UserError("department staff need a department (--department CODE)")
    user = User(email=email, name=name, role=role, department=department if role == "staff" else None)
    user.set_password(password)
    user.buildings = list(buildings) if role in BUILDING_ROLES else []
    db.session.add(user)
    db.session.flush()
    audit.record(
        "user.create",
        user,
        actor=actor,
        after={
            "email": email,
            "role": role,
            "buildings": [b.slug for b in user.buildings],
            "department": getattr(user.department, "code", None),
        },
    )
    return user


# --- passwords ---------------------------------------------------------------------

MAX_PASSWORD_LENGTH = 128
MIN_PASSWORD_SCORE = 3  # zxcvbn: 3 = "safely unguessable" (offline slow-hash attack)


def password_problems(password: str, *, email: str = "", name: str = "") -> list[str]:
    """What is wrong with ``password`` as a new password (translated), or []: length
    12–128, and not guessable (zxcvbn's dictionaries of common passwords, words, names,
    keyboard patterns, repeats and dates; the person's own e-mail and name count as
    guessable).  No composition rules (ASVS 2.1.9)."""
    from flask_babel import gettext as _

    if len(password) < MIN_PASSWORD_LENGTH:
        return [_("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)]
    if len(password) > MAX_PASSWORD_LENGTH:
        return [_("Use at most %(n)d characters.", n=MAX_PASSWORD_LENGTH)]
    from zxcvbn import zxcvbn

    local = (email or "").split("@")[0]
    inputs = [v for v in (email, local, name, "loushi", "楼事通") if v]
    if zxcvbn(password[:MAX_PASSWORD_LENGTH], user_inputs=inputs)["score"] < MIN_PASSWORD_SCORE:
        return [_("This password is too easy to guess. Avoid common passwords, your name or e-mail, "
                  "and repeated or keyboard sequences; a few unrelated words work well.")]
    return []


def set_new_password(user: User, password: str, *, actor=None, action: str = "auth.password_change") -> None:
    """Set a checked new password, end every session of the person (the caller signs the
    current browser in again), audit it and tell the person by e-mail (ASVS 2.5.5)."""
    problems = password_problems(password, email=user.email, name=user.name)
    if problems:
        raise UserError(problems[0])
    user.set_password(password)
    user.password_changed_at = utcnow()
    user.revoke_sessions()
    audit.record(action, user, actor=actor or user)
    security_notice(user, "password")


def change_password(user: User, current: str, new: str) -> None:
    """The person changes their own password: the current one is asked for first."""
    from flask_babel import gettext as _

    if not user.check_password(current):
        raise UserError(_("The current password is not correct."))
    set_new_password(user, new)


# --- one-time links (invitation, reset) ----------------------------------------------

TOKEN_HOURS = {"invite": 72, "reset": 2}


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(user: User, purpose: str) -> str:
    """A new one-time link token for ``user``; earlier unused ones are spent, so only the
    latest link works."""
    now = utcnow()
    db.session.execute(
        sa.update(AccountToken)
        .where(AccountToken.user_id == user.id, AccountToken.used_at.is_(None))
        .values(used_at=now)
    )
    raw = secrets.token_urlsafe(32)
    db.session.add(
        AccountToken(user_id=user.id, purpose=purpose, token_hash=_token_hash(raw), created_at=now,
                     expires_at=now + timedelta(hours=TOKEN_HOURS[purpose]))
    )
    return raw


def valid_token(raw: str) -> AccountToken | None:
    """The unused, unexpired token of an active person, or None."""
    if not raw or len(raw) > 100:
        return None
    token = db.session.scalar(sa.select(AccountToken).where(AccountToken.token_hash == _token_hash(raw)))
    if token is None or token.used_at is not None or aware(token.expires_at) <= utcnow() or not token.user.active:
        return None
    return token


def redeem_token(raw: str, password: str) -> User:
    """Set the password through a one-time link; the link is spent."""
    from flask_babel import gettext as _

    token = valid_token(raw)
    if token is None:
        raise UserError(_("This link has expired or has already been used."))
    user = token.user
    set_new_password(user, password, action="auth.password_set" if token.purpose == "invite" else "auth.password_reset")
    token.used_at = utcnow()
    return user


def _link_mail(user: User, purpose: str, raw: str) -> None:
    from flask import render_template
    from flask_babel import force_locale
    from flask_babel import gettext as _

    lang = user_lang(user)
    with force_locale(lang):
        link = external_url("auth.set_password", lang_code=lang, token=raw)
        subject = _("You are invited to the Loushi council workspace") if purpose == "invite" else _("Set a new Loushi password")
        body = render_template("auth/mail/link.txt", user=user, purpose=purpose, link=link, hours=TOKEN_HOURS[purpose])
    queue_mail(user.email, subject, body, lang=lang, kind=f"auth.{purpose}")


def security_notice(user: User, what: str) -> None:
    """Tell the person their credentials changed (always sent; not a preference)."""
    from flask import render_template
    from flask_babel import force_locale
    from flask_babel import gettext as _

    lang = user_lang(user)
    with force_locale(lang):
        subject = {
            "password": _("Your Loushi password was changed"),
            "totp_on": _("Two-step sign-in was turned on for your Loushi account"),
            "totp_off": _("Two-step sign-in was turned off for your Loushi account"),
            "recovery": _("New recovery codes were made for your Loushi account"),
        }[what]
        body = render_template("auth/mail/security.txt", user=user, what=what, subject=subject)
    queue_mail(user.email, subject, body, lang=lang, kind=f"auth.security.{what}")


def request_reset(email: str) -> None:
    """"Forgot password": mail a reset link when an active account has this address.
    The caller says the same thing either way (no account enumeration)."""
    user = db.session.scalar(user_by_email(email))
    if user is None or not user.active:
        return
    raw = issue_token(user, "reset")
    audit.record("auth.reset_requested", user, actor=user)
    _link_mail(user, "reset", raw)


# --- user administration (admins) ----------------------------------------------------


def _scope_of(user: User) -> dict:
    return {
        "name": user.name,
        "role": user.role,
        "buildings": sorted(b.slug for b in user.buildings),
        "department": getattr(user.department, "code", None),
        "locale": user.locale,
    }


def _check_scope(role: str, buildings, department) -> None:
    from flask_babel import gettext as _

    if role not in ROLES:
        raise UserError(_("Choose a role."))
    if role in BUILDING_ROLES and not buildings:
        raise UserError(_("Council members and observers need at least one building."))
    if role == "staff" and department is None:
        raise UserError(_("Department staff need a department."))


def invite_user(email: str, role: str, *, name: str = "", buildings=(), department=None, locale: str = "zh", actor=None) -> User:
    """Create an account without a password and mail the person a link to set one."""
    from flask_babel import gettext as _

    email = normalize_email(email)
    _check_scope(role, buildings, department)
    if db.session.scalar(user_by_email(email)) is not None:
        raise UserError(_("An account with this e-mail address already exists."))
    user = User(email=email, name=name.strip(), role=role, locale=locale if locale in ("zh", "en") else "zh")
    user.clear_password()
    _apply_scope(user, role, buildings, department)
    db.session.add(user)
    db.session.flush()
    audit.record("user.invite", user, actor=actor, after=_scope_of(user) | {"email": email})
    _link_mail(user, "invite", issue_token(user, "invite"))
    return user


def _apply_scope(user: User, role: str, buildings, department) -> None:
    user.role = role
    user.buildings = list(buildings) if role in BUILDING_ROLES else []
    user.department = department if role == "staff" else None


def update_user(user: User, *, role: str, name: str, buildings=(), department=None, actor=None) -> None:
    """Change a person's name, role and scope (effective on their next request)."""
    from flask_babel import gettext as _

    _check_scope(role, buildings, department)
    if user.role == "admin" and role != "admin" and _last_admin(user):
        raise UserError(_("This is the last active administrator; make someone else an administrator first."))
    before = _scope_of(user)
    user.name = name.strip()
    _apply_scope(user, role, buildings, department)
    after = _scope_of(user)
    if after != before:
        audit.record("user.update", user, actor=actor, before=before, after=after)


def _last_admin(user: User) -> bool:
    others = db.session.scalar(
        sa.select(sa.func.count()).select_from(User).where(User.role == "admin", User.active.is_(True), User.id != user.id)
    )
    return others == 0


def deactivate_user(user: User, *, actor) -> None:
    """Block sign-in and end every session at once (the next request is anonymous)."""
    from flask_babel import gettext as _

    if actor is not None and actor.id == user.id:
        raise UserError(_("You cannot deactivate your own account."))
    if user.role == "admin" and _last_admin(user):
        raise UserError(_("This is the last active administrator; make someone else an administrator first."))
    if not user.active:
        return
    user.active = False
    user.deactivated_at = utcnow()
    user.revoke_sessions()
    db.session.execute(sa.update(AccountToken).where(AccountToken.user_id == user.id, AccountToken.used_at.is_(None)).values(used_at=utcnow()))
    audit.record("user.deactivate", user, actor=actor)


def reactivate_user(user: User, *, actor) -> None:
    if user.active:
        return
    user.active = True
    user.deactivated_at = None
    user.revoke_sessions()
    audit.record("user.reactivate", user, actor=actor)


def send_reset(user: User, *, actor) -> None:
    """An administrator sends the person a one-time link to set a new password."""
    from flask_babel import gettext as _

    if not user.active:
        raise UserError(_("Reactivate the account first."))
    raw = issue_token(user, "invite" if not user.has_password else "reset")
    audit.record("user.send_reset", user, actor=actor)
    _link_mail(user, "invite" if not user.has_password else "reset", raw)


def update_preferences(user: User, *, locale: str, notify_new: bool, notify_updates: bool) -> None:
    before = {"locale": user.locale, "notify_new": user.notify_new, "notify_updates": user.notify_updates}
    user.locale = locale if locale in ("zh", "en") else user.locale
    user.notify_new, user.notify_updates = bool(notify_new), bool(notify_updates)
    after = {"locale": user.locale, "notify_new": user.notify_new, "notify_updates": user.notify_updates}
    if after != before:
        audit.record("account.preferences", user, actor=user, before=before, after=after)
