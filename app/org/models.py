"""The organisation at the ground floor of the domains: streets (街道), buildings, their
councils (楼事会) with the rosters of the seats, and the government departments.

Every domain (guide, intake, wall, boards, …) imports these; this package imports none
of them (docs/dev/layers.md).  The tables are the ones the migrations made when these
classes lived in ``app/boards`` and ``app/guide``: a move of code, not of data."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.i18n import Bilingual
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


class Department(Bilingual, db.Model):
    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(sa.String(160))
    name_en: Mapped[str] = mapped_column(sa.String(200), default="")
    short_zh: Mapped[str] = mapped_column(sa.String(40), default="")
    short_en: Mapped[str] = mapped_column(sa.String(60), default="")
    phone: Mapped[str] = mapped_column(sa.String(40), default="")
    address_zh: Mapped[str] = mapped_column(sa.String(200), default="")
    address_en: Mapped[str] = mapped_column(sa.String(240), default="")
    hours_zh: Mapped[str] = mapped_column(sa.String(200), default="")
    hours_en: Mapped[str] = mapped_column(sa.String(240), default="")

    def __repr__(self) -> str:
        return f"<Department {self.code}>"
