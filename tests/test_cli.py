"""Commands: seed-demo (idempotent, realistic) and create-user."""

from __future__ import annotations

import sqlalchemy as sa

from app.auth.models import User
from app.extensions import db
from app.org.models import SIX_ROLES, Building, Council, CouncilMember, Department, Street

REQUIRED_BUILDINGS = {
    "上海中心大厦", "金茂大厦", "上海环球金融中心", "东方金融广场", "上海银行大厦", "陆家嘴软件园",
    "嘉兴大厦", "中国金融信息中心", "嘉地中心",
}


def _counts():
    from app.guide.models import GuideEntry, GuideRevision

    models = (Street, Building, Council, CouncilMember, Department, User, GuideEntry, GuideRevision)
    return {m.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in models}


def test_seed_demo_creates_realistic_data_and_is_idempotent(app, runner):
    result = runner.invoke(args=["seed-demo", "--password", "a-long-demo-password"])
    assert result.exit_code == 0, result.output
    assert "admin@example.com" in result.output and "council@example.com" in result.output
    with app.app_context():
        first = _counts()
        assert first["Building"] >= 12 and first["Department"] == 18 and first["User"] == 4
        from app.guide.models import GuideEntry

        entries = db.session.scalars(sa.select(GuideEntry)).all()
        assert len(entries) >= 60
        assert len({e.department_id for e in entries}) == 18  # every department publishes
        complete = [e for e in entries if e.title_en and e.summary_en and e.legal_basis_zh and e.steps and e.conditions and e.phone]
        assert len(complete) >= 55 and any(not e.title_en for e in entries)  # a few without English, on purpose
        names = set(db.session.scalars(sa.select(Building.name_zh)))
        assert REQUIRED_BUILDINGS <= names or all(any(r in n for n in names) for r in REQUIRED_BUILDINGS)
        for council in db.session.scalars(sa.select(Council)):
            roles = [m.role for m in council.members]
            for role in SIX_ROLES:
                assert roles.count(role) == 1, (council.name_zh, role)
            assert council.name_en or council.name_zh
        council_user = db.session.scalar(sa.select(User).where(User.email == "council@example.com"))
        assert [b.slug for b in council_user.buildings] == ["shanghai-tower"]
        staff = db.session.scalar(sa.select(User).where(User.email == "staff@example.com"))
        assert staff.department is not None and staff.role == "staff"
        assert db.session.scalar(sa.select(User).where(User.email == "admin@example.com")).check_password("a-long-demo-password")
        db.session.remove()

    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0, again.output
    assert "password unchanged" in again.output
    with app.app_context():
        assert _counts() == first
        db.session.remove()


def test_seed_demo_if_empty_skips_a_populated_database(app, runner):
    assert "Demo data ready" in runner.invoke(args=["seed-demo", "--if-empty"]).output
    assert "already present" in runner.invoke(args=["seed-demo", "--if-empty"]).output


def test_seed_demo_without_password_prints_generated_ones(app, runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0
    line = next(l for l in result.output.splitlines() if "admin@example.com" in l)
    password = line.split("password:")[1].strip()
    with app.app_context():
        assert db.session.scalar(sa.select(User).where(User.email == "admin@example.com")).check_password(password)
        db.session.remove()


def test_create_user_with_scope(app, runner, demo):
    result = runner.invoke(
        args=["create-user", "Li.Wei@Example.com", "--role", "council", "--building", "jin-mao-tower", "--password", "another-long-password"]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["create-user", "tax@example.com", "--role", "staff", "--department", "tax"], input="pw-typed-at-the-prompt\npw-typed-at-the-prompt\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "li.wei@example.com"))
        assert user.role == "council" and [b.slug for b in user.buildings] == ["jin-mao-tower"]
        assert user.check_password("another-long-password")
        taxman = db.session.scalar(sa.select(User).where(User.email == "tax@example.com"))
        assert taxman.department.code == "tax" and taxman.check_password("pw-typed-at-the-prompt")
        db.session.remove()


def test_create_user_refuses_bad_input(runner, demo):
    cases = [
        (["create-user", "x@example.com", "--role", "council", "--password", "long-enough-pw"], "building"),
        (["create-user", "x@example.com", "--role", "staff", "--password", "long-enough-pw"], "department"),
        (["create-user", "x@example.com", "--role", "council", "--building", "nowhere", "--password", "long-enough-pw"], "nowhere"),
        (["create-user", "x@example.com", "--role", "admin", "--password", "short"], "at least"),
        (["create-user", "admin@example.com", "--role", "admin", "--password", "long-enough-pw"], "already exists"),
        (["create-user", "x@example.com", "--role", "emperor", "--password", "long-enough-pw"], "emperor"),
    ]
    for args, expected in cases:
        result = runner.invoke(args=args)
        assert result.exit_code != 0, args
        assert expected in result.output, (args, result.output)
