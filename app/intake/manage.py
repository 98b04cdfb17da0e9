"""The request queue in the council workspace: /<lang>/council/requests…

Department staff handle their department's requests (lead or co-handling), council
members their buildings', admins all; every action is audited (services.py).  Observers
(e.g. a street office) read the requests of their buildings and act on none."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qsl, urlsplit

from flask import Blueprint, abort, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from ..auth.permissions import STAFF_ROLES, can, permission_required, register, require
from ..core.audit import has_contacts, mask_contacts
from ..core.forms import choices
from ..core.errors import ServiceError
from ..core.handlers import Done, submit
from ..core.i18n import current_lang
from ..core.text import excerpt
from ..core.inputs import MAX_PAGE as MAX_INPUT_PAGE, bounded_int, page_arg
from ..core.rendering import render, wants_fragment
from ..core.workdays import SHANGHAI
from ..extensions import db
from ..org.models import Department
from .forms import TRACKING_NO, BulkAssignForm, CohandlerForm, DuplicateForm, ReplyForm, StageForm, TransferForm, mask_phone
from . import progress
from .models import EVENT_KINDS, STAGES, TRANSITIONS
from ..org.queries import all_buildings, all_departments
from .queries import (
    QueueFilters, all_events, attachment_counts, entry_titles, by_tracking_no, canned_replies, in_scope, queue, requests_by_ids, PAGE_SIZE,
)
from .routes import IMAGE_TYPES, _choices, _field_context, send_attachment
from .services import (
    add_cohandler,
    assign_department,
    change_stage,
    mark_duplicate,
    reply,
    reveal_contact,
    transfer,
)

EXCERPT_LENGTH = 80  # characters of the description in a queue row

bp = Blueprint("intake_staff", __name__, url_prefix="/<lang:lang_code>/council/requests")


def _handles(user, req) -> bool:
    """Staff (admins, council members, department staff) act on the requests in their
    scope; ``req`` None asks whether the person acts on requests at all (the queue's
    bulk assignment).  Observers only look: never."""
    if user.role not in STAFF_ROLES:
        return False
    return req is None or in_scope(user, req)


# Reading one request: everyone with a workspace, in their scope (observers included).
register("request.view", lambda user, req: req is not None and in_scope(user, req))
register("request.handle", _handles)
# Moving a request between departments or merging it needs its whole picture: the lead
# department's staff, the building's council and admins (not co-handlers).
register(
    "request.route",
    lambda user, req: req is not None
    and (user.role == "admin" or (user.role == "staff" and user.department_id == req.department_id) or (user.role == "council" and req.building_id in user.building_ids)),
)


def _today():
    return datetime.now(SHANGHAI).date()


def _filters(args=None) -> QueueFilters:
    """The queue's filters from the query string (or ``args``: the filters a bulk form
    was sent from, its ``back`` field)."""
    page = page_arg() if args is None else bounded_int(args.get("page"), default=1, minimum=1, maximum=MAX_INPUT_PAGE)
    args = request.args if args is None else args
    stage = args.get("stage", "open")
    return QueueFilters(
        stage=stage if stage in STAGES or stage in ("open", "all") else "open",
        overdue=args.get("overdue") == "1",
        due="today" if args.get("due") == "today" else "",
        building=args.get("building", "")[:80],
        dept=args.get("dept", "")[:40],
        service=args.get("service", "")[:120],
        urgent=args.get("urgent") == "1",
        page=page,
    )


def _department_choices(exclude: int | None = None, placeholder: str | None = None):
    first = [("", placeholder)] if placeholder else []
    return choices(first + [(str(d.id), d.loc("name").text) for d in db.session.scalars(all_departments()) if d.id != exclude])


def _bulk_form() -> BulkAssignForm:
    form = BulkAssignForm()
    # Nothing is chosen beforehand: the list starts on "Choose a department…".
    form.department.choices = _department_choices(placeholder=_("Choose a department…"))
    return form


def _service_filter(chosen: str):
    """The queue's service filter: the request form's list of services by name, grouped
    as there (with "Something else"), made a combobox by static/js/picker.js fed by the
    guide's own search (guide.suggest) — the same picker as the public form, without the
    typed-text field; and the chosen service's name ("" when none)."""
    services, _places, _digest, _personal = _choices()
    groups = [(group, options) for group, options in services.items() if group]
    name = next((str(o.label) for _g, options in groups for o in options if o.value == chosen), "") if chosen else ""
    if chosen and not name:
        # A service the form no longer offers (suspended): still named, still chosen.
        titles = db.session.execute(entry_titles(chosen)).first()
        if titles is not None:
            name = titles.title_en if current_lang() == "en" and titles.title_en else titles.title_zh
            groups = [("", choices([(chosen, name)]))] + groups
    attrs = {k: v for k, v in _field_context()["combobox_fields"]["service"].items() if k != "data-text-name"}
    return groups, name, attrs


def _queue_page(status: int = 200, partial: str | None = "intake/staff/_queue.html", args=None, **extra):
    filters = _filters(args)
    rows, count = queue(current_user, filters, _today())
    reqs = db.session.scalars(rows).unique().all()
    total = db.session.scalar(count)
    # What the requester wrote and sent, for the people handling each request only
    # (observers see neither): the description's start with phones and e-mail addresses
    # masked as on the request page before a reveal, and how many photos came with it.
    readable = [r for r in reqs if can("request.details", r)]
    excerpts = {r.id: excerpt(mask_contacts(r.description), EXCERPT_LENGTH) for r in readable}
    photos = dict(db.session.execute(attachment_counts([r.id for r in readable], IMAGE_TYPES)).all()) if readable else {}
    service_groups, service_name, service_attrs = _service_filter(filters.service)
    extra.setdefault("bulk", _bulk_form())
    return render(
        "intake/staff/index.html",
        partial,
        status=status,
        reqs=reqs,
        total=total,
        pages=(total + PAGE_SIZE - 1) // PAGE_SIZE,
        filters=filters,
        today=_today(),
        stages=STAGES,
        excerpts=excerpts,
        photos=photos,
        service_groups=service_groups,
        service_name=service_name,
        service_attrs=service_attrs,
        all_buildings=db.session.scalars(all_buildings()).all(),
        all_departments=db.session.scalars(all_departments()).all(),
        **extra,
    )


@bp.route("/")
@permission_required("workspace.view")
def index():
    return _queue_page()


@bp.route("/assign", methods=["POST"])
@permission_required("request.handle")
def bulk_assign():
    """Step one (no ``confirm``): "Assign 3 requests to <department>?" — with htmx in
    place of the bulk bar, without JS as a page listing the requests; step two
    (``confirm=1``) assigns.  Without a department or a request the queue comes back
    (422) with the selection kept."""
    form = _bulk_form()
    ids = [int(i) for i in request.form.getlist("ids") if i.isascii() and i.isdigit() and len(i) < 10][:100]
    reqs = db.session.scalars(requests_by_ids(current_user, ids)).unique().all() if ids else []
    valid = form.validate()
    if not valid or not reqs:
        if not valid and not reqs:
            error = _("Choose at least one request and a department.")
        elif not valid:
            error = _("Choose a department for the selected requests.")
        else:
            error = _("Select at least one request.")
        args = MultiDict(parse_qsl(urlsplit(_back_to_queue()).query))
        return _queue_page(status=422, partial="intake/staff/_bulk.html", args=args, bulk=form, bulk_error=error,
                           selected={r.id for r in reqs}, back_url=_back_to_queue())
    for req in reqs:
        require("request.route", req)
    department = db.session.get(Department, int(form.department.data))
    if request.form.get("confirm") != "1":
        question = ngettext("Assign %(num)d request to %(dept)s?", "Assign %(num)d requests to %(dept)s?", len(reqs),
                            dept=department.loc("name").text)
        return render("intake/staff/bulk_confirm.html", "intake/staff/_bulk_confirm.html", reqs=reqs, department=department,
                      question=question, stages=STAGES, today=_today(), back=_back_to_queue())
    return submit(
        act=lambda: [assign_department(req, department, current_user) for req in reqs],
        done=lambda _done: Done(_("%(num)d requests assigned to %(dept)s.", num=len(reqs), dept=department.loc("name").text), _back_to_queue()),
    )


def _back_to_queue() -> str:
    """The queue with the filters it was filtered by (a path of this queue only)."""
    back = request.form.get("back", "")
    base = url_for("intake_staff.index")
    return back if back.startswith(base) and "//" not in back and "\\" not in back else base


def _load(tracking_no: str, permission: str = "request.handle"):
    if not TRACKING_NO.match(tracking_no):
        abort(404)
    req = db.session.scalar(by_tracking_no(tracking_no))
    if req is None:
        abort(404)
    require(permission, req)
    return req


def _detail_url(req) -> str:
    return url_for("intake_staff.detail", tracking_no=req.tracking_no)


def _forms(req, **given):
    stage = given.get("stage_form") or StageForm()
    stage.stage.choices = choices([(s, STAGES[s]) for s in TRANSITIONS[req.stage]])
    reply_form = given.get("reply_form") or ReplyForm()
    canned = db.session.scalars(canned_replies(req.department_id)).all()
    reply_form.canned.choices = choices([("", _("No canned reply"))] + [(str(c.id), c.loc("title").text) for c in canned])
    transfer_form = given.get("transfer_form") or TransferForm()
    transfer_form.department.choices = _department_choices(exclude=req.department_id)
    cohandler = given.get("cohandler_form") or CohandlerForm()
    cohandler.department.choices = _department_choices(exclude=req.department_id)
    return {
        "stage_form": stage, "reply_form": reply_form, "transfer_form": transfer_form, "cohandler_form": cohandler,
        "duplicate_form": given.get("duplicate_form") or DuplicateForm(), "canned": canned,
    }


def _private_text(req, event) -> str | None:
    """The free text of ``event`` that only the people handling the request read, with
    phone numbers and e-mail addresses masked until a logged reveal: the requester's
    own words (the description, more information, a rating's or reopening's words) and
    internal notes.  None for staff's public text (replies, stage notes, reasons)."""
    if event.kind == "submitted":
        return req.description or ""
    if event.by_requester or not event.public:
        return event.body or ""
    return None


def _detail_page(req, status: int = 200, partial: str | None = None, **given):
    revealed = given.pop("revealed", False)
    events = db.session.scalars(all_events(req)).unique().all()
    details = can("request.details", req)
    if not details:
        # Observers: the stages, the public replies and the routing, never an internal
        # note or anything the requester wrote (app/auth/permissions.py).
        events = [e for e in events if e.public]
    private = {e.id: _private_text(req, e) for e in events}
    private = {k: v for k, v in private.items() if v is not None}
    masked = {k: v if revealed else mask_contacts(v) for k, v in private.items()} if details else {}
    return render(
        "intake/staff/detail.html",
        partial,
        status=status,
        req=req,
        events=events,
        details=details,
        private_text=masked,
        kinds=EVENT_KINDS,
        stages=STAGES,
        today=_today(),
        steps=progress.steps(req),
        now=progress.now_sentence(req, _today()),
        images=IMAGE_TYPES,
        phone=req.phone if revealed else mask_phone(req.phone),
        email=req.email if revealed else mask_contacts(req.email),
        revealed=revealed,
        # Something that a reveal would show in full: the contact fields or a number or
        # address typed in the free text.
        maskable=bool(req.phone or req.email) or any(has_contacts(v) for v in private.values()),
        oob_timeline=given.pop("oob_timeline", False),
        stage_done=given.pop("stage_done", ""),
        can_route=can("request.route", req),
        # Observers read the request: no action forms are built for them.
        **(_forms(req, **given) if can("request.handle", req) else {}),
    )


@bp.route("/<tracking_no>")
@permission_required("workspace.view")
def detail(tracking_no: str):
    return _detail_page(_load(tracking_no, "request.view"))


@bp.route("/<tracking_no>/stage", methods=["POST"])
@permission_required("request.handle")
def stage(tracking_no: str):
    req = _load(tracking_no)
    form = StageForm()
    form.stage.choices = choices([(s, STAGES[s]) for s in TRANSITIONS[req.stage]])
    before = req.stage
    return submit(
        form,
        page=lambda: _detail_page(req, partial="intake/staff/_stage.html", stage_form=form),
        act=lambda: change_stage(req, form.stage.data, current_user, form.note.data or ""),
        # What changed, old → new: in the stage box (htmx: a fresh, empty form, and the
        # timeline out of band) or as the flash after the redirect.
        done=lambda _done: Done(
            _("Stage changed from “%(old)s” to “%(new)s”.", old=STAGES[before], new=STAGES[req.stage]),
            _detail_url(req),
            fragment=lambda message: _detail_page(req, partial="intake/staff/_stage.html", stage_form=StageForm(formdata=None), stage_done=message),
        ),
    )


@bp.route("/<tracking_no>/reply", methods=["POST"])
@permission_required("request.handle")
def reply_to(tracking_no: str):
    req = _load(tracking_no)
    form = ReplyForm()
    canned = {str(c.id): c for c in db.session.scalars(canned_replies(req.department_id))}
    form.canned.choices = choices([("", "")] + [(k, "") for k in canned])
    if not (form.body.data or "").strip() and form.canned.data in canned:
        # Without JavaScript the chosen canned reply is the message, in the reply language.
        chosen = canned[form.canned.data]
        form.body.data = chosen.body_en if req.reply_lang == "en" and chosen.body_en else chosen.body_zh
    return submit(
        form,
        page=lambda: _detail_page(req, reply_form=form),
        act=lambda: reply(req, current_user, form.body.data, public=form.visibility.data == "public"),
        done=lambda _done: Done(_("Reply sent.") if form.visibility.data == "public" else _("Internal note saved."), _detail_url(req)),
    )


@bp.route("/<tracking_no>/transfer", methods=["POST"])
@permission_required("request.handle")
def transfer_to(tracking_no: str):
    return _to_department(
        tracking_no, TransferForm, "transfer_form",
        lambda req, department, form: transfer(req, department, form.reason.data, current_user),
        lambda department: _("Transferred to %(dept)s.", dept=department.loc("name").text),
    )


def _to_department(tracking_no: str, form_class, form_key: str, service, message):
    """A department chosen for the request (transfer, co-handling): ``service(req,
    department, form)`` then ``message(department)``; refusals on the department field."""
    req = _load(tracking_no, "request.route")
    form = form_class()
    form.department.choices = _department_choices(exclude=req.department_id)

    def act():
        department = db.session.get(Department, int(form.department.data))  # one of the choices
        service(req, department, form)
        return department

    return submit(
        form,
        page=lambda: _detail_page(req, **{form_key: form}),
        field=form.department,
        act=act,
        done=lambda department: Done(message(department), _detail_url(req)),
    )


@bp.route("/<tracking_no>/cohandler", methods=["POST"])
@permission_required("request.handle")
def cohandler(tracking_no: str):
    return _to_department(
        tracking_no, CohandlerForm, "cohandler_form",
        lambda req, department, _form: add_cohandler(req, department, current_user),
        lambda department: _("%(dept)s now co-handles this request.", dept=department.loc("name").text),
    )


@bp.route("/<tracking_no>/duplicate", methods=["POST"])
@permission_required("request.handle")
def duplicate(tracking_no: str):
    req = _load(tracking_no, "request.route")
    form = DuplicateForm()

    def merge():
        number = form.other.data.strip().upper()
        original = db.session.scalar(by_tracking_no(number)) if TRACKING_NO.match(number) else None
        if original is None or not in_scope(current_user, original):
            raise ServiceError(_("No request with this tracking number in your queue."))
        mark_duplicate(req, original, current_user)
        return original

    return submit(
        form,
        page=lambda: _detail_page(req, duplicate_form=form),
        act=merge,
        done=lambda original: Done(_("Merged into %(no)s.", no=original.tracking_no), _detail_url(req)),
    )


@bp.route("/<tracking_no>/reveal", methods=["POST"])
@permission_required("request.handle")
def reveal(tracking_no: str):
    req = _load(tracking_no)
    return submit(
        act=lambda: reveal_contact(req, current_user),
        # htmx swaps the contact box and, out of band, the timeline with its free text whole.
        done=lambda _done: _detail_page(req, partial="intake/staff/_contact.html", revealed=True, oob_timeline=wants_fragment()),
    )


@bp.route("/<tracking_no>/files/<int:attachment_id>")
@permission_required("request.handle")
def attachment(tracking_no: str, attachment_id: int):
    return send_attachment(_load(tracking_no), attachment_id)
