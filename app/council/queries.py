from __future__ import annotations

import sqlalchemy as sa

from ..core.models import AuditLog


def recent_audit_for(user, limit: int = 10) -> sa.Select:
    """The latest audit records this person acted in (their own recent activity)."""
    return (
        sa.select(AuditLog)
        .where(AuditLog.actor_id == user.id)
        .order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
        .limit(limit)
    )
