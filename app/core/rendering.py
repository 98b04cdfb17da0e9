"""Full page or fragment: one view serves both (see DESIGN.md, Conventions)."""

from __future__ import annotations

from flask import Response, make_response, render_template
from htmx_flask import request


def wants_fragment() -> bool:
    """True for an htmx request that swaps part of a page.  Boosted navigations and
    history restores get the whole page, so every pushed URL works on its own."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(template: str, partial: str | None = None, status: int = 200, **context) -> Response:
    """Render ``partial`` (an ``_``-prefixed template that ``template`` includes) for
    htmx fragment requests, else the full page; always ``Vary: HX-Request``."""
    name = partial if partial and wants_fragment() else template
    response = make_response(render_template(name, **context), status)
    response.vary.add("HX-Request")
    return response
