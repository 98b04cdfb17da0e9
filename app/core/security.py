"""Security headers on every response."""

from __future__ import annotations

from functools import wraps

from flask import Flask, current_app, g

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)


def no_store(response):
    """Pages with secrets or one-time links: never cached, never sent as a Referer.
    Returns the response (``return no_store(render(...))``)."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


PRIVATE_CACHE_CONTROL = "private, no-store"


def mark_private() -> None:
    """This answer shows personal data (a requester's own page, a staff page, an account
    page, a reveal): it goes out with ``Cache-Control: private, no-store`` (set on the way
    out, whatever the view returns, errors included) and the page cache never keeps it.
    Called by ``permissions.require`` for every workspace page, and by the views that
    show a person their own data."""
    g.private_page = True


def private_page(view):
    """Decorator form of ``mark_private`` for a view that always shows personal data."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        mark_private()
        return view(*args, **kwargs)

    return wrapped


_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"),
)
_HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def _set_headers(response):
    """Each header unless the view set its own (``no_store`` sets Referrer-Policy).  This
    runs for every answer, so it reads the header list once instead of once a header."""
    headers = response.headers
    present = {name.lower() for name, _value in headers.items()}
    wanted = _HEADERS + ((_HSTS,) if current_app.config.get("HSTS") else ())
    headers.extend([pair for pair in wanted if pair[0].lower() not in present])
    if g.get("private_page"):
        headers["Cache-Control"] = PRIVATE_CACHE_CONTROL
        headers.pop("Expires", None)
    if headers.get("Content-Type", "").startswith("text/html"):
        if "vary" in present:
            response.vary.add("HX-Request")
        else:
            headers["Vary"] = "HX-Request"
    return response


def init_security(app: Flask) -> None:
    app.after_request(_set_headers)
