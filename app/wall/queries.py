"""Reads of the wish wall.  The wall page runs a fixed number of queries whatever the
number of wishes: one for the page of cards (building, claim and resource joined in), one
for the buildings filter; "load more" asks for one row beyond the page instead of a count."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from ..org.models import Building
from .models import SORTS, Claim, Resource, Wish

PAGE_SIZE = 24
MAX_PAGE = 100


@dataclass(frozen=True)
class WallFilters:
    building: str = ""
    sort: str = "new"
    page: int = 1


def wall_page(filters: WallFilters) -> sa.Select:
    """Approved wishes for one page (PAGE_SIZE + 1 rows: the extra one says "more")."""
    stmt = (
        sa.select(Wish)
        .outerjoin(Wish.claim)
        .outerjoin(Claim.resource)
        .options(contains_eager(Wish.claim).contains_eager(Claim.resource))
        .where(Wish.status == "approved")
    )
    if filters.building:
        stmt = stmt.where(Wish.building_id == sa.select(Building.id).where(Building.slug == filters.building).scalar_subquery())
    sort = filters.sort if filters.sort in SORTS else "new"
    if sort == "top":
        order = [Wish.support_count.desc(), Wish.id.desc()]
    elif sort == "fulfilled":
        stmt = stmt.where(Wish.progress == "fulfilled")
        order = [Wish.fulfilled_at.desc(), Wish.id.desc()]
    else:
        order = [Wish.published_at.desc(), Wish.id.desc()]
    page = max(1, min(filters.page, MAX_PAGE))
    return stmt.order_by(*order).limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)


def public_wish(wish_id: int) -> sa.Select:
    return sa.select(Wish).where(Wish.id == wish_id, Wish.status == "approved")


def wish_by_token(token_hash: str) -> sa.Select:
    return sa.select(Wish).where(Wish.follow_token_hash == token_hash)


# --- moderation ----------------------------------------------------------------------

QUEUES = ("pending", "reported", "hidden", "approved", "rejected")


def scope_condition(user):
    if user.role == "admin":
        return sa.true()
    if user.role == "council":
        ids = list(user.building_ids)
        return Wish.building_id.in_(ids) if ids else sa.false()
    return sa.false()


def moderation_queue(user, queue: str, building: str = "", limit: int = 100) -> sa.Select:
    stmt = sa.select(Wish).where(scope_condition(user))
    if queue == "reported":
        stmt = stmt.where(Wish.status == "approved", Wish.report_count > 0)
    elif queue in QUEUES:
        stmt = stmt.where(Wish.status == queue)
    if building:
        stmt = stmt.where(Wish.building_id == sa.select(Building.id).where(Building.slug == building).scalar_subquery())
    return stmt.order_by(Wish.created_at.desc(), Wish.id.desc()).limit(limit)


def wishes_by_ids(ids: list[int]) -> sa.Select:
    """The wishes of a bulk action, newest first (the view checks each one's scope)."""
    return sa.select(Wish).where(Wish.id.in_(ids)).order_by(Wish.created_at.desc(), Wish.id.desc())


def auto_hidden(user, limit: int = 50) -> sa.Select:
    """Wishes that reports hid and no moderator has looked at yet: the head of every queue."""
    return (sa.select(Wish).where(scope_condition(user), Wish.status == "hidden", Wish.auto_hidden_at.is_not(None))
            .order_by(Wish.auto_hidden_at.desc(), Wish.id.desc()).limit(limit))


def queue_counts(user) -> sa.Select:
    in_scope = scope_condition(user)
    return sa.select(
        sa.func.count().filter(Wish.status == "pending").label("pending"),
        sa.func.count().filter(Wish.status == "approved", Wish.report_count > 0).label("reported"),
        sa.func.count().filter(Wish.status == "hidden").label("hidden"),
        sa.func.count().filter(Wish.status == "hidden", Wish.auto_hidden_at.is_not(None)).label("auto_hidden"),
    ).where(in_scope)


def resources_for(user, building_id: int | None = None) -> sa.Select:
    stmt = sa.select(Resource).where(Resource.active.is_(True))
    if building_id is not None:
        stmt = stmt.where(sa.or_(Resource.building_id.is_(None), Resource.building_id == building_id))
    elif user.role != "admin":
        ids = list(user.building_ids)
        stmt = stmt.where(sa.or_(Resource.building_id.is_(None), Resource.building_id.in_(ids or [-1])))
    return stmt.order_by(Resource.org_zh)


def managed_resources(user) -> sa.Select:
    stmt = sa.select(Resource)
    if user.role != "admin":
        stmt = stmt.where(Resource.building_id.in_(list(user.building_ids) or [-1]))
    return stmt.order_by(Resource.building_id, Resource.org_zh)


def wall_figures(building_id: int | None = None) -> sa.Select:
    stmt = sa.select(
        sa.func.count().filter(Wish.status == "approved").label("on_wall"),
        sa.func.count().filter(Wish.status == "approved", Wish.progress == "fulfilled").label("fulfilled"),
    )
    if building_id is not None:
        stmt = stmt.where(Wish.building_id == building_id)
    return stmt
