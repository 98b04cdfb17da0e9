"""Home page: /<lang>/ (entry points and district-wide figures)."""

from __future__ import annotations

from flask import Blueprint

from ..boards.routes import page_version
from ..core.cache import cached
from ..core.rendering import render
from ..extensions import db
from ..intake.queries import figures as request_figures
from ..org.queries import district_figures
from ..wall.queries import wall_figures

bp = Blueprint("home", __name__)


@bp.route("/<lang:lang_code>/")
def home():
    """Page-cached for anonymous visitors.  Its figures (buildings, councils, seats,
    departments, requests, fulfilled wishes) all come from tables in the boards' cache
    version, which also holds the wall's own version columns (see
    ``app.boards.routes.page_version``)."""
    return cached("home.home", page_version(), _home)


def _home():
    figures = db.session.execute(district_figures()).one()
    return render("home/home.html", figures=figures, requests=db.session.execute(request_figures()).one(),
                  wishes=db.session.execute(wall_figures()).one())
