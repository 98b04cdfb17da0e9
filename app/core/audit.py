"""Write audit records.  Services call ``record`` inside the same transaction as the
change it describes, so a change and its record are committed (or lost) together."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from ..extensions import db
from .models import AuditLog

def record(
    action: str,
    target: Any = None,
    *,
    target_type: str | None = None,
    target_id: Any = None,
    before: dict | None = None,
    after: dict | None = None,
    actor: Any = None,
    building_id: int | None = None,
) -> AuditLog:
    """Add one audit record to the session (the caller's transaction commits it)."""
    if actor is None and current_user and getattr(current_user, "is_authenticated", False):
        actor = current_user
    if target is not None:
        target_type = target_type or getattr(target, "__tablename__", type(target).__name__.lower())
        if target_id is None:
            target_id = getattr(target, "id", None)
    entry = AuditLog(
        action=action,
        target_type=target_type or "",
        target_id=None if target_id is None else str(target_id),
        actor_id=getattr(actor, "id", None),
        building_id=building_id,
        before=before,
        after=after,
    )
    db.session.add(entry)
    return entry
