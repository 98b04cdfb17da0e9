"""The audit log viewer of the council workspace: /<lang>/council/audit/…

Admins read every record; council members the records of their buildings.  Filters are
plain GET parameters (a shareable URL): ``actor`` (a person's id or ``system``),
``email`` (part of the actor's address), ``action`` (a code, or a group such as
``request.*``), ``target_type`` and ``target_id`` (a request's tracking number works
too), ``date_from``/``date_to`` (calendar days in Asia/Shanghai, inclusive) and
``page``.  A value that makes no sense is set aside with a message, never a 500."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone

from flask import Blueprint, Response, current_app, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.routing import BuildError

from ..auth.permissions import permission_required
from ..core.i18n import localized
from ..core.rendering import render
from ..core.timeutil import aware
from ..core.workdays import SHANGHAI
from ..extensions import db
from ..intake.forms import TRACKING_NO
from .queries import (
    AUDIT_PAGE_SIZE,
    AuditFilters,
    audit_actions,
    audit_actors,
    audit_count,
    audit_records,
    audit_target_types,
    audit_targets,
    buildings_by_id,
    request_ids_by_tracking_no,
)
from .services import record_audit_export

bp = Blueprint("audit", __name__, url_prefix="/<lang:lang_code>/council/audit")

# What each action means, for people (the code stays visible next to it).
ACTION_LABELS = {
    "auth.login": _l("Signed in"),
    "auth.logout": _l("Signed out"),
    "auth.password_change": _l("Changed their own password"),
    "auth.password_set": _l("Set a password from an invitation"),
    "auth.password_reset": _l("Set a new password from a reset link"),
    "auth.reset_requested": _l("Asked for a password reset"),
    "auth.recovery_code_used": _l("Signed in with a recovery code"),
    "auth.two_step_on": _l("Turned on two-step sign-in"),
    "auth.two_step_off": _l("Turned off two-step sign-in"),
    "auth.recovery_codes_new": _l("Made new recovery codes"),
    "account.preferences": _l("Changed notification preferences"),
    "user.create": _l("Created an account"),
    "user.invite": _l("Invited a person"),
    "user.update": _l("Changed a person's role or scope"),
    "user.deactivate": _l("Deactivated an account"),
    "user.reactivate": _l("Reactivated an account"),
    "user.send_reset": _l("Sent a password link"),
    "user.reset_two_step": _l("Reset a person's two-step sign-in"),
    "request.stage": _l("Changed a request's stage"),
    "request.reply": _l("Replied to a requester"),
    "request.note": _l("Added an internal note"),
    "request.transfer": _l("Transferred a request"),
    "request.cohandler": _l("Added a co-handling department"),
    "request.duplicate": _l("Merged a duplicate request"),
    "request.assign": _l("Assigned a request to a department"),
    "request.reveal_contact": _l("Viewed a requester's full phone number"),
    "request.purge_personal_data": _l("Deleted old contact details"),
    "wish.approve": _l("Approved a wish"),
    "wish.reject": _l("Did not publish a wish"),
    "wish.hide": _l("Hid a wish"),
    "wish.auto_hide": _l("Wish hidden after reports"),
    "wish.reports_upheld": _l("Upheld the reports of a wish"),
    "wish.reports_dismissed": _l("Dismissed the reports of a wish"),
    "wish.edit": _l("Edited a wish"),
    "wish.claim": _l("Recorded a claim on a wish"),
    "wish.fulfil": _l("Marked a wish fulfilled"),
    "project.create": _l("Made a project from a wish"),
    "resource.save": _l("Saved a resource"),
    "guide.create": _l("Created a guide entry"),
    "guide.update": _l("Changed a guide entry"),
    "board.export": _l("Exported a building's board"),
    "board.decisions.create": _l("Added a meeting decision"),
    "board.decisions.update": _l("Changed a meeting decision"),
    "board.decisions.delete": _l("Deleted a meeting decision"),
    "board.notices.create": _l("Added a notice"),
    "board.notices.update": _l("Changed a notice"),
    "board.notices.delete": _l("Deleted a notice"),
    "board.events.create": _l("Added an event"),
    "board.events.update": _l("Changed an event"),
    "board.members.create": _l("Added a council member to the roster"),
    "board.members.update": _l("Changed a roster entry"),
    "board.members.delete": _l("Removed a council member from the roster"),
    "board.projects.update": _l("Changed a project"),
    "audit.export": _l("Exported the audit log"),
}
# Groups offered in the action filter ("request.*"), whether or not the log has them yet.
GROUP_LABELS = {
    "request": _l("All request actions"),
    "wish": _l("All wish actions"),
    "user": _l("All user administration"),
    "auth": _l("All sign-in and security"),
    "board": _l("All board edits"),
    "guide": _l("All guide edits"),
}
# Never in a council member's view (records without a building): not offered to them.
ADMIN_GROUPS = ("user", "auth")
ADMIN_TARGETS = ("user", "audit_log")
# Seeing personal data is an action of its own: easy to find, one click away.
PERSONAL_DATA_ACTIONS = ("request.reveal_contact",)
TARGET_LABELS = {
    "service_request": _l("Request"),
    "wish": _l("Wish"),
    "guide_entry": _l("Guide entry"),
    "user": _l("Account"),
    "building": _l("Building"),
    "decision": _l("Meeting decision"),
    "notice": _l("Notice"),
    "event": _l("Event"),
    "council_member": _l("Roster entry"),
    "project": _l("Project"),
    "resource": _l("Resource"),
    "audit_log": _l("Audit log"),
}
# target type → the kind in /council/boards/<slug>/<kind>/<id>
BOARD_KINDS = {"decision": "decisions", "notice": "notices", "event": "events", "council_member": "members", "project": "projects"}

EMAIL_MAX, TARGET_ID_MAX, ACTION_MAX = 254, 64, 64
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
WHOLE_NUMBER = re.compile(r"[0-9]{1,18}", re.ASCII)
FIELDS = ("actor", "email", "action", "target_type", "target_id", "date_from", "date_to")


@bp.app_template_global()
def action_label(code: str) -> str:
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else code


def group_label(prefix: str) -> str:
    label = GROUP_LABELS.get(prefix)
    return str(label) if label is not None else _("All %(prefix)s actions", prefix=prefix)


@bp.app_template_global()
def target_label(kind: str) -> str:
    label = TARGET_LABELS.get(kind)
    return str(label) if label is not None else kind


# --- reading the filters ---------------------------------------------------------------


class Choices:
    """What the selects offer: the people, actions and record types of the visible log."""

    def __init__(self, user, selected_action: str = ""):
        self.people = db.session.scalars(audit_actors(user)).all()
        present = db.session.scalars(audit_actions(user)).all()
        self.present_actions = set(present)
        actions = set(present)
        if selected_action in ACTION_LABELS:
            actions.add(selected_action)  # a shared link to a known action keeps its label
        self.actions = sorted(actions, key=lambda code: (code.split(".")[0], action_label(code)))
        groups = {code.split(".")[0] for code in present if "." in code}
        groups.update(g for g in GROUP_LABELS if user.role == "admin" or g not in ADMIN_GROUPS)
        self.groups = sorted(groups)
        types = set(db.session.scalars(audit_target_types(user)))
        offered = set(TARGET_LABELS) if user.role == "admin" else set(TARGET_LABELS) - set(ADMIN_TARGETS)
        self.target_types = sorted(types | offered, key=target_label)
        self.valid_target_types = set(self.target_types) | set(TARGET_LABELS)

    def valid_action(self, value: str) -> bool:
        """A code of the log or a known one, or a group (a link an admin shared works for
        a council member too: it just finds nothing outside their buildings)."""
        if value.endswith(".*"):
            return value[:-2] in self.groups or value[:-2] in GROUP_LABELS
        return value in self.present_actions or value in ACTION_LABELS


def _unprintable(value: str) -> bool:
    """Control characters (NUL cannot even reach PostgreSQL) and lone surrogates."""
    return any(ord(c) < 32 or ord(c) == 127 or 0xD800 <= ord(c) <= 0xDFFF for c in value)


def _day(value: str, errors: dict, name: str) -> date | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value) if ISO_DAY.fullmatch(value) else None
    except ValueError:
        day = None
    if day is None:
        errors[name] = _("Enter a real date as year-month-day, for example 2026-03-15.")
        return None
    if not FIRST_DAY <= day <= LAST_DAY:
        errors[name] = _("Enter a date between 2000 and 2100.")
        return None
    return day


def _start_of(day: date) -> datetime:
    """Midnight of a Shanghai calendar day, in UTC."""
    return datetime.combine(day, time(0), tzinfo=SHANGHAI).astimezone(timezone.utc)


def read_filters(args, user) -> tuple[AuditFilters, dict, dict, Choices]:
    """(filters to apply, {field: message} for the values set aside, the values to show
    back in the form, the select choices).  Each reader below takes its fields from
    ``raw``, puts what applies in ``values`` and what it sets aside in ``errors`` (and
    clears it in ``shown`` where the form cannot show it back)."""
    errors: dict[str, str] = {}
    raw = {name: (args.get(name) or "").strip() for name in FIELDS}
    shown = {name: value[:EMAIL_MAX] for name, value in raw.items()}
    choices = Choices(user, raw["action"][:ACTION_MAX])
    values: dict = {}
    for reader in (_read_actor, _read_email, _read_action, _read_target, _read_dates):
        reader(raw, values, errors, shown, choices)
    return AuditFilters(**values), errors, shown, choices


def _read_actor(raw, values, errors, shown, choices) -> None:
    actor = raw["actor"]
    if actor == "system":
        values["system"] = True
    elif actor:
        ids = {str(p.id): p.id for p in choices.people}
        if actor in ids:
            values["actor_id"] = ids[actor]
        else:
            errors["actor"] = _("Choose a person from the list.")
            shown["actor"] = ""


def _read_email(raw, values, errors, shown, _choices) -> None:
    if len(raw["email"]) > EMAIL_MAX:
        errors["email"] = _("Use at most %(max)d characters.", max=EMAIL_MAX)
    elif _unprintable(raw["email"]):
        errors["email"] = _("This contains characters that cannot be searched for.")
        shown["email"] = ""
    elif raw["email"]:
        values["email"] = raw["email"]


def _read_action(raw, values, errors, shown, choices) -> None:
    action = raw["action"]
    if action and (len(action) > ACTION_MAX or not choices.valid_action(action)):
        errors["action"] = _("This action is not known. Choose one from the list.")
        shown["action"] = ""
    elif action:
        values["action"] = action


def _read_target(raw, values, errors, shown, choices) -> None:
    """The record type and number; a request's tracking number stands for its id."""
    kind = raw["target_type"]
    if kind and kind not in choices.valid_target_types:
        errors["target_type"] = _("Choose a record type from the list.")
        shown["target_type"] = ""
        kind = ""
    target_id = raw["target_id"]
    if len(target_id) > TARGET_ID_MAX:
        errors["target_id"] = _("Use at most %(max)d characters.", max=TARGET_ID_MAX)
        shown["target_id"] = target_id[:TARGET_ID_MAX]
    elif _unprintable(target_id):
        errors["target_id"] = _("This contains characters that cannot be searched for.")
        shown["target_id"] = ""
    elif target_id:
        if kind in ("", "service_request") and TRACKING_NO.match(target_id.upper()):
            found = db.session.scalar(request_ids_by_tracking_no(target_id.upper()))
            kind, target_id = "service_request", str(found) if found is not None else target_id.upper()
        values["target_id"] = target_id
    if kind:
        values["target_type"] = kind


def _read_dates(raw, values, errors, shown, _choices) -> None:
    first = _day(raw["date_from"], errors, "date_from")
    last = _day(raw["date_to"], errors, "date_to")
    if first and last and first > last:
        errors["date_to"] = _("The end date is before the start date.")
        last = None  # the field in error is set aside; the start date still applies
    if first:
        values["start"] = _start_of(first)
    if last:
        values["end"] = _start_of(last + timedelta(days=1))
    for name in ("date_from", "date_to"):
        if name in errors and not ISO_DAY.fullmatch(raw[name]):
            shown[name] = ""  # a date input cannot show what is not a date


def _page(args, errors: dict) -> int | None:
    """The page asked for: None when absent; errors["page"] when not a page number."""
    value = (args.get("page") or "").strip()
    if not value:
        return None
    if WHOLE_NUMBER.fullmatch(value) and len(value) <= 9 and int(value) >= 1:
        return int(value)
    errors["page"] = _("Page numbers are whole numbers from 1; showing the first page.")
    return None


def active_args(shown: dict, errors: dict) -> dict:
    """The filters in use, as URL parameters (what a shared link, the pages and the
    export carry): those set aside with a message are left out."""
    return {name: value for name, value in shown.items() if value and name not in errors}


# --- rows --------------------------------------------------------------------------------


def _display(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def changes_of(entry) -> list[tuple[str, str, str]]:
    """(field, before, after) for a record's before/after values."""
    before = entry.before if isinstance(entry.before, dict) else ({"value": entry.before} if entry.before is not None else {})
    after = entry.after if isinstance(entry.after, dict) else ({"value": entry.after} if entry.after is not None else {})
    keys = list(before) + [k for k in after if k not in before]
    return [(k, _display(before[k]) if k in before else "", _display(after[k]) if k in after else "") for k in keys]


def _user_edit_url(user_id: int) -> str | None:
    """A link to the account's admin page when that page exists (users.edit)."""
    if "users.edit" not in current_app.view_functions:
        return None
    for rule in current_app.url_map.iter_rules("users.edit"):
        names = [a for a in rule.arguments if a != "lang_code"]
        if len(names) == 1:
            try:
                return url_for("users.edit", **{names[0]: user_id})
            except BuildError:
                return None
    return None


class Target:
    def __init__(self, kind: str, ident: str | None, text, url: str | None = None):
        self.kind, self.id, self.text, self.url = kind, ident, text, url

    @property
    def kind_label(self) -> str:
        return target_label(self.kind) if self.kind else ""


def describe_targets(entries) -> tuple[dict[int, Target], dict[int, object]]:
    """For each record on the page, its target (with a link to a staff page where one
    exists) and its building; a constant number of queries however many rows."""
    wanted: dict[str, set[str]] = {}
    for e in entries:
        if e.target_id:
            wanted.setdefault(e.target_type, set()).add(e.target_id)
    found = {kind: {str(row.id): row for row in db.session.execute(query)} for kind, query in audit_targets(wanted).items()}
    building_ids = {e.building_id for e in entries if e.building_id} | {int(k) for k in found.get("building", {})}
    buildings = {row.id: row for row in db.session.execute(buildings_by_id(building_ids))} if building_ids else {}

    targets = {}
    for e in entries:
        kind, ident = e.target_type, e.target_id
        row = found.get(kind, {}).get(ident or "")
        text, url = (f"#{ident}" if ident else ""), None
        if kind == "service_request" and row is not None:
            text, url = row.tracking_no, url_for("intake_staff.detail", tracking_no=row.tracking_no)
        elif kind == "wish" and ident and WHOLE_NUMBER.fullmatch(ident):
            url = url_for("wall_manage.wish_detail", wish_id=int(ident))
        elif kind == "guide_entry" and row is not None:
            text, url = localized(row, "title"), url_for("guide_manage.edit", slug=row.slug)
        elif kind == "user" and row is not None:
            text, url = row.name or row.email, _user_edit_url(row.id)
        elif kind == "building" and row is not None:
            text, url = localized(row, "name"), url_for("boards_manage.index", slug=row.slug)
        elif kind in BOARD_KINDS and ident and WHOLE_NUMBER.fullmatch(ident) and e.building_id in buildings:
            url = url_for("boards_manage.edit", slug=buildings[e.building_id].slug, kind=BOARD_KINDS[kind], item_id=int(ident))
        elif kind == "resource" and ident and WHOLE_NUMBER.fullmatch(ident):
            url = url_for("wall_manage.resource_form", resource_id=int(ident))
        targets[e.id] = Target(kind, ident, text, url)
    return targets, {e.id: buildings.get(e.building_id) for e in entries}


# --- views -------------------------------------------------------------------------------


@bp.route("/")
@permission_required("audit.view")
def index():
    filters, errors, shown, choices = read_filters(request.args, current_user)
    asked = _page(request.args, errors)
    total = db.session.scalar(audit_count(current_user, filters))
    pages = max(1, -(-total // AUDIT_PAGE_SIZE))
    page = asked or 1
    if page > pages:
        errors["page"] = _("There is no page %(page)d; showing the last page, %(pages)d.", page=page, pages=pages)
        page = pages
    filters = replace(filters, page=page)
    entries = db.session.scalars(audit_records(current_user, filters)).all()
    targets, buildings = describe_targets(entries)
    args = active_args(shown, errors)
    return render(
        "council/audit.html",
        "council/_audit_results.html",
        entries=entries,
        targets=targets,
        buildings=buildings,
        total=total,
        page=page,
        pages=pages,
        errors=errors,
        shown=shown,
        args=args,
        choices=choices,
        quick=_quick_filters(args),
        group_label=group_label,
        changes_of=changes_of,
        personal=PERSONAL_DATA_ACTIONS,
        field_labels=_field_labels(),
    )


def _field_labels() -> dict[str, str]:
    return {
        "actor": _("Person"),
        "email": _("E-mail contains"),
        "action": _("Action"),
        "target_type": _("Record type"),
        "target_id": _("Record number"),
        "date_from": _("From (date)"),
        "date_to": _("To (date)"),
        "page": _("Page"),
    }


def _quick_filters(args: dict) -> list[tuple[str, str, bool]]:
    """(label, URL, current) of the one-click views above the filters."""
    views = [(_("All records"), {})]
    views.append((_("Personal data views"), {"action": PERSONAL_DATA_ACTIONS[0]}))
    views += [(_("Requests"), {"action": "request.*"}), (_("Wish Wall"), {"action": "wish.*"})]
    if current_user.role == "admin":
        views += [(_("Accounts"), {"action": "user.*"}), (_("Sign-ins and security"), {"action": "auth.*"})]
    return [(label, url_for("audit.index", **params), params == args) for label, params in views]


def _csv_cell(value) -> str:
    text = "" if value is None else str(value)
    # a cell that starts with = + - @ (or a tab/CR) is text, never a formula (CSV injection)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@bp.route("/export.csv")
@permission_required("audit.view")
def export_csv():
    """The filtered view (every page) as CSV, UTF-8 with a BOM so Excel reads Chinese."""
    filters, errors, shown, _choices = read_filters(request.args, current_user)
    record_audit_export(active_args(shown, errors))
    db.session.commit()
    query = audit_records(current_user, filters, limit=None).execution_options(yield_per=500)
    buildings = {row.id: localized(row, "name").text for row in db.session.execute(buildings_by_id(None))}
    stamp = datetime.now(SHANGHAI).strftime("%Y%m%d-%H%M")
    response = Response(stream_with_context(_csv_lines(query, buildings)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f"attachment; filename=audit-log-{stamp}.csv"
    response.headers["Cache-Control"] = "no-store"
    return response


def _csv_lines(query, buildings: dict):
    """The export's text in pieces of about 32 kB: a BOM and the header, then a line a record."""
    header = [_("Time (Asia/Shanghai)"), _("Person"), _("E-mail"), _("Action"), _("Action code"), _("Record type"),
              _("Record number"), _("Building"), _("Before"), _("After")]
    out = io.StringIO()
    writer = csv.writer(out)

    def flush() -> str:
        text = out.getvalue()
        out.seek(0)
        out.truncate()
        return text

    writer.writerow(header)
    yield "\ufeff" + flush()
    for entry in db.session.scalars(query):
        actor = entry.actor
        writer.writerow([_csv_cell(v) for v in (
            aware(entry.created_at).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
            (actor.name if actor else _("system")), (actor.email if actor else ""),
            action_label(entry.action), entry.action, target_label(entry.target_type) if entry.target_type else "",
            entry.target_id or "", buildings.get(entry.building_id, ""),
            json.dumps(entry.before, ensure_ascii=False) if entry.before is not None else "",
            json.dumps(entry.after, ensure_ascii=False) if entry.after is not None else "",
        )])
        if out.tell() > 32_000:
            yield flush()
    yield flush()
