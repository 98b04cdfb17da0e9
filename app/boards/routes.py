"""楼务公开墙, the public side: every building's board and the district roll-up."""

from __future__ import annotations

from datetime import date, datetime, timezone
from functools import lru_cache

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import escape

from ..core.cache import Version, cached
from ..core.i18n import current_lang
from ..core.qr import qr_svg
from ..core.rendering import render, wants_fragment
from ..core.security import private_page
from ..core.timeutil import aware, utcnow
from ..core.workdays import SHANGHAI
from ..extensions import db, limiter
from ..intake.forms import mask_phone
from ..intake.models import STAGES
from .charts import monthly_chart
from .forms import RegistrationForm
from .models import COUNCIL_ROLES, DECISION_STATUSES
from .queries import (
    Rates,
    all_events,
    building_by_slug,
    decisions,
    event_in,
    notices,
    upcoming_events,
    waitlist_position,
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
from .services import RegistrationError, cancel, register, token_hash

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


# --- events --------------------------------------------------------------------------------


def _building(slug: str):
    building = db.session.scalar(building_by_slug(slug))
    if building is None:
        abort(404)
    return building


def _event(building, event_id: int):
    event = db.session.scalar(event_in(building.id, event_id))
    if event is None:
        abort(404)
    return event


@bp.route("/<slug>/events/<int:event_id>", methods=["GET", "POST"])
def event(slug: str, event_id: int):
    if request.method != "POST":  # GET and HEAD
        return _event_page(slug, event_id)
    return _register(slug, event_id)


# The rate limits sit on the POST handler: on the view they would be evaluated for every GET too.
@limiter.limit(lambda: current_app.config["EVENT_REGISTER_LIMIT"])
def _register(slug: str, event_id: int):
    building = _building(slug)
    item = _event(building, event_id)
    form = RegistrationForm()
    user = current_user if current_user.is_authenticated else None
    if form.validate():
        try:
            done = register(item.id, form.name.data, (form.phone.data or "").strip() or None, user=user)
        except RegistrationError as exc:
            db.session.rollback()
            form.phone.errors = [str(exc)]
        else:
            db.session.commit()
            # Post/Redirect/Get: a reload shows the confirmation again, not a second attempt.
            session["registered"] = {"event": item.id, "token": done.cancel_token}
            return redirect(url_for("boards.registered", slug=slug, event_id=item.id), code=303)
    return render("boards/event.html", building=building, event=item, form=form, status=422, now=utcnow())


def _event_page(slug: str, event_id: int):
    """The event page or (htmx, ``?part=seats``) its seats; never cached (it has the
    registration form)."""
    building = _building(slug)
    item = _event(building, event_id)
    if wants_fragment() and request.args.get("part") == "seats":
        return render("boards/_seats.html", event=item)  # no form: the poll sets no cookie
    form = RegistrationForm()  # its CSRF field renders csrf_token() (app.core.forms.Form)
    if current_user.is_authenticated and not form.name.data:
        form.name.data = current_user.name
    return render("boards/event.html", building=building, event=item, form=form, now=utcnow())


@bp.route("/<slug>/events/<int:event_id>/registered")
@private_page  # the person's name, masked phone and cancel link
def registered(slug: str, event_id: int):
    building = _building(slug)
    item = _event(building, event_id)
    info = session.get("registered") or {}
    from .models import Registration

    registration = None
    if info.get("event") == item.id:
        registration = db.session.scalar(sa.select(Registration).where(Registration.cancel_token_hash == token_hash(info.get("token", ""))))
    if registration is None:
        return redirect(url_for("boards.event", slug=slug, event_id=event_id), code=303)
    place = db.session.scalar(waitlist_position(registration)) if registration.status == "waitlisted" else None
    return render("boards/registered.html", building=building, event=item, registration=registration, waitlist_place=place,
                  cancel_url=url_for("boards.cancel_registration", slug=slug, token=info["token"], _external=True),
                  masked=mask_phone(registration.phone))


@bp.route("/<slug>/cancel/<token>", methods=["GET", "POST"])
@private_page  # the person's name, masked phone and cancel link
def cancel_registration(slug: str, token: str):
    building = _building(slug)
    from .models import Registration

    registration = db.session.scalar(sa.select(Registration).where(Registration.cancel_token_hash == token_hash(token[:64])))
    if registration is None or registration.event.building_id != building.id:
        abort(404)
    if request.method == "POST":
        _cancelled, promoted = cancel(token[:64])
        db.session.commit()
        return render("boards/cancelled.html", building=building, event=registration.event, promoted=promoted is not None)
    return render("boards/cancel.html", building=building, registration=registration, masked=mask_phone(registration.phone))


def _ics_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n").replace("\n", "\\n")


def _ics_time(value) -> str:
    return value.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _fold(line: str) -> str:
    """RFC 5545 lines are at most 75 octets; longer ones continue after CRLF + space."""
    out, current = [], b""
    for char in line:
        encoded = char.encode("utf-8")
        if len(current) + len(encoded) > 73:
            out.append(current.decode("utf-8"))
            current = b""
        current += encoded
    out.append(current.decode("utf-8"))
    return "\r\n ".join(out)


def _calendar(events, name: str) -> Response:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Loushi//Open Building Boards//ZH", "CALSCALE:GREGORIAN", f"X-WR-CALNAME:{_ics_text(name)}"]
    stamp = _ics_time(utcnow())
    host = request.host.split(":")[0] or "loushi"
    for item in events:
        lines += [
            "BEGIN:VEVENT", f"UID:event-{item.id}@{host}", f"DTSTAMP:{stamp}", f"DTSTART:{_ics_time(item.starts_at)}",
            f"DTEND:{_ics_time(item.ends_at)}", f"SUMMARY:{_ics_text(item.loc('title').text)}",
            f"DESCRIPTION:{_ics_text(item.loc('description').text)}", f"LOCATION:{_ics_text(item.loc('place').text)}",
            f"URL:{url_for('boards.event', slug=item.building.slug, event_id=item.id, _external=True)}", "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    body = "\r\n".join(_fold(line) for line in lines) + "\r\n"
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = "attachment; filename=events.ics"
    return response


@bp.route("/<slug>/events/<int:event_id>.ics")
def event_ics(slug: str, event_id: int):
    building = _building(slug)
    return _calendar([_event(building, event_id)], building.loc("name").text)


@bp.route("/<slug>/events.ics")
def building_ics(slug: str):
    building = _building(slug)
    return _calendar(db.session.scalars(all_events(building.id)).unique().all(), building.loc("name").text)


@bp.route("/<slug>/feed.atom")
def feed(slug: str):
    """Notices and decisions of one building, newest first (Atom 1.0)."""
    building = _building(slug)
    items = []
    for n in db.session.scalars(notices(building.id)).all():
        items.append({"id": f"notice-{n.id}", "title": n.loc("title").text, "summary": n.loc("body").text, "updated": n.updated_at or n.published_at})
    for d in db.session.scalars(decisions(building.id)).all():
        items.append({"id": f"decision-{d.id}", "title": d.loc("topic").text, "summary": d.loc("decision").text, "updated": d.updated_at})
    items.sort(key=lambda i: i["updated"], reverse=True)
    updated = items[0]["updated"] if items else utcnow()
    body = render_template("boards/feed.xml", building=building, items=items, updated=updated, host=request.host.split(":")[0] or "loushi")
    return Response(body, mimetype="application/atom+xml")


@bp.route("/<slug>/screen")
def screen(slug: str):
    """Lobby-screen mode: large type, refreshed by htmx polling.  Its "Updated <time>"
    shows that the last poll worked, so a cached screen holds for its second only (every
    screen polling that second gets the same page)."""
    return cached("boards.screen", page_version(vary=str(int(utcnow().timestamp()))), lambda: _screen(slug))


def _updated_now() -> str:
    # Markup: safe as HTML, not escaped twice by the template.  Formatting a time with Babel
    # costs more than the rest of a cached answer, so each second is formatted once per language.
    return _formatted_second(int(utcnow().timestamp()), current_lang())


@lru_cache(maxsize=4)
def _formatted_second(second: int, _locale: str):
    return escape(format_datetime(datetime.fromtimestamp(second, timezone.utc)))


def _screen(slug: str):
    building = _building(slug)
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
    building = _building(slug)

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
