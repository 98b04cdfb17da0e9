"""楼务公开墙, the Atom feed: a building's notices and meeting decisions, newest first
(Atom 1.0, templates/boards/feed.xml).  A view of the ``boards`` blueprint (routes.py):
``boards.feed``."""

from __future__ import annotations

from flask import Response, render_template, request

from ..core.timeutil import aware, machine_time, utcnow
from ..extensions import db
from .queries import decisions, notices
from .routes import bp, building_or_404


def feed_entries(building_id: int) -> list[dict]:
    """The feed's entries: notices and decisions, newest change first; ``updated`` is an
    RFC 3339 time in UTC with its offset, as Atom requires."""
    items = [{"id": f"notice-{n.id}", "title": n.loc("title").text, "summary": n.loc("body").text,
              "moment": n.updated_at or n.published_at} for n in db.session.scalars(notices(building_id))]
    items += [{"id": f"decision-{d.id}", "title": d.loc("topic").text, "summary": d.loc("decision").text,
               "moment": d.updated_at} for d in db.session.scalars(decisions(building_id))]
    items.sort(key=lambda i: aware(i["moment"]), reverse=True)
    for item in items:
        item["updated"] = machine_time(item.pop("moment"))
    return items


@bp.route("/<slug>/feed.atom")
def feed(slug: str):
    """Notices and decisions of one building, newest first (Atom 1.0)."""
    building = building_or_404(slug)
    items = feed_entries(building.id)
    updated = items[0]["updated"] if items else machine_time(utcnow())
    body = render_template("boards/feed.xml", building=building, items=items, updated=updated, host=request.host.split(":")[0] or "loushi")
    return Response(body, mimetype="application/atom+xml")
