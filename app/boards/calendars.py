"""楼务公开墙, calendars: one event, or all of a building's events, as an .ics file to add
to a calendar (built by ical.py).  Views of the ``boards`` blueprint (routes.py):
``boards.event_ics``, ``boards.building_ics``."""

from __future__ import annotations

from flask import Response, request, url_for

from ..extensions import db
from .ical import calendar_bytes
from .queries import all_events
from .routes import bp, building_or_404, event_or_404


def _calendar(events, name: str) -> Response:
    body = calendar_bytes(
        events, name, request.host.split(":")[0] or "loushi",
        lambda item: url_for("boards.event", slug=item.building.slug, event_id=item.id, _external=True),
    )
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = "attachment; filename=events.ics"
    return response


@bp.route("/<slug>/events/<int:event_id>.ics")
def event_ics(slug: str, event_id: int):
    building = building_or_404(slug)
    return _calendar([event_or_404(building, event_id)], building.loc("name").text)


@bp.route("/<slug>/events.ics")
def building_ics(slug: str):
    building = building_or_404(slug)
    return _calendar(db.session.scalars(all_events(building.id)).unique().all(), building.loc("name").text)
