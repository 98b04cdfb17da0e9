"""Staff editing of a building's board and its exports: /<lang>/council/boards/<slug>/…

Council members of the building (admins everywhere) keep the roster, 楼务会 decisions,
notices, events and projects; every change is audited; invalid input comes back with 422
and everything typed kept."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

from flask import Blueprint, Response, abort, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import StringField

from ..auth.permissions import permission_required, require
from ..core.handlers import Done, submit
from ..core.rendering import render
from ..core.timeutil import aware
from ..core.workdays import SHANGHAI
from ..extensions import db
from ..org.models import COUNCIL_ROLES, CouncilMember
from ..wall.models import Project
from .forms import DecisionForm, EventForm, MemberForm, NoticeForm, ProjectEditForm
from .models import DECISION_STATUSES, Decision, Event, Notice
from .queries import all_events, building_by_slug, decisions, notices, open_needs, projects, request_figures, resources
from .services import delete_board_item, record_board_export, save_board_item

bp = Blueprint("boards_manage", __name__, url_prefix="/<lang:lang_code>/council/boards/<slug>")

# kind → (model, form, fields written from the form)
KINDS = {
    "decisions": (Decision, DecisionForm),
    "notices": (Notice, NoticeForm),
    "events": (Event, EventForm),
    "members": (CouncilMember, MemberForm),
    "projects": (Project, ProjectEditForm),
}
LOCAL_TIMES = ("starts_at", "ends_at", "registration_closes_at")


def _building(slug: str):
    building = db.session.scalar(building_by_slug(slug))
    if building is None:
        abort(404)
    require("building.manage", building)
    return building


def _item(building, kind: str, item_id: int):
    model = KINDS[kind][0]
    item = db.session.get(model, item_id)
    owner = item.council.building_id if kind == "members" and item is not None else getattr(item, "building_id", None)
    if item is None or owner != building.id:
        abort(404)
    return item


@bp.route("/")
@permission_required("workspace.view")
def index(slug: str):
    building = _building(slug)
    return render(
        "boards/manage/index.html",
        building=building,
        decisions=db.session.scalars(decisions(building.id, limit=100)).all(),
        notices=db.session.scalars(notices(building.id, limit=100)).all(),
        events=db.session.scalars(all_events(building.id)).unique().all(),
        projects=db.session.scalars(projects(building.id)).unique().all(),
        members=building.council.members if building.council else [],
        roles=COUNCIL_ROLES,
        decision_statuses=DECISION_STATUSES,
    )


def _to_form(kind: str, item) -> dict:
    fields = KINDS[kind][1](formdata=None)._fields  # a form class has its fields only once made
    data = {name: getattr(item, name) for name in fields if hasattr(item, name)} if item is not None else {}
    for name in LOCAL_TIMES:
        if data.get(name):
            data[name] = aware(data[name]).astimezone(SHANGHAI).replace(tzinfo=None)
    if kind == "projects" and item is not None:
        data["milestones"] = "\n".join(("[x] " if m.get("done") else "") + m.get("title", "") for m in (item.milestones or []))
    return data


def _from_form(kind: str, form) -> dict:
    values = {name: field.data for name, field in form._fields.items() if name not in ("csrf_token", "milestones")}
    for name in LOCAL_TIMES:
        if values.get(name):
            values[name] = values[name].replace(tzinfo=SHANGHAI).astimezone(timezone.utc)
    for key, value in list(values.items()):
        if isinstance(value, str):
            values[key] = value.strip()
        elif value is None and isinstance(form._fields[key], StringField):
            values[key] = ""  # a text field left out of the POST is empty, not NULL
    if kind == "projects":
        milestones = []
        for line in (form.milestones.data or "").splitlines():
            line = line.strip()
            if line:
                done = line.lower().startswith("[x]")
                milestones.append({"title": line[3:].strip() if done else line, "done": done})
        values["milestones"] = milestones
        values["status"] = "done" if values["progress"] >= 100 else "active"
    return values


@bp.route("/<kind>/new", methods=["GET", "POST"])
@bp.route("/<kind>/<int:item_id>", methods=["GET", "POST"])
@permission_required("workspace.view")
def edit(slug: str, kind: str, item_id: int | None = None):
    if kind not in KINDS or (kind == "projects" and item_id is None):
        abort(404)
    building = _building(slug)
    model, form_class = KINDS[kind]
    item = _item(building, kind, item_id) if item_id is not None else None
    if request.method == "GET":
        form = form_class(formdata=None, data=_to_form(kind, item))
        return render("boards/manage/edit.html", building=building, kind=kind, item=item, form=form)
    form = form_class()

    def save():
        if item is None and kind == "members" and building.council is None:
            abort(404)  # a roster entry needs the building's council
        return save_board_item(building, kind, model, item, _from_form(kind, form))

    return submit(
        form,
        page=lambda: render("boards/manage/edit.html", building=building, kind=kind, item=item, form=form),
        act=save,
        done=lambda _saved: Done(_("Saved."), url_for("boards_manage.index", slug=slug)),
    )


@bp.route("/<kind>/<int:item_id>/delete", methods=["POST"])
@permission_required("workspace.view")
def delete(slug: str, kind: str, item_id: int):
    if kind not in ("decisions", "notices", "members"):
        abort(404)
    building = _building(slug)
    item = _item(building, kind, item_id)
    return submit(
        act=lambda: delete_board_item(building, kind, item, _to_form(kind, item)),
        done=lambda _deleted: Done(_("Deleted."), url_for("boards_manage.index", slug=slug)),
    )


# --- exports -----------------------------------------------------------------------------


def _export_rows(building) -> list[tuple[str, list[list]]]:
    """(sheet name, rows) of the building's figures and lists, for CSV and XLSX alike."""
    f = db.session.execute(request_figures(building.id)).one()
    figures = [
        [_("Figure"), _("Value")],
        [_("Requests received"), f.received], [_("Requests completed"), f.completed], [_("Requests in progress"), f.in_progress],
        [_("Answered within one working day"), f.on_time], [_("Ratings"), f.rated], [_("Ratings of 4 or 5"), f.satisfied],
    ]
    needs_q, wishes_q = open_needs(building.id, limit=1000)
    needs = [[_("Kind"), _("Item"), _("Stage"), _("Date")]]
    for r in db.session.execute(needs_q):
        needs.append([_("Request"), r.title_zh or _("Something else"), r.stage, aware(r.created_at).astimezone(SHANGHAI).date().isoformat()])
    for w in db.session.scalars(wishes_q):
        needs.append([_("Wish"), w.text, w.progress, aware(w.created_at).astimezone(SHANGHAI).date().isoformat()])
    res = [[_("Organisation"), _("Offer")]] + [[r.org_zh, r.offer_zh] for r in db.session.scalars(resources(building.id)).unique()]
    proj = [[_("Project"), _("Progress (%)"), _("Status")]] + [[p.title_zh, p.progress, p.status] for p in db.session.scalars(projects(building.id)).unique()]
    dec = [[_("Date"), _("Topic"), _("Decision"), _("Follow-up"), _("Status")]] + [
        [d.held_on.isoformat(), d.topic_zh, d.decision_zh, d.follow_up_zh, d.status] for d in db.session.scalars(decisions(building.id, limit=1000))
    ]
    return [("figures", figures), ("needs", needs), ("resources", res), ("projects", proj), ("decisions", dec)]


def _filename(building, ext: str) -> str:
    return f"{building.slug}-board-{datetime.now(SHANGHAI):%Y%m%d}.{ext}"


@bp.route("/export.csv")
@permission_required("workspace.view")
def export_csv(slug: str):
    building = _building(slug)
    out = io.StringIO()
    writer = csv.writer(out)
    for name, rows in _export_rows(building):
        writer.writerow([f"# {name}"])
        for row in rows:
            # a cell that starts with = + - @ is text, never a formula (CSV injection)
            writer.writerow(["'" + c if isinstance(c, str) and c[:1] in ("=", "+", "-", "@") else c for c in row])
        writer.writerow([])
    record_board_export(building, "csv")
    db.session.commit()
    response = Response("\ufeff" + out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f"attachment; filename={_filename(building, 'csv')}"
    return response


@bp.route("/export.xlsx")
@permission_required("workspace.view")
def export_xlsx(slug: str):
    from openpyxl import Workbook

    building = _building(slug)
    book = Workbook()
    book.remove(book.active)
    for name, rows in _export_rows(building):
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(["'" + c if isinstance(c, str) and c[:1] in ("=", "+", "-", "@") else c for c in row])
    out = io.BytesIO()
    book.save(out)
    record_board_export(building, "xlsx")
    db.session.commit()
    response = Response(out.getvalue(), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response.headers["Content-Disposition"] = f"attachment; filename={_filename(building, 'xlsx')}"
    return response
