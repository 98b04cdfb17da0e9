"""The service guide's entries (the departments that publish it are in ``app/org``)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.i18n import Bilingual
from ..core.timeutil import utcnow
from ..extensions import db
from ..org.models import Department

# --- Service guide entries (办事指南) -------------------------------------------------

# Topics people recognise (not department names), in the order the guide's browse page
# shows them.  The keys are stored in ``guide_entry.category`` and appear in URLs
# (``/<lang>/guide/?category=<key>``) and the APIs: keep them, change only the labels.
CATEGORIES: dict[str, object] = {
    "talent": _l("Talent and hukou"),
    "business": _l("Running a business"),
    "tax": _l("Tax"),
    "market": _l("Market rules and consumer rights"),
    "fire": _l("Safety and fire"),
    "police": _l("Police and anti-fraud"),
    "legal": _l("Law and mediation"),
    "health": _l("Health"),
    "union": _l("Employee care"),
    "party": _l("Party and community"),
    "property": _l("Everyday building matters"),
}
# One line under each topic's name on the browse page and at the top of its list.
CATEGORY_DESCRIPTIONS: dict[str, object] = {
    "talent": _l("Hukou, residence permits, permits for foreign staff, professional titles and talent housing."),
    "business": _l("Office space, funding, policy briefings, investment and changes to your business licence."),
    "tax": _l("Tax registration, invoices and tax incentives for companies."),
    "market": _l("Food business licences, advertising and pricing rules, trademarks and consumer complaints."),
    "fire": _l("Fire checks of fit-outs, drills and training, reporting hazards, lift safety."),
    "police": _l("Security advice for firms, reporting fraud and permits for large events."),
    "legal": _l("Free legal advice, legal aid, notaries, and mediation of labour and business disputes."),
    "health": _l("Health checks, vaccinations, family doctors, first aid and mental health at work."),
    "union": _l("Joining the union, hardship aid, summer childcare, rest stations, activities and social insurance."),
    "party": _l("Party membership transfers, party building in new firms, booking the service station, volunteering and lectures."),
    "property": _l("Parking, access cards, air conditioning, fit-out filing, waste, deliveries and the street outside."),
}
AUDIENCES: dict[str, object] = {
    "enterprise": _l("Enterprises"),
    "employee": _l("Employees"),
    "both": _l("Enterprises and employees"),
}
STATUSES: dict[str, object] = {"active": _l("Active"), "suspended": _l("Suspended")}
MATERIAL_FORMS: dict[str, object] = {"original": _l("Original"), "copy": _l("Copy"), "electronic": _l("Electronic")}
# Entries where someone may be in danger right now: their page (and the request form for
# them) shows "call first" with tap-to-call links; "" = not an emergency service.
EMERGENCY_KINDS: dict[str, object] = {
    "": _l("Not an emergency service"),
    "fire": _l("Fire (119)"),
    "police": _l("Police (110)"),
    "medical": _l("Medical emergency (120)"),
    "lift": _l("Lift entrapment (110 / 119)"),
    "fraud": _l("Fraud (110 / 96110)"),
}
# The numbers shown for each kind, most relevant first.
EMERGENCY_NUMBERS: dict[str, tuple[str, ...]] = {
    "": ("110", "119", "120"),
    "fire": ("119", "120", "110"),
    "police": ("110", "120", "119"),
    "medical": ("120", "110", "119"),
    "lift": ("110", "119", "120"),
    "fraud": ("110", "96110"),
}
NUMBER_LABELS: dict[str, object] = {
    "110": _l("Police"),
    "119": _l("Fire and rescue"),
    "120": _l("Ambulance"),
    "96110": _l("Anti-fraud hotline"),
}
# Kinds whose page offers the call as its main action, the request form only as a link.
CALL_FIRST = frozenset({"fraud"})


class GuideEntry(Bilingual, db.Model):
    """One service in the guide, with the fields of a government 办事指南.

    List fields are JSON lists of bilingual rows:
    ``conditions``: ``{"zh", "en"}``; ``materials``: ``{"name_zh", "name_en", "form",
    "copies", "source_zh", "source_en", "template_url"}``; ``steps``: ``{"title_zh",
    "title_en", "detail_zh", "detail_en"}``."""

    __tablename__ = "guide_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(sa.String(36), unique=True, default=lambda: str(uuid.uuid4()))  # HSDS id
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("department.id"), index=True)
    category: Mapped[str] = mapped_column(sa.String(20), index=True)
    audience: Mapped[str] = mapped_column(sa.String(12))
    status: Mapped[str] = mapped_column(sa.String(12), default="active", index=True)
    # Sensitive (labour disputes, legal aid, hardship aid, counselling…): requests for it are
    # never listed on a public page, feed or API, only counted (intake.queries.publicly_listed).
    sensitive: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    # An emergency service (EMERGENCY_KINDS): its page shows whom to call first.
    emergency: Mapped[str] = mapped_column(sa.String(12), default="", server_default="")
    title_zh: Mapped[str] = mapped_column(sa.String(160))
    title_en: Mapped[str] = mapped_column(sa.String(200), default="")
    summary_zh: Mapped[str] = mapped_column(sa.Text, default="")
    summary_en: Mapped[str] = mapped_column(sa.Text, default="")
    council_role_zh: Mapped[str] = mapped_column(sa.Text, default="")
    council_role_en: Mapped[str] = mapped_column(sa.Text, default="")
    # "Also searched as": the words people type for this service (colloquial phrases, old
    # names, abbreviations), separated by commas, 、 or new lines.  Indexed between the
    # title and the body (docs/guide/keywords.md); shown to staff, not on the public page.
    keywords_zh: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    keywords_en: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    conditions: Mapped[list] = mapped_column(sa.JSON, default=list)
    materials: Mapped[list] = mapped_column(sa.JSON, default=list)
    steps: Mapped[list] = mapped_column(sa.JSON, default=list)
    promised_days: Mapped[int | None] = mapped_column(sa.Integer)
    legal_days: Mapped[int | None] = mapped_column(sa.Integer)
    is_free: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    fee_zh: Mapped[str] = mapped_column(sa.String(300), default="")
    fee_en: Mapped[str] = mapped_column(sa.String(400), default="")
    location_zh: Mapped[str] = mapped_column(sa.String(300), default="")
    location_en: Mapped[str] = mapped_column(sa.String(400), default="")
    hours_zh: Mapped[str] = mapped_column(sa.String(200), default="")
    hours_en: Mapped[str] = mapped_column(sa.String(240), default="")
    phone: Mapped[str] = mapped_column(sa.String(60), default="")
    complaint_zh: Mapped[str] = mapped_column(sa.String(300), default="")
    complaint_en: Mapped[str] = mapped_column(sa.String(400), default="")
    legal_basis_zh: Mapped[str] = mapped_column(sa.Text, default="")
    legal_basis_en: Mapped[str] = mapped_column(sa.Text, default="")
    online_url: Mapped[str] = mapped_column(sa.String(500), default="")
    last_reviewed_on: Mapped[date | None] = mapped_column(sa.Date)
    version: Mapped[int] = mapped_column(sa.Integer)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow, index=True)

    department: Mapped[Department] = relationship(lazy="joined")

    # Optimistic locking: every UPDATE checks and bumps the version, so two people
    # editing the same entry cannot silently overwrite each other.
    __mapper_args__ = {"version_id_col": version}

    __table_args__ = (
        sa.CheckConstraint("status IN ('active', 'suspended')", name="status"),
        sa.CheckConstraint("audience IN ('enterprise', 'employee', 'both')", name="audience"),
    )

    @property
    def call_first(self) -> bool:
        """Whether the page's main action is a phone call, the request form only a link."""
        return self.emergency in CALL_FIRST

    def __repr__(self) -> str:
        return f"<GuideEntry {self.slug}>"


class GuideRevision(db.Model):
    """Each saved version of an entry: a full snapshot, who saved it and when."""

    __tablename__ = "guide_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("guide_entry.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(sa.Integer)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    data: Mapped[dict] = mapped_column(sa.JSON)

    actor = relationship("User", lazy="joined")

    __table_args__ = (sa.UniqueConstraint("entry_id", "version"),)


class GuideSearchDoc(db.Model):
    """The search text of one entry (see ``guide/search.py``), rewritten with every save.
    Full-text indexes over it are database-specific and made by the migration: an FTS5
    table on SQLite, a GIN tsvector index on PostgreSQL."""

    __tablename__ = "guide_search_doc"

    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("guide_entry.id", ondelete="CASCADE"), primary_key=True)
    title: Mapped[str] = mapped_column(sa.Text, default="")
    keywords: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    body: Mapped[str] = mapped_column(sa.Text, default="")
    pinyin: Mapped[str] = mapped_column(sa.Text, default="")
