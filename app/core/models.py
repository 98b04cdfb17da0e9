"""The audit log: who did what to which record, when, with before/after values."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .timeutil import utcnow


class AuditLog(db.Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    target_type: Mapped[str] = mapped_column(sa.String(40))
    target_id: Mapped[str | None] = mapped_column(sa.String(64))
    building_id: Mapped[int | None] = mapped_column(sa.ForeignKey("building.id", ondelete="SET NULL"), index=True)
    before: Mapped[dict | None] = mapped_column(sa.JSON)
    after: Mapped[dict | None] = mapped_column(sa.JSON)

    actor = relationship("User", lazy="joined")

    __table_args__ = (sa.Index("ix_audit_log_target", "target_type", "target_id"),)

    def __repr__(self) -> str:
        return f"<AuditLog {self.action} {self.target_type}:{self.target_id} by {self.actor_id}>"


class RateLimitCounter(db.Model):
    """One rate-limit counter (Flask-Limiter's fixed window) when no Redis is configured:
    written by ``app.core.ratelimit_store.DatabaseStorage`` on its own connection, never
    through the request's session.  ``expiry`` is a Unix time in seconds."""

    __tablename__ = "rate_limit_counter"

    key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    count: Mapped[int] = mapped_column(sa.Integer, default=0)
    expiry: Mapped[float] = mapped_column(sa.Float, index=True)
