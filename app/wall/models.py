"""楼宇心愿墙: wishes, their supports and reports, the resources that claim and fulfil them
(资源清单), and the projects a claimed wish can grow into (项目清单)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.i18n import Bilingual
from ..core.timeutil import utcnow
from ..extensions import db

# Moderation: every wish waits for a council member; reports from distinct people queue it
# for review again, and hide it only under the rule of services.report (app/config.py:
# WALL_TRUSTED_REPORTS_TO_HIDE, WALL_REPORTS_TO_HIDE, WALL_REPORTS_TO_HIDE_PER_SUPPORTS).
STATUSES: dict[str, object] = {
    "pending": _l("Waiting for review"),
    "approved": _l("On the wall"),
    "rejected": _l("Not published"),
    "hidden": _l("Hidden"),
}
# What became of it ("你点单、我配送").
PROGRESS: dict[str, object] = {
    "open": _l("Open"),
    "claimed": _l("Claimed"),
    "fulfilled": _l("Fulfilled"),
}
SORTS = ("new", "top", "fulfilled")
WISH_MAX = 300
NAME_MAX = 30


class Wish(db.Model):
    __tablename__ = "wish"

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(sa.ForeignKey("building.id"), index=True)
    body: Mapped[str] = mapped_column(sa.Text)  # as the author wrote it (kept when edited)
    body_public: Mapped[str | None] = mapped_column(sa.Text)  # a moderator's edit for publication
    lang: Mapped[str] = mapped_column(sa.String(5), default="zh")
    display_name: Mapped[str | None] = mapped_column(sa.String(NAME_MAX))
    contact: Mapped[str | None] = mapped_column(sa.String(120))  # private, for follow-up only
    status: Mapped[str] = mapped_column(sa.String(12), default="pending")
    progress: Mapped[str] = mapped_column(sa.String(12), default="open")
    flagged_words: Mapped[list | None] = mapped_column(sa.JSON)
    reject_reason: Mapped[str | None] = mapped_column(sa.String(500))  # internal
    support_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    report_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    follow_token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    fulfilled_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # Set when reports hid the wish (not a moderator): it heads the moderation queue with an
    # alert until a moderator decides; cleared by that decision.
    auto_hidden_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # When (and by whom) a moderator last opened the wish's own page since it was last
    # reported: a flagged wish (reported, hidden by reports, or with words on the sensitive
    # list) is approved in bulk only once a moderator has opened it (manage.bulk); a new
    # report clears it (services.report).
    opened_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    opened_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    # Any change the wall shows (status, count, claim): the wall's page-cache version.
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, index=True)

    building = relationship("Building", lazy="joined")
    claim: Mapped["Claim | None"] = relationship(back_populates="wish", uselist=False, lazy="joined")

    __table_args__ = (
        # The wall's three orders, each within "approved" (and optionally a building).
        sa.Index("ix_wish_wall_new", "status", "published_at", "id"),
        sa.Index("ix_wish_wall_top", "status", "support_count", "id"),
        sa.Index("ix_wish_wall_fulfilled", "status", "progress", "fulfilled_at", "id"),
        sa.Index("ix_wish_building_status", "building_id", "status", "published_at"),
    )

    @property
    def text(self) -> str:
        return self.body_public or self.body

    @property
    def flagged(self) -> bool:
        """Reported, hidden by reports, or holding words on the sensitive list."""
        return bool(self.report_count or self.auto_hidden_at or self.flagged_words)

    @property
    def needs_opening(self) -> bool:
        """Flagged and not opened by a moderator since: bulk approval skips it."""
        return self.flagged and self.opened_at is None

    def __repr__(self) -> str:
        return f"<Wish {self.id} {self.status}/{self.progress}>"


class WishSupport(db.Model):
    """One +1: one per person (a browser, or a signed-in account) per wish, enforced by the
    primary key; the network's allowance is kept in ``WishNetworkTally``."""

    __tablename__ = "wish_support"

    wish_id: Mapped[int] = mapped_column(sa.ForeignKey("wish.id", ondelete="CASCADE"), primary_key=True)
    supporter: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


class WishReport(db.Model):
    """A report; one per person per wish (the same person twice counts once)."""

    __tablename__ = "wish_report"

    wish_id: Mapped[int] = mapped_column(sa.ForeignKey("wish.id", ondelete="CASCADE"), primary_key=True)
    reporter: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    reason: Mapped[str] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


class WishNetworkTally(db.Model):
    """How many supports (per day) or reports (ever) of one wish came from one network: the
    keyed hash of the client's address (``core.identity.network_key``), never the address.
    Fresh cookies on one address count only up to the allowance (app/config.py)."""

    __tablename__ = "wish_network_tally"

    wish_id: Mapped[int] = mapped_column(sa.ForeignKey("wish.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(8), primary_key=True)  # support | report
    network: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    period: Mapped[str] = mapped_column(sa.String(10), primary_key=True)  # a day (YYYY-MM-DD) or "all"
    count: Mapped[int] = mapped_column(sa.Integer, default=0)


class WishReporter(db.Model):
    """A reporter's record, keyed by the same person hash as their reports: how many of
    their reports moderators upheld (hid or rejected the wish) or dismissed.  Reporters
    with upheld reports can take a wish off the wall without waiting for a crowd."""

    __tablename__ = "wish_reporter"

    person: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    upheld: Mapped[int] = mapped_column(sa.Integer, default=0)
    dismissed: Mapped[int] = mapped_column(sa.Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


class Resource(Bilingual, db.Model):
    """An organisation's offer on a building's 资源清单 (a hospital's health checks, a
    bank's free floor, a law firm's consultations); building empty = district-wide."""

    __tablename__ = "resource"

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int | None] = mapped_column(sa.ForeignKey("building.id", ondelete="CASCADE"), index=True)
    org_zh: Mapped[str] = mapped_column(sa.String(120))
    org_en: Mapped[str] = mapped_column(sa.String(160), default="")
    offer_zh: Mapped[str] = mapped_column(sa.String(300))
    offer_en: Mapped[str] = mapped_column(sa.String(400), default="")
    contact: Mapped[str | None] = mapped_column(sa.String(120))  # staff only
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    building = relationship("Building", lazy="joined")


class Claim(db.Model):
    """认领: a resource takes a wish on, with a plan and a target date; then fulfils it."""

    __tablename__ = "wish_claim"

    id: Mapped[int] = mapped_column(primary_key=True)
    wish_id: Mapped[int] = mapped_column(sa.ForeignKey("wish.id", ondelete="CASCADE"), unique=True)
    resource_id: Mapped[int] = mapped_column(sa.ForeignKey("resource.id"), index=True)
    plan: Mapped[str] = mapped_column(sa.String(1000))
    target_on: Mapped[date | None] = mapped_column(sa.Date)
    claimed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    claimed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    result: Mapped[str | None] = mapped_column(sa.String(1000))
    photo: Mapped[str | None] = mapped_column(sa.String(80))  # storage name under UPLOAD_FOLDER

    wish: Mapped[Wish] = relationship(back_populates="claim")
    resource = relationship("Resource", lazy="joined")


class Project(Bilingual, db.Model):
    """项目清单: a piece of work with progress, often grown from a claimed wish."""

    __tablename__ = "project"

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(sa.ForeignKey("building.id", ondelete="CASCADE"), index=True)
    wish_id: Mapped[int | None] = mapped_column(sa.ForeignKey("wish.id", ondelete="SET NULL"), unique=True)
    title_zh: Mapped[str] = mapped_column(sa.String(160))
    title_en: Mapped[str] = mapped_column(sa.String(200), default="")
    progress: Mapped[int] = mapped_column(sa.SmallInteger, default=0)  # percent
    milestones: Mapped[list | None] = mapped_column(sa.JSON)  # [{"title": …, "done": bool}]
    status: Mapped[str] = mapped_column(sa.String(12), default="active")  # active | done
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    building = relationship("Building", lazy="joined")
    wish = relationship("Wish", lazy="joined")
