"""``seed-demo``: realistic bilingual demo data, idempotent (upserts by slug/code/email)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask import current_app

from ..auth.models import User
from ..auth.services import create_user
from ..extensions import db
from ..org.models import Building, Council, CouncilMember, Department, Street
from . import data

DEMO_ACCOUNTS = (
    # email, role, name, building slugs, department code
    ("admin@example.com", "admin", "District Admin 区管理员", (), None),
    ("council@example.com", "council", "Council Member 楼事会委员", ("shanghai-tower",), None),
    ("staff@example.com", "staff", "Department Staff 部门工作人员", (), "market"),
    ("observer@example.com", "observer", "Street Office Observer 街道观察员", ("shanghai-tower", "jin-mao-tower"), None),
)


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    accounts: list[tuple[str, str, str]] = field(default_factory=list)  # email, role, password or note
    api_key: str | None = None

    def count(self, kind: str, created: bool) -> None:
        bucket = self.created if created else self.updated
        bucket[kind] = bucket.get(kind, 0) + 1

    def lines(self) -> list[str]:
        kinds = sorted(set(self.created) | set(self.updated))
        out = [f"  {k}: {self.created.get(k, 0)} created, {self.updated.get(k, 0)} already there" for k in kinds]
        out.append("  demo accounts:")
        out += [f"    {email:<22} {role:<8} {pw}" for email, role, pw in self.accounts]
        if self.api_key:
            out.append(f"  Open311 API key (demo-client, shown once): {self.api_key}")
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


def _demo_two_step(report: SeedReport, email: str, role: str) -> None:
    """Administrators must use two-step sign-in: the demo admin gets it switched on, with
    its key (for an authenticator app) and recovery codes printed."""
    if role not in current_app.config["TOTP_REQUIRED_ROLES"]:
        return
    from ..auth.totp import enroll_for_demo, grouped

    user = db.session.scalar(sa.select(User).where(User.email == email))
    secret, codes = enroll_for_demo(user)
    report.accounts.append((email, role, f"two-step sign-in key (add it to an authenticator app): {grouped(secret)}"))
    report.accounts.append((email, role, f"  or sign in with a one-time recovery code: {', '.join(codes[:3])} …"))


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
            _demo_two_step(report, email, role)
        else:
            report.count("accounts", False)
            if password:
                user.set_password(password)
                user.revoke_sessions()
                report.accounts.append((email, role, f"password reset to: {password}"))
                _demo_two_step(report, email, role)
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
    from .guide_keywords import KEYWORDS

    rows = [dict(row, keywords_zh=KEYWORDS.get(row["slug"], ("", ""))[0], keywords_en=KEYWORDS.get(row["slug"], ("", ""))[1]) for row in ENTRIES]
    created, existing = load_entries(rows, departments)
    report.created["guide entries"] = created
    report.updated["guide entries"] = existing


def _seed_requests(report: SeedReport, buildings: dict[str, Building], departments: dict[str, Department]) -> None:
    """Requests walked through the loop by the services, as staff would, then dated back."""
    from datetime import timedelta

    from ..core.timeutil import utcnow
    from ..core.workdays import calendar, due_date
    from ..guide.models import GuideEntry
    from ..intake import services
    from ..intake.models import CannedReply, ServiceRequest
    from .requests_data import CANNED_REPLIES, REQUESTS

    for body_zh, body_en, dept in CANNED_REPLIES:
        _upsert(CannedReply, "body_zh", body_zh, report, "canned replies", title_zh=body_zh[:20], title_en=body_en[:40], body_en=body_en,
                department_id=departments[dept].id if dept else None)
    db.session.flush()
    admin = db.session.scalar(sa.select(User).where(User.email == "admin@example.com"))
    path = ["assigned", "in_progress", "resolved", "closed"]
    for key, slug, building, company, contact, phone, email, text, lang, days_ago, final, answer, rating in REQUESTS:
        entry = db.session.scalar(sa.select(GuideEntry).where(GuideEntry.slug == slug)) if slug else None
        filed = services.submit_request(
            {"entry": entry, "building": buildings[building], "company_name": company, "contact_name": contact, "phone": phone,
             "email": email, "description": text, "reply_lang": lang},
            [], key.ljust(24, "0"),
        )
        report.count("requests", filed.created)
        if not filed.created:
            continue
        req = filed.request
        start = utcnow() - timedelta(days=days_ago, hours=2)
        req.created_at = start
        req.due_on = due_date(start, entry.promised_days if entry and entry.promised_days else services.DEFAULT_PROMISED_DAYS, calendar())
        req.events[0].created_at = start
        if final == "received":
            continue
        if req.department_id is None:
            services.assign_department(req, departments["street-ljz"], admin)
        for i, stage in enumerate(path[: path.index(final) + 1 if final != "closed" or rating is None else path.index("resolved") + 1]):
            note = answer if stage == "resolved" or (stage == final and answer) else ""
            services.change_stage(req, stage, admin, note)
            req.events[-1].created_at = start + timedelta(hours=4 + 20 * i)
        if final == "closed" and rating is not None:
            services.rate(req, rating, "")
            req.events[-1].created_at = start + timedelta(days=max(1, days_ago // 2))
        for event in req.events:
            if event.created_at > utcnow():
                event.created_at = utcnow()
        stamps = [e.created_at for e in req.events]
        if len(stamps) > 1:
            services.set_first_response(req, stamps[1])
        if req.resolved_at:
            req.resolved_at = max(stamps)
        if req.closed_at:
            req.closed_at = max(stamps)
        db.session.commit()


def _seed_wall(report: SeedReport, buildings: dict[str, Building]) -> None:
    """Resources and wishes in every state; keyed by a fixed follow token per wish."""
    from datetime import timedelta

    from ..core.timeutil import utcnow
    from ..wall.models import Claim, Project, Resource, Wish, WishReport, WishSupport
    from ..wall.services import flagged_words, token_hash
    from .wall_data import RESOURCES, WISHES

    resources = {}
    for key, building, org_zh, org_en, offer_zh, offer_en in RESOURCES:
        resources[key] = _upsert(Resource, "org_zh", org_zh, report, "resources", org_en=org_en, offer_zh=offer_zh, offer_en=offer_en,
                                 building_id=buildings[building].id if building else None, contact="021-5888 0000")
    db.session.flush()
    now = utcnow()
    for key, building, text, lang, name, status, progress, supports, reports, days, claim, project in WISHES:
        wish = db.session.scalar(sa.select(Wish).where(Wish.follow_token_hash == token_hash(key)))
        report.count("wishes", wish is None)
        if wish is not None:
            continue
        created = now - timedelta(days=days, hours=3)
        wish = Wish(building_id=buildings[building].id, body=text, lang=lang, display_name=name or None, status=status, progress=progress,
                    flagged_words=flagged_words(text) or None, follow_token_hash=token_hash(key), created_at=created, updated_at=created,
                    published_at=created + timedelta(hours=2) if status in ("approved", "hidden") else None,
                    support_count=supports, report_count=reports)
        db.session.add(wish)
        db.session.flush()
        for i in range(supports):
            db.session.add(WishSupport(wish_id=wish.id, supporter=f"demo-{key}-{i}", created_at=created))
        for i in range(reports):
            db.session.add(WishReport(wish_id=wish.id, reporter=f"demo-{key}-r{i}", reason="不实信息", created_at=created))
        if claim:
            resource_key, plan, result = claim
            db.session.add(Claim(wish_id=wish.id, resource_id=resources[resource_key].id, plan=plan, result=result,
                                 target_on=(created + timedelta(days=30)).date(), claimed_at=created + timedelta(days=2)))
            if progress == "fulfilled":
                wish.fulfilled_at = created + timedelta(days=max(3, days // 2))
        if project:
            db.session.add(Project(building_id=wish.building_id, wish_id=wish.id, title_zh=project[0], title_en=project[1],
                                   progress=100 if progress == "fulfilled" else 40, status="done" if progress == "fulfilled" else "active"))
    db.session.flush()


def _seed_boards(report: SeedReport, buildings: dict[str, Building]) -> None:
    """Decisions, notices and events (keyed by building + Chinese title); the first event
    fills up and takes a waitlist through the same service people use."""
    from datetime import timedelta

    from ..boards.models import Decision, Event, Notice
    from ..boards.services import register
    from ..core.timeutil import utcnow
    from .boards_data import DECISIONS, EVENTS, NOTICES

    now = utcnow()
    for slug, days, tz, te, dz, de, fz, fe, status in DECISIONS:
        found = db.session.scalar(sa.select(Decision).where(Decision.building_id == buildings[slug].id, Decision.topic_zh == tz))
        report.count("decisions", found is None)
        if found is None:
            db.session.add(Decision(building_id=buildings[slug].id, held_on=(now - timedelta(days=days)).date(), topic_zh=tz, topic_en=te,
                                    decision_zh=dz, decision_en=de, follow_up_zh=fz, follow_up_en=fe, status=status))
    for slug, days, tz, te, bz, be in NOTICES:
        found = db.session.scalar(sa.select(Notice).where(Notice.building_id == buildings[slug].id, Notice.title_zh == tz))
        report.count("notices", found is None)
        if found is None:
            db.session.add(Notice(building_id=buildings[slug].id, title_zh=tz, title_en=te, body_zh=bz, body_en=be, published_at=now - timedelta(days=days)))
    for slug, days, hours, tz, te, dz, de, pz, pe, seats, people in EVENTS:
        found = db.session.scalar(sa.select(Event).where(Event.building_id == buildings[slug].id, Event.title_zh == tz))
        report.count("events", found is None)
        if found is not None:
            continue
        start = (now + timedelta(days=days)).replace(hour=6, minute=0, second=0, microsecond=0)  # 14:00 Shanghai
        event = Event(building_id=buildings[slug].id, title_zh=tz, title_en=te, description_zh=dz, description_en=de, place_zh=pz, place_en=pe,
                      starts_at=start, ends_at=start + timedelta(hours=hours), seats=seats, registration_opens_at=now - timedelta(days=7),
                      registration_closes_at=start - timedelta(hours=2))
        db.session.add(event)
        db.session.flush()
        for i in range(people):
            register(event.id, f"演示报名者{i + 1}", f"1390000{i:04d}")
    db.session.flush()


def _seed_api_key(report: SeedReport) -> None:
    """A fresh Open311 key for the demo client each run (only its hash is stored)."""
    from ..intake.models import ApiKey
    from ..intake.services import create_api_key

    db.session.execute(sa.delete(ApiKey).where(ApiKey.name == "demo-client"))
    report.api_key = create_api_key("demo-client")


def seed_demo(password: str | None = None, *, guide: bool = True) -> SeedReport:
    """Create or refresh the demo data; the caller commits.  ``guide=False`` leaves out
    the guide entries, requests and wishes (tests bring their own)."""
    report = SeedReport()
    departments = _seed_departments(report)
    if guide:
        _seed_guide(report, departments)
    buildings = _seed_places(report)
    _seed_accounts(report, password, buildings, departments)
    if guide:
        db.session.commit()  # filing a request starts its own transaction
        _seed_requests(report, buildings, departments)
        _seed_api_key(report)
        _seed_wall(report, buildings)
        _seed_boards(report, buildings)
    db.session.flush()
    return report
