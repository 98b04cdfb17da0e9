from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from ..auth.models import User
from ..core.models import AuditLog


def recent_audit_for(user, limit: int = 10) -> sa.Select:
    """The latest audit records this person acted in (their own recent activity)."""
    return (
        sa.select(AuditLog)
        .where(AuditLog.actor_id == user.id)
        .order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
        .limit(limit)
    )


# --- the dashboard: what needs the signed-in person now (one query per block) ----------

# An event is "filling up" from this share of its seats taken (4/5 = 80 %).
FILLING_UP = (4, 5)
FILLING_UP_LIMIT = 10


def request_counts(user, today) -> sa.Select:
    """One row, in ``user``'s request scope: open requests due ``today`` (the Shanghai
    date), open requests overdue (due before it), and new ones (stage "received")."""
    from ..intake.models import OPEN_STAGES, ServiceRequest
    from ..intake.queries import scope_condition

    return (
        sa.select(
            sa.func.count().filter(ServiceRequest.due_on == today).label("due_today"),
            sa.func.count().filter(ServiceRequest.due_on < today).label("overdue"),
            sa.func.count().filter(ServiceRequest.stage == "received").label("new"),
        )
        .select_from(ServiceRequest)
        .where(ServiceRequest.stage.in_(OPEN_STAGES), scope_condition(user))
    )


def events_filling_up(user, now, limit: int = FILLING_UP_LIMIT) -> sa.Select:
    """Upcoming events in ``user``'s buildings (admins: all) with at least 80 % of their
    seats taken, soonest first: rows of (Event, waitlisted, total), ``total`` being how
    many events match in all (the page shows at most ``limit``)."""
    from ..boards.models import Event, Registration

    share, whole = FILLING_UP
    waitlisted = (
        sa.select(sa.func.count(Registration.id))
        .where(Registration.event_id == Event.id, Registration.status == "waitlisted")
        .correlate(Event)
        .scalar_subquery()
    )
    stmt = sa.select(Event, waitlisted.label("waitlisted"), sa.func.count().over().label("total")).where(
        Event.starts_at > now, Event.seats > 0, Event.confirmed_count * whole >= Event.seats * share
    )
    if user.role != "admin":
        stmt = stmt.where(Event.building_id.in_(sorted(user.building_ids) or [-1]))
    return stmt.order_by(Event.starts_at, Event.id).limit(limit)


# --- the audit viewer ----------------------------------------------------------------

AUDIT_PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditFilters:
    """What the audit viewer narrows by (already checked); empty means "any"."""

    actor_id: int | None = None
    system: bool = False  # records without a person (automatic steps, the CLI)
    email: str = ""  # part of the actor's e-mail address
    action: str = ""  # one action, or a group "request.*"
    target_type: str = ""
    target_id: str = ""
    start: datetime | None = None  # aware UTC, inclusive
    end: datetime | None = None  # aware UTC, exclusive
    page: int = 1


def visible_audit(user) -> sa.Select:
    """The audit records ``user`` may read: admins all of them, council members those of
    their buildings (records without a building, such as sign-ins and account changes,
    are for admins only); anyone else none."""
    query = sa.select(AuditLog)
    if user.role == "admin":
        return query
    if user.role == "council" and user.building_ids:
        return query.where(AuditLog.building_id.in_(sorted(user.building_ids)))
    return query.where(sa.false())


def _scoped(user, *columns) -> sa.Select:
    return visible_audit(user).with_only_columns(*columns)


def audit_actors(user) -> sa.Select:
    """The people who appear as actors in the records ``user`` may read, by name."""
    ids = _scoped(user, AuditLog.actor_id).where(AuditLog.actor_id.is_not(None)).distinct()
    return sa.select(User).where(User.id.in_(ids)).order_by(User.name, User.email)


def audit_actions(user) -> sa.Select:
    """The distinct action codes in the records ``user`` may read."""
    return _scoped(user, AuditLog.action).distinct().order_by(AuditLog.action)


def audit_target_types(user) -> sa.Select:
    return _scoped(user, AuditLog.target_type).where(AuditLog.target_type != "").distinct().order_by(AuditLog.target_type)


def _filtered(user, filters: AuditFilters) -> sa.Select:
    query = visible_audit(user)
    if filters.system:
        query = query.where(AuditLog.actor_id.is_(None))
    elif filters.actor_id is not None:
        query = query.where(AuditLog.actor_id == filters.actor_id)
    if filters.email:
        pattern = "%" + filters.email.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(AuditLog.actor_id.in_(sa.select(User.id).where(sa.func.lower(User.email).like(pattern, escape="\\"))))
    if filters.action.endswith(".*"):
        query = query.where(AuditLog.action.startswith(filters.action[:-1], autoescape=True))  # "request."
    elif filters.action:
        query = query.where(AuditLog.action == filters.action)
    if filters.target_type:
        query = query.where(AuditLog.target_type == filters.target_type)
    if filters.target_id:
        query = query.where(AuditLog.target_id == filters.target_id)
    if filters.start is not None:
        query = query.where(AuditLog.created_at >= filters.start)
    if filters.end is not None:
        query = query.where(AuditLog.created_at < filters.end)
    return query


def audit_count(user, filters: AuditFilters) -> sa.Select:
    return _filtered(user, filters).with_only_columns(sa.func.count(AuditLog.id)).order_by(None)


def audit_records(user, filters: AuditFilters, *, limit: int | None = AUDIT_PAGE_SIZE) -> sa.Select:
    """The matching records, newest first: one page of ``limit`` (the actor comes joined),
    or all of them with ``limit=None`` (the CSV export streams them)."""
    query = _filtered(user, filters).order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
    if limit is not None:
        query = query.limit(limit).offset((max(filters.page, 1) - 1) * limit)
    return query


def request_ids_by_tracking_no(tracking_no: str) -> sa.Select:
    from ..intake.models import ServiceRequest

    return sa.select(ServiceRequest.id).where(ServiceRequest.tracking_no == tracking_no)


def audit_targets(targets: dict[str, set[str]]) -> dict[str, sa.Select]:
    """One query per kind of target on the page (``{target_type: {id, …}}``), giving
    what to show and link for each: (id, label[, slug or tracking number])."""
    from ..guide.models import GuideEntry
    from ..intake.models import ServiceRequest
    from ..org.models import Building

    def ints(values):
        return sorted({int(v) for v in values if v and v.isascii() and v.isdigit() and len(v) < 12})

    queries: dict[str, sa.Select] = {}
    if targets.get("service_request"):
        queries["service_request"] = sa.select(ServiceRequest.id, ServiceRequest.tracking_no).where(
            ServiceRequest.id.in_(ints(targets["service_request"])))
    if targets.get("guide_entry"):
        queries["guide_entry"] = sa.select(GuideEntry.id, GuideEntry.slug, GuideEntry.title_zh, GuideEntry.title_en).where(
            GuideEntry.id.in_(ints(targets["guide_entry"])))
    if targets.get("user"):
        queries["user"] = sa.select(User.id, User.name, User.email).where(User.id.in_(ints(targets["user"])))
    if targets.get("building"):
        queries["building"] = sa.select(Building.id, Building.slug, Building.name_zh, Building.name_en).where(
            Building.id.in_(ints(targets["building"])))
    return queries


def buildings_by_id(ids=None) -> sa.Select:
    """Id, slug and names of these buildings (of every building with ``None``)."""
    from ..org.models import Building

    query = sa.select(Building.id, Building.slug, Building.name_zh, Building.name_en)
    return query if ids is None else query.where(Building.id.in_(sorted(ids)))
