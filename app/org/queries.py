"""Reads about the organisation: buildings, departments, councils and their rosters, and
the district-wide counts of them.  Functions return a ``select()``; the caller executes."""

from __future__ import annotations

import sqlalchemy as sa

from ..auth.models import User, user_building
from .models import Building, Council, CouncilMember, Department, Street


def district_figures() -> sa.Select:
    """One row with the district-wide counts shown on the home page."""
    return sa.select(
        sa.select(sa.func.count()).select_from(Building).scalar_subquery().label("buildings"),
        sa.select(sa.func.count()).select_from(Council).scalar_subquery().label("councils"),
        sa.select(sa.func.count()).select_from(CouncilMember).scalar_subquery().label("council_members"),
        sa.select(sa.func.count()).select_from(Department).scalar_subquery().label("departments"),
        sa.select(sa.func.count()).select_from(Street).scalar_subquery().label("streets"),
    )


def all_buildings() -> sa.Select:
    """Every building, by street then slug (for scope pickers)."""
    return sa.select(Building).order_by(Building.street_id, Building.slug)


def building_by_slug(slug: str) -> sa.Select:
    return sa.select(Building).where(Building.slug == slug)


def buildings_by_slugs(slugs) -> sa.Select:
    return sa.select(Building).where(Building.slug.in_(list(slugs) or [""])).order_by(Building.street_id, Building.slug)


def all_departments() -> sa.Select:
    return sa.select(Department).order_by(Department.code)


def department_by_code(code: str) -> sa.Select:
    return sa.select(Department).where(Department.code == code)


def council_team(building_ids) -> sa.Select:
    """(Building, User, seat role or None) for every active council-member account on
    the given buildings' councils, by building then seat then name: one query.  The
    seat role is the person's place on the building's public roster when the account
    is linked to it (CouncilMember.user_id)."""
    return (
        sa.select(Building, User, CouncilMember.role)
        .join(user_building, user_building.c.building_id == Building.id)
        .join(User, User.id == user_building.c.user_id)
        .outerjoin(Council, Council.building_id == Building.id)
        .outerjoin(CouncilMember, sa.and_(CouncilMember.council_id == Council.id, CouncilMember.user_id == User.id))
        .where(Building.id.in_(list(building_ids) or [0]), User.role == "council", User.active.is_(True))
        .order_by(Building.street_id, Building.slug, CouncilMember.position.is_(None), CouncilMember.position,
                  sa.func.lower(User.name), User.email)
    )
