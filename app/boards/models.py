"""Buildings, their streets (街道) and councils (楼事会) with the rosters of the seeds."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.i18n import Bilingual
from ..core.timeutil import utcnow
from ..extensions import db

# The six roles every council has (seeds: 楼长, 第二楼长/经济服务专员, 党建督导员,
# 市场监管员, 公安联络员, 消防辅导员), plus ordinary members; in display order.
COUNCIL_ROLES: dict[str, object] = {
    "head": _l("Building head"),
    "deputy_head": _l("Second building head / economic service officer"),
    "party_supervisor": _l("Party-building supervisor"),
    "market_supervisor": _l("Market-regulation officer"),
    "police_liaison": _l("Police liaison officer"),
    "fire_advisor": _l("Fire-safety advisor"),
    "member": _l("Council member"),
}
SIX_ROLES = tuple(r for r in COUNCIL_ROLES if r != "member")


class Street(Bilingual, db.Model):
    """A sub-district (街道) and its district (区)."""

    __tablename__ = "street"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(sa.String(80))
    name_en: Mapped[str] = mapped_column(sa.String(120), default="")
    district_zh: Mapped[str] = mapped_column(sa.String(80))
    district_en: Mapped[str] = mapped_column(sa.String(120), default="")

    buildings: Mapped[list["Building"]] = relationship(back_populates="street", order_by="Building.slug")


class Building(Bilingual, db.Model):
    __tablename__ = "building"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    name_zh: Mapped[str] = mapped_column(sa.String(120))
    name_en: Mapped[str] = mapped_column(sa.String(160), default="")
    address_zh: Mapped[str] = mapped_column(sa.String(200), default="")
    address_en: Mapped[str] = mapped_column(sa.String(240), default="")
    street_id: Mapped[int] = mapped_column(sa.ForeignKey("street.id"), index=True)
    floors: Mapped[int | None] = mapped_column(sa.Integer)
    tenant_count: Mapped[int | None] = mapped_column(sa.Integer)
    worker_count: Mapped[int | None] = mapped_column(sa.Integer)

    street: Mapped[Street] = relationship(back_populates="buildings", lazy="joined")
    council: Mapped["Council | None"] = relationship(back_populates="building", uselist=False)

    def __repr__(self) -> str:
        return f"<Building {self.slug}>"


class Council(Bilingual, db.Model):
    """One building, one council (楼事会)."""

    __tablename__ = "council"

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(sa.ForeignKey("building.id", ondelete="CASCADE"), unique=True)
    name_zh: Mapped[str] = mapped_column(sa.String(160))
    name_en: Mapped[str] = mapped_column(sa.String(200), default="")
    founded_on: Mapped[date | None] = mapped_column(sa.Date)
    intro_zh: Mapped[str] = mapped_column(sa.Text, default="")
    intro_en: Mapped[str] = mapped_column(sa.Text, default="")

    building: Mapped[Building] = relationship(back_populates="council")
    members: Mapped[list["CouncilMember"]] = relationship(
        back_populates="council", cascade="all, delete-orphan", order_by="CouncilMember.position"
    )


class CouncilMember(Bilingual, db.Model):
    """A seat on a council.  ``user_id`` links it to a staff account when the member
    works in the Council Workspace."""

    __tablename__ = "council_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(sa.ForeignKey("council.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(sa.String(32))
    position: Mapped[int] = mapped_column(sa.Integer, default=0)
    name_zh: Mapped[str] = mapped_column(sa.String(80))
    name_en: Mapped[str] = mapped_column(sa.String(120), default="")
    org_zh: Mapped[str] = mapped_column(sa.String(160), default="")
    org_en: Mapped[str] = mapped_column(sa.String(200), default="")
    title_zh: Mapped[str] = mapped_column(sa.String(120), default="")
    title_en: Mapped[str] = mapped_column(sa.String(160), default="")
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)

    council: Mapped[Council] = relationship(back_populates="members")

    __table_args__ = (
        sa.CheckConstraint(
            "role IN ('head', 'deputy_head', 'party_supervisor', 'market_supervisor', "
            "'police_liaison', 'fire_advisor', 'member')",
            name="role",
        ),
    )

    @property
    def role_label(self):
        return COUNCIL_ROLES.get(self.role, self.role)


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
