"""Reads of the one-stop intake.  Staff scope is decided here once: admins see every
request, department staff their department's (lead or co-handling), council members
their buildings'."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from functools import cache

import sqlalchemy as sa
from sqlalchemy.orm import load_only, selectinload

from ..guide.models import GuideEntry
from ..org.models import Building, Department
from .models import OPEN_STAGES, STAGES, CannedReply, RequestAttachment, RequestDepartment, RequestEvent, ServiceRequest

PAGE_SIZE = 25
MAX_PAGE = 200


def by_tracking_no(tracking_no: str) -> sa.Select:
    return sa.select(ServiceRequest).where(ServiceRequest.tracking_no == tracking_no)


# --- what may be listed publicly -------------------------------------------------------
#
# One rule for every public page, feed, screen, poster, export and API that lists requests
# as items: a request is *publicly listable* only if it is about a guide entry (not
# "something else"), that entry is not sensitive, and the requester did not tick "do not
# list publicly".  Every other request still counts in the totals and rates.


def publicly_listed():
    """The WHERE condition of the publicly listable requests (works in any select of
    ServiceRequest, no join needed: a NULL ``entry_id`` is never IN the subquery)."""
    not_sensitive = sa.select(GuideEntry.id).where(GuideEntry.sensitive.is_(False))
    return sa.and_(ServiceRequest.unlisted.is_(False), ServiceRequest.entry_id.in_(not_sensitive))


def is_publicly_listed(req: ServiceRequest) -> bool:
    """``publicly_listed()`` for a loaded request (the same rule, in Python)."""
    return not req.unlisted and req.entry is not None and not req.entry.sensitive


def company_optional(entry) -> bool:
    """Whether a request for ``entry`` (None: "something else") may leave the company name
    empty: services for employees personally, sensitive services and "something else"."""
    return entry is None or bool(getattr(entry, "sensitive", False)) or getattr(entry, "audience", "") == "employee"


def public_events(req: ServiceRequest) -> sa.Select:
    return sa.select(RequestEvent).where(RequestEvent.request_id == req.id, RequestEvent.public.is_(True)).order_by(RequestEvent.id)


def all_events(req: ServiceRequest) -> sa.Select:
    return sa.select(RequestEvent).where(RequestEvent.request_id == req.id).order_by(RequestEvent.id)


def service_choices() -> sa.Select:
    """(slug, category, title_zh, title_en, audience, sensitive) of the active guide entries
    for the form's service list, by category then title: columns only, no entry objects."""
    return (
        sa.select(GuideEntry.slug, GuideEntry.category, GuideEntry.title_zh, GuideEntry.title_en, GuideEntry.audience, GuideEntry.sensitive)
        .where(GuideEntry.status == "active")
        .order_by(GuideEntry.category, GuideEntry.title_zh)
    )


def building_choices() -> sa.Select:
    return sa.select(Building.slug, Building.name_zh, Building.name_en).order_by(Building.street_id, Building.slug)


def service_emergency(slug: str) -> sa.Select:
    """The kind of emergency an active entry is about ("" when none)."""
    return sa.select(GuideEntry.emergency).where(GuideEntry.slug == slug, GuideEntry.status == "active")


def active_entry(slug: str) -> sa.Select:
    """The active guide entry a request is filed for, with what a filing reads of it
    (its department, time limit, title, audience and sensitivity); its lists and long texts stay unread."""
    columns = load_only(GuideEntry.id, GuideEntry.slug, GuideEntry.status, GuideEntry.department_id, GuideEntry.promised_days,
                        GuideEntry.title_zh, GuideEntry.title_en, GuideEntry.audience, GuideEntry.sensitive, raiseload=True)
    return sa.select(GuideEntry).options(columns).where(GuideEntry.slug == slug, GuideEntry.status == "active")


@cache
def canned_replies(department_id: int | None) -> sa.Select:
    stmt = sa.select(CannedReply).order_by(CannedReply.id)
    if department_id is not None:
        stmt = stmt.where(sa.or_(CannedReply.department_id.is_(None), CannedReply.department_id == department_id))
    return stmt


def scope_condition(user):
    """The requests ``user`` may see and handle, as a WHERE condition."""
    if user.role == "admin":
        return sa.true()
    if user.role == "staff":
        if user.department_id is None:
            return sa.false()
        cohandled = sa.select(RequestDepartment.request_id).where(RequestDepartment.department_id == user.department_id)
        return sa.or_(ServiceRequest.department_id == user.department_id, ServiceRequest.id.in_(cohandled))
    if user.role in ("council", "observer"):
        ids = list(user.building_ids)
        return ServiceRequest.building_id.in_(ids) if ids else sa.false()
    return sa.false()


def in_scope(user, req: ServiceRequest) -> bool:
    if user.role == "admin":
        return True
    if user.role == "staff":
        return user.department_id is not None and (
            req.department_id == user.department_id or any(c.department_id == user.department_id for c in req.cohandlers)
        )
    if user.role in ("council", "observer"):
        return req.building_id in user.building_ids
    return False


@dataclass(frozen=True)
class QueueFilters:
    stage: str = ""
    overdue: bool = False
    due: str = ""  # "today": open requests due today (Asia/Shanghai)
    building: str = ""
    dept: str = ""
    service: str = ""
    urgent: bool = False
    page: int = 1


def queue(user, filters: QueueFilters, today: date) -> tuple[sa.Select, sa.Select]:
    """(the page of requests, their count) for the staff queue; newest first (urgent ones
    first in the open queue), overdue
    ones are flagged by the template (due_on < today while open)."""
    stmt = sa.select(ServiceRequest).where(scope_condition(user))
    if filters.stage == "open":
        stmt = stmt.where(ServiceRequest.stage.in_(OPEN_STAGES))
    elif filters.stage in STAGES:
        stmt = stmt.where(ServiceRequest.stage == filters.stage)
    if filters.overdue:
        stmt = stmt.where(ServiceRequest.stage.in_(OPEN_STAGES), ServiceRequest.due_on < today)
    if filters.due == "today":
        stmt = stmt.where(ServiceRequest.stage.in_(OPEN_STAGES), ServiceRequest.due_on == today)
    if filters.building:
        stmt = stmt.where(ServiceRequest.building_id == sa.select(Building.id).where(Building.slug == filters.building).scalar_subquery())
    if filters.dept:
        stmt = stmt.where(ServiceRequest.department_id == sa.select(Department.id).where(Department.code == filters.dept).scalar_subquery())
    if filters.service == "other":
        stmt = stmt.where(ServiceRequest.entry_id.is_(None))
    elif filters.service:
        stmt = stmt.where(ServiceRequest.entry_id == sa.select(GuideEntry.id).where(GuideEntry.slug == filters.service).scalar_subquery())
    if filters.urgent:
        stmt = stmt.where(ServiceRequest.urgent.is_(True))
    count = stmt.with_only_columns(sa.func.count(ServiceRequest.id)).order_by(None)
    page = max(1, min(filters.page, MAX_PAGE))
    # The open queue (the default) shows the requests marked urgent first.
    first = (ServiceRequest.urgent.desc(),) if filters.stage == "open" else ()
    rows = stmt.options(selectinload(ServiceRequest.cohandlers)).order_by(*first, ServiceRequest.created_at.desc(), ServiceRequest.id.desc())
    return rows.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE), count


def attachment_counts(request_ids, content_types) -> sa.Select:
    """(request_id, count) of the attachments of ``content_types`` (the images) of each of
    ``request_ids``: one query for a whole page of the queue."""
    return (
        sa.select(RequestAttachment.request_id, sa.func.count(RequestAttachment.id))
        .where(RequestAttachment.request_id.in_(list(request_ids)), RequestAttachment.content_type.in_(sorted(content_types)))
        .group_by(RequestAttachment.request_id)
    )


def entry_titles(slug: str) -> sa.Select:
    """(title_zh, title_en) of the guide entry ``slug``, active or suspended (the queue's
    service filter names it even when the form no longer offers it)."""
    return sa.select(GuideEntry.title_zh, GuideEntry.title_en).where(GuideEntry.slug == slug)


def requests_by_ids(user, ids: list[int]) -> sa.Select:
    return sa.select(ServiceRequest).where(ServiceRequest.id.in_(ids), scope_condition(user)).order_by(ServiceRequest.created_at.desc(), ServiceRequest.id.desc())


def figures(building_id: int | None = None) -> sa.Select:
    """Received / completed / in progress (the numbers the boards and home page quote)."""
    done = sa.func.count().filter(ServiceRequest.stage.in_(("resolved", "closed")))
    open_ = sa.func.count().filter(ServiceRequest.stage.in_(OPEN_STAGES))
    stmt = sa.select(sa.func.count().label("received"), done.label("completed"), open_.label("in_progress")).select_from(ServiceRequest)
    if building_id is not None:
        stmt = stmt.where(ServiceRequest.building_id == building_id)
    return stmt
