"""``seed-demo``: realistic bilingual demo data, idempotent (upserts by slug/code/email)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from ..auth.models import User
from ..auth.services import create_user
from ..boards.models import Building, Council, CouncilMember, Street
from ..extensions import db
from ..guide.models import Department
from . import data

DEMO_ACCOUNTS = (
    # email, role, name, building slugs, department code
    ("admin@example.com", "admin", "District Admin 区管理员", (), None),
    ("council@example.com", "council", "Council Member 楼事会委员", ("shanghai-tower",), None),
    ("staff@example.com", "staff", "Department Staff 部门工作人员", (), "market"),
)


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    accounts: list[tuple[str, str, str]] = field(default_factory=list)  # email, role, password or note

    def count(self, kind: str, created: bool) -> None:
        bucket = self.created if created else self.updated
        bucket[kind] = bucket.get(kind, 0) + 1

    def lines(self) -> list[str]:
        kinds = sorted(set(self.created) | set(self.updated))
        out = [f"  {k}: {self.created.get(k, 0)} created, {self.updated.get(k, 0)} already there" for k in kinds]
        out.append("  demo accounts:")
        out += [f"    {email:<22} {role:<8} {pw}" for email, role, pw in self.accounts]
        return out


def _upsert(model, key: str, value, report: SeedReport, kind: str, **fields):
    obj = db.session.scalar(sa.select(model).where(getattr(model, key) == value))
    created = obj is None
    if created:
        obj = model(**{key: value})
        db.session.add(obj)
    for name, val in fields.items():
        setattr(obj, name, val)
    report.count(kind, created)
    return obj


def _seed_places(report: SeedReport) -> dict[str, Building]:
    streets = {
        s["code"]: _upsert(
            Street, "code", s["code"], report, "streets",
            name_zh=s["name_zh"], name_en=s["name_en"], district_zh=s["district_zh"], district_en=s["district_en"],
        )
        for s in data.STREETS
    }
    db.session.flush()
    buildings: dict[str, Building] = {}
    for b in data.BUILDINGS:
        building = _upsert(
            Building, "slug", b["slug"], report, "buildings",
            name_zh=b["name_zh"], name_en=b["name_en"], address_zh=b["address_zh"], address_en=b["address_en"],
            street=streets[b["street"]], floors=b.get("floors"), tenant_count=b.get("tenants"),
            worker_count=b.get("workers"),
        )
        db.session.flush()
        c = b["council"]
        council = _upsert(
            Council, "building_id", building.id, report, "councils",
            name_zh=c["name_zh"], name_en=c["name_en"], founded_on=date.fromisoformat(c["founded"]),
            intro_zh=c["intro_zh"], intro_en=c["intro_en"],
        )
        db.session.flush()
        if not council.members:  # the roster is seeded once; staff edit it afterwards
            for position, m in enumerate(c["members"]):
                council.members.append(
                    CouncilMember(
                        role=m["role"], position=position, name_zh=m["name_zh"], name_en=m["name_en"],
                        org_zh=m["org_zh"], org_en=m["org_en"], title_zh=m["title_zh"], title_en=m["title_en"],
                    )
                )
                report.count("council members", True)
        else:
            report.count("council members", False)
        buildings[b["slug"]] = building
    return buildings


def _seed_departments(report: SeedReport) -> dict[str, Department]:
    out = {}
    for d in data.DEPARTMENTS:
        fields = {k: v for k, v in d.items() if k != "code"}
        out[d["code"]] = _upsert(Department, "code", d["code"], report, "departments", **fields)
    db.session.flush()
    return out


def _seed_accounts(report: SeedReport, password: str | None, buildings, departments) -> None:
    for email, role, name, slugs, dept_code in DEMO_ACCOUNTS:
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is None:
            pw = password or secrets.token_urlsafe(12)
            create_user(
                email, pw, role, name=name,
                buildings=[buildings[s] for s in slugs],
                department=departments.get(dept_code) if dept_code else None,
            )
            report.count("accounts", True)
            report.accounts.append((email, role, f"password: {pw}"))
        else:
            report.count("accounts", False)
            if password:
                user.set_password(password)
                user.revoke_sessions()
                report.accounts.append((email, role, f"password reset to: {password}"))
            else:
                report.accounts.append((email, role, "(exists; password unchanged, use --password to reset)"))
    db.session.flush()
    # The council account sits on Shanghai Tower's council as an ordinary member.
    council_user = db.session.scalar(sa.select(User).where(User.email == "council@example.com"))
    tower = buildings.get("shanghai-tower")
    if council_user and tower and tower.council:
        if not any(m.user_id == council_user.id for m in tower.council.members):
            tower.council.members.append(
                CouncilMember(
                    role="member", position=len(tower.council.members), name_zh="演示委员",
                    name_en="Demo council member", org_zh="楼事通演示账号", org_en="Loushi demo account",
                    title_zh="委员", title_en="Member", user_id=council_user.id,
                )
            )


def is_empty() -> bool:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Building)) == 0


def _seed_guide(report: SeedReport, departments: dict[str, Department]) -> None:
    from ..guide.services import load_entries
    from .guide_data import ENTRIES

    created, existing = load_entries(ENTRIES, departments)
    report.created["guide entries"] = created
    report.updated["guide entries"] = existing


def seed_demo(password: str | None = None, *, guide: bool = True) -> SeedReport:
    """Create or refresh the demo data; the caller commits.  ``guide=False`` leaves out
    the guide entries (tests that bring their own)."""
    report = SeedReport()
    departments = _seed_departments(report)
    if guide:
        _seed_guide(report, departments)
    buildings = _seed_places(report)
    _seed_accounts(report, password, buildings, departments)
    db.session.flush()
    return report
