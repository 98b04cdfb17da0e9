"""楼务公开墙, the public side: every building's board and the district roll-up, the
lobby screen and the poster.  The blueprint's other public views live beside it and add
themselves to ``bp`` (same endpoint names, ``boards.*``): events and registrations in
registrations.py, the iCal calendars in calendars.py, the Atom feed in feeds.py."""

from __future__ import annotations

from datetime import date, datetime, timezone
from functools import lru_cache

from flask import Blueprint, abort, current_app, request, url_for
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _
from markupsafe import escape

from ..core.cache import Version, cached
from ..core.i18n import current_lang
from ..core.qr import qr_svg
from ..core.rendering import render
from ..core.timeutil import aware, format_when, utcnow
from ..core.workdays import SHANGHAI
from ..extensions import db
from ..intake.models import STAGES
from ..org.models import COUNCIL_ROLES
from .charts import monthly_chart
from .models import DECISION_STATUSES
from .queries import (
    Rates,
    building_by_slug,
    decisions,
    event_in,
    notices,
    upcoming_events,
    buildings,
    figures_by_building,
    fulfilled_wishes,
    monthly,
    next_event_moment,
    open_needs,
    projects,
    request_figures,
    resources,
    streets,
    wish_figures,
)

bp = Blueprint("boards", __name__, url_prefix="/<lang:lang_code>/boards")


def page_version(vary: str = "") -> Version:
    """How the boards pages and the home page (``app/core/routes.py``) are cached: in the
    ``boards`` namespace (any committed write to a table they show makes them stale,
    app/core/cache.py), per Shanghai day (the board's 12-month chart ends with the current
    month), and until the next event moment (``next_event_moment``)."""
    return Version("boards", vary=f"{datetime.now(SHANGHAI).date().isoformat()}|{vary}", fresh_until=_next_moment, clock=lambda: utcnow())


def _next_moment():
    now = utcnow()
    moments = [aware(m) for m in db.session.execute(next_event_moment(now)).one() if m is not None]
    return min(moments) if moments else None


@bp.route("/")
def index():
    return cached("boards.index", page_version(), _index)


def _index():
    street = request.args.get("street", "")[:40]
    all_streets = db.session.scalars(streets()).all()
    if street and street not in {s.code for s in all_streets}:
        street = ""
    per_building = {row.building_id: row for row in db.session.execute(figures_by_building())}
    district = Rates.of(db.session.execute(request_figures()).one())
    return render(
        "boards/index.html",
        buildings=db.session.scalars(buildings(street)).unique().all(),
        streets=all_streets,
        street=street,
        per_building=per_building,
        district=district,
        wishes=db.session.execute(wish_figures()).one(),
    )


def _twelve_months(today: date) -> tuple[list[str], list[datetime]]:
    """The last 12 months (YYYY-MM, oldest first) and their 13 boundaries (Shanghai midnight)."""
    year, month = today.year, today.month
    starts = []
    for _ in range(13):
        starts.append((year, month))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    firsts = list(reversed(starts[:12]))
    nxt = (today.year + (today.month == 12), 1 if today.month == 12 else today.month + 1)
    bounds = [datetime(y, m, 1, tzinfo=SHANGHAI).astimezone(timezone.utc) for y, m in firsts + [nxt]]
    return [f"{y:04d}-{m:02d}" for y, m in firsts], bounds


@bp.route("/<slug>")
def board(slug: str):
    return cached("boards.board", page_version(), lambda: _board(slug))


def _board(slug: str):
    building = db.session.scalar(building_by_slug(slug))
    if building is None:
        abort(404)
    rates = Rates.of(db.session.execute(request_figures(building.id)).one())
    today = datetime.now(SHANGHAI).date()
    months, bounds = _twelve_months(today)
    counts = db.session.execute(monthly(building.id, bounds)).one()
    series = [(m, counts[2 * i], counts[2 * i + 1]) for i, m in enumerate(months)]
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
        decisions=db.session.scalars(decisions(building.id, limit=10)).all(),
        notices=db.session.scalars(notices(building.id, limit=5)).all(),
        events=db.session.scalars(upcoming_events(building.id, utcnow())).unique().all(),
        decision_statuses=DECISION_STATUSES,
    )


# --- what every page of a building loads ---------------------------------------------------


def building_or_404(slug: str):
    building = db.session.scalar(building_by_slug(slug))
    if building is None:
        abort(404)
    return building


def event_or_404(building, event_id: int):
    event = db.session.scalar(event_in(building.id, event_id))
    if event is None:
        abort(404)
    return event


@bp.route("/<slug>/screen")
def screen(slug: str):
    """Lobby-screen mode: large type, refreshed by htmx polling (every 60 s).  Its
    "Updated <time>", to the minute like every time shown, says that the last poll worked,
    so a cached screen holds for its minute (every screen polling in that minute gets the
    same page)."""
    return cached("boards.screen", page_version(vary=str(_minute())), lambda: _screen(slug))


def _minute() -> int:
    return int(utcnow().timestamp()) // 60


def _updated_now() -> str:
    # Markup: safe as HTML, not escaped twice by the template.  Formatting a time with Babel
    # costs more than the rest of a cached answer, so each minute is formatted once per language.
    return _formatted_minute(_minute(), current_lang())


@lru_cache(maxsize=4)
def _formatted_minute(minute: int, _locale: str):
    return escape(format_when(datetime.fromtimestamp(minute * 60, timezone.utc)))


def _screen(slug: str):
    building = building_or_404(slug)
    rates = Rates.of(db.session.execute(request_figures(building.id)).one())
    context = {
        "building": building,
        "rates": rates,
        "wishes": db.session.execute(wish_figures(building.id)).one(),
        "events": db.session.scalars(upcoming_events(building.id, utcnow(), limit=3)).unique().all(),  # what fits a TV
        "fulfilled": db.session.scalars(fulfilled_wishes(building.id, limit=3)).unique().all(),
        "board_qr": qr_svg(url_for("boards.board", slug=slug, _external=True), _("QR code of this building's board")),
        "intake_qr": qr_svg(url_for("intake.new_request", building=slug, _external=True), _("QR code of the request form")),
        "updated": _updated_now(),
    }
    return render("boards/screen.html", "boards/_screen.html", **context)


@bp.route("/<slug>/poster")
def poster(slug: str):
    """A printable A4 poster with the building's QR codes (board, request form, wish wall)."""
    return cached("boards.poster", page_version(), lambda: _poster(slug))


def _poster(slug: str):
    """Chinese first, English under it, whatever the URL's language (a lobby has readers of
    both); the QR codes open the pages in the URL's language.  The contact is the council
    and the configured office hotline (``SITE_HOTLINE``, the footer's too), never a person's number."""
    building = building_or_404(slug)

    def both(make):
        texts = {}
        for lang in ("zh", "en"):
            with force_locale(lang):
                texts[lang] = make()
        return texts

    primary = (
        both(lambda: _("Report a problem")),
        qr_svg(url_for("intake.new_request", building=slug, _external=True), _("QR code of the request form")),
        url_for("intake.new_request", building=slug, _external=True),
    )
    codes = [
        (both(lambda: _("Track a request")), qr_svg(url_for("intake.track", _external=True), _("QR code of the tracking page"))),
        (both(lambda: _("This building's open board")), qr_svg(url_for("boards.board", slug=slug, _external=True), _("QR code of this building's board"))),
        (both(lambda: _("Make a wish")), qr_svg(url_for("wall.new", building=slug, _external=True), _("QR code of the wish form"))),
    ]
    council = building.council
    text = both(lambda: {
        "cta": _("Scan to report a problem or track a request"),
        "motto": _("Every question answered, every problem solved."),
        "steps": _("Scan, describe the problem, add a photo if you like: you get a tracking number and an answer from the council or the department in charge."),
        "contact": _("Contact us"),
        "hotline": _("Hotline"),
        "emergency": _("In an emergency call 110 (police), 119 (fire) or 120 (ambulance)."),
    })
    return render(
        "boards/poster.html", building=building, primary=primary, codes=codes, text=text,
        council_name={"zh": council.name_zh, "en": council.name_en or council.name_zh} if council else None,
        hotline=current_app.config["SITE_HOTLINE"],
    )


# The blueprint's other views (they import ``bp`` from here, so they come last).
from . import calendars, feeds, registrations  # noqa: E402,F401
