"""Site-wide pages that belong to no domain: the privacy notice, the accessibility
statement, the footer's identity of the operator, and the health check.  (The home page,
which gathers every domain's figures, is ``app/home``.)"""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify

from ..extensions import db, limiter
from .rendering import render

bp = Blueprint("core", __name__)

# When the accessibility statement was last checked against the site (update with it).
STATEMENT_REVIEWED = date(2026, 12, 7)


@bp.app_context_processor
def site_identity() -> dict:
    """What the footer of every page says about who runs the site and how to reach them
    (settings SITE_OPERATOR_ZH/EN, SITE_HOTLINE, ICP_NUMBER; see app/config.py)."""
    from .i18n import current_lang

    config = current_app.config
    lang = current_lang()
    operator = (config.get("SITE_OPERATOR_EN") if lang == "en" else None) or config.get("SITE_OPERATOR_ZH") or ""
    hotline = config.get("SITE_HOTLINE") or ""
    return {
        "site_operator": operator,
        "site_hotline": hotline,
        "site_hotline_tel": re.sub(r"[^\d+]", "", hotline),
        "icp_number": config.get("ICP_NUMBER") or "",
    }


@bp.route("/<lang:lang_code>/privacy")
def privacy():
    """The full personal-information notice: what is collected, who sees it, what is
    public and when (the rule of ``app.intake.queries.publicly_listed``), how long."""
    return render("core/privacy.html", retention_days=current_app.config["RETENTION_DAYS"])


@bp.route("/<lang:lang_code>/accessibility")
def accessibility():
    """The accessibility statement: the standard aimed at, how it is tested, what is known
    not to meet it and how to report a problem."""
    return render("core/accessibility.html", reviewed=STATEMENT_REVIEWED)


@bp.route("/healthz")
@limiter.exempt
def healthz():
    try:
        db.session.execute(sa.text("SELECT 1")).scalar_one()
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        db.session.rollback()
        response = jsonify(status="error", database="unavailable")
        response.status_code = 503
    else:
        response = jsonify(status="ok", database="ok")
    response.headers["Cache-Control"] = "no-store"
    return response
