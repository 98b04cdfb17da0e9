"""/<lang>/council/: the workspace, signed-in staff only.

The dashboard says what needs the signed-in person now, in their scope; its counts
block is a partial that htmx asks for again every minute (the same URL)."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, current_app
from flask_login import current_user

from ..auth.models import BUILDING_ROLES
from ..auth.permissions import can, permission_required
from ..core.rendering import render, wants_fragment
from ..core.timeutil import utcnow
from ..core.workdays import SHANGHAI
from ..extensions import db
from ..wall.queries import queue_counts
from .queries import events_filling_up, recent_audit_for, request_counts

bp = Blueprint("council", __name__, url_prefix="/<lang:lang_code>/council")


def _needs(user) -> dict:
    """The counts block: a constant number of queries (one per block shown)."""
    now = utcnow()
    today = datetime.now(SHANGHAI).date()
    context = {"now": now, "requests": db.session.execute(request_counts(user, today)).one(), "wishes": None, "events": None}
    if can("wall.moderate"):
        context["wishes"] = db.session.execute(queue_counts(user)).one()
    if user.role == "admin" or user.role in BUILDING_ROLES:
        rows = db.session.execute(events_filling_up(user, now)).all()
        context["events"] = rows
        context["events_total"] = rows[0].total if rows else 0
    return context


@bp.route("/")
@permission_required("workspace.view")
def dashboard():
    needs = _needs(current_user)
    if wants_fragment():  # htmx polling: the counts only
        return render("council/dashboard.html", "council/_counts.html", **needs)
    recent = db.session.scalars(recent_audit_for(current_user)).all()
    return render("council/dashboard.html", "council/_counts.html", recent=recent, current_app=current_app, **needs)
