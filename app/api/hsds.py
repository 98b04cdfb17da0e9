"""The service guide as Open Referral HSDS 3.0: /api/hsds/…

Departments are ``organizations``; guide entries are ``services`` with their phones,
schedules, required documents, cost options, languages and a location.  HSDS has no
fields for a 办事指南's time limits, legal basis, supervision channel, council role or
category: they go into the documented local extension object ``x_loushi``.  Texts are
in Chinese by default; ``?lang=en`` gives English (the other language fills any gap,
and ``x_loushi`` always carries both)."""

from __future__ import annotations

import math
import re
import uuid
from datetime import datetime, time, timezone

import sqlalchemy as sa
from flask import Blueprint, abort, jsonify, request, url_for

from ..core.i18n import localized, localized_row
from ..core.inputs import bounded_int, page_arg
from ..extensions import csrf, db, limiter
from ..guide.models import CATEGORIES, GuideEntry
from ..guide.queries import all_matches
from ..guide.services import keyword_phrases, web_link
from ..org.models import Department

bp = Blueprint("hsds", __name__, url_prefix="/api/hsds")
csrf.exempt(bp)

HSDS_VERSION = "3.0"
NAMESPACE = uuid.UUID("6f1c2a8e-3f4b-5c6d-8e9f-0a1b2c3d4e5f")
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20
EXTENSION_DOC = (
    "x_loushi: local extension of the 楼事通 Loushi guide (fields a 办事指南 has and HSDS 3.0 lacks): "
    "slug, category, audience, promised_days/legal_days (working days), legal_basis, supervision "
    "(监督投诉 channel), council_role, steps, conditions, keywords (\"also searched as\": the everyday "
    "words people type for the service, a list of phrases per language), in both zh and en."
)
MATERIAL_FORM_TEXT = {"original": ("原件", "original"), "copy": ("复印件", "copy"), "electronic": ("电子版", "electronic")}


def _clean(value):
    """Drop absent (None) fields: HSDS types them as strings/numbers, not nullable."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def hsds_id(kind: str, key) -> str:
    """A stable UUID for our integer ids (HSDS ids are UUIDs)."""
    return str(uuid.uuid5(NAMESPACE, f"loushi:{kind}:{key}"))


def _lang() -> str:
    lang = request.args.get("lang", "zh")
    return lang if lang in ("zh", "en") else "zh"


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def organization_json(dept: Department, lang: str) -> dict:
    oid = hsds_id("organization", dept.id)
    return {
        "id": oid,
        "name": localized(dept, "name", lang).text,
        "alternate_name": localized(dept, "short", lang).text or None,
        "description": localized(dept, "name", lang).text,
        "phones": [{"id": hsds_id("organization-phone", dept.id), "organization_id": oid, "number": dept.phone, "type": "voice"}] if dept.phone else [],
        "x_loushi": {"code": dept.code, "name_zh": dept.name_zh, "name_en": dept.name_en,
                     "address_zh": dept.address_zh, "address_en": dept.address_en,
                     "hours_zh": dept.hours_zh, "hours_en": dept.hours_en},
    }


def _service_basic(entry: GuideEntry, lang: str) -> dict:
    return {
        "id": entry.uid,
        "organization_id": hsds_id("organization", entry.department_id),
        "name": localized(entry, "title", lang).text,
        "alternate_name": localized(entry, "title", "en" if lang == "zh" else "zh").text or None,
        "description": localized(entry, "summary", lang).text,
        "url": url_for("guide.detail", lang_code=lang, slug=entry.slug, _external=True),
        "status": "active" if entry.status == "active" else "inactive",
        "fees_description": localized(entry, "fee", lang).text or ("不收费" if lang == "zh" else "Free"),
        "eligibility_description": "；".join(localized_row(r, "", lang).text for r in entry.conditions or []) or None,
        "application_process": "\n".join(
            f"{i}. {localized_row(r, 'title', lang).text}" for i, r in enumerate(entry.steps or [], 1)
        ) or None,
        "wait_time": (f"{entry.promised_days} 个工作日" if lang == "zh" else f"{entry.promised_days} working days") if entry.promised_days is not None else None,
        "last_modified": _iso(entry.updated_at),
        "assured_date": entry.last_reviewed_on.isoformat() if entry.last_reviewed_on else None,
        "x_loushi": {
            "slug": entry.slug,
            "category": entry.category,
            "category_label": {"zh": _label(entry.category, "zh"), "en": _label(entry.category, "en")},
            "audience": entry.audience,
            "promised_days": entry.promised_days,
            "legal_days": entry.legal_days,
            "title": {"zh": entry.title_zh, "en": entry.title_en},
            "summary": {"zh": entry.summary_zh, "en": entry.summary_en},
            "legal_basis": {"zh": entry.legal_basis_zh, "en": entry.legal_basis_en},
            "supervision": {"zh": entry.complaint_zh, "en": entry.complaint_en},
            "council_role": {"zh": entry.council_role_zh, "en": entry.council_role_en},
            "keywords": {"zh": keyword_phrases(entry.keywords_zh), "en": keyword_phrases(entry.keywords_en)},
        },
    }


def _label(category: str, lang: str) -> str:
    from flask_babel import force_locale

    with force_locale(lang):
        return str(CATEGORIES.get(category, category))


def service_json(entry: GuideEntry, lang: str) -> dict:
    """The fully nested HSDS service."""
    sid = entry.uid
    data = _service_basic(entry, lang)
    data["organization"] = organization_json(entry.department, lang)
    data["phones"] = [{"id": hsds_id("service-phone", entry.id), "service_id": sid, "number": entry.phone, "type": "voice"}] if entry.phone else []
    data["schedules"] = [
        {"id": hsds_id("service-schedule", entry.id), "service_id": sid, "description": localized(entry, "hours", lang).text,
         "timezone": 8, "freq": "WEEKLY", "byday": "MO,TU,WE,TH,FR", "opens_at": time(9).isoformat(), "closes_at": time(17).isoformat()}
    ] if (entry.hours_zh or entry.hours_en) else []
    data["required_documents"] = [
        {
            "id": hsds_id("required-document", f"{entry.id}:{i}"),
            "service_id": sid,
            "document": _material_text(row, lang),
            "uri": web_link(row.get("template_url")) or None,
        }
        for i, row in enumerate(entry.materials or [])
    ]
    data["cost_options"] = [
        {
            "id": hsds_id("cost-option", entry.id),
            "service_id": sid,
            "option": localized(entry, "fee", lang).text or ("不收费" if lang == "zh" else "Free"),
            "currency": "CNY",
            "amount": 0 if entry.is_free else None,
            "amount_description": localized(entry, "fee", lang).text or None,
        }
    ]
    data["languages"] = [
        {"id": hsds_id("service-language", f"{entry.id}:zh"), "service_id": sid, "name": "Chinese", "code": "zh"},
        {"id": hsds_id("service-language", f"{entry.id}:en"), "service_id": sid, "name": "English", "code": "en"},
    ]
    location_text = localized(entry, "location", lang).text
    data["service_at_locations"] = [
        {
            "id": hsds_id("service-at-location", entry.id),
            "service_id": sid,
            "location_id": hsds_id("location", entry.id),
            "description": location_text,
            "location": {
                "id": hsds_id("location", entry.id),
                "location_type": "physical",
                "name": location_text,
                "description": location_text,
                "addresses": [
                    {"id": hsds_id("address", entry.id), "location_id": hsds_id("location", entry.id), "address_1": location_text,
                     "city": "上海" if lang == "zh" else "Shanghai", "state_province": "上海" if lang == "zh" else "Shanghai",
                     "postal_code": "200120", "country": "CN", "address_type": "physical"}
                ],
            },
        }
    ] if location_text else []
    data["x_loushi"]["conditions"] = [{"zh": r.get("zh", ""), "en": r.get("en", "")} for r in entry.conditions or []]
    data["x_loushi"]["steps"] = entry.steps or []
    data["x_loushi"]["materials"] = entry.materials or []
    return data


def _material_text(row: dict, lang: str) -> str:
    name = localized_row(row, "name", lang).text
    form_zh, form_en = MATERIAL_FORM_TEXT.get(row.get("form"), ("", ""))
    copies = row.get("copies")
    if lang == "zh":
        extra = "，".join(x for x in (form_zh, f"{copies} 份" if copies else "") if x)
    else:
        extra = ", ".join(x for x in (form_en, f"{copies} {'copy' if copies == 1 else 'copies'}" if copies else "") if x)
    return f"{name}（{extra}）" if extra and lang == "zh" else (f"{name} ({extra})" if extra else name)


def _page_args() -> tuple[int, int]:
    """Not a whole number: 400; out of range: clamped (a page beyond the last is empty)."""
    page = page_arg(strict=True)
    per_page = bounded_int(request.args.get("per_page"), default=DEFAULT_PER_PAGE, minimum=1, maximum=MAX_PER_PAGE, strict=True)
    return page, per_page


def _modified_after() -> datetime | None:
    """``modified_after`` (HSDS API): an ISO 8601 date-time; a bare one is UTC, as HSDS's
    own times are.  Anything else is a 400."""
    raw = (request.args.get("modified_after") or "").strip()
    if not raw:
        return None
    raw = re.sub(r" (\d\d:?\d\d)$", r"+\1", raw)  # an unencoded "+08:00" arrives as " 08:00"
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        abort(400, description="modified_after must be an ISO 8601 date-time such as 2026-01-01T00:00:00Z")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _paginated(stmt: sa.Select, render) -> dict:
    page, per_page = _page_args()
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).unique().all()
    total_pages = max(1, math.ceil(total / per_page)) if total else 0
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": page,
        "size": len(rows),
        "first_page": page == 1,
        "last_page": page >= total_pages,
        "empty": not rows,
        "contents": [_clean(render(row)) for row in rows],
    }


def _json(payload, status: int = 200):
    response = jsonify(payload)
    response.status_code = status
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.route("/")
@limiter.limit("120 per minute")
def index():
    return _json(
        {
            "version": HSDS_VERSION,
            "profile": "https://docs.openreferral.org/en/3.0/",
            "openapi_url": url_for("openapi.document", _external=True),
            "x_loushi": {"description": EXTENSION_DOC, "languages": ["zh", "en"], "default_language": "zh"},
            "links": {
                "services": url_for("hsds.services", _external=True),
                "organizations": url_for("hsds.organizations", _external=True),
            },
        }
    )


@bp.route("/services")
@limiter.limit("120 per minute")
def services():
    lang = _lang()
    stmt = sa.select(GuideEntry).where(GuideEntry.status == "active")
    search = request.args.get("search", "")[:200]
    if search.strip():
        hits = all_matches(search)
        if hits is None:
            stmt = stmt.where(sa.false())
        else:
            stmt = stmt.join(hits, hits.c.entry_id == GuideEntry.id).order_by(hits.c.score.desc())
    organization_id = request.args.get("organization_id")
    if organization_id:
        ids = [d for d, in db.session.execute(sa.select(Department.id)) if hsds_id("organization", d) == organization_id]
        stmt = stmt.where(GuideEntry.department_id.in_(ids or [-1]))
    modified_after = _modified_after()
    if modified_after is not None:
        stmt = stmt.where(GuideEntry.updated_at > modified_after)
    stmt = stmt.order_by(GuideEntry.id)
    full = request.args.get("full", "false").lower() == "true"
    return _json(_paginated(stmt, lambda e: service_json(e, lang) if full else _service_basic(e, lang)))


@bp.route("/services/<service_id>")
@limiter.limit("120 per minute")
def service(service_id: str):
    lang = _lang()
    entry = db.session.scalar(
        sa.select(GuideEntry).where(GuideEntry.status == "active", sa.or_(GuideEntry.uid == service_id, GuideEntry.slug == service_id))
    )
    if entry is None:
        abort(404)
    return _json(_clean(service_json(entry, lang)))


@bp.route("/organizations")
@limiter.limit("120 per minute")
def organizations():
    lang = _lang()
    stmt = sa.select(Department).order_by(Department.id)
    search = request.args.get("search", "")[:200].strip()
    if search:  # a plain substring of the names, short names or code, either language
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        columns = (Department.name_zh, Department.name_en, Department.short_zh, Department.short_en, Department.code)
        stmt = stmt.where(sa.or_(*(column.ilike(pattern, escape="\\") for column in columns)))
    return _json(_paginated(stmt, lambda d: organization_json(d, lang)))


@bp.route("/organizations/<organization_id>")
@limiter.limit("120 per minute")
def organization(organization_id: str):
    lang = _lang()
    for dept in db.session.scalars(sa.select(Department)):
        if hsds_id("organization", dept.id) == organization_id or dept.code == organization_id:
            return _json(_clean(organization_json(dept, lang)))
    abort(404)
