"""/<lang>/council/: the workspace, signed-in staff only."""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

from ..auth.permissions import permission_required
from ..core.rendering import render
from ..extensions import db
from .queries import recent_audit_for

bp = Blueprint("council", __name__, url_prefix="/<lang:lang_code>/council")


@bp.route("/")
@permission_required("workspace.view")
def dashboard():
    recent = db.session.scalars(recent_audit_for(current_user)).all()
    return render("council/dashboard.html", recent=recent)
