"""The one place that decides who may do what.

Every staff route is guarded by ``permission_required(name)`` (or calls ``require``
for a check that needs the loaded object).  A permission is a named rule taking the
user and an optional target; domains add theirs with ``register``."""

from __future__ import annotations

from functools import wraps
from typing import Any, Callable

from flask import abort, flash, redirect, request, session, url_for
from flask_login import current_user
from flask_login import login_url as make_login_url

from ..extensions import login_manager

Rule = Callable[[Any, Any], bool]
_RULES: dict[str, Rule] = {}

STAFF_ROLES = ("admin", "council", "staff")
# Everyone with a workspace: staff, and observers (read-only, e.g. a street office,
# scoped to buildings like a council member).
WORKSPACE_ROLES = (*STAFF_ROLES, "observer")


def register(name: str, rule: Rule) -> None:
    if name in _RULES:
        raise ValueError(f"permission {name!r} is already registered")
    _RULES[name] = rule


def rules() -> dict[str, Rule]:
    return dict(_RULES)


def _is_admin(user) -> bool:
    return user.role == "admin"


def _in_building(user, building) -> bool:
    """Admins: every building; council members: their own buildings."""
    if building is None:
        return False
    if _is_admin(user):
        return True
    return user.role == "council" and building.id in user.building_ids


def _in_department(user, department) -> bool:
    if department is None:
        return False
    if _is_admin(user):
        return True
    return user.role == "staff" and user.department_id == department.id


register("workspace.view", lambda u, _t: u.role in WORKSPACE_ROLES)
register("account.self", lambda u, _t: u.role in WORKSPACE_ROLES)
register("users.manage", lambda u, _t: _is_admin(u))
register("audit.view", lambda u, _t: u.role in ("admin", "council"))
register("building.manage", _in_building)
register("department.manage", _in_department)


def _reads_request_details(user, req) -> bool:
    """What the requester wrote (the description, more information, a rating's or a
    reopening's words) and the internal notes: only for the roles that handle requests,
    in the request's scope (``request.view``, registered by app/intake).  Observers see
    the stages, the counts and the public replies."""
    view = _RULES.get("request.view")
    return req is not None and user.role in STAFF_ROLES and view is not None and bool(view(user, req))


register("request.details", _reads_request_details)


def can(name: str, target: Any = None, user: Any = None) -> bool:
    """Whether ``user`` (the signed-in person by default) holds permission ``name``."""
    user = current_user if user is None else user
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    rule = _RULES[name]  # an unknown name is a programming error: KeyError
    return bool(rule(user, target))


# Pages a person who must set up two-step sign-in can still reach (the set-up itself).
TWO_STEP_SETUP_ENDPOINTS = {"account.two_step", "account.two_step_enable"}


def require(name: str, target: Any = None) -> None:
    """Abort unless the signed-in person holds ``name``: anonymous → login, else 403.
    Someone whose role requires two-step sign-in and who has not set it up yet is sent
    to the set-up page first, whatever they asked for.  A page served past this check
    is a workspace page, which shows personal data: ``Cache-Control: private, no-store``
    and never the page cache (``mark_private``)."""
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    from .totp import needs_setup

    if needs_setup(current_user) and request.endpoint not in TWO_STEP_SETUP_ENDPOINTS:
        abort(redirect(url_for("account.two_step"), code=303))
    if not can(name, target):
        abort(403)
    from ..core.security import mark_private

    mark_private()


@login_manager.unauthorized_handler
def sign_in_first():
    """An anonymous visitor of a workspace page: to the sign-in page, with one "please
    sign in" message.  Flask-Login's own handler adds the message to the session cookie
    on every redirect, so a visitor (or a script) that does not follow them piles up
    messages in the cookie until it outgrows what browsers keep; here a message already
    waiting is not added again."""
    message = str(login_manager.login_message or "")
    category = login_manager.login_message_category
    waiting = session.get("_flashes") or []
    if message and not any(tuple(item) == (category, message) for item in waiting):
        flash(message, category)
    return redirect(make_login_url(login_manager.login_view, next_url=request.url))


def permission_required(name: str):
    """Decorator for staff routes: ``@permission_required("workspace.view")``."""
    if name not in _RULES:
        raise KeyError(name)

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            require(name)
            return view(*args, **kwargs)

        wrapped.permission = name  # read by the route × role tests
        return wrapped

    return decorator
