"""The OpenAPI 3.1 document of the JSON API: /api/openapi.json

It describes Open311 GeoReport v2 (``open311.py``) and the HSDS 3.0 guide export
(``hsds.py``).  Written by hand next to the code it describes; the test suite checks
that every route of both blueprints is in it and that it validates against the
OpenAPI 3.1 schema."""

from __future__ import annotations

from flask import Blueprint, current_app, request

from ..extensions import limiter

openapi_bp = Blueprint("openapi", __name__, url_prefix="/api")

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"
O311 = "/api/open311/v2"
HSDS = "/api/hsds"


def _ref(kind: str, name: str) -> dict:
    return {"$ref": f"#/components/{kind}/{name}"}


def _json_content(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def _ok(description: str, schema: dict) -> dict:
    return {"description": description, "content": _json_content(schema)}


def _query(name: str, description: str, schema: dict | None = None) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema or {"type": "string"}}


def _path(name: str, description: str) -> dict:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": {"type": "string"}}


def _errors(*codes: int) -> dict:
    names = {400: "BadRequest", 403: "Forbidden", 404: "NotFound", 429: "TooManyRequests"}
    return {str(code): _ref("responses", names[code]) for code in codes}


DATE_TIME = {"type": "string", "format": "date-time"}
NULLABLE_STRING = {"type": ["string", "null"]}

SCHEMAS = {
    "Error": {
        "type": "object",
        "description": "One GeoReport v2 error.",
        "required": ["code", "description"],
        "properties": {
            "code": {"type": "integer", "description": "Matches the HTTP status: 400 bad input, 403 api_key, 404 not found, 429 rate limit."},
            "description": {"type": "string", "description": "What went wrong (English)."},
        },
    },
    "Errors": {"type": "array", "items": _ref("schemas", "Error"), "minItems": 1},
    "Service": {
        "type": "object",
        "required": ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"],
        "additionalProperties": False,
        "properties": {
            "service_code": {"type": "string", "description": "The guide entry's slug, or `other`."},
            "service_name": {"type": "string"},
            "description": {"type": "string", "description": "The guide entry's summary."},
            "metadata": {"type": "boolean", "const": True, "description": "Always true: fetch the service definition."},
            "type": {"type": "string", "const": "realtime"},
            "keywords": {"type": "string"},
            "group": {"type": "string", "description": "The guide category."},
        },
    },
    "AttributeValue": {
        "type": "object",
        "required": ["key", "name"],
        "properties": {"key": {"type": "string"}, "name": {"type": "string"}},
    },
    "Attribute": {
        "type": "object",
        "required": ["variable", "code", "datatype", "required", "datatype_description", "order", "description"],
        "properties": {
            "variable": {"type": "boolean"},
            "code": {"type": "string", "enum": ["building", "company_name", "reply_lang"]},
            "datatype": {"type": "string", "enum": ["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]},
            "required": {"type": "boolean"},
            "datatype_description": NULLABLE_STRING,
            "order": {"type": "integer", "minimum": 1},
            "description": {"type": "string"},
            "values": {"type": "array", "items": _ref("schemas", "AttributeValue"), "description": "Only for list datatypes."},
        },
    },
    "ServiceDefinition": {
        "type": "object",
        "required": ["service_code", "attributes"],
        "properties": {
            "service_code": {"type": "string"},
            "attributes": {"type": "array", "items": _ref("schemas", "Attribute")},
        },
    },
    "ServiceRequest": {
        "type": "object",
        "description": (
            "A request as the public sees it. No personal data: `description` repeats the service name "
            "instead of the requester's text; `lat`, `long`, `zipcode` and `media_url` are always null."
        ),
        "required": [
            "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
            "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
            "address", "address_id", "zipcode", "lat", "long", "media_url",
        ],
        "additionalProperties": False,
        "properties": {
            "service_request_id": {"type": "string", "pattern": r"^LS-\d{4}-\d{6}$", "description": "The tracking number."},
            "status": {"type": "string", "enum": ["open", "closed"], "description": "open: received, under discussion, in progress; closed: resolved, closed."},
            "status_notes": {"type": "string", "description": "The stage, and the request it was merged into for a duplicate."},
            "service_name": {"type": "string"},
            "service_code": {"type": "string"},
            "description": {"type": "string", "description": "The service name (the requester's text is not public)."},
            "agency_responsible": {"type": "string", "description": "The lead department, or the building council."},
            "service_notice": {"type": "string"},
            "requested_datetime": DATE_TIME,
            "updated_datetime": DATE_TIME,
            "expected_datetime": {"type": ["string", "null"], "format": "date-time", "description": "The promised answer date, 18:00 Shanghai time."},
            "address": {"type": "string", "description": "The building's name and address."},
            "address_id": {"type": "string", "description": "The building's key."},
            "zipcode": {"type": "null"},
            "lat": {"type": "null"},
            "long": {"type": "null"},
            "media_url": {"type": "null"},
        },
    },
    "ServiceRequestCreated": {
        "type": "object",
        "required": ["service_request_id", "service_notice", "account_id", "token"],
        "properties": {
            "service_request_id": {"type": "string", "pattern": r"^LS-\d{4}-\d{6}$"},
            "service_notice": {"type": "string", "description": "Who handles it and the promised answer date, in the reply language."},
            "account_id": {"type": "null"},
            "token": {"type": "string", "description": "Also returned (the id is assigned at once); see GET /tokens/{token}.json."},
        },
    },
    "Discovery": {
        "type": "object",
        "description": "GeoReport v2 service discovery.",
        "required": ["changeset", "contact", "key_service", "endpoints"],
        "properties": {
            "changeset": DATE_TIME,
            "contact": {"type": "string"},
            "key_service": {"type": "string"},
            "endpoints": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["specification", "url", "changeset", "type", "formats"],
                    "properties": {
                        "specification": {"type": "string", "format": "uri"},
                        "url": {"type": "string", "format": "uri"},
                        "changeset": DATE_TIME,
                        "type": {"type": "string", "enum": ["production", "test"]},
                        "formats": {"type": "array", "items": {"type": "string"}},
                    },
                },
            },
        },
    },
    "TokenResult": {
        "type": "object",
        "required": ["service_request_id", "token"],
        "properties": {"service_request_id": {"type": "string"}, "token": {"type": "string"}},
    },
    "CreateServiceRequest": {
        "type": "object",
        "description": (
            "Form fields of POST requests.json (GeoReport v2). Send the building as `address_id` or `attribute[building]`, "
            "or name it in `address_string`."
        ),
        "required": ["api_key", "service_code", "description", "attribute[company_name]"],
        "properties": {
            "api_key": {"type": "string", "description": "The client's key (`flask create-api-key NAME`)."},
            "jurisdiction_id": {"type": "string"},
            "service_code": {"type": "string"},
            "address_id": {"type": "string", "description": "The building's key from the service definition."},
            "attribute[building]": {"type": "string", "description": "Same as address_id."},
            "attribute[company_name]": {"type": "string", "minLength": 2, "maxLength": 120},
            "attribute[reply_lang]": {"type": "string", "enum": ["zh", "en"], "default": "zh"},
            "description": {"type": "string", "minLength": 10, "maxLength": 2000},
            "first_name": {"type": "string"},
            "last_name": {"type": "string"},
            "phone": {"type": "string", "description": "A Chinese mobile or a landline with its area code. phone or email is required."},
            "email": {"type": "string", "format": "email"},
            "lat": {"type": "string", "description": "Not supported: use address_id."},
            "long": {"type": "string", "description": "Not supported: use address_id."},
            "address_string": {
                "type": "string",
                "description": (
                    "The building's name or street address, in Chinese or English (as `address` shows it, or a part that names "
                    "one building). Used when address_id is not given; no building or several → 400."
                ),
            },
            "media_url": {"type": "string", "description": "Ignored."},
            "device_id": {"type": "string", "description": "Ignored."},
            "account_id": {"type": "string", "description": "Ignored."},
        },
    },
    "HSDSIndex": {
        "type": "object",
        "required": ["version", "profile", "links"],
        "properties": {
            "version": {"type": "string", "const": "3.0"},
            "profile": {"type": "string", "format": "uri"},
            "openapi_url": NULLABLE_STRING,
            "x_loushi": {"type": "object"},
            "links": {"type": "object", "additionalProperties": {"type": "string", "format": "uri"}},
        },
    },
    "HSDSService": {
        "type": "object",
        "description": "An HSDS 3.0 service (https://docs.openreferral.org/en/3.0/) with the local extension `x_loushi`.",
        "required": ["id", "name", "status"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "organization_id": {"type": "string", "format": "uuid"},
            "name": {"type": "string"},
            "description": {"type": "string"},
            "status": {"type": "string", "enum": ["active", "inactive", "defunct", "temporarily closed"]},
            "x_loushi": {"type": "object"},
        },
    },
    "HSDSOrganization": {
        "type": "object",
        "description": "An HSDS 3.0 organization (a department).",
        "required": ["id", "name", "description"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "name": {"type": "string"},
            "description": {"type": "string"},
            "x_loushi": {"type": "object"},
        },
    },
    "HSDSPage": {
        "type": "object",
        "description": "An HSDS 3.0 page of results.",
        "required": ["total_items", "total_pages", "page_number", "size", "first_page", "last_page", "empty", "contents"],
        "properties": {
            "total_items": {"type": "integer"},
            "total_pages": {"type": "integer"},
            "page_number": {"type": "integer"},
            "size": {"type": "integer"},
            "first_page": {"type": "boolean"},
            "last_page": {"type": "boolean"},
            "empty": {"type": "boolean"},
            "contents": {"type": "array", "items": {"type": "object"}},
        },
    },
}

PARAMETERS = {
    "jurisdiction_id": _query("jurisdiction_id", "Optional: this server serves one jurisdiction; another value is a 404."),
    "lang": _query("lang", "Language of names and descriptions.", {"type": "string", "enum": ["zh", "en"], "default": "zh"}),
    "page": _query("page", "Page number, from 1 (beyond 10000 reads as 10000: an empty page).", {"type": "integer", "minimum": 1, "default": 1}),
    "per_page": _query("per_page", "Items per page.", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}),
}

RESPONSES = {
    "BadRequest": _ok("Bad input, or a format other than .json and .xml.", _ref("schemas", "Errors")),
    "Forbidden": _ok("Missing or invalid api_key.", _ref("schemas", "Errors")),
    "NotFound": _ok("No such resource, service_code, request, token or jurisdiction_id.", _ref("schemas", "Errors")),
    "TooManyRequests": _ok("Rate limit reached; retry after a minute.", _ref("schemas", "Errors")),
}


# GeoReport v2 XML: the root element of each answer (and of its list items).
XML_ROOTS = {
    "open311ListServices": ("services", "service"),
    "open311ServiceDefinition": ("service_definition", None),
    "open311ListRequests": ("service_requests", "request"),
    "open311CreateRequest": ("service_requests", "request"),
    "open311GetRequest": ("service_requests", "request"),
    "open311Token": ("service_requests", "request"),
    "open311Discovery": ("discovery", None),
}


def _as_xml(operation: dict) -> dict:
    """The ``.xml`` twin of a ``.json`` operation: the same parameters; every answer is
    GeoReport v2 XML (``text/xml``) with the shape the ``xml`` objects name."""
    root, item = XML_ROOTS[operation["operationId"]]
    twin = dict(operation, operationId=operation["operationId"] + "Xml", summary=operation["summary"] + " (XML)")
    responses = {}
    for status, response in operation["responses"].items():
        if "$ref" in response:
            response = {"description": RESPONSES[response["$ref"].rsplit("/", 1)[1]]["description"],
                        "content": {"application/json": {"schema": _ref("schemas", "Errors")}}}
        schema = response["content"]["application/json"]["schema"]
        if status.startswith("2"):
            xml_schema = dict(schema, xml={"name": root, **({"wrapped": True} if item else {})})
            if item:
                xml_schema["items"] = dict(schema["items"], xml={"name": item})
        else:
            xml_schema = {"type": "array", "xml": {"name": "errors", "wrapped": True}, "items": {**_ref("schemas", "Error"), "xml": {"name": "error"}}}
        responses[status] = {"description": response["description"], "content": {"text/xml": {"schema": xml_schema}}}
    twin["responses"] = responses
    return twin


def _with_xml(paths: dict) -> dict:
    both = dict(paths)
    for path, operations in paths.items():
        both[path.removesuffix(".json") + ".xml"] = {method: _as_xml(op) for method, op in operations.items()}
    return both


def _open311_paths() -> dict:
    return _with_xml(_open311_json_paths())


def _open311_json_paths() -> dict:
    common = [_ref("parameters", "jurisdiction_id"), _ref("parameters", "lang")]
    tags = ["Open311 GeoReport v2"]
    return {
        f"{O311}/services.json": {
            "get": {
                "tags": tags, "operationId": "open311ListServices", "summary": "Services: every active guide entry, and `other`",
                "parameters": common,
                "responses": {"200": _ok("The services.", {"type": "array", "items": _ref("schemas", "Service")}), **_errors(400, 404, 429)},
            }
        },
        f"{O311}/services/{{service_code}}.json": {
            "get": {
                "tags": tags, "operationId": "open311ServiceDefinition", "summary": "The attributes a request for this service needs",
                "parameters": [_path("service_code", "A service_code from services.json."), *common],
                "responses": {"200": _ok("The service definition.", _ref("schemas", "ServiceDefinition")), **_errors(400, 404, 429)},
            }
        },
        f"{O311}/requests.json": {
            "get": {
                "tags": tags, "operationId": "open311ListRequests",
                "summary": "Public status of requests, newest first (at most 1000)",
                "parameters": [
                    _query("service_request_id", "Tracking numbers, comma separated. Overrides all other filters."),
                    _query("service_code", "Service codes, comma separated."),
                    _query("start_date", "Earliest requested_datetime (ISO 8601). Default: 90 days before end_date or now.", DATE_TIME),
                    _query("end_date", "Latest requested_datetime (ISO 8601); at most 90 days after start_date.", DATE_TIME),
                    _query("status", "open, closed, or both comma separated.", {"type": "string", "pattern": "^(open|closed)(,(open|closed))*$"}),
                    *common,
                ],
                "responses": {"200": _ok("The requests.", {"type": "array", "maxItems": 1000, "items": _ref("schemas", "ServiceRequest")}), **_errors(400, 404, 429)},
            },
            "post": {
                "tags": tags, "operationId": "open311CreateRequest", "summary": "File a request (needs an api_key)",
                "parameters": [_ref("parameters", "lang")],
                "requestBody": {
                    "required": True,
                    "content": {"application/x-www-form-urlencoded": {"schema": _ref("schemas", "CreateServiceRequest")}},
                },
                "responses": {
                    "201": _ok("Filed.", {"type": "array", "minItems": 1, "maxItems": 1, "items": _ref("schemas", "ServiceRequestCreated")}),
                    **_errors(400, 403, 404, 429),
                },
            },
        },
        f"{O311}/requests/{{service_request_id}}.json": {
            "get": {
                "tags": tags, "operationId": "open311GetRequest", "summary": "One request, as a one-element list",
                "parameters": [_path("service_request_id", "The tracking number (LS-YYYY-NNNNNN)."), *common],
                "responses": {"200": _ok("The request.", {"type": "array", "minItems": 1, "maxItems": 1, "items": _ref("schemas", "ServiceRequest")}), **_errors(400, 404, 429)},
            }
        },
        f"{O311}/discovery.json": {
            "get": {
                "tags": tags, "operationId": "open311Discovery", "summary": "Service discovery: the endpoint and its formats",
                "responses": {"200": _ok("The discovery document.", _ref("schemas", "Discovery")), **_errors(400, 429)},
            }
        },
        f"{O311}/tokens/{{token}}.json": {
            "get": {
                "tags": tags, "operationId": "open311Token", "summary": "The request filed with a POST's token",
                "parameters": [_path("token", "The token of POST requests.json."), _ref("parameters", "jurisdiction_id")],
                "responses": {"200": _ok("The request id.", {"type": "array", "minItems": 1, "maxItems": 1, "items": _ref("schemas", "TokenResult")}), **_errors(400, 404, 429)},
            }
        },
    }


def _hsds_paths() -> dict:
    tags = ["HSDS 3.0"]
    lang = _ref("parameters", "lang")
    not_found = {"404": {"description": "Not found."}}
    return {
        f"{HSDS}/": {
            "get": {
                "tags": tags, "operationId": "hsdsIndex", "summary": "HSDS version, profile and links",
                "responses": {"200": _ok("The index.", _ref("schemas", "HSDSIndex"))},
            }
        },
        f"{HSDS}/services": {
            "get": {
                "tags": tags, "operationId": "hsdsListServices", "summary": "Active guide entries as HSDS services",
                "parameters": [
                    _query("search", "Full-text search (Chinese and English)."),
                    _query("organization_id", "Only this organization's services."),
                    _query("modified_after", "Only services whose last_modified is later (ISO 8601 date-time; no offset = UTC). Invalid → 400.", DATE_TIME),
                    _query("full", "true: every service fully nested.", {"type": "string", "enum": ["true", "false"], "default": "false"}),
                    _ref("parameters", "page"), _ref("parameters", "per_page"), lang,
                ],
                "responses": {"200": _ok("A page of services.", _ref("schemas", "HSDSPage")), "400": {"description": "Bad page, per_page or modified_after."}},
            }
        },
        f"{HSDS}/services/{{service_id}}": {
            "get": {
                "tags": tags, "operationId": "hsdsGetService", "summary": "One service, fully nested",
                "parameters": [_path("service_id", "The service's id (UUID) or the guide entry's slug."), lang],
                "responses": {"200": _ok("The service.", _ref("schemas", "HSDSService")), **not_found},
            }
        },
        f"{HSDS}/organizations": {
            "get": {
                "tags": tags, "operationId": "hsdsListOrganizations", "summary": "The departments as HSDS organizations",
                "parameters": [
                    _query("search", "Only organizations whose name, short name or code (Chinese or English) contains this text."),
                    _ref("parameters", "page"), _ref("parameters", "per_page"), lang,
                ],
                "responses": {"200": _ok("A page of organizations.", _ref("schemas", "HSDSPage")), "400": {"description": "Bad page or per_page."}},
            }
        },
        f"{HSDS}/organizations/{{organization_id}}": {
            "get": {
                "tags": tags, "operationId": "hsdsGetOrganization", "summary": "One organization",
                "parameters": [_path("organization_id", "The organization's id (UUID) or the department's code."), lang],
                "responses": {"200": _ok("The organization.", _ref("schemas", "HSDSOrganization")), **not_found},
            }
        },
    }


def openapi_document() -> dict:
    jurisdiction = current_app.config.get("OPEN311_JURISDICTION", "loushi.example")
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "楼事通 Loushi API",
            "version": API_VERSION,
            "summary": "Open311 GeoReport v2 for the one-stop intake; the service guide as Open Referral HSDS 3.0.",
            "description": (
                "Open311 answers JSON (`.json`) or GeoReport v2 XML (`.xml`); HSDS answers JSON. Texts are Chinese by "
                "default; `lang=en` gives English. Open311 errors have the GeoReport shape "
                f"`[{{\"code\": 404, \"description\": \"…\"}}]` (in XML `<errors><error>…`); the jurisdiction_id is `{jurisdiction}`. "
                "Public reads never contain personal data. Rate limited per client address."
            ),
        },
        "servers": [{"url": request.host_url.rstrip("/")}],
        "tags": [
            {"name": "Open311 GeoReport v2", "externalDocs": {"url": "https://wiki.open311.org/GeoReport_v2/"}},
            {"name": "HSDS 3.0", "externalDocs": {"url": "https://docs.openreferral.org/en/3.0/"}},
        ],
        "paths": {**_open311_paths(), **_hsds_paths()},
        "components": {"schemas": SCHEMAS, "parameters": PARAMETERS, "responses": RESPONSES},
    }


@openapi_bp.route("/openapi.json")
@limiter.limit("60 per minute")
def document():
    response = current_app.response_class(
        current_app.json.dumps(openapi_document(), ensure_ascii=False) + "\n",
        content_type="application/json; charset=utf-8",
    )
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
