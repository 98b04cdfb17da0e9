"""Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2/): /api/open311/v2/…

The one-stop intake seen by other systems (the 12345 hotline's CRM, an enterprise
service app, a lobby kiosk):

    GET  services.json                  every active guide entry, plus ``other``
    GET  services/<service_code>.json   the attributes a request needs (building, company…)
    GET  requests.json                  public status of requests (filters per the spec)
    POST requests.json                  file a request (needs an ``api_key``)
    GET  requests/<service_request_id>.json
    GET  tokens/<token>.json            the request filed with a POST's token
    GET  discovery.json                 the spec's service discovery document

JSON and XML: every path ends in the spec's format extension, ``.json`` or ``.xml`` (any
other format is a 400 error).  XML follows the shapes of the spec's examples
(``<services><service>…``, ``<service_definition>``, ``<service_requests><request>…``,
``<discovery>``) and is built with ``xml.etree`` from the same dictionaries as the JSON.
Errors always have the spec's shape, ``[{"code": 404, "description": "…"}]`` or
``<errors><error><code>404</code><description>…</description></error></errors>``, with
the HTTP status 400 (bad input), 403 (missing or wrong ``api_key``) or 404 (no such
thing).  ``jurisdiction_id`` is optional (we serve one jurisdiction, config
``OPEN311_JURISDICTION``); another value is a 404.  Names and descriptions are in Chinese by default, ``?lang=en`` gives English.

A service request id is the tracking number (LS-YYYY-NNNNNN).  Public read methods
never return personal data: not the company, the contact's name, phone or e-mail.
Only publicly listable requests (``intake.queries.publicly_listed``: about a guide
entry that is not sensitive, and not opted out by the requester) are read: they are
the only ones ``requests.json`` lists, and their ``description`` is the requester's own
text with phone numbers and e-mail addresses removed.  Any other request (sensitive,
"something else", opted out) is answered by ``requests/<id>.json`` exactly as an
unknown id: 404 ``service_request_id not found`` — the spec's answer for an id a client
may not read, which every client handles, and it does not even tell that the request
exists; its requester follows it on the website with the access code of the receipt.
The access code that opens a request's details on the website is never returned by
the API.

API keys: ``flask --app wsgi create-api-key NAME`` prints a new key once; only its
SHA-256 hash is stored."""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET  # nosec B405 - only builds documents, never parses one
from datetime import datetime, time, timedelta, timezone

import click
import sqlalchemy as sa
from flask import Blueprint, current_app, request, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, lazyload, selectinload
from werkzeug.exceptions import HTTPException

from ..core.mail import deliver_after_commit
from ..core.timeutil import utcnow
from ..core.workdays import SHANGHAI
from ..extensions import csrf, db, limiter
from ..guide.models import CATEGORIES, GuideEntry
from ..intake.forms import normalize_text, redact_contacts
from ..intake.models import OPEN_STAGES, REPLY_LANGS, STAGES, ApiKey, ServiceRequest
from ..intake.queries import active_entry, company_optional, is_publicly_listed, publicly_listed
from ..intake.services import api_key_valid, create_api_key, new_public_token, new_submission_key, submit_request
from ..org.models import Building
from ..org.queries import all_buildings, building_by_slug
from .forms import Open311RequestForm

bp = Blueprint("open311", __name__, url_prefix="/api/open311/v2", cli_group=None)
csrf.exempt(bp)  # clients authenticate a POST with its api_key, not a session cookie

PREFIX = "/api/open311/"
DEFAULT_JURISDICTION = "loushi.example"
OTHER = "other"  # the service code of a request that is not about a guide entry
MAX_RESULTS = 1000  # spec: "first 1000 requests returned"
WINDOW_DAYS = 90  # spec: the default window, and the widest start_date..end_date span
DUE_TIME = time(18, 0)  # a due date means "by the end of that working day", Shanghai time
FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
CHANGESET = "2026-12-07T00:00:00+08:00"  # discovery: when this API last changed
READ_LIMIT = "120 per minute"
POST_LIMIT = "30 per minute"

# Status: the spec knows only open and closed.
OPEN, CLOSED = "open", "closed"

# What the API says in the client's language (``_in``): in the catalogues, as every UI string.
OTHER_NAME = _l("Something else")
OTHER_DESCRIPTION = _l("Anything not in the service guide: the building council takes it and routes it to the department in charge.")
OTHER_GROUP = _l("Other")
COUNCIL = _l("Building council")
ATTRIBUTES = {  # code: (description, datatype_description)
    "building": (_l("Your building"), _l("Choose the building from the list; its key may also be sent as address_id.")),
    "company_name": (_l("Your company's name"), _l("2 to 120 characters. Never published.")),
    "reply_lang": (_l("Reply in"), _l("Chinese when not given.")),
}


def _in(lang: str, text) -> str:
    """A (lazy) translated string in ``lang``, whatever the request's own locale."""
    with force_locale(lang):
        return str(text)


class Open311Error(Exception):
    """An error answered in the spec's format: ``[{"code": …, "description": …}]``."""

    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status = status
        self.description = description


# --- responses and errors -----------------------------------------------------------


# XML: the element of each item of a list, named as in the spec's examples.
XML_ITEMS = {"services": "service", "service_requests": "request", "errors": "error", "attributes": "attribute",
             "values": "value", "endpoints": "endpoint", "formats": "format"}
# Characters XML 1.0 cannot carry at all (even escaped): dropped from the text.
XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(value) -> str | None:
    if value is None:
        return None  # an empty element, as the spec's examples show absent values
    if isinstance(value, bool):
        return "true" if value else "false"
    return XML_INVALID.sub("", str(value))


def _xml_fill(element: ET.Element, value) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _xml_fill(ET.SubElement(element, key), child)
    elif isinstance(value, list):
        item = XML_ITEMS.get(element.tag, "item")
        for child in value:
            _xml_fill(ET.SubElement(element, item), child)
    else:
        element.text = _xml_text(value)


def to_xml(payload, root: str) -> bytes:
    """``payload`` (what the JSON answer holds) as a GeoReport v2 XML document whose root
    element is ``root``; ElementTree escapes every text."""
    element = ET.Element(root)
    _xml_fill(element, payload)
    return ET.tostring(element, encoding="utf-8", xml_declaration=True) + b"\n"


def _format() -> str:
    """The format of this request: the route's ``<fmt>``, or (a URL that matched no
    route) the path's extension; JSON unless it is XML."""
    fmt = (request.view_args or {}).get("fmt")
    if fmt is None:
        fmt = request.path.rsplit(".", 1)[-1] if "." in request.path.rsplit("/", 1)[-1] else "json"
    return "xml" if fmt == "xml" else "json"


def _json(payload, status: int = 200, cache: int | None = None, lang: str | None = None, root: str = "service_requests"):
    """UTF-8 JSON (spec: ``application/json; charset=utf-8``), readable Chinese; or, for a
    ``.xml`` path, the same payload as XML under ``root``."""
    fmt = _format()
    if fmt == "xml":
        body = to_xml(payload, root)
    else:
        body = current_app.json.dumps(payload, ensure_ascii=False) + "\n"
    response = current_app.response_class(body, status=status, content_type=FORMATS[fmt])
    response.headers["Cache-Control"] = f"public, max-age={cache}" if cache else "no-store"
    response.headers["Access-Control-Allow-Origin"] = "*"
    if lang:
        response.headers["Content-Language"] = "zh-Hans" if lang == "zh" else "en"
    return response


def error_response(status: int, description: str, headers=None):
    response = _json([{"code": status, "description": description}], status=status, root="errors")
    for name, value in headers or ():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


HTTP_DESCRIPTIONS = {
    400: "Bad request.",
    403: "Forbidden.",
    404: "Not found: see /api/open311/v2/services.json and /api/openapi.json for the available resources.",
    405: "Method not allowed for this resource.",
    413: "The request is too large.",
    429: "Too many requests: slow down and try again in a minute.",
}


def _http_error(error: HTTPException):
    """Werkzeug's errors (routing, method, size, rate limit) in the spec's format."""
    code = error.code or 400
    if code >= 500:
        return _unexpected(error)
    headers = [(k, v) for k, v in error.get_headers() if k.lower() == "allow"]
    if code == 429:
        headers.append(("Retry-After", "60"))
    description = getattr(error, "api_description", None) or HTTP_DESCRIPTIONS.get(code, error.description or "Bad request.")
    return error_response(code, description, headers)


@bp.errorhandler(Open311Error)
def _open311_error(error: Open311Error):
    return error_response(error.status, error.description)


@bp.errorhandler(HTTPException)
def _bp_http_error(error: HTTPException):
    return _http_error(error)


@bp.errorhandler(Exception)
def _unexpected(error: Exception):
    """A failure on our side: logged with an incident id by the app's handler (which also
    rolls the session back).  The spec answers it as a "general service error" with
    HTTP 400, which the client should report to us with the incident id."""
    from ..core.errors import handle_http_error, handle_unexpected

    response = handle_http_error(error) if isinstance(error, HTTPException) else handle_unexpected(error)
    incident = (response.get_json(silent=True) or {}).get("incident", "")
    return error_response(400, f"General service error (incident {incident}); please try again later or tell us the incident id.")


def _routing_error(error: HTTPException):
    """404/405 raised while matching the URL happen before a blueprint is known: these
    app-wide handlers answer the ones under /api/open311/ and pass the rest on."""
    if request.path.startswith(PREFIX):
        return _http_error(error)
    from ..core.errors import handle_http_error

    return handle_http_error(error)


bp.app_errorhandler(404)(_routing_error)
bp.app_errorhandler(405)(_routing_error)


# --- arguments ------------------------------------------------------------------------


def _lang() -> str:
    lang = request.values.get("lang", "zh")
    return lang if lang in ("zh", "en") else "zh"


def _check(fmt: str) -> None:
    """The format suffix and the optional jurisdiction_id of every method."""
    if fmt not in FORMATS:
        raise Open311Error(400, f"format not supported: {fmt[:20]!r}; this server answers .json and .xml")
    jurisdiction = (request.values.get("jurisdiction_id") or "").strip()
    if jurisdiction and jurisdiction != current_app.config.get("OPEN311_JURISDICTION", DEFAULT_JURISDICTION):
        raise Open311Error(404, f"jurisdiction_id not found: {jurisdiction[:100]!r}")


def _csv(name: str) -> list[str]:
    """A comma separated argument, also accepted repeated (``status=open&status=closed``)."""
    return [part.strip() for value in request.args.getlist(name) for part in value.split(",") if part.strip()]


def _parse_datetime(name: str) -> datetime | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    # An unencoded "+08:00" in a query string arrives as " 08:00".
    raw = re.sub(r" (\d\d:?\d\d)$", r"+\1", raw)
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise Open311Error(400, f"{name} must be an ISO 8601 date-time such as 2026-01-01T00:00:00+08:00") from None
    if moment.tzinfo is None:  # the spec requires an offset; we read a bare time as Shanghai's
        moment = moment.replace(tzinfo=SHANGHAI)
    return moment.astimezone(timezone.utc)


def _window() -> tuple[datetime, datetime]:
    start, end = _parse_datetime("start_date"), _parse_datetime("end_date")
    span = timedelta(days=WINDOW_DAYS)
    if start is None and end is None:
        end = utcnow()
    if start is None:
        start = end - span
    if end is None:
        end = start + span
    if end < start:
        raise Open311Error(400, "end_date is before start_date")
    if end - start > span:
        raise Open311Error(400, f"start_date and end_date may not span more than {WINDOW_DAYS} days")
    return start, end


# --- rendering --------------------------------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    """ISO 8601 with the Shanghai offset (+08:00), as the spec's w3 format asks."""
    if moment is None:
        return None
    if moment.tzinfo is None:  # SQLite gives back naive UTC
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds")


def _category(category: str, lang: str) -> str:
    with force_locale(lang):
        return str(CATEGORIES.get(category, category))


def service_json(entry: GuideEntry | None, lang: str) -> dict:
    if entry is None:
        name, description, group = _in(lang, OTHER_NAME), _in(lang, OTHER_DESCRIPTION), _in(lang, OTHER_GROUP)
        code = OTHER
    else:
        name, description, group = entry.loc("title", lang).text, entry.loc("summary", lang).text, _category(entry.category, lang)
        code = entry.slug
    return {
        "service_code": code,
        "service_name": name,
        "description": description,
        "metadata": True,  # every service needs the building and the company (service definition)
        "type": "realtime",  # the tracking number is returned at once
        "keywords": "",
        "group": group,
    }


def _status(req: ServiceRequest) -> str:
    return OPEN if req.stage in OPEN_STAGES else CLOSED


def _agency(req: ServiceRequest, lang: str, withheld: bool = False) -> str:
    """The lead department, or the building's council while no department has it (or
    when the department is withheld: it would tell what a private request is about)."""
    if req.department is not None and not withheld:
        return req.department.loc("name", lang).text
    council = req.building.council if req.building is not None else None
    if council is not None and council.loc("name", lang).text:
        return council.loc("name", lang).text
    return _in(lang, COUNCIL)


def _address(building: Building, lang: str) -> str:
    name, address = building.loc("name", lang).text, building.loc("address", lang).text
    if not address:
        return name
    return f"{name}（{address}）" if lang == "zh" else f"{name}, {address}"


def _expected(req: ServiceRequest) -> str | None:
    if req.due_on is None:
        return None
    return datetime.combine(req.due_on, DUE_TIME, tzinfo=SHANGHAI).isoformat(timespec="seconds")


def request_json(req: ServiceRequest, lang: str) -> dict:
    """One request for the public.  ``description`` is what the requester wrote (phone
    numbers and e-mail addresses removed) only when the request is publicly listable;
    otherwise it is empty and the service and department are withheld too (the read
    methods answer only listable requests; this holds whoever calls it)."""
    listed = is_publicly_listed(req)
    with force_locale(lang):
        stage = str(STAGES.get(req.stage, req.stage))
    notes = stage
    if req.duplicate_of is not None:
        notes = _in(lang, _l("%(stage)s; merged into %(other)s", stage=stage, other=req.duplicate_of.tracking_no))
    service = service_json(req.entry, lang) if listed else {"service_name": "", "service_code": ""}
    closed = _status(req) == CLOSED
    updated = (req.closed_at or req.resolved_at or req.updated_at) if closed else req.updated_at
    return {
        "service_request_id": req.tracking_no,
        "status": _status(req),
        "status_notes": notes,
        "service_name": service["service_name"],
        "service_code": service["service_code"],
        "description": redact_contacts(req.description) if listed else "",
        "agency_responsible": _agency(req, lang, withheld=not listed),
        "service_notice": "",
        "requested_datetime": _iso(req.created_at),
        "updated_datetime": _iso(updated or req.created_at),
        "expected_datetime": _expected(req),
        "address": _address(req.building, lang),
        "address_id": req.building.slug,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }


def _requests_query() -> sa.Select:
    """Requests with everything ``request_json`` reads, in a fixed number of queries."""
    return sa.select(ServiceRequest).options(
        joinedload(ServiceRequest.building).selectinload(Building.council),
        selectinload(ServiceRequest.duplicate_of),
        lazyload(ServiceRequest.assignee),
        lazyload(ServiceRequest.cohandlers),
    )


# --- services -----------------------------------------------------------------------


@bp.route("/services.<fmt>")
@limiter.limit(READ_LIMIT)
def services(fmt: str):
    _check(fmt)
    lang = _lang()
    entries = db.session.scalars(
        sa.select(GuideEntry).where(GuideEntry.status == "active").order_by(GuideEntry.category, GuideEntry.slug)
    ).all()
    return _json([service_json(e, lang) for e in entries] + [service_json(None, lang)], cache=300, lang=lang, root="services")


def _attribute(order: int, code: str, datatype: str, required: bool, lang: str, values=None) -> dict:
    attribute = {
        "variable": True,
        "code": code,
        "datatype": datatype,
        "required": required,
        "datatype_description": _in(lang, ATTRIBUTES[code][1]),
        "order": order,
        "description": _in(lang, ATTRIBUTES[code][0]),
    }
    if values is not None:
        attribute["values"] = [{"key": key, "name": name} for key, name in values]
    return attribute


@bp.route("/services/<service_code>.<fmt>")
@limiter.limit(READ_LIMIT)
def service_definition(service_code: str, fmt: str):
    _check(fmt)
    lang = _lang()
    entry = None if service_code == OTHER else db.session.scalar(active_entry(service_code))
    if service_code != OTHER and entry is None:
        raise Open311Error(404, f"service_code not found: {service_code[:80]!r}")
    building_values = [(b.slug, b.loc("name", lang).text) for b in db.session.scalars(all_buildings())]
    return _json(
        {
            "service_code": service_code,
            "attributes": [
                _attribute(1, "building", "singlevaluelist", True, lang, building_values),
                _attribute(2, "company_name", "string", not company_optional(entry), lang),
                _attribute(3, "reply_lang", "singlevaluelist", False, lang, list(REPLY_LANGS.items())),
            ],
        },
        cache=300,
        lang=lang,
        root="service_definition",
    )


# --- reading requests -----------------------------------------------------------------


@bp.route("/requests.<fmt>", methods=["GET"])
@limiter.limit(READ_LIMIT)
def list_requests(fmt: str):
    _check(fmt)
    lang = _lang()
    stmt = _requests_query().where(publicly_listed())  # never a sensitive or opted-out request
    ids = _csv("service_request_id")
    if ids:  # spec: "This overrides all other arguments."
        stmt = stmt.where(ServiceRequest.tracking_no.in_(ids[:MAX_RESULTS]))
    else:
        start, end = _window()
        stmt = stmt.where(ServiceRequest.created_at >= start, ServiceRequest.created_at <= end)
        codes = _csv("service_code")
        if codes:
            slugs = [c for c in codes if c != OTHER]
            conditions = [ServiceRequest.entry_id.in_(sa.select(GuideEntry.id).where(GuideEntry.slug.in_(slugs)))] if slugs else []
            if OTHER in codes:
                conditions.append(ServiceRequest.entry_id.is_(None))
            stmt = stmt.where(sa.or_(*conditions))
        statuses = set(_csv("status"))
        if statuses - {OPEN, CLOSED}:
            raise Open311Error(400, "status must be open or closed (comma separated for both)")
        if statuses == {OPEN}:
            stmt = stmt.where(ServiceRequest.stage.in_(OPEN_STAGES))
        elif statuses == {CLOSED}:
            stmt = stmt.where(ServiceRequest.stage.not_in(OPEN_STAGES))
    stmt = stmt.order_by(ServiceRequest.created_at.desc(), ServiceRequest.id.desc()).limit(MAX_RESULTS)
    rows = db.session.scalars(stmt).unique().all()
    return _json([request_json(r, lang) for r in rows], cache=60, lang=lang)


@bp.route("/requests/<service_request_id>.<fmt>")
@limiter.limit(READ_LIMIT)
def get_request(service_request_id: str, fmt: str):
    _check(fmt)
    lang = _lang()
    # A request that may not be listed is not found, as an unknown id (see the module docstring).
    req = db.session.scalar(_requests_query().where(ServiceRequest.tracking_no == service_request_id, publicly_listed()))
    if req is None:
        raise Open311Error(404, f"service_request_id not found: {service_request_id[:40]!r}")
    return _json([request_json(req, lang)], cache=60, lang=lang)


@bp.route("/tokens/<token>.<fmt>")
@limiter.limit(READ_LIMIT)
def token_lookup(token: str, fmt: str):
    _check(fmt)
    tracking_no = db.session.scalar(
        sa.select(ServiceRequest.tracking_no).where(ServiceRequest.public_token == token[:64], ServiceRequest.source == "open311")
    )
    if tracking_no is None:
        raise Open311Error(404, "token not found")
    return _json([{"service_request_id": tracking_no, "token": token}])


def discovery_json() -> dict:
    """The spec's service discovery document (one production endpoint, both formats)."""
    return {
        "changeset": CHANGESET,
        "contact": "楼事通 Loushi: the OpenAPI document of this API is at " + url_for("openapi.document", _external=True),
        "key_service": "API keys are issued by the site's administrators (flask --app wsgi create-api-key NAME).",
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": url_for("open311.services", fmt="json", _external=True).rsplit("/", 1)[0],
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


@bp.route("/discovery.<fmt>")
@limiter.limit(READ_LIMIT)
def discovery(fmt: str):
    _check(fmt)
    return _json(discovery_json(), cache=3600, root="discovery")


# --- filing a request -------------------------------------------------------------------


def _address_key(text: str) -> str:
    """What is compared when matching an address_string: full-width forms folded (NFKC),
    case folded, white space and punctuation dropped, so "上海中心大厦（陆家嘴环路501号）",
    "Shanghai Tower, 501 Yincheng Middle Road" and "shanghai tower" find their building."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")


def building_from_address(address_string: str) -> Building:
    """The one building that ``address_string`` names: its name or street address (zh or
    en, or both as ``address`` shows them) exactly; failing that, a string holding its
    name ("上海中心大厦 52 楼") or the end of its street address ("银城中路501号" for
    "浦东新区银城中路 501 号").  An Open311 400 when no building or several match."""
    wanted = _address_key(address_string)
    exact, near = {}, {}
    for building in db.session.scalars(all_buildings()):
        names = {_address_key(n or "") for n in (building.name_zh, building.name_en)} - {""}
        addresses = {_address_key(a or "") for a in (building.address_zh, building.address_en)} - {""}
        shown = {_address_key(_address(building, lang)) for lang in ("zh", "en")}
        if wanted in names | addresses | shown:
            exact[building.id] = building
        elif any(len(name) >= 2 and name in wanted for name in names) or (
            len(wanted) >= 4 and any(address.endswith(wanted) for address in addresses)
        ):
            near[building.id] = building
    found = exact or near
    if not wanted or not found:
        raise Open311Error(400, f"address_string is not a known building: {address_string[:80]!r}; see the service definition for the buildings")
    if len(found) > 1:
        raise Open311Error(400, f"address_string matches several buildings: {address_string[:80]!r}; send address_id instead")
    return next(iter(found.values()))

def _post_limit() -> str:
    return current_app.config.get("OPEN311_POST_LIMIT", POST_LIMIT)


def _created(req, lang: str, fmt: str):
    """201 with the new request's number, the service notice in its language and its token."""
    notice = _in(lang, _l("Received. %(agency)s leads on it and promises an answer by %(due)s.",
                          agency=_agency(req, lang), due=req.due_on.isoformat() if req.due_on else "—"))
    response = _json(
        [{"service_request_id": req.tracking_no, "service_notice": notice, "account_id": None, "token": req.public_token}],
        status=201,
        lang=lang,
    )
    response.headers["Location"] = url_for("open311.get_request", service_request_id=req.tracking_no, fmt=fmt, _external=True)
    return response


def _building_of(form):
    """The building a POST names.  Our "addresses" are the buildings, identified by their
    slug (address_id or attribute[building]), or named (address_string) by their name or
    street address in either language; lat/long are not supported."""
    address_id = (form.get("address_id") or "").strip()
    building_attr = (form.get("attribute[building]") or "").strip()
    if address_id and building_attr and address_id != building_attr:
        raise Open311Error(400, "address_id and attribute[building] name different buildings")
    slug = address_id or building_attr
    address_string = normalize_text(form.get("address_string"))
    if slug:
        building = db.session.scalar(building_by_slug(slug))
        if building is None:
            raise Open311Error(400, f"address_id is not a known building: {slug[:80]!r}")
    elif address_string:
        building = building_from_address(address_string)
    else:
        raise Open311Error(
            400, "location not provided: send the building's key (see the service definition) as address_id or attribute[building], "
            "or its name or street address as address_string; lat/long are not supported"
        )
    return building


@bp.route("/requests.<fmt>", methods=["POST"])
@limiter.limit(_post_limit)
def create_request(fmt: str):
    _check(fmt)
    form = request.form
    if api_key_valid(form.get("api_key")) is None:
        raise Open311Error(403, "api_key is missing or invalid -- can't proceed with create_request")

    service_code = (form.get("service_code") or "").strip()
    if not service_code:
        raise Open311Error(400, "service_code was not provided")
    entry = None
    if service_code != OTHER:
        entry = db.session.scalar(active_entry(service_code))
        if entry is None:
            raise Open311Error(404, f"service_code not found: {service_code[:80]!r}")

    building = _building_of(form)

    checked = Open311RequestForm.from_post(form, service_code, company_optional(entry))
    if not checked.validate():
        return _json([{"code": 400, "description": text} for text in checked.api_errors()], status=400, root="errors")
    reply_lang = checked.reply_lang.data

    filed = submit_request(
        {
            "entry": entry, "building": building, "company_name": checked.company_name.data,
            "contact_name": checked.contact_name.data, "phone": checked.phone.data, "email": checked.email.data,
            "description": checked.description.data, "reply_lang": reply_lang,
        },
        [],
        new_submission_key(),  # the filing's own key, never given out: the token is a separate random value
        source="open311",
        public_token=new_public_token(),
    )
    deliver_after_commit()
    return _created(filed.request, reply_lang, fmt)


# --- command line -------------------------------------------------------------------


@bp.cli.command("create-api-key")
@click.argument("name")
def create_api_key_command(name: str) -> None:
    """Create an Open311 API key for the client NAME and print it once."""
    name = name.strip()
    ctx = click.get_current_context()
    if not name or len(name) > 80:
        click.echo("The name must be 1 to 80 characters.", err=True)
        ctx.exit(1)
    taken = f"An API key named {name!r} already exists; choose another name (the existing key cannot be shown again)."
    if db.session.scalar(sa.select(ApiKey.id).where(ApiKey.name == name)) is not None:
        click.echo(taken, err=True)
        ctx.exit(1)
    key = create_api_key(name)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        click.echo(taken, err=True)
        ctx.exit(1)
    click.echo(f"Open311 API key for {name}: {key}")
    click.echo("Copy it now: only its SHA-256 hash is stored, so it cannot be shown again.")


# The OpenAPI document (/api/openapi.json) lives on its own blueprint.
from .openapi import openapi_bp  # noqa: E402,F401

blueprints = (bp, openapi_bp)
