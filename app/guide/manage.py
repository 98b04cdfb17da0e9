"""Staff editing of the guide: /<lang>/council/guide/…  Department staff edit their own
department's entries, admins every entry."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.permissions import permission_required, register, require
from ..core.forms import choices
from ..core.i18n import Bilingual
from ..core.rendering import render
from ..extensions import db
from ..org.models import Department
from ..org.queries import all_departments
from .forms import EntryForm
from .models import AUDIENCES, CATEGORIES, MATERIAL_FORMS, STATUSES, GuideEntry
from .queries import entry_by_slug, revisions_of, staff_entries
from .services import StaleEdit, create_entry, keyword_phrases, set_status, update_entry

bp = Blueprint("guide_manage", __name__, url_prefix="/<lang:lang_code>/council/guide")


def _can_edit_guide(user, entry) -> bool:
    if user.role == "admin":
        return True
    if user.role != "staff" or user.department_id is None:
        return False
    return entry is None or entry.department_id == user.department_id


register("guide.edit", _can_edit_guide)


def _load(slug: str) -> GuideEntry:
    entry = db.session.scalar(entry_by_slug(slug, public=False))
    if entry is None:
        abort(404)
    require("guide.edit", entry)
    return entry


def _department_choices() -> list[tuple[int, str]]:
    departments = db.session.scalars(all_departments()).all()
    if current_user.role != "admin":
        departments = [d for d in departments if d.id == current_user.department_id]
    return choices((d.id, d.loc("name").text) for d in departments)


def _form_data(form: EntryForm) -> dict:
    data = {name: field.data for name, field in form._fields.items() if name in _PLAIN_FIELDS}
    for name in ("title", "summary", "council_role", "keywords", "fee", "location", "hours", "complaint", "legal_basis"):
        for lang in ("zh", "en"):
            data[f"{name}_{lang}"] = (data.get(f"{name}_{lang}") or "").strip()
    data["slug"] = data["slug"].strip()
    data["phone"] = (data.get("phone") or "").strip()
    data["online_url"] = (data.get("online_url") or "").strip()
    data["conditions"] = form.rows("conditions")
    data["materials"] = form.rows("materials")
    data["steps"] = form.rows("steps")
    data["department"] = db.session.get(Department, form.department.data)
    if data["is_free"]:
        data["fee_zh"] = data["fee_zh"] or "不收费"
        data["fee_en"] = data["fee_en"] or "Free"
    return data


_PLAIN_FIELDS = {
    "slug", "category", "audience", "status", "sensitive", "emergency", "promised_days", "legal_days", "is_free", "phone", "online_url",
    "last_reviewed_on",
} | {f"{n}_{lang}" for n in ("title", "summary", "council_role", "keywords", "fee", "location", "hours", "complaint", "legal_basis") for lang in ("zh", "en")}


def _handle_rows(form: EntryForm) -> bool:
    """'Add a row' buttons: grow the list and show the form again (nothing saved)."""
    for button, field in (("add_condition", "conditions"), ("add_material", "materials"), ("add_step", "steps")):
        if getattr(form, button).data:
            getattr(form, field).append_entry()
            return True
    return False


def _editor(form: EntryForm, entry: GuideEntry | None, status: int = 200, preview=None):
    return render(
        "guide/manage/edit.html",
        form=form,
        entry=entry,
        preview=preview,
        categories=CATEGORIES,
        audiences=AUDIENCES,
        material_forms=MATERIAL_FORMS,
        keyword_phrases=keyword_phrases,
        status=status,
    )


def _check_submission(form: EntryForm, entry: GuideEntry | None):
    """(response, None) when the form must be shown again — a row was added, an error,
    a slug clash, a preview — or (None, data) when it is ready to save."""
    if _handle_rows(form):
        return _editor(form, entry), None
    if not form.validate():
        return _editor(form, entry, status=422), None
    data = _form_data(form)
    own = current_user.department_id if entry is None else entry.department_id
    if data["department"] is None or (current_user.role != "admin" and data["department"].id != own):
        abort(403)
    clash = db.session.scalar(entry_by_slug(data["slug"], public=False))
    if clash is not None and (entry is None or clash.id != entry.id):
        form.slug.errors.append(_("Another entry already uses this address."))
        return _editor(form, entry, status=422), None
    if form.preview.data:
        return _editor(form, entry, preview=_Preview({**data, "department_id": data["department"].id})), None
    return None, data


class _Preview(Bilingual):
    """An unsaved entry built from the form, for the preview."""

    def __init__(self, data: dict):
        self.__dict__.update(data)


@bp.route("/")
@permission_required("workspace.view")
def index():
    require("guide.edit")
    dept = request.args.get("dept", "") if current_user.role == "admin" else ""
    entries = db.session.scalars(staff_entries(current_user, dept)).unique().all()
    departments = db.session.scalars(all_departments()).all() if current_user.role == "admin" else []
    return render("guide/manage/index.html", entries=entries, departments=departments, dept=dept, statuses=STATUSES, categories=CATEGORIES)


@bp.route("/new", methods=["GET", "POST"])
@permission_required("workspace.view")
def new():
    require("guide.edit")
    form = EntryForm()
    form.department.choices = _department_choices()
    if request.method == "GET":
        form.status.data = "active"
        form.is_free.data = True
        return _editor(form, None)
    shown, data = _check_submission(form, None)
    if shown is not None:
        return shown
    entry = create_entry(data, actor=current_user, note=form.note.data or "")
    db.session.commit()
    flash(_("The entry was created."), "success")
    return redirect(url_for("guide_manage.edit", slug=entry.slug), code=303)


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@permission_required("workspace.view")
def edit(slug: str):
    entry = _load(slug)
    form = EntryForm(obj=entry) if request.method == "GET" else EntryForm()
    form.department.choices = _department_choices() if current_user.role == "admin" else choices([(entry.department_id, entry.department.loc("name").text)])
    if request.method == "GET":
        form.department.data = entry.department_id
        form.version.data = str(entry.version)
        return _editor(form, entry)
    shown, data = _check_submission(form, entry)
    if shown is not None:
        return shown
    try:
        expected = int(form.version.data or entry.version)
    except ValueError:
        expected = -1
    try:
        changed = update_entry(entry, data, expected_version=expected, actor=current_user, note=form.note.data or "")
    except StaleEdit:
        db.session.rollback()
        flash(_("Someone else saved this entry while you were editing. Your changes are still in the form below: compare them with the current version, then save again."), "error")
        fresh = _load(slug)
        form.version.data = str(fresh.version)
        return _editor(form, fresh, status=409)
    db.session.commit()
    flash(_("Saved.") if changed else _("Nothing changed."), "success" if changed else "info")
    return redirect(url_for("guide_manage.edit", slug=entry.slug), code=303)


@bp.route("/<slug>/status", methods=["POST"])
@permission_required("workspace.view")
def change_status(slug: str):
    entry = _load(slug)
    status = request.form.get("status", "")
    if status not in STATUSES:
        abort(400)
    if set_status(entry, status, actor=current_user):
        db.session.commit()
        flash(_("Published.") if status == "active" else _("Suspended: the entry is hidden from the public guide."), "success")
    return redirect(request.referrer if request.referrer and request.referrer.startswith(request.host_url) else url_for("guide_manage.index"), code=303)


@bp.route("/<slug>/history")
@permission_required("workspace.view")
def history(slug: str):
    entry = _load(slug)
    revisions = db.session.scalars(revisions_of(entry)).unique().all()
    changes = []
    for newer, older in zip(revisions, revisions[1:] + [None]):
        if older is None:
            changes.append((newer, []))
        else:
            changes.append((newer, sorted(k for k in newer.data if newer.data.get(k) != older.data.get(k))))
    return render("guide/manage/history.html", entry=entry, changes=changes)
