"""What the app accepts from a request before any view reads it.

* **Control characters** (``reject_control_characters``, a ``before_request`` guard): a NUL
  byte cannot be stored in a PostgreSQL text value nor bound as a parameter, so
  ``/zh/guide/?dept=%00`` used to end in a 500 on PostgreSQL.  Any C0 control character
  (and DEL) in the path, a query or form key, an uploaded file's name, and any C0 control
  character but tab, line feed and carriage return in a query or form value is answered
  with a 400: the translated error page, or the API's own error format under ``/api/``.
* **Nameless multipart parts** (``SafeFormDataParser``): a part sent as
  ``Content-Disposition: form-data`` without ``name=`` became a form field named ``None``,
  on which Flask-WTF's CSRF check crashed (``key.endswith``).  Such parts carry nothing a
  form can read, so the parser drops them.  htmx-flask replaces ``app.request_class``;
  ``init_inputs`` subclasses whatever class is in place then.
* **Bounded integers**: ``<int:…>`` in a route matches at most ``INT_MAX`` (beyond is a
  404, not an integer overflow in the database), and ``bounded_int``/``page_arg`` read
  page numbers and sizes from the query string clamped to a range.
"""

from __future__ import annotations

import re

from flask import Flask, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest
from werkzeug.formparser import FormDataParser
from werkzeug.routing import IntegerConverter

INT_MAX = 2**31 - 1  # PostgreSQL ``integer``; the ids and counters of every table fit
MAX_PAGE = 10_000  # no list is paged further than this (bounded offset)

# In the path and in keys: no control character at all.  In values: tab, LF and CR are
# ordinary text (a textarea sends CRLF line ends); the others are not.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
_WHOLE_NUMBER = re.compile(r"(-?)([0-9]+)")  # ASCII digits only: no "²", "١٢", "1_000", "+7"


class ControlCharacters(BadRequest):
    """A 400 whose page says what was wrong with the request."""

    page_message = _l("The address or the form contained control characters (such as a NUL byte), which cannot be accepted. Please check what you typed or pasted.")
    api_description = "The request contains control characters (such as NUL), which are not accepted."


def _has_control(pairs, value_pattern=_CONTROL_IN_TEXT) -> bool:
    return any(_CONTROL.search(key or "") or value_pattern.search(value) for key, value in pairs)


def reject_control_characters() -> None:
    if _CONTROL.search(request.path) or _has_control(request.args.items(multi=True)):
        raise ControlCharacters()
    if request.mimetype in _FORM_TYPES:
        if _has_control(request.form.items(multi=True)):
            raise ControlCharacters()
        files = request.files.items(multi=True)
        if any(_CONTROL.search(key) or _CONTROL.search(upload.filename or "") for key, upload in files):
            raise ControlCharacters()


class SafeFormDataParser(FormDataParser):
    """Werkzeug's parser without the multipart parts that have no name."""

    def parse(self, stream, mimetype, content_length, options=None):
        stream, form, files = super().parse(stream, mimetype, content_length, options)
        if any(not key for key in form.keys()):
            form = self.cls((key, value) for key, value in form.items(multi=True) if key)
        if any(not key for key in files.keys()):
            files = self.cls((key, value) for key, value in files.items(multi=True) if key)
        return stream, form, files


class _SafeForms:
    form_data_parser_class = SafeFormDataParser


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` that matches 0 … ``INT_MAX`` unless the rule gives its own ``max``."""

    def __init__(self, map, *args, **kwargs):
        super().__init__(map, *args, **kwargs)
        if self.max is None:
            self.max = INT_MAX


def bounded_int(value: str | None, *, default: int, minimum: int, maximum: int, strict: bool = False) -> int:
    """A whole number from a query argument, clamped to ``minimum … maximum``.  Anything
    that is not ASCII digits (with an optional minus) is ``default``, or a 400 if
    ``strict`` (the APIs).  Clamping keeps 10**30 out of an OFFSET or a comparison."""
    value = (value or "").strip()
    if not value:
        return default
    match = _WHOLE_NUMBER.fullmatch(value)
    if match is None:
        if strict:
            raise BadRequest()
        return default
    sign, digits = match.groups()
    if len(digits.lstrip("0")) > 18:  # beyond any range we use (and int()'s digit limit)
        return minimum if sign else maximum
    return min(max(int(value), minimum), maximum)


def page_arg(name: str = "page", *, maximum: int = MAX_PAGE, strict: bool = False) -> int:
    """The page number asked for in the query string: 1 … ``maximum``."""
    return bounded_int(request.args.get(name), default=1, minimum=1, maximum=maximum, strict=strict)


def init_inputs(app: Flask) -> None:
    """Call after ``htmx.init_app`` (it sets its own request class) and before the
    blueprints are registered (their rules are built with the ``int`` converter)."""
    if not issubclass(app.request_class, _SafeForms):
        app.request_class = type("LoushiRequest", (_SafeForms, app.request_class), {"__doc__": __doc__})
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(reject_control_characters)
