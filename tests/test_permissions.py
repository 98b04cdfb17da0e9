"""The one permission module: rules, the decorator, and every staff route × every role."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.auth import permissions
from app.auth.models import User
from app.extensions import db
from app.org.models import Building, Department
from tests.conftest import csrf_from

ROLES = ("anonymous", "admin", "council", "staff", "observer")
EMAIL = {"admin": "admin@example.com", "council": "council@example.com", "staff": "staff@example.com", "observer": "observer@example.com"}

STAFF = {"admin", "council", "staff"}
WORKSPACE = STAFF | {"observer"}  # observers: read-only, the buildings of their street
EDITORS = {"admin", "staff"}  # staff of the entry's department (market), and admins
MODERATORS = {"admin", "council"}  # the wish is in the council member's building
# endpoint → (method, roles allowed[, form data, status when allowed]); every staff
# endpoint must be listed here.  The request under test is the market department's, in
# the council member's building, so staff (market), council and admins all reach it.
MATRIX = {
    "council.dashboard": ("GET", WORKSPACE),
    # dashboard
    # audit viewer
    "audit.index": ("GET", {"admin", "council"}),
    "audit.export_csv": ("GET", {"admin", "council"}),
    # user administration
    # (account ids differ from test to test on PostgreSQL, whose sequences survive the wipe,
    # so the per-person routes are tried on user 999999: past the guard, a 404)
    "users.index": ("GET", {"admin"}),
    "users.new": ("GET", {"admin"}),
    "users.edit": ("GET", {"admin"}, None, 404),
    "users.deactivate": ("POST", {"admin"}, {}, 404),
    "users.reactivate": ("POST", {"admin"}, {}, 404),
    "users.send_reset": ("POST", {"admin"}, {}, 404),
    "users.reset_two_step": ("POST", {"admin"}, {}, 404),
    "users.team": ("GET", {"admin", "council", "observer"}),
    # account
    "account.index": ("GET", WORKSPACE),
    "account.preferences": ("POST", WORKSPACE, {"locale": "en", "notify_new": "y"}, 303),
    "account.password": ("GET", WORKSPACE),
    "account.two_step": ("GET", WORKSPACE),
    "account.two_step_enable": ("POST", WORKSPACE, {"code": "000000"}, {"admin": 303, "*": 422}),  # admin: already on
    "account.recovery_codes": ("POST", WORKSPACE, {"codes-password": "wrong"}, {"admin": 422, "*": 303}),  # others: not on
    "account.two_step_disable": ("POST", WORKSPACE, {"off-password": "wrong"}, 303),  # admin: required; others: not on
    "guide_manage.index": ("GET", EDITORS),
    "guide_manage.new": ("GET", EDITORS),
    "guide_manage.edit": ("GET", EDITORS),
    "guide_manage.history": ("GET", EDITORS),
    "guide_manage.change_status": ("POST", EDITORS, {"status": "suspended"}, 303),
    "intake_staff.index": ("GET", WORKSPACE),
    "intake_staff.detail": ("GET", WORKSPACE),
    "intake_staff.bulk_assign": ("POST", STAFF, {}, 422),  # nothing chosen: the queue again, with the error
    "intake_staff.stage": ("POST", STAFF, {"stage": "assigned"}, 303),
    "intake_staff.reply_to": ("POST", STAFF, {"body": "Internal check", "visibility": "internal"}, 303),
    "intake_staff.transfer_to": ("POST", STAFF, {}, 422),
    "intake_staff.cohandler": ("POST", STAFF, {}, 422),
    "intake_staff.duplicate": ("POST", STAFF, {}, 422),
    "intake_staff.reveal": ("POST", STAFF, {}, 200),
    "intake_staff.attachment": ("GET", STAFF, None, 404),  # allowed, but this request has no file 1
    "wall_manage.index": ("GET", MODERATORS),
    "wall_manage.wish_detail": ("GET", MODERATORS),
    "wall_manage.approve_wish": ("POST", MODERATORS, {}, 303),
    "wall_manage.reject_wish": ("POST", MODERATORS, {"reason": "test"}, 303),
    "wall_manage.hide_wish": ("POST", MODERATORS, {}, 303),
    "wall_manage.dismiss_wish_reports": ("POST", MODERATORS, {}, 400),  # allowed; this wish is not on the wall (409, shown as a 400 page)
    "wall_manage.bulk": ("POST", MODERATORS, {}, 422),  # nothing chosen: the queue again, with the error
    "wall_manage.edit_wish": ("POST", MODERATORS, {}, 422),
    "wall_manage.claim_wish": ("POST", MODERATORS, {}, 422),
    "wall_manage.fulfil_wish": ("POST", MODERATORS, {}, 422),
    "wall_manage.project_from_wish": ("POST", MODERATORS, {}, 422),
    "wall_manage.resources": ("GET", MODERATORS),
    "wall_manage.resource_form": ("GET", MODERATORS),
    "boards_manage.index": ("GET", MODERATORS),  # council members of the building, admins
    "boards_manage.edit": ("GET", MODERATORS),
    "boards_manage.delete": ("POST", MODERATORS, {}, 404),  # allowed, but decision 1 does not exist
    "boards_manage.export_csv": ("GET", MODERATORS),
    "boards_manage.export_xlsx": ("GET", MODERATORS),
}
URL_VALUES = {"lang_code": "en", "slug": "matrix-market-entry", "attachment_id": 1, "kind": "decisions", "item_id": 1, "user_id": 999999}


@pytest.fixture
def market_entry(app, demo):
    from app.guide.services import create_entry

    with app.app_context():
        market = db.session.scalar(sa.select(Department).where(Department.code == "market"))
        create_entry(
            {"slug": "matrix-market-entry", "department": market, "category": "market", "audience": "enterprise",
             "status": "active", "title_zh": "食品经营许可", "summary_zh": "测试", "is_free": True},
        )
        db.session.commit()
        db.session.remove()


@pytest.fixture
def market_request(app, market_entry):
    """A request for the market entry in shanghai-tower; returns its tracking number."""
    from app.guide.models import GuideEntry
    from app.intake.services import submit_request

    with app.app_context():
        entry = db.session.scalar(sa.select(GuideEntry).where(GuideEntry.slug == "matrix-market-entry"))
        tower = db.session.scalar(sa.select(Building).where(Building.slug == "shanghai-tower"))
        filed = submit_request({"entry": entry, "building": tower, "company_name": "矩阵公司", "contact_name": "测试",
                                "phone": "13812345678", "description": "权限矩阵测试用的诉求。"}, [], "matrix-request-key-0000000")
        number = filed.request.tracking_no
        from app.wall.services import post_wish

        wish, _token = post_wish(tower, "权限矩阵测试用的心愿", "", "", "zh")
        db.session.commit()
        wish_id = wish.id
        db.session.remove()
    return {"tracking_no": number, "wish_id": wish_id}


def _staff_endpoints(app):
    return sorted(
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if getattr(app.view_functions[rule.endpoint], "permission", None) or rule.endpoint.startswith("council.")
    )


def test_every_staff_route_is_in_the_matrix_and_guarded(app):
    endpoints = _staff_endpoints(app)
    assert endpoints, "no staff routes found"
    assert set(endpoints) == set(MATRIX), "add new staff routes to MATRIX"
    for endpoint in endpoints:
        assert getattr(app.view_functions[endpoint], "permission", None), f"{endpoint} has no permission_required"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_route_role_matrix(app, client, market_request, auth, endpoint, role):
    method, allowed, data, ok = (*MATRIX[endpoint], None, None)[:4]
    # an endpoint with several rules (…/new and …/<id>) is tested on the simplest
    rule = min((r for r in app.url_map.iter_rules() if r.endpoint == endpoint and method in r.methods), key=lambda r: len(r.arguments))
    values = dict(URL_VALUES, **market_request)
    if endpoint.startswith("boards_manage."):
        values["slug"] = "shanghai-tower"  # the council member's building
    url = rule.build({k: v for k, v in values.items() if k in rule.arguments}, append_unknown=False)[1]
    if role != "anonymous":
        assert auth.login(EMAIL[role]).status_code == 303
    if method == "GET":
        response = client.get(url)
    else:
        token = csrf_from(client.get("/en/login" if role == "anonymous" else "/en/council/").get_data(as_text=True))
        response = client.post(url, data={"csrf_token": token, **(data or {})})
    if isinstance(ok, dict):  # the allowed answer differs by role
        ok = ok.get(role, ok["*"])
    if role in allowed:
        assert response.status_code == (ok or 200), response.get_data(as_text=True)[-1500:]
    elif role == "anonymous":
        assert response.status_code == 302 and "/login" in response.location
    else:
        assert response.status_code == 403


def test_rules_scope_by_building_and_department(app, demo):
    with app.app_context():
        get = lambda email: db.session.scalar(sa.select(User).where(User.email == email))  # noqa: E731
        admin, council, staff = get("admin@example.com"), get("council@example.com"), get("staff@example.com")
        tower = db.session.scalar(sa.select(Building).where(Building.slug == "shanghai-tower"))
        jinmao = db.session.scalar(sa.select(Building).where(Building.slug == "jin-mao-tower"))
        market = db.session.scalar(sa.select(Department).where(Department.code == "market"))
        other = db.session.scalar(sa.select(Department).where(Department.code != "market"))
        can = permissions.can
        assert can("building.manage", tower, user=admin) and can("building.manage", jinmao, user=admin)
        assert can("building.manage", tower, user=council) and not can("building.manage", jinmao, user=council)
        assert not can("building.manage", tower, user=staff)
        assert can("department.manage", market, user=staff) and not can("department.manage", other, user=staff)
        assert not can("department.manage", market, user=council)
        assert can("users.manage", user=admin) and not can("users.manage", user=council)
        assert can("audit.view", user=council) and not can("audit.view", user=staff)
        council.active = False
        assert not can("workspace.view", user=council)


def test_unknown_permission_names_fail_loudly():
    with pytest.raises(KeyError):
        permissions.permission_required("no.such.permission")
    with pytest.raises(ValueError):
        permissions.register("workspace.view", lambda u, t: True)
