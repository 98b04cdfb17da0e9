"""楼宇心愿墙, the public side: the wall, posting a wish, supporting and reporting one,
and the author's private follow page."""

from __future__ import annotations

import time

from flask import Blueprint, abort, current_app, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, TimestampSigner

from ..core.forms import choices
from ..core.identity import browser_key, current_person
from ..core.inputs import page_arg
from ..core.rendering import render, wants_fragment
from ..core.security import no_store
from ..extensions import db, limiter
from .forms import ReportForm, WishForm
from .models import PROGRESS, SORTS, STATUSES
from ..org.queries import all_buildings, building_by_slug
from .queries import PAGE_SIZE, WallFilters, public_wish, wall_page, wish_by_token
from .services import post_wish, report, support_outcome, token_hash

bp = Blueprint("wall", __name__, url_prefix="/<lang:lang_code>/wall")


def _per_ip_post():
    return current_app.config["WALL_POST_LIMIT_PER_IP"]


def _per_browser_post():
    return current_app.config["WALL_POST_LIMIT_PER_BROWSER"]


def _browser_limit_key() -> str:
    return "browser:" + browser_key()


# --- the wall --------------------------------------------------------------------------


def _filters() -> WallFilters:
    page = page_arg()
    sort = request.args.get("sort", "new")
    return WallFilters(building=request.args.get("building", "")[:80], sort=sort if sort in SORTS else "new", page=page)


@bp.route("/")
def index():
    return _index()


def _index():
    filters = _filters()
    rows = db.session.scalars(wall_page(filters)).unique().all()
    more = len(rows) > PAGE_SIZE
    building = next((b for b in db.session.scalars(all_buildings()) if b.slug == filters.building), None) if filters.building else None
    return render(
        "wall/index.html",
        "wall/_cards.html",
        wishes=rows[:PAGE_SIZE],
        more=more,
        filters=filters,
        building=building,
        all_buildings=db.session.scalars(all_buildings()).all(),
        progress=PROGRESS,
        sorts={"new": _("Newest"), "top": _("Most supported"), "fulfilled": _("Fulfilled")},
    )


# --- posting ---------------------------------------------------------------------------


def _signer() -> TimestampSigner:
    return TimestampSigner(current_app.config["SECRET_KEY"], salt="loushi-wall-form")


def _started_stamp() -> str:
    """When the form was shown, signed: the minimum fill time is measured from it."""
    return _signer().sign(str(int(time.time()))).decode()


def _wish_form() -> WishForm:
    form = WishForm()
    zh = str(get_locale().language) == "zh"
    form.building.choices = choices([("", _("Choose your building"))] + [(b.slug, b.name_zh if zh or not b.name_en else b.name_en) for b in db.session.scalars(all_buildings())])
    return form


def _render_new(form: WishForm, status: int = 200):
    form.started.data = _started_stamp()
    form.website.data = ""
    return render("wall/new.html", form=form, status=status, min_seconds=current_app.config["WALL_MIN_FILL_SECONDS"])


def _blank_wish_form():
    form = _wish_form()
    if request.args.get("building"):
        form.building.data = request.args["building"][:80]
    return _render_new(form)


@bp.route("/new", methods=["GET", "POST"])
def new():
    if request.method != "POST":  # GET, HEAD
        return _blank_wish_form()
    return _post_wish()


# The rate limits sit on the POST handler: on the view they would be evaluated for every GET too.
@limiter.limit(_per_ip_post)
@limiter.limit(_per_browser_post, key_func=_browser_limit_key)
def _post_wish():
    form = _wish_form()
    if form.website.data:
        # The honeypot: a person never sees this field.  Answer like a success, keep nothing.
        return render("wall/posted.html", wish=None, follow_url=None)
    valid = form.validate()
    try:
        started = int(_signer().unsign(form.started.data or "", max_age=24 * 3600).decode())
    except (BadSignature, ValueError):
        started = None
    if started is None:
        form.started.errors = [_("The form expired. Please submit it again.")]
        valid = False
    elif time.time() - started < current_app.config["WALL_MIN_FILL_SECONDS"]:
        form.started.errors = [_("That was quick. Please check your wish and send it again.")]
        valid = False
    if not valid:
        return _render_new(form, status=422)
    from ..intake.forms import normalize_text

    building = db.session.scalar(building_by_slug(form.building.data))
    lang = str(get_locale().language)
    wish, token = post_wish(building, normalize_text(form.body.data), normalize_text(form.display_name.data), normalize_text(form.contact.data), lang)
    db.session.commit()
    return redirect(url_for("wall.mine", token=token, posted=1), code=303)


@bp.route("/mine/<token>")
def mine(token: str):
    """The author's private page: the wish and where it stands (the link is the key).

    Never stored by a browser or a proxy, and never sent on as a Referer (``no_store``)."""
    return no_store(_mine(token))


def _mine(token: str):
    wish = db.session.scalar(wish_by_token(token_hash(token[:64])))
    if wish is None:
        abort(404)
    return render("wall/posted.html", wish=wish, follow_url=url_for("wall.mine", token=token, _external=True),
                  just_posted=request.args.get("posted") == "1", statuses=STATUSES, progress=PROGRESS)


# --- support and report ------------------------------------------------------------------


def _public(wish_id: int):
    wish = db.session.scalar(public_wish(wish_id))
    if wish is None:
        abort(404)
    return wish


@bp.route("/<int:wish_id>/support", methods=["POST"])
@limiter.limit(lambda: current_app.config["WALL_SUPPORT_LIMIT"])
def support_wish(wish_id: int):
    wish = _public(wish_id)
    person = current_person()
    count, state = support_outcome(wish, person.key, person.network)
    db.session.commit()
    if wants_fragment():
        return render("wall/_support.html", wish_id=wish_id, count=count, supported=state != "limited", added=state == "added", limited=state == "limited")
    return redirect(request.referrer if _same_site(request.referrer) else url_for("wall.index"), code=303)


def _same_site(url: str | None) -> bool:
    from urllib.parse import urlsplit

    return bool(url) and urlsplit(url).netloc in ("", request.host)


@bp.route("/<int:wish_id>/report", methods=["GET", "POST"])
def report_wish(wish_id: int):
    if request.method != "POST":  # GET, HEAD
        return render("wall/report.html", form=ReportForm(), wish=_public(wish_id))
    return _report(wish_id)


# The rate limits sit on the POST handler: on the view they would be evaluated for every GET too.
@limiter.limit(lambda: current_app.config["WALL_REPORT_LIMIT"])
def _report(wish_id: int):
    wish = _public(wish_id)
    form = ReportForm()
    if form.validate():
        from ..intake.forms import normalize_text

        person = current_person()
        report(wish, person.key, normalize_text(form.reason.data), person.network)
        db.session.commit()
        return render("wall/reported.html", wish=wish)
    return render("wall/report.html", form=form, wish=wish, status=422)


@bp.route("/<int:wish_id>/photo")
def photo(wish_id: int):
    """The fulfilment photo (re-encoded without metadata when it was uploaded)."""
    from flask import send_file

    from ..core import uploads

    wish = _public(wish_id)
    if wish.claim is None or not wish.claim.photo:
        abort(404)
    try:
        path = uploads.open_stored(wish.claim.photo)
    except FileNotFoundError:
        abort(404)
    response = send_file(path, max_age=3600)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
