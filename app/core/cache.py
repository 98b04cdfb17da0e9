"""A page cache for public pages that many people read and staff rarely change (the guide).

Only anonymous GETs without pending flash messages are cached.  The key holds the URL,
the language, fragment-or-page and a *version* the caller reads from the database (for
the guide: the newest ``updated_at``), so an edit makes old entries unreachable at once in
every process.  Entries live in Redis when ``REDIS_URL`` is set (shared by all processes),
else in a small in-process LRU.  The per-visitor CSRF token (and any other per-visitor
value, see ``per_visitor``) is rendered as a placeholder and filled in on the way out, so a
cached page never carries someone else's token.

Never a page that shows personal data (``security.mark_private``): checked before the
page is built and again after, since a view may find out while building it."""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from typing import Callable

from flask import Flask, Response, current_app, g, request, session
from flask_login import current_user

from .i18n import current_lang
from .rendering import wants_fragment
from .sessions import csrf_token

CSRF_PLACEHOLDER = "LOUSHI-CSRF-PLACEHOLDER-7f3a"


class PageCache:
    # Pages are kept as the UTF-8 bytes that are sent: encoding a page again for every
    # answer cost more than the rest of a hit.
    def __init__(self) -> None:
        self._local: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self._redis = None
        self.size = 512
        self.ttl = 300

    def init_app(self, app: Flask) -> None:
        self.size = app.config.get("PAGE_CACHE_SIZE", 512)
        self.ttl = app.config.get("PAGE_CACHE_SECONDS", 300)
        self._local.clear()
        self._redis = None
        if app.config.get("PAGE_CACHE_ENABLED", True) and app.config.get("REDIS_URL"):
            import redis

            self._redis = redis.Redis.from_url(app.config["REDIS_URL"], socket_timeout=0.5)
        app.extensions["page_cache"] = self

    def get(self, key: str) -> bytes | None:
        if self._redis is not None:
            try:
                return self._redis.get(key)
            except Exception:  # noqa: BLE001 - a cache outage only costs speed
                return None
        with self._lock:
            value = self._local.get(key)
            if value is not None:
                self._local.move_to_end(key)
            return value

    def set(self, key: str, value: bytes) -> None:
        if self._redis is not None:
            try:
                self._redis.set(key, value, ex=self.ttl)
            except Exception:  # noqa: BLE001
                pass
            return
        with self._lock:
            self._local[key] = value
            self._local.move_to_end(key)
            while len(self._local) > self.size:
                self._local.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._local.clear()


page_cache = PageCache()


def page_csrf_token() -> str:
    """``csrf_token()`` for templates: a placeholder while a cacheable page renders.

    A cacheable *fragment* (htmx swaps it into a page already shown) carries no token at
    all: htmx sends the page's own token with every request it makes (``data-hx-headers``
    on ``<body>``, which Flask-WTF reads as ``X-CSRFToken`` when a form field is empty), so
    a fragment never needs a session.  Only forms that htmx submits can be in one."""
    if g.get("rendering_for_cache"):
        return "" if wants_fragment() else CSRF_PLACEHOLDER
    return csrf_token()


# Other values a page must carry fresh for every visitor (a form's one-time key, a signed
# time stamp): placeholder -> how to make the value.  Registered by ``per_visitor``.
_FILLERS: dict[str, Callable[[], str]] = {}


def per_visitor(name: str, make: Callable[[], str]) -> str:
    """``make()``, or while a cacheable page renders, a placeholder that every answer
    from the cache replaces with a fresh ``make()``.  The value goes into the HTML as it
    is: ``make()`` returns HTML-safe text (``Markup`` when it could contain ``<&"'``)."""
    if not g.get("rendering_for_cache"):
        return make()
    placeholder = f"LOUSHI-{name}-PLACEHOLDER-7f3a"
    _FILLERS.setdefault(placeholder, make)
    return placeholder


def _fill_bytes(html: bytes) -> bytes:
    if _CSRF_BYTES in html:  # fragments carry no token: no session work for them
        html = html.replace(_CSRF_BYTES, csrf_token().encode("ascii"))
    for placeholder, make in _FILLERS.items():
        marker = placeholder.encode("ascii")
        if marker in html:
            html = html.replace(marker, str(make()).encode("utf-8"))
    return html


_CSRF_BYTES = CSRF_PLACEHOLDER.encode("ascii")


def _signed_in() -> bool:
    """Whether someone is signed in, without loading the user when nobody can be: no user
    id in the session and no remember-me cookie means anonymous (what Flask-Login would
    conclude after the same two look-ups)."""
    if "_user_id" not in session and current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") not in request.cookies:
        return False
    return current_user.is_authenticated


def _cacheable() -> bool:
    return (
        current_app.config.get("PAGE_CACHE_ENABLED", True)
        and request.method == "GET"
        and not g.get("private_page")
        and not _signed_in()
        and not session.get("_flashes")
    )


def _key(name: str, version) -> str:
    # The host is part of the key: pages carry absolute URLs (hreflang links, QR codes),
    # so a request with a forged Host header must not shape the page others are served.
    # Read from the WSGI environ: what request.host_url and request.full_path are made of.
    environ = request.environ
    raw = (
        f"{name}|{version}|{current_lang()}|{int(wants_fragment())}|{environ['wsgi.url_scheme']}|"
        f"{request.host}|{environ.get('SCRIPT_NAME', '')}|{environ.get('PATH_INFO', '')}?{environ.get('QUERY_STRING', '')}"
    )
    return "loushi:page:" + hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()


class Versions:
    """Cache versions read from the database, remembered for ``ttl`` seconds per process,
    so a cache hit costs no query.  ``bump`` forgets a version at once in this process
    (the one that made the edit); other processes see the edit within ``ttl`` seconds."""

    def __init__(self, ttl: float = 2.0) -> None:
        self.ttl = ttl
        self._seen: dict[str, tuple[float, object]] = {}

    def get(self, name: str, read: Callable[[], object]):
        now = time.monotonic()
        hit = self._seen.get(name)
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        value = read()
        self._seen[name] = (now, value)
        return value

    def bump(self, name: str) -> None:
        self._seen.pop(name, None)

    def clear(self) -> None:
        self._seen.clear()


versions = Versions()


def row_version(name: str, statement: Callable[[], object]) -> str:
    """The memoised version ``name``: the one row that ``statement()`` selects, kept as
    text.  It only goes into cache keys, and writing out a row of time stamps for every
    answer cost more than the rest of the key."""
    from ..extensions import db

    return versions.get(name, lambda: repr(tuple(db.session.execute(statement()).one())))


def forget_after_commit(name: str, tables: frozenset[str]) -> None:
    """Forget the memoised version ``name`` in this process after every commit that wrote
    to one of ``tables`` (through the unit of work or a bulk ``update()``/``delete()``).

    Other processes see a change within ``versions``' 2 seconds, which is enough for
    everyone else; this is for the person who made the change and is redirected to a page
    showing it (Post/Redirect/Get).  Hooking the session's commit, rather than a call in
    each service, covers every writer in every blueprint, and forgets only once the change
    is committed (earlier, another thread could memoise the old version again)."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    flag = f"written:{name}"

    def note_flush(session, _flush_context) -> None:
        if any(getattr(obj, "__tablename__", None) in tables for obj in (*session.new, *session.dirty, *session.deleted)):
            session.info[flag] = True

    def note_bulk(state) -> None:
        if state.is_update or state.is_delete or state.is_insert:
            if getattr(getattr(state.statement, "table", None), "name", None) in tables:
                state.session.info[flag] = True

    def forget(session) -> None:
        if session.info.pop(flag, False):
            versions.bump(name)

    if flag in _FORGETTING:
        return
    _FORGETTING[flag] = frozenset(tables)
    event.listen(Session, "after_flush", note_flush)
    event.listen(Session, "do_orm_execute", note_bulk)
    event.listen(Session, "after_commit", forget)


_FORGETTING: dict[str, frozenset[str]] = {}  # flag -> the tables it watches


def wrote(session, *tables: str) -> None:
    """Tell ``forget_after_commit`` of writes made with Core statements on the session's
    connection (which its hooks do not see): the versions watching ``tables`` are
    forgotten when the session commits."""
    for flag, watched in _FORGETTING.items():
        if watched.intersection(tables):
            session.info[flag] = True


def cached(name: str, version, build: Callable[[], Response]) -> Response:
    """``build()``'s response, from the cache when this exact page was built before
    for the same ``version``; only 200 responses are kept."""
    if not _cacheable():
        return build()
    key = _key(name, version)
    html = page_cache.get(key)
    status = 200
    if html is None:
        g.rendering_for_cache = True
        try:
            built = build()
        finally:
            g.rendering_for_cache = False
        if built.status_code != 200 or g.get("private_page"):
            # A page that turned out to show personal data while it was built
            # (``security.mark_private``) is sent to this visitor only, never kept.
            return _fill(built)
        html = built.get_data()
        page_cache.set(key, html)
    response = Response(_fill_bytes(html), status, content_type="text/html; charset=utf-8")
    response.headers["Vary"] = "HX-Request, Cookie"  # as render() would have set, and the session
    return response


def _fill(response: Response) -> Response:
    if response.direct_passthrough or response.is_streamed:
        return response
    body = response.get_data()
    filled = _fill_bytes(body)
    if filled is not body:
        response.set_data(filled)
    return response
