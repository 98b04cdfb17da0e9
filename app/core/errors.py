"""Translated error pages with an incident id and no traceback."""

from __future__ import annotations

import logging
import uuid

from flask import Flask, jsonify, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException, InternalServerError

from ..extensions import db
from .rendering import render

log = logging.getLogger("loushi.errors")


class ServiceError(ValueError):
    """A change a service refuses in the current state, with a translated message for the
    person: every domain's error (``IntakeError``, ``WallError``, …) is one, and a form
    handler (``app/core/handlers.py``) answers it with the form again and HTTP 422."""

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. If you were sending a form, it may have expired: go back, reload the page and try again.")),
    403: (_l("Not allowed"), _l("You do not have permission to see this page or do this.")),
    404: (_l("Page not found"), _l("We could not find that page. It may have moved; try the home page or the search.")),
    405: (_l("Not allowed"), _l("This address does not accept that kind of request.")),
    413: (_l("Too large"), _l("What you sent is larger than we accept. Please send smaller or fewer files.")),
    422: (_l("Please check your input"), _l("Some of what you sent could not be accepted.")),
    429: (_l("Too many attempts"), _l("You have tried this too often. Please wait a few minutes and try again.")),
    500: (_l("Something went wrong"), _l("An error occurred on our side. It has been logged; please try again later.")),
}


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def handle_http_error(error: HTTPException):
    code = error.code or 500
    if code not in MESSAGES:
        code = 500 if code >= 500 else 400
    incident = uuid.uuid4().hex[:12]
    if code >= 500:
        original = getattr(error, "original_exception", None)
        log.error("incident %s: %s %s", incident, request.method, request.path, exc_info=original)
        db.session.rollback()
    title, message = MESSAGES[code]
    message = getattr(error, "page_message", None) or message  # a more specific 400 (app/core/inputs.py)
    if _wants_json():
        response = jsonify(error=str(title), code=code, incident=incident)
        response.status_code = code
    else:
        response = render("errors/error.html", code=code, title=title, message=message, incident=incident, status=code)
    if code == 429 and error.response is None:
        response.headers.setdefault("Retry-After", "60")
    return response


def handle_unexpected(error: Exception):
    wrapped = InternalServerError(original_exception=error)
    return handle_http_error(wrapped)


def init_errors(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)
