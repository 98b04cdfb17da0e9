"""楼务公开墙, events: an event's page with its seats, registering (a seat or the waitlist),
the confirmation and the private cancel link.  Views of the ``boards`` blueprint
(routes.py), with its endpoint names (``boards.event``, ``boards.registered``,
``boards.cancel_registration``)."""

from __future__ import annotations

from flask import abort, current_app, redirect, request, session, url_for
from flask_login import current_user

from ..core.handlers import Done, submit
from ..core.rendering import render, wants_fragment
from ..core.security import private_page
from ..core.timeutil import utcnow
from ..extensions import db, limiter
from ..intake.forms import mask_phone
from .forms import RegistrationForm
from .queries import registration_by_token, waitlist_position
from .routes import bp, building_or_404, event_or_404
from .services import cancel, register


@bp.route("/<slug>/events/<int:event_id>", methods=["GET", "POST"])
def event(slug: str, event_id: int):
    if request.method != "POST":  # GET and HEAD
        return _event_page(slug, event_id)
    return _register(slug, event_id)


# The rate limits sit on the POST handler: on the view they would be evaluated for every GET too.
@limiter.limit(lambda: current_app.config["EVENT_REGISTER_LIMIT"])
def _register(slug: str, event_id: int):
    building = building_or_404(slug)
    item = event_or_404(building, event_id)
    form = RegistrationForm()
    user = current_user if current_user.is_authenticated else None

    def registered(done):
        # Post/Redirect/Get: a reload shows the confirmation again, not a second attempt.
        session["registered"] = {"event": item.id, "token": done.cancel_token}
        return Done(None, url_for("boards.registered", slug=slug, event_id=item.id))

    return submit(
        form,
        page=lambda: render("boards/event.html", building=building, event=item, form=form, now=utcnow()),
        field=form.phone,
        act=lambda: register(item.id, form.name.data, (form.phone.data or "").strip() or None, user=user),
        done=registered,
    )


def _event_page(slug: str, event_id: int):
    """The event page or (htmx, ``?part=seats``) its seats; never cached (it has the
    registration form)."""
    building = building_or_404(slug)
    item = event_or_404(building, event_id)
    if wants_fragment() and request.args.get("part") == "seats":
        return render("boards/_seats.html", event=item)  # no form: the poll sets no cookie
    form = RegistrationForm()  # its CSRF field renders csrf_token() (app.core.forms.Form)
    if current_user.is_authenticated and not form.name.data:
        form.name.data = current_user.name
    return render("boards/event.html", building=building, event=item, form=form, now=utcnow())


@bp.route("/<slug>/events/<int:event_id>/registered")
@private_page  # the person's name, masked phone and cancel link
def registered(slug: str, event_id: int):
    building = building_or_404(slug)
    item = event_or_404(building, event_id)
    info = session.get("registered") or {}
    registration = db.session.scalar(registration_by_token(info.get("token", ""))) if info.get("event") == item.id else None
    if registration is None:
        return redirect(url_for("boards.event", slug=slug, event_id=event_id), code=303)
    place = db.session.scalar(waitlist_position(registration)) if registration.status == "waitlisted" else None
    return render("boards/registered.html", building=building, event=item, registration=registration, waitlist_place=place,
                  cancel_url=url_for("boards.cancel_registration", slug=slug, token=info["token"], _external=True),
                  masked=mask_phone(registration.phone))


@bp.route("/<slug>/cancel/<token>", methods=["GET", "POST"])
@private_page  # the person's name, masked phone and cancel link
def cancel_registration(slug: str, token: str):
    building = building_or_404(slug)
    registration = db.session.scalar(registration_by_token(token[:64]))
    if registration is None or registration.event.building_id != building.id:
        abort(404)
    if request.method == "POST":
        return submit(
            act=lambda: cancel(token[:64]),
            done=lambda outcome: render("boards/cancelled.html", building=building, event=registration.event,
                                        promoted=outcome[1] is not None),
        )
    return render("boards/cancel.html", building=building, registration=registration, masked=mask_phone(registration.phone))
