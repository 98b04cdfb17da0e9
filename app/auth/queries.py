"""Reads for accounts."""

from __future__ import annotations

import sqlalchemy as sa

from ..core.models import AuditLog
from .models import UNUSABLE_PASSWORD, User


def user_by_email(email: str) -> sa.Select:
    return sa.select(User).where(User.email == normalize_email(email))


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


# --- user administration and the council team page ---------------------------------

USER_PAGE_SIZE = 50
USER_MAX_PAGE = 200  # bounded offset: 10,000 people are more than the district has staff
USER_STATUSES = ("active", "invited", "deactivated")


def user_by_id(user_id: int) -> sa.Select:
    return sa.select(User).where(User.id == user_id)


def _status_condition(status: str):
    """active: can sign in; invited: no password yet (the e-mailed link not used);
    deactivated: blocked, whatever the password."""
    no_password = sa.or_(User.password_hash == UNUSABLE_PASSWORD, User.password_hash == "")
    if status == "deactivated":
        return User.active.is_(False)
    if status == "invited":
        return sa.and_(User.active.is_(True), no_password)
    if status == "active":
        return sa.and_(User.active.is_(True), sa.not_(no_password))
    return sa.true()


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def users_filtered(*, q: str = "", role: str = "", building: str = "", department: str = "", status: str = "") -> sa.Select:
    """Accounts matching the admin list's filters (unknown values are ignored by the
    caller): ``q`` in the name or e-mail, a role, a building (slug), a department
    (code), a status (``USER_STATUSES``).  Ordered by e-mail (unique: stable pages)."""
    stmt = sa.select(User)
    q = (q or "").strip()
    if q:
        pattern = _like(q.lower())
        stmt = stmt.where(sa.or_(sa.func.lower(User.name).like(pattern, escape="\\"), User.email.like(pattern, escape="\\")))
    if role:
        stmt = stmt.where(User.role == role)
    if building:
        stmt = stmt.where(User.buildings.any(slug=building))
    if department:
        stmt = stmt.where(User.department.has(code=department))
    if status:
        stmt = stmt.where(_status_condition(status))
    return stmt


def user_page(stmt: sa.Select, page: int) -> tuple[sa.Select, sa.Select]:
    """(rows of one page, total count) for ``users_filtered``: two queries in all, the
    department joined and the buildings loaded in one more (no query per row)."""
    page = min(max(1, page), USER_MAX_PAGE)
    rows = stmt.order_by(User.email).limit(USER_PAGE_SIZE).offset((page - 1) * USER_PAGE_SIZE)
    count = sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())
    return rows, count


def account_history(user: User, limit: int = 20) -> sa.Select:
    """The latest audit records about this account (invitation, changes, sign-ins …)."""
    return (
        sa.select(AuditLog)
        .where(AuditLog.target_type == User.__tablename__, AuditLog.target_id == str(user.id))
        .order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
        .limit(limit)
    )
