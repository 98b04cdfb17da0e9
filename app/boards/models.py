"""The council's public record on a building's board: 楼务会 decisions, notices, events and
their registrations.  Buildings, councils and rosters themselves are in ``app/org``."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.i18n import Bilingual
from ..core.timeutil import utcnow
from ..extensions import db

# --- the council's public record: decisions, notices, events ------------------------------

DECISION_STATUSES: dict[str, object] = {"open": _l("Follow-up open"), "done": _l("Done")}


class Decision(Bilingual, db.Model):
    """A 楼务会 decision: date, topic, decision, follow-up and its status."""

    __tablename__ = "decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(sa.ForeignKey("building.id", ondelete="CASCADE"), index=True)
    held_on: Mapped[date] = mapped_column(sa.Date)
    topic_zh: Mapped[str] = mapped_column(sa.String(200))
    topic_en: Mapped[str] = mapped_column(sa.String(260), default="")
    decision_zh: Mapped[str] = mapped_column(sa.Text)
    decision_en: Mapped[str] = mapped_column(sa.Text, default="")
    follow_up_zh: Mapped[str] = mapped_column(sa.Text, default="")
    follow_up_en: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(12), default="open")
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class Notice(Bilingual, db.Model):
    __tablename__ = "notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(sa.ForeignKey("building.id", ondelete="CASCADE"), index=True)
    title_zh: Mapped[str] = mapped_column(sa.String(200))
    title_en: Mapped[str] = mapped_column(sa.String(260), default="")
    body_zh: Mapped[str] = mapped_column(sa.Text)
    body_en: Mapped[str] = mapped_column(sa.Text, default="")
    published_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class Event(Bilingual, db.Model):
    """An event with limited seats; a full event takes a waitlist."""

    __tablename__ = "event"

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(sa.ForeignKey("building.id", ondelete="CASCADE"), index=True)
    title_zh: Mapped[str] = mapped_column(sa.String(200))
    title_en: Mapped[str] = mapped_column(sa.String(260), default="")
    description_zh: Mapped[str] = mapped_column(sa.Text, default="")
    description_en: Mapped[str] = mapped_column(sa.Text, default="")
    place_zh: Mapped[str] = mapped_column(sa.String(200), default="")
    place_en: Mapped[str] = mapped_column(sa.String(260), default="")
    starts_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), index=True)
    ends_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    seats: Mapped[int] = mapped_column(sa.Integer)
    registration_opens_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    registration_closes_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    confirmed_count: Mapped[int] = mapped_column(sa.Integer, default=0)  # maintained under the event's lock
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    building = relationship("Building", lazy="joined")

    @property
    def seats_left(self) -> int:
        return max(0, self.seats - self.confirmed_count)


class Registration(db.Model):
    """A seat or a place on the waitlist.  One per phone per event; the phone is shown
    masked afterwards; a private link (token hash stored) cancels it."""

    __tablename__ = "registration"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(sa.String(12))  # confirmed | waitlisted | cancelled
    position: Mapped[int] = mapped_column(sa.Integer)  # order of arrival (promotion order)
    cancel_token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    event: Mapped[Event] = relationship(lazy="joined")

    __table_args__ = (
        sa.UniqueConstraint("event_id", "phone", name="one_per_phone"),
        sa.Index("ix_registration_event_status_position", "event_id", "status", "position"),
    )
