"""The one permission module: rules, the decorator, and every staff route × every role."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.auth import permissions
from app.auth.models import User
from app.boards.models import Building
from app.extensions import db
from app.guide.models import Department

ROLES = ("anonymous", "admin", "council", "staff")
EMAIL = {"admin": "admin@example.com", "council": "council@example.com", "staff": "staff@example.com"}

# endpoint → the roles allowed; every staff endpoint must be listed here.
MATRIX = {
    "council.dashboard": {"admin", "council", "staff"},
}


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
def test_route_role_matrix(app, client, demo, auth, endpoint, role):
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    url = rule.build({"lang_code": "en"}, append_unknown=False)[1]
    if role != "anonymous":
        assert auth.login(EMAIL[role]).status_code == 303
    response = client.get(url)
    if role in MATRIX[endpoint]:
        assert response.status_code == 200
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
