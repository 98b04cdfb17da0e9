"""一口受理: service requests, their public/internal timeline, attachments, co-handling
departments, canned replies, the tracking-number counter and Open311 API keys."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.i18n import Bilingual
from ..core.timeutil import utcnow
from ..extensions import db

# The closed loop: 需求收集 → 议题共商 → 资源整合 → 闭环反馈 → 办结.
STAGES: dict[str, object] = {
    "received": _l("Received"),
    "assigned": _l("Under discussion"),
    "in_progress": _l("In progress"),
    "resolved": _l("Resolved"),
    "closed": _l("Closed"),
}
OPEN_STAGES = ("received", "assigned", "in_progress")
DONE_STAGES = ("resolved", "closed")
# Which stages staff may move a request to from each stage.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "received": ("assigned", "in_progress", "resolved", "closed"),
    "assigned": ("in_progress", "resolved", "closed"),
    "in_progress": ("assigned", "resolved", "closed"),
    "resolved": ("in_progress", "closed"),
    "closed": ("in_progress",),
}
REPLY_LANGS = {"zh": "中文", "en": "English"}

EVENT_KINDS: dict[str, object] = {
    "submitted": _l("Request received"),
    "stage": _l("Stage changed"),
    "reply": _l("Reply"),
    "note": _l("Internal note"),
    "info": _l("More information from the requester"),
    "transfer": _l("Transferred to another department"),
    "cohandler": _l("Co-handling department added"),
    "duplicate": _l("Merged into another request"),
    "assign": _l("Assigned"),
    "rating": _l("Rated"),
    "reopen": _l("Reopened by the requester"),
    "reveal": _l("Contact details viewed"),
    "recover": _l("New access code sent by SMS"),
}


class ServiceRequest(db.Model):
    """One request (诉求) filed through the one-stop form or the Open311 API."""

    __tablename__ = "service_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_no: Mapped[str] = mapped_column(sa.String(20), unique=True)
    access_code_hash: Mapped[str] = mapped_column(sa.String(64))
    # The form's one-time token: a second POST of the same form finds the first request.
    submission_key: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    # Who sent that form: a keyed hash of the key and the form's session (services.submitter_hash);
    # only that session is shown the access code again when the form comes a second time.
    submitter_hash: Mapped[str | None] = mapped_column(sa.String(64))
    # The Open311 POST's ``token`` (random, public, never the form's key: GET tokens/<token>).
    public_token: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    source: Mapped[str] = mapped_column(sa.String(16), default="web")  # web | open311
    entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("guide_entry.id", ondelete="SET NULL"), index=True)
    building_id: Mapped[int] = mapped_column(sa.ForeignKey("building.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("department.id", ondelete="SET NULL"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("service_request.id", ondelete="SET NULL"))
    stage: Mapped[str] = mapped_column(sa.String(16), default="received")
    # What the requester told us (personal data: purged after retention, never public).
    company_name: Mapped[str | None] = mapped_column(sa.String(120))
    contact_name: Mapped[str | None] = mapped_column(sa.String(60))
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    description: Mapped[str] = mapped_column(sa.Text)
    reply_lang: Mapped[str] = mapped_column(sa.String(5), default="zh")
    # The requester ticked "do not list publicly": the request appears only in totals.
    unlisted: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    # The requester ticked "this is urgent": a badge for staff, first in the open queue.
    urgent: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    consent_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    personal_data_purged_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # The loop's clock.
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow, index=True)
    due_on: Mapped[date | None] = mapped_column(sa.Date, index=True)
    first_response_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    first_response_on_time: Mapped[bool | None] = mapped_column(sa.Boolean)  # within one working day
    resolved_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    rating: Mapped[int | None] = mapped_column(sa.SmallInteger)
    rating_comment: Mapped[str | None] = mapped_column(sa.String(500))
    reopen_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    # When the new-request mails (receipt, department, building council) were queued: in
    # the filing's own transaction (services.submit_request).  Requests recorded without
    # them are announced by the sender (services.announce_pending).
    announced_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    entry = relationship("GuideEntry", lazy="joined")
    building = relationship("Building", lazy="joined")
    department = relationship("Department", lazy="joined")
    assignee = relationship("User", lazy="joined")
    duplicate_of = relationship("ServiceRequest", remote_side=[id], lazy="select")
    events: Mapped[list["RequestEvent"]] = relationship(
        back_populates="request", order_by="RequestEvent.id", cascade="all, delete-orphan"
    )
    attachments: Mapped[list["RequestAttachment"]] = relationship(
        back_populates="request", order_by="RequestAttachment.id", cascade="all, delete-orphan"
    )
    cohandlers: Mapped[list["RequestDepartment"]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    __table_args__ = (
        sa.Index("ix_service_request_stage_building", "stage", "building_id"),
        sa.Index("ix_service_request_stage_department", "stage", "department_id"),
        # The boards' aggregates read only these (index-only scans per building).
        sa.Index("ix_service_request_board_figures", "building_id", "stage", "first_response_on_time", "rating"),
        sa.Index("ix_service_request_board_months", "building_id", "created_at", "stage", "resolved_at", "closed_at"),
        # The sender's queue: only requests whose new-request mails are not queued yet.
        sa.Index("ix_service_request_unannounced", "id", sqlite_where=sa.text("announced_at IS NULL"),
                 postgresql_where=sa.text("announced_at IS NULL")),
    )

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES

    def is_overdue(self, today: date) -> bool:
        return self.is_open and self.due_on is not None and self.due_on < today

    def __repr__(self) -> str:
        return f"<ServiceRequest {self.tracking_no} {self.stage}>"


class RequestEvent(db.Model):
    """One step of the timeline.  ``public`` events are shown to the requester (with the
    access code); internal notes and reveals are for staff only."""

    __tablename__ = "request_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("service_request.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    kind: Mapped[str] = mapped_column(sa.String(16))
    public: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    by_requester: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    from_stage: Mapped[str | None] = mapped_column(sa.String(16))
    to_stage: Mapped[str | None] = mapped_column(sa.String(16))
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("department.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(sa.Text, default="")

    request: Mapped[ServiceRequest] = relationship(back_populates="events")
    actor = relationship("User", lazy="joined")
    department = relationship("Department", lazy="joined")


class RequestAttachment(db.Model):
    __tablename__ = "request_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("service_request.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("request_event.id", ondelete="SET NULL"))
    storage_name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    original_name: Mapped[str] = mapped_column(sa.String(160))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int] = mapped_column(sa.Integer)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    request: Mapped[ServiceRequest] = relationship(back_populates="attachments")


class RequestDepartment(db.Model):
    """A co-handling department (协办) beside the lead (主办) ``ServiceRequest.department``."""

    __tablename__ = "request_department"

    request_id: Mapped[int] = mapped_column(sa.ForeignKey("service_request.id", ondelete="CASCADE"), primary_key=True)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("department.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    department = relationship("Department", lazy="joined")


class TrackingCounter(db.Model):
    """The last tracking number handed out per year; incremented with one atomic UPDATE."""

    __tablename__ = "tracking_counter"

    year: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    last_no: Mapped[int] = mapped_column(sa.Integer, default=0)


class CannedReply(Bilingual, db.Model):
    """A reusable public answer (a department's own, or everyone's when department is empty)."""

    __tablename__ = "canned_reply"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("department.id", ondelete="CASCADE"), index=True)
    title_zh: Mapped[str] = mapped_column(sa.String(80))
    title_en: Mapped[str] = mapped_column(sa.String(120), default="")
    body_zh: Mapped[str] = mapped_column(sa.Text)
    body_en: Mapped[str] = mapped_column(sa.Text, default="")


class ApiKey(db.Model):
    """An Open311 client's key: only its SHA-256 is stored; the key is shown once."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)


class StashedUpload(db.Model):
    """A file of a request form (or add-information form) sent back with an error,
    kept until the form is filed or the stash expires (``UPLOAD_STASH_HOURS``).  It
    belongs to one form (``submission_key``) AND the session that sent it
    (``owner_hash``, a keyed hash of both: app/intake/stash.py); the file lies in
    ``UPLOAD_FOLDER/stash/`` under a random name."""

    __tablename__ = "stashed_upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_key: Mapped[str] = mapped_column(sa.String(64), index=True)
    owner_hash: Mapped[str] = mapped_column(sa.String(64))
    stash_name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    original_name: Mapped[str] = mapped_column(sa.String(160))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int] = mapped_column(sa.Integer)
    kind: Mapped[str] = mapped_column(sa.String(16))
    pixels: Mapped[int] = mapped_column(sa.Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, index=True)
