"""Writes of the boards: event registration with a waitlist, and the staff edits of a
board (roster, decisions, notices, events, projects) with their audit records.  The
caller commits.

A registration locks its event row first (``SELECT … FOR UPDATE`` on PostgreSQL; on
SQLite every POST's transaction already holds the write lock, BEGIN IMMEDIATE), then
reads the confirmed count it maintains: concurrent registrations queue on that lock, so
an event is never overbooked and the waitlist keeps the order of arrival."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from ..core import audit
from ..core.timeutil import aware, utcnow
from ..core.errors import ServiceError
from ..extensions import db
from ..intake.forms import normalize_phone, normalize_text
from .models import Event, Registration


class RegistrationError(ServiceError):
    """A registration that cannot be taken (a translated, polite message)."""


@dataclass
class Registered:
    registration: Registration
    cancel_token: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _locked(event_id: int) -> Event:
    stmt = sa.select(Event).where(Event.id == event_id).execution_options(populate_existing=True)
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=Event)  # the event row only, not its joined building
    event = db.session.scalar(stmt)
    if event is None:
        raise RegistrationError(_("This event does not exist."))
    return event


def register(event_id: int, name: str, phone: str | None, user=None) -> Registered:
    event = _locked(event_id)
    now = utcnow()
    if aware(event.starts_at) <= now:
        raise RegistrationError(_("This event has already taken place."))
    if event.registration_opens_at and now < aware(event.registration_opens_at):
        raise RegistrationError(_("Registration has not opened yet."))
    if event.registration_closes_at and now > aware(event.registration_closes_at):
        raise RegistrationError(_("Registration for this event is closed."))
    number = normalize_phone(phone) if phone else None
    if phone and number is None:
        raise RegistrationError(_("Enter a mobile number (11 digits, starting with 1) or a landline with its area code, e.g. 021-58880000."))
    if number is None and user is None:
        raise RegistrationError(_("Enter a phone number."))
    if number is not None:
        existing = db.session.scalar(
            sa.select(Registration).where(Registration.event_id == event.id, Registration.phone == number, Registration.status != "cancelled")
        )
        if existing is not None:
            raise RegistrationError(_("This phone number is already registered for this event."))
    if user is not None and db.session.scalar(
        sa.select(Registration.id).where(Registration.event_id == event.id, Registration.user_id == user.id, Registration.status != "cancelled")
    ):
        raise RegistrationError(_("You are already registered for this event."))
    last = db.session.scalar(sa.select(sa.func.max(Registration.position)).where(Registration.event_id == event.id)) or 0
    confirmed = event.confirmed_count < event.seats
    token = secrets.token_urlsafe(18)
    # A cancelled registration keeps its phone; free the (event, phone) key for the new one.
    if number is not None:
        db.session.execute(
            sa.update(Registration).where(Registration.event_id == event.id, Registration.phone == number, Registration.status == "cancelled").values(phone=None)
        )
    registration = Registration(
        event_id=event.id, name=normalize_text(name)[:60], phone=number, user_id=getattr(user, "id", None),
        status="confirmed" if confirmed else "waitlisted", position=last + 1, cancel_token_hash=token_hash(token), created_at=now,
    )
    db.session.add(registration)
    if confirmed:
        event.confirmed_count += 1
    db.session.flush()
    return Registered(registration, token)


def cancel(token: str) -> tuple[Registration, Registration | None]:
    """Cancel by the private link; a freed seat goes to the first on the waitlist.
    Returns (the cancelled registration, the promoted one or None)."""
    registration = db.session.scalar(sa.select(Registration).where(Registration.cancel_token_hash == token_hash(token)))
    if registration is None:
        raise RegistrationError(_("This cancellation link is not valid."))
    event = _locked(registration.event_id)
    db.session.refresh(registration)
    if registration.status == "cancelled":
        return registration, None
    was_confirmed = registration.status == "confirmed"
    registration.status = "cancelled"
    promoted = None
    if was_confirmed:
        event.confirmed_count -= 1
        promoted = db.session.scalar(
            sa.select(Registration)
            .where(Registration.event_id == event.id, Registration.status == "waitlisted")
            .order_by(Registration.position)
            .limit(1)
        )
        if promoted is not None:
            promoted.status = "confirmed"
            event.confirmed_count += 1
    db.session.flush()
    return registration, promoted


# --- staff edits of a board (app/boards/manage.py) ------------------------------------------


def _jsonable(values: dict) -> dict:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in values.items()}


def save_board_item(building, kind: str, model, item, values: dict):
    """Create (``item`` None) or change one entry of ``building``'s board of ``kind``
    ("decisions", "notices", "events", "members", "projects") from the form's ``values``;
    audited ``board.<kind>.create|update`` with before/after.  A roster entry is added at
    the end of the building's council (which must exist)."""
    before = _jsonable({k: getattr(item, k) for k in values}) if item is not None else None
    if item is None:
        if kind == "members":
            item = model(council_id=building.council.id, position=len(building.council.members))
        else:
            item = model(building_id=building.id)
        db.session.add(item)
    for key, value in values.items():
        setattr(item, key, value)
    db.session.flush()
    audit.record(f"board.{kind}.{'update' if before else 'create'}", item, before=before, after=_jsonable(values), building_id=building.id)
    return item


def delete_board_item(building, kind: str, item, before: dict) -> None:
    """Delete one entry (decisions, notices, roster), audited with what it held."""
    audit.record(f"board.{kind}.delete", item, before=_jsonable(before), building_id=building.id)
    db.session.delete(item)


def record_board_export(building, fmt: str) -> None:
    """The audit record of an export of ``building``'s board (``fmt``: "csv", "xlsx")."""
    audit.record("board.export", building, after={"format": fmt}, building_id=building.id)
