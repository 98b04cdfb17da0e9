"""Staff accounts.  The public never needs an account."""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..core.timeutil import utcnow
from ..extensions import db

ROLES: dict[str, object] = {
    "admin": _l("District administrator"),
    "council": _l("Council member"),
    "staff": _l("Department staff"),
    "observer": _l("Observer (read-only)"),
}
# Roles whose scope is a set of buildings (user_building); staff have one department.
BUILDING_ROLES = ("council", "observer")

# One-time links sent by e-mail: an invitation sets the first password, a reset a new one.
TOKEN_PURPOSES = ("invite", "reset")

user_building = sa.Table(
    "user_building",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("building_id", sa.ForeignKey("building.id", ondelete="CASCADE"), primary_key=True),
)


UNUSABLE_PASSWORD = "!"


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


def password_hash_method() -> str:
    """Werkzeug's hash method: its default (scrypt) unless ``PASSWORD_HASH_METHOD`` says
    otherwise; only the test configuration does, with a cheap one (the suite signs in and
    seeds accounts thousands of times; the hash's strength is not what it tests)."""
    from flask import current_app, has_app_context

    return (has_app_context() and current_app.config.get("PASSWORD_HASH_METHOD")) or "scrypt"


class User(UserMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    role: Mapped[str] = mapped_column(sa.String(16))
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("department.id", ondelete="SET NULL"), index=True)
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    # Rotated on logout, deactivation and password change: every cookie issued before
    # (session or remember-me) stops working at once.
    session_token: Mapped[str] = mapped_column(sa.String(64), default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    password_changed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    deactivated_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # Two-step sign-in (TOTP, RFC 6238): the base32 secret once confirmed, and the last
    # time step accepted, so a code cannot be used twice.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    # Notification preferences (security notices are always sent).
    notify_new: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default=sa.true())
    notify_updates: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default=sa.true())

    department = relationship("Department", lazy="joined")
    buildings = relationship("Building", secondary=user_building, lazy="selectin", order_by="Building.slug")

    __table_args__ = (sa.CheckConstraint("role IN ('admin', 'council', 'staff', 'observer')", name="role"),)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=password_hash_method())

    def clear_password(self) -> None:
        """No password yet (an invited person sets one through the e-mailed link)."""
        self.password_hash = UNUSABLE_PASSWORD

    @property
    def has_password(self) -> bool:
        return bool(self.password_hash) and self.password_hash != UNUSABLE_PASSWORD

    def check_password(self, password: str) -> bool:
        if not self.has_password:
            return False
        return check_password_hash(self.password_hash, password)

    @property
    def totp_enabled(self) -> bool:
        return bool(self.totp_secret and self.totp_enabled_at)

    def revoke_sessions(self) -> None:
        self.session_token = new_session_token()

    # Flask-Login: the id in the cookie carries the session token, so a rotated token
    # invalidates every session and remember-me cookie issued before.
    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return bool(self.active)

    @property
    def role_label(self):
        return ROLES.get(self.role, self.role)

    @property
    def building_ids(self) -> set[int]:
        return {b.id for b in self.buildings}

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class AccountToken(db.Model):
    """A one-time link (invitation or password reset).  Only the SHA-256 of the token is
    stored; it expires, and using it (or issuing a newer one) spends it."""

    __tablename__ = "account_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(sa.String(16))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    user = relationship("User", lazy="joined")

    __table_args__ = (sa.CheckConstraint("purpose IN ('invite', 'reset')", name="purpose"),)


class RecoveryCode(db.Model):
    """A one-time recovery code for two-step sign-in (stored hashed)."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
