"""The moderation queue and the claim-and-fulfil workflow: /<lang>/council/wall…

Council members moderate their buildings' wishes, admins every building; each action is
audited (services.py).  One wish's row is re-rendered in place with htmx; without JS
every form posts and comes back to the queue."""

from __future__ import annotations

from flask import Blueprint, abort, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ..auth.permissions import permission_required, register, require
from ..core import uploads
from ..core.forms import choices
from ..core.handlers import Done, submit
from ..core.rendering import render
from ..extensions import db
from .forms import ClaimForm, EditForm, FulfilForm, ProjectForm, RejectForm, ResourceForm
from .models import PROGRESS, STATUSES, Resource, Wish
from ..org.queries import all_buildings
from .queries import QUEUES, auto_hidden, managed_resources, moderation_queue, queue_counts, resources_for, wishes_by_ids
from .services import (
    BULK_ACTIONS, approve, bulk_moderate, claim, dismiss_reports, edit_text, fulfil, hide, make_project, mark_opened,
    reject, save_resource,
)

bp = Blueprint("wall_manage", __name__, url_prefix="/<lang:lang_code>/council/wall")


def _moderates(user, target) -> bool:
    """Admins everywhere; council members in their buildings (target: a wish, a
    resource, or None for the queue itself)."""
    if user.role == "admin":
        return True
    if user.role != "council":
        return False
    if target is None:
        return bool(user.building_ids)
    return getattr(target, "building_id", None) in user.building_ids


register("wall.moderate", _moderates)


def _load(wish_id: int) -> Wish:
    wish = db.session.get(Wish, wish_id)
    if wish is None:
        abort(404)
    require("wall.moderate", wish)
    return wish


def _wish_url(wish: Wish) -> str:
    return url_for("wall_manage.wish_detail", wish_id=wish.id)


def _queue_name() -> str:
    queue = request.args.get("queue", "pending")
    return queue if queue in QUEUES else "pending"


def _index_page(queue: str, building: str, status: int = 200, partial: str | None = None, **extra):
    # Wishes that reports hid come first, whatever the queue, with an alert (and only there).
    alerts = db.session.scalars(auto_hidden(current_user)).unique().all()
    alert_ids = {w.id for w in alerts}
    wishes = [w for w in db.session.scalars(moderation_queue(current_user, queue, building)).unique() if w.id not in alert_ids]
    return render(
        "wall/manage/index.html",
        partial,
        status=status,
        alerts=alerts,
        wishes=wishes,
        queue=queue,
        building=building,
        counts=db.session.execute(queue_counts(current_user)).one(),
        statuses=STATUSES,
        progress=PROGRESS,
        reject_form=RejectForm(),
        all_buildings=[b for b in db.session.scalars(all_buildings()) if current_user.role == "admin" or b.id in current_user.building_ids],
        bulk_actions=_bulk_labels(),
        **extra,
    )


@bp.route("/")
@permission_required("wall.moderate")
def index():
    return _index_page(_queue_name(), request.args.get("building", "")[:80])


def _moderated(wish: Wish, act, message: str, form=None):
    """One wish moderated from the queue: htmx gets the wish's row re-rendered in place;
    otherwise the flash and back to the queue (or the page it was sent from)."""
    return submit(
        form,
        page=lambda: abort(400),
        act=act,
        done=lambda _done: Done(message, _back(), fragment=lambda done: render(
            "wall/manage/_row.html", wish=wish, statuses=STATUSES, progress=PROGRESS, reject_form=RejectForm(formdata=None), done=done)),
    )


def _back() -> str:
    """The ``next`` path the form came from (a path of this site only), else the queue."""
    target = request.form.get("next") or ""
    return target if target.startswith("/") and not target.startswith("//") else url_for("wall_manage.index")


@bp.route("/<int:wish_id>/approve", methods=["POST"])
@permission_required("wall.moderate")
def approve_wish(wish_id: int):
    wish = _load(wish_id)
    return _moderated(wish, lambda: approve(wish, current_user), _("Approved: the wish is on the wall."))


@bp.route("/<int:wish_id>/reject", methods=["POST"])
@permission_required("wall.moderate")
def reject_wish(wish_id: int):
    wish = _load(wish_id)
    form = RejectForm()  # invalid: 400 (the queue's reject form has no page of its own)
    return _moderated(wish, lambda: reject(wish, current_user, form.reason.data or ""), _("Rejected."), form=form)


@bp.route("/<int:wish_id>/hide", methods=["POST"])
@permission_required("wall.moderate")
def hide_wish(wish_id: int):
    wish = _load(wish_id)
    return _moderated(wish, lambda: hide(wish, current_user), _("Hidden from the wall."))


@bp.route("/<int:wish_id>/dismiss", methods=["POST"])
@permission_required("wall.moderate")
def dismiss_wish_reports(wish_id: int):
    """The wish stays on the wall; its reports are dismissed (the reporters' record says so)."""
    wish = _load(wish_id)
    if wish.status != "approved":
        abort(409)
    return _moderated(wish, lambda: dismiss_reports(wish, current_user), _("Reports dismissed: the wish stays on the wall."))


# --- bulk actions: choose, confirm, act -------------------------------------------------------


def _bulk_labels() -> dict:
    return {"approve": _("Approve"), "reject": _("Reject"), "hide": _("Hide")}


def _bulk_question(action: str, num: int) -> str:
    return {
        "approve": ngettext("Approve %(num)d wish?", "Approve %(num)d wishes?", num),
        "reject": ngettext("Reject %(num)d wish?", "Reject %(num)d wishes?", num),
        "hide": ngettext("Hide %(num)d wish?", "Hide %(num)d wishes?", num),
    }[action]


@bp.route("/bulk", methods=["POST"])
@permission_required("wall.moderate")
def bulk():
    """Step one (no ``confirm``): the chosen action and wishes come back as a question
    stating the count ("Approve 12 wishes?") — with htmx in place of the bulk bar, without
    JS as a page listing the wishes; step two (``confirm=1``, from that question) acts.
    Without an action or a wish the queue comes back (422) with the selection kept."""
    action = request.form.get("action", "")
    ids = [int(i) for i in request.form.getlist("ids") if i.isascii() and i.isdigit() and len(i) < 10][:200]
    queue = request.form.get("queue", "pending")
    queue = queue if queue in QUEUES else "pending"
    building = request.form.get("building", "")[:80]
    wishes = db.session.scalars(wishes_by_ids(ids)).unique().all() if ids else []
    for wish in wishes:
        require("wall.moderate", wish)  # another building's wish: 403, as for one wish
    if action not in BULK_ACTIONS or not wishes:
        if action not in BULK_ACTIONS and not wishes:
            error = _("Choose wishes and an action.")
        elif action not in BULK_ACTIONS:
            error = _("Choose an action for the selected wishes.")
        else:
            error = _("Select at least one wish.")
        return _index_page(queue, building, status=422, partial="wall/manage/_bulk.html", bulk_error=error,
                           selected={w.id for w in wishes}, chosen_action=action if action in BULK_ACTIONS else "")
    if request.form.get("confirm") != "1":
        unopened = [w for w in wishes if action == "approve" and w.status != "approved" and w.needs_opening]
        return render("wall/manage/bulk_confirm.html", "wall/manage/_bulk_confirm.html", wishes=wishes, action=action,
                      question=_bulk_question(action, len(wishes)), unopened=unopened, queue=queue, building=building,
                      statuses=STATUSES)
    return submit(
        act=lambda: bulk_moderate(wishes, action, current_user),
        done=lambda outcome: Done(
            _("%(num)d wishes updated.", num=len(outcome[0])),
            url_for("wall_manage.index", queue=queue, building=building or None),
            more=_skipped_warning(outcome[1]),
        ),
    )


def _skipped_warning(skipped) -> tuple:
    if not skipped:
        return ()
    return ((ngettext("%(num)d flagged wish must be opened and checked on its own before it is approved.",
                      "%(num)d flagged wishes must be opened and checked one by one before they are approved.", len(skipped)), "warning"),)


# --- one wish: edit, claim, fulfil, project ------------------------------------------------


def _resource_choices(wish: Wish):
    return choices([(str(r.id), f"{r.loc('org').text} · {r.loc('offer').text}") for r in db.session.scalars(resources_for(current_user, wish.building_id))])


def _wish_page(wish: Wish, status: int = 200, **forms):
    claim_form = forms.get("claim_form") or ClaimForm()
    claim_form.resource.choices = _resource_choices(wish)
    return render(
        "wall/manage/wish.html",
        status=status,
        wish=wish,
        statuses=STATUSES,
        progress=PROGRESS,
        edit_form=forms.get("edit_form") or EditForm(formdata=None, text=wish.text),
        claim_form=claim_form,
        fulfil_form=forms.get("fulfil_form") or FulfilForm(),
        project_form=forms.get("project_form") or ProjectForm(formdata=None, title_zh=wish.text[:80] if wish.lang == "zh" else "", title_en=wish.text[:100] if wish.lang == "en" else ""),
        reject_form=RejectForm(),
    )


@bp.route("/<int:wish_id>")
@permission_required("wall.moderate")
def wish_detail(wish_id: int):
    wish = _load(wish_id)
    # Opening the wish is what lets a bulk approval include it when it is flagged.
    if mark_opened(wish, current_user):
        db.session.commit()
    return _wish_page(wish)


@bp.route("/<int:wish_id>/edit", methods=["POST"])
@permission_required("wall.moderate")
def edit_wish(wish_id: int):
    wish = _load(wish_id)
    form = EditForm()
    return submit(
        form,
        page=lambda: _wish_page(wish, edit_form=form),
        act=lambda: edit_text(wish, current_user, form.text.data),
        done=lambda _done: Done(_("Text saved; the original is kept."), _wish_url(wish)),
    )


@bp.route("/<int:wish_id>/claim", methods=["POST"])
@permission_required("wall.moderate")
def claim_wish(wish_id: int):
    wish = _load(wish_id)
    form = ClaimForm()
    form.resource.choices = _resource_choices(wish)

    def claimed():
        resource = db.session.get(Resource, int(form.resource.data))
        claim(wish, resource, form.plan.data, form.target_on.data, current_user)
        return resource

    return submit(
        form,
        page=lambda: _wish_page(wish, claim_form=form),
        field=form.resource,
        act=claimed,
        done=lambda resource: Done(_("Claimed by %(org)s.", org=resource.loc("org").text), _wish_url(wish)),
    )


@bp.route("/<int:wish_id>/fulfil", methods=["POST"])
@permission_required("wall.moderate")
def fulfil_wish(wish_id: int):
    wish = _load(wish_id)
    form = FulfilForm()
    valid = form.validate()
    photo = form.photo.data if getattr(form.photo.data, "filename", "") else None
    stored = None
    if valid and photo is not None:
        # Stored only after the text is valid; anything but an image is removed again.
        try:
            stored = uploads.store(photo)
        except uploads.UploadError as exc:
            form.photo.errors = [str(exc.message)]
        else:
            if stored.kind != "image":
                uploads.delete_stored(stored.storage_name)
                stored = None
                form.photo.errors = [_("Please attach a photo (JPEG, PNG, GIF or WebP).")]
        valid = not form.photo.errors
    return submit(
        form,
        valid=valid,
        page=lambda: _wish_page(wish, fulfil_form=form),
        field=form.result,
        act=lambda: fulfil(wish, current_user, form.result.data, stored),
        on_error=lambda: stored is not None and uploads.delete_stored(stored.storage_name),
        done=lambda _done: Done(_("Fulfilled: the wall now credits %(org)s.", org=wish.claim.resource.loc("org").text), _wish_url(wish)),
    )


@bp.route("/<int:wish_id>/project", methods=["POST"])
@permission_required("wall.moderate")
def project_from_wish(wish_id: int):
    wish = _load(wish_id)
    form = ProjectForm()
    return submit(
        form,
        page=lambda: _wish_page(wish, project_form=form),
        field=form.title_zh,
        act=lambda: make_project(wish, current_user, form.title_zh.data, form.title_en.data or ""),
        done=lambda _done: Done(_("Added to the building's project list."), _wish_url(wish)),
    )


# --- resources (资源清单) -------------------------------------------------------------------


def _resource_form(resource: Resource | None = None, formdata=True) -> ResourceForm:
    form = ResourceForm() if formdata else ResourceForm(formdata=None, obj=resource)
    allowed = [b for b in db.session.scalars(all_buildings()) if current_user.role == "admin" or b.id in current_user.building_ids]
    options = ([("", _("District-wide"))] if current_user.role == "admin" else []) + [(str(b.id), b.loc("name").text) for b in allowed]
    form.building.choices = choices(options)
    if not formdata and resource is not None:
        form.building.data = str(resource.building_id or "")
    return form


@bp.route("/resources")
@permission_required("wall.moderate")
def resources():
    return render("wall/manage/resources.html", resources=db.session.scalars(managed_resources(current_user)).all())


@bp.route("/resources/new", methods=["GET", "POST"])
@bp.route("/resources/<int:resource_id>", methods=["GET", "POST"])
@permission_required("wall.moderate")
def resource_form(resource_id: int | None = None):
    resource = None
    if resource_id is not None:
        resource = db.session.get(Resource, resource_id)
        if resource is None:
            abort(404)
        if resource.building_id is None and current_user.role != "admin":
            abort(403)
        if resource.building_id is not None:
            require("wall.moderate", resource)
    if request.method == "GET":
        return render("wall/manage/resource.html", form=_resource_form(resource, formdata=False), resource=resource)
    form = _resource_form(resource)
    return submit(
        form,
        page=lambda: render("wall/manage/resource.html", form=form, resource=resource),
        act=lambda: save_resource(resource, _resource_data(form), current_user),
        done=lambda _done: Done(_("Resource saved."), url_for("wall_manage.resources")),
    )


def _resource_data(form: ResourceForm) -> dict:
    data = {k: (getattr(form, k).data or "").strip() for k in ("org_zh", "org_en", "offer_zh", "offer_en")}
    data["contact"] = (form.contact.data or "").strip() or None
    data["building_id"] = int(form.building.data) if form.building.data else None
    return data
