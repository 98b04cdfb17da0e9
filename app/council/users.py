"""User administration and the council team page: /<lang>/council/users/…

Administrators invite people (an account without a password and an e-mailed one-time
link), change their role and scope, deactivate and reactivate them, send a new
password link and reset a lost two-step set-up.  Every write goes through
app/auth/services.py (or totp.py), which also writes the audit record; the route commits
once.  Council members (and observers, and admins) see who holds an account on the
councils of their buildings."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..auth.models import ROLES, User
from ..auth.permissions import can, permission_required, register
from ..auth.queries import (
    USER_MAX_PAGE,
    USER_PAGE_SIZE,
    USER_STATUSES,
    account_history,
    user_by_email,
    user_by_id,
    user_page,
    users_filtered,
)
from ..auth.services import (
    TOKEN_HOURS,
    deactivate_user,
    invite_user,
    reactivate_user,
    send_reset,
    update_user,
)
from ..core.forms import choices
from ..core.handlers import Done, invalid, submit
from ..core.i18n import current_lang
from ..core.inputs import page_arg
from ..core.rendering import render
from ..extensions import db
from ..org.models import COUNCIL_ROLES
from ..org.queries import all_buildings, all_departments, buildings_by_slugs, council_team, department_by_code
from .forms import ROLE_HINTS, ActionForm, EditUserForm, InviteForm

bp = Blueprint("users", __name__, url_prefix="/<lang:lang_code>/council/users")

# Who sees the council team page: council members and observers (their buildings) and
# admins (any building).
register("users.team", lambda user, _t: user.role in ("admin", "council", "observer"))

# "Active account", not "Active": the guide's "Active" is translated as "published".
STATUS_LABELS = {"active": _l("Active account"), "invited": _l("Invited"), "deactivated": _l("Deactivated")}


def status_of(user: User) -> str:
    if not user.active:
        return "deactivated"
    return "active" if user.has_password else "invited"


def _display_name(user: User) -> str:
    return user.name or user.email


# --- the list ---------------------------------------------------------------------------


@dataclass
class UserFilters:
    q: str = ""
    role: str = ""
    building: str = ""
    department: str = ""
    status: str = ""
    page: int = 1

    def active(self) -> bool:
        return any((self.q, self.role, self.building, self.department, self.status))


def _filters() -> UserFilters:
    args = request.args
    page = page_arg(maximum=USER_MAX_PAGE)
    role = args.get("role", "")
    status = args.get("status", "")
    return UserFilters(
        q=args.get("q", "").strip()[:100],
        role=role if role in ROLES else "",
        building=args.get("building", "")[:80],
        department=args.get("department", "")[:40],
        status=status if status in USER_STATUSES else "",
        page=page,
    )


@bp.route("/")
@permission_required("users.manage")
def index():
    filters = _filters()
    stmt = users_filtered(q=filters.q, role=filters.role, building=filters.building, department=filters.department,
                          status=filters.status)
    rows, count = user_page(stmt, filters.page)
    users = db.session.scalars(rows).unique().all()
    total = db.session.scalar(count)
    return render(
        "council/users/index.html",
        "council/users/_list.html",
        users=users,
        total=total,
        pages=min((total + USER_PAGE_SIZE - 1) // USER_PAGE_SIZE, USER_MAX_PAGE),
        filters=filters,
        roles=ROLES,
        statuses=STATUS_LABELS,
        status_of=status_of,
        all_buildings=db.session.scalars(all_buildings()).all(),
        all_departments=db.session.scalars(all_departments()).all(),
    )


# --- invite and edit --------------------------------------------------------------------


def _street_groups(buildings):
    """[(street, [buildings])] in the order given (street, then slug)."""
    groups: list[tuple[object, list]] = []
    for b in buildings:
        if groups and groups[-1][0].id == b.street_id:
            groups[-1][1].append(b)
        else:
            groups.append((b.street, [b]))
    return groups


def _scope_choices(form) -> list:
    """Set the building and department choices of ``form``; returns the buildings."""
    buildings = db.session.scalars(all_buildings()).all()
    form.buildings.choices = choices((b.slug, b.loc("name").text) for b in buildings)
    form.department.choices = choices(
        [("", _("No department"))] + [(d.code, d.loc("name").text) for d in db.session.scalars(all_departments())]
    )
    return buildings


def _scope_from(form):
    """(buildings, department) objects chosen in ``form``."""
    buildings = db.session.scalars(buildings_by_slugs(form.buildings.data or [])).all()
    department = db.session.scalar(department_by_code(form.department.data)) if form.department.data else None
    return buildings, department


def _form_page(template: str, form, buildings, status: int = 200, **context):
    return render(
        template,
        status=status,
        form=form,
        street_groups=_street_groups(buildings),
        role_hints=ROLE_HINTS,
        invite_hours=TOKEN_HOURS["invite"],
        **context,
    )


@bp.route("/new", methods=["GET", "POST"])
@permission_required("users.manage")
def new():
    form = InviteForm()
    if request.method == "GET":
        form.locale.data = current_lang()
    buildings = _scope_choices(form)
    if not form.validate_on_submit():
        return _form_page("council/users/new.html", form, buildings, status=422 if request.method == "POST" else 200)
    if db.session.scalar(user_by_email(form.email.data)) is not None:
        form.email.errors = [*form.email.errors, _("An account with this e-mail address already exists.")]
        return _form_page("council/users/new.html", form, buildings, status=422)
    chosen, department = _scope_from(form)
    # Scope rules are checked by the form; a refusal left here is an address taken by
    # someone else a moment ago (shown on the e-mail field).
    return submit(
        form,
        valid=True,
        page=lambda: _form_page("council/users/new.html", form, buildings),
        field=form.email,
        act=lambda: invite_user(form.email.data, form.role.data, name=form.name.data, buildings=chosen, department=department,
                                locale=form.locale.data, actor=current_user),
        done=lambda user: Done(_("Invitation sent to %(email)s. The link works for %(hours)d hours.", email=user.email,
                                 hours=TOKEN_HOURS["invite"]), url_for("users.edit", user_id=user.id)),
    )


def _load(user_id: int) -> User:
    user = db.session.scalar(user_by_id(user_id))
    if user is None:
        abort(404)
    return user


def _edit_page(user: User, form=None, status: int = 200, action_error: str | None = None):
    if form is None:
        form = EditUserForm(formdata=None, obj=None, data={
            "name": user.name,
            "role": user.role,
            "buildings": [b.slug for b in user.buildings],
            "department": getattr(user.department, "code", "") or "",
        })
    buildings = _scope_choices(form)
    return _form_page(
        "council/users/edit.html",
        form,
        buildings,
        status=status,
        user=user,
        status_key=status_of(user),
        statuses=STATUS_LABELS,
        action_form=ActionForm(formdata=None),
        history=db.session.scalars(account_history(user)).all(),
        action_error=action_error,
        is_self=user.id == current_user.id,
    )


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@permission_required("users.manage")
def edit(user_id: int):
    user = _load(user_id)
    if request.method == "GET":
        return _edit_page(user)
    form = EditUserForm()
    _scope_choices(form)
    if not form.validate():
        return _edit_page(user, form, status=422)
    chosen, department = _scope_from(form)
    # The scope rules are the form's; a refusal left is the last administrator's (on the role).
    return submit(
        form,
        valid=True,
        page=lambda: _edit_page(user, form),
        field=form.role,
        act=lambda: update_user(user, role=form.role.data, name=form.name.data, buildings=chosen, department=department,
                                actor=current_user),
        # An administrator who made themselves something else goes to the dashboard.
        done=lambda _done: Done(_("Saved."), url_for("users.edit", user_id=user.id) if can("users.manage") else url_for("council.dashboard")),
    )


# --- account actions (each a small POST form) ----------------------------------------------


def _action(user_id: int, do, message):
    """Run ``do(user)`` (a service call), commit once, deliver queued mail, 303 back to
    the person's page with ``message(user)`` flashed; a refusal is shown on the page
    (422) and nothing is saved."""
    user = _load(user_id)
    form = ActionForm()
    if not form.validate():
        return invalid(_edit_page(user, action_error=_("The form expired. Please submit it again.")))
    return submit(
        valid=True,
        act=lambda: do(user),
        done=lambda result: Done(message(user, result), url_for("users.edit", user_id=user.id)),
        refused=lambda message: _edit_page(user, action_error=message),
    )


@bp.route("/<int:user_id>/deactivate", methods=["GET", "POST"])
@permission_required("users.manage")
def deactivate(user_id: int):
    """GET: what deactivating means, and the button; POST: do it."""
    if request.method == "GET":
        user = _load(user_id)
        if not user.active:
            return redirect(url_for("users.edit", user_id=user.id), code=303)
        return render("council/users/deactivate.html", user=user, form=ActionForm(formdata=None),
                      is_self=user.id == current_user.id)
    return _action(
        user_id,
        lambda user: deactivate_user(user, actor=current_user),
        lambda user, _r: _("%(name)s is deactivated and was signed out everywhere.", name=_display_name(user)),
    )


@bp.route("/<int:user_id>/reactivate", methods=["POST"])
@permission_required("users.manage")
def reactivate(user_id: int):
    return _action(
        user_id,
        lambda user: reactivate_user(user, actor=current_user),
        lambda user, _r: _("%(name)s can sign in again.", name=_display_name(user)),
    )


@bp.route("/<int:user_id>/send-reset", methods=["POST"], endpoint="send_reset")
@permission_required("users.manage")
def send_reset_link(user_id: int):
    def do(user):
        invited = not user.has_password
        send_reset(user, actor=current_user)
        return invited

    return _action(
        user_id,
        do,
        lambda user, invited: _("A new invitation was sent to %(email)s.", email=user.email) if invited
        else _("A link to set a new password was sent to %(email)s.", email=user.email),
    )


@bp.route("/<int:user_id>/reset-two-step", methods=["POST"], endpoint="reset_two_step")
@permission_required("users.manage")
def reset_two_step_of(user_id: int):
    from ..auth.totp import reset_two_step as reset

    def do(user):
        was_on = user.totp_enabled
        reset(user, actor=current_user)
        return was_on

    return _action(
        user_id,
        do,
        lambda user, was_on: _("Two-step sign-in was reset: %(name)s was signed out and sets it up again at the next sign-in.",
                               name=_display_name(user)) if was_on
        else _("Two-step sign-in was not set up for %(name)s; nothing changed.", name=_display_name(user)),
    )


# --- the council team -------------------------------------------------------------------


@bp.route("/team")
@permission_required("users.team")
def team():
    """Council members: everyone with an account on their buildings' councils, by
    building.  Admins choose a building."""
    chosen_slug = ""
    everything = []
    if current_user.role == "admin":
        everything = db.session.scalars(all_buildings()).all()
        chosen_slug = request.args.get("building", "")[:80]
        buildings = [b for b in everything if b.slug == chosen_slug]
    else:
        buildings = list(current_user.buildings)
    rows = db.session.execute(council_team([b.id for b in buildings])).all() if buildings else []
    members: dict[int, list] = {b.id: [] for b in buildings}
    for building, user, seat in rows:
        members.setdefault(building.id, []).append((user, COUNCIL_ROLES.get(seat) if seat else None))
    return render(
        "council/users/team.html",
        "council/users/_team.html",
        buildings=buildings,
        members=members,
        all_buildings=everything,
        chosen_slug=chosen_slug,
        status_of=status_of,
        statuses=STATUS_LABELS,
    )
