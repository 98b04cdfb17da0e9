"""楼务公开墙, the public side: every building's board and the district roll-up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import Blueprint, abort, request

from ..core.rendering import render
from ..core.workdays import SHANGHAI
from ..extensions import db
from ..intake.models import STAGES
from .charts import monthly_chart
from .models import COUNCIL_ROLES
from .queries import (
    building_by_slug,
    buildings,
    figures_by_building,
    fulfilled_wishes,
    monthly,
    open_needs,
    projects,
    request_figures,
    resources,
    streets,
    wish_figures,
)

bp = Blueprint("boards", __name__, url_prefix="/<lang:lang_code>/boards")


@dataclass(frozen=True)
class Rates:
    """The three rates the seeds quote, from one row of ``request_figures``."""

    received: int
    completed: int
    in_progress: int
    on_time: int
    rated: int
    satisfied: int

    @staticmethod
    def _share(part: int, whole: int) -> float | None:
        return None if not whole else part / whole

    @property
    def response_rate(self):  # 响应率
        return self._share(self.on_time, self.received)

    @property
    def resolution_rate(self):  # 解决率
        return self._share(self.completed, self.received)

    @property
    def satisfaction_rate(self):  # 满意率
        return self._share(self.satisfied, self.rated)


@bp.route("/")
def index():
    street = request.args.get("street", "")[:40]
    all_streets = db.session.scalars(streets()).all()
    if street and street not in {s.code for s in all_streets}:
        street = ""
    per_building = {row.building_id: row for row in db.session.execute(figures_by_building())}
    district = Rates(*db.session.execute(request_figures()).one())
    return render(
        "boards/index.html",
        buildings=db.session.scalars(buildings(street)).unique().all(),
        streets=all_streets,
        street=street,
        per_building=per_building,
        district=district,
        wishes=db.session.execute(wish_figures()).one(),
    )


def _twelve_months(today: date) -> list[str]:
    months = []
    year, month = today.year, today.month
    for _ in range(12):
        months.append(f"{year:04d}-{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return list(reversed(months))


@bp.route("/<slug>")
def board(slug: str):
    building = db.session.scalar(building_by_slug(slug))
    if building is None:
        abort(404)
    rates = Rates(*db.session.execute(request_figures(building.id)).one())
    today = datetime.now(SHANGHAI).date()
    months = _twelve_months(today)
    since = date(int(months[0][:4]), int(months[0][5:]), 1)
    received_q, completed_q = monthly(building.id, since)
    received = dict(db.session.execute(received_q).all())
    completed = dict(db.session.execute(completed_q).all())
    series = [(m, received.get(m, 0), completed.get(m, 0)) for m in months]
    needs_q, wishes_q = open_needs(building.id)
    members = sorted(building.council.members, key=lambda m: (list(COUNCIL_ROLES).index(m.role) if m.role in COUNCIL_ROLES else 99, m.position)) if building.council else []
    return render(
        "boards/board.html",
        building=building,
        rates=rates,
        wishes=db.session.execute(wish_figures(building.id)).one(),
        series=series,
        chart=monthly_chart(series),
        members=members,
        roles=COUNCIL_ROLES,
        open_requests=db.session.execute(needs_q).all(),
        open_wishes=db.session.scalars(wishes_q).unique().all(),
        resources=db.session.scalars(resources(building.id)).unique().all(),
        projects=db.session.scalars(projects(building.id)).unique().all(),
        fulfilled=db.session.scalars(fulfilled_wishes(building.id)).unique().all(),
        stages=STAGES,
    )
