"""Reads used by the home page and the health check."""

from __future__ import annotations

import sqlalchemy as sa

from ..boards.models import Building, Council, CouncilMember, Street
from ..guide.models import Department


def district_figures() -> sa.Select:
    """One row with the district-wide counts shown on the home page."""
    return sa.select(
        sa.select(sa.func.count()).select_from(Building).scalar_subquery().label("buildings"),
        sa.select(sa.func.count()).select_from(Council).scalar_subquery().label("councils"),
        sa.select(sa.func.count()).select_from(CouncilMember).scalar_subquery().label("council_members"),
        sa.select(sa.func.count()).select_from(Department).scalar_subquery().label("departments"),
        sa.select(sa.func.count()).select_from(Street).scalar_subquery().label("streets"),
    )
