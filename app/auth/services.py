"""Writes for accounts: authentication, sign-out, creating users."""

from __future__ import annotations

from werkzeug.security import check_password_hash, generate_password_hash

from ..core import audit
from ..core.timeutil import utcnow
from ..extensions import db
from .models import ROLES, User
from .queries import normalize_email, user_by_email

# Compared against when the email is unknown, so a wrong email and a wrong password
# take the same time (no account enumeration by timing).
_DUMMY_HASH = generate_password_hash("not-a-real-password")

MIN_PASSWORD_LENGTH = 10


class UserError(ValueError):
    pass


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None (one answer for every
    kind of failure)."""
    user = db.session.scalar(user_by_email(email))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def record_login(user: User) -> None:
    user.last_login_at = utcnow()
    audit.record("auth.login", user, actor=user)


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
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    if db.session.scalar(user_by_email(email)) is not None:
        raise UserError(f"a user with email {email} already exists")
    if role == "council" and not buildings:
        raise UserError("a council member needs at least one building (--building SLUG)")
    if role == "staff" and department is None:
        raise UserError("department staff need a department (--department CODE)")
    user = User(email=email, name=name, role=role, department=department if role == "staff" else None)
    user.set_password(password)
    user.buildings = list(buildings) if role == "council" else []
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
