"""The page cache: whole public pages that anonymous visitors only read (the guide, the
boards, the lobby screen, the home page), kept by Flask-Caching.

What is cached.  A GET by an anonymous visitor without pending flash messages, whose page
came out as a 200 while building it did not make a CSRF token (no form, so nothing of this
visitor in it), did not touch the session and was not marked private
(``security.mark_private``).  Everything else is rendered as usual for every request: a
signed-in person's pages, every form page, anything with a per-visitor value.

Where.  In Redis with ``REDIS_URL``, else in files in the instance folder
(``instance/page-cache``); either way shared by all processes (of the host, for files), and
entries live ``PAGE_CACHE_SECONDS`` (300).  A cache outage only costs speed.

When it goes stale: one path, after the commit.  A listener on the database session notes
which tables a transaction wrote (the unit of work's objects, and ``insert()``/``update()``/
``delete()`` run through the session; a raw SQL write counts as every table), and after
the commit gives each namespace whose tables were written a new generation; the generation
is part of every key, so the old entries are never read again, in any process that shares
the store.  Nothing in a handler bumps anything.  Namespaces (``WATCHED``): ``guide`` (its
entries, their search documents and revisions, the departments) and ``boards`` (every
table but those no public page shows: a board and the home page show nearly everything).

Time also changes a page: ``Version.vary`` goes into the key (the boards add today's
date, the screen its second), and ``Version.fresh_until`` (asked when the page is built)
says until when the built page holds (the next event start, end or registration moment)."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from flask import Flask, Response, current_app, g, has_app_context, request, session
from flask_caching import Cache
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.sql.elements import TextClause

from .i18n import current_lang
from .rendering import wants_fragment
from .timeutil import utcnow

log = logging.getLogger(__name__)

page_store = Cache()

# Which committed writes make a namespace's pages stale: a set of table names, or None
# for "any table but UNSHOWN".
WATCHED: dict[str, frozenset[str] | None] = {
    "guide": frozenset({"guide_entry", "guide_search_doc", "guide_revision", "department"}),
    "boards": None,
}
# Tables no cached page shows (writes to them alone leave every page as it is).
UNSHOWN = frozenset({
    "outbox_mail", "audit_log", "rate_limit_counter", "stashed_upload", "account_token", "recovery_code", "api_key",
    "tracking_counter", "canned_reply", "wish_network_tally", "wish_reporter",
})
ANY_TABLE = "*"
_WRITTEN = "loushi_tables_written"
_GENERATION_SECONDS = 86_400  # a generation that is lost (evicted) only costs misses: a new one is drawn
_WRITE_SQL = re.compile(r"^\s*(insert|update|delete|replace|merge)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Version:
    """What a cached page depends on besides its URL, language and namespace."""

    namespace: str
    vary: str = ""  # more key (today's date, …)
    fresh_until: Callable[[], datetime | None] | None = None  # asked once, when the page is built
    clock: Callable[[], datetime] = field(default=utcnow)  # compared with ``fresh_until``'s answer on a hit


def init_app(app: Flask) -> None:
    config = {"CACHE_KEY_PREFIX": "loushi:page:", "CACHE_THRESHOLD": app.config.get("PAGE_CACHE_SIZE", 512)}
    # PAGE_CACHE_ENABLED=false: no page is read or kept (``_cacheable_request``); the store
    # stays in process memory and holds only the generations that commits draw.
    if app.config.get("REDIS_URL") and app.config.get("PAGE_CACHE_ENABLED", True):
        config.update(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=app.config["REDIS_URL"], CACHE_OPTIONS={"socket_timeout": 0.5},
                      CACHE_DEFAULT_TIMEOUT=app.config.get("PAGE_CACHE_SECONDS", 300))
    elif app.config.get("PAGE_CACHE_ENABLED", True):
        # Files in the instance folder: shared by every process of this host, so a commit's new
        # generation is seen by all of them at once, as with Redis.
        config.update(CACHE_TYPE="FileSystemCache", CACHE_DIR=str(Path(app.instance_path) / "page-cache"),
                      CACHE_DEFAULT_TIMEOUT=app.config.get("PAGE_CACHE_SECONDS", 300))
    else:
        config.update(CACHE_TYPE="SimpleCache", CACHE_DEFAULT_TIMEOUT=2)
    page_store.init_app(app, config=config)
    _listen()


def clear() -> None:
    """Forget every cached page of the current app (tests, benchmarks)."""
    try:
        page_store.clear()
    except Exception:  # noqa: BLE001 - a cache outage only costs speed
        log.warning("page cache: clear failed", exc_info=True)


# --- invalidation: after the commit, from what the transaction wrote ---------------------


def _listen() -> None:
    from ..extensions import db

    if event.contains(db.session, "after_commit", _after_commit):
        return
    event.listen(db.session, "after_flush", _note_flush)
    event.listen(db.session, "do_orm_execute", _note_statement)
    event.listen(db.session, "after_commit", _after_commit)


def _written(session) -> set[str]:
    return session.info.setdefault(_WRITTEN, set())


def _note_flush(session, _flush_context) -> None:
    from sqlalchemy import inspect

    tables = _written(session)
    for obj in (*session.new, *session.dirty, *session.deleted):
        tables.update(table.name for table in inspect(obj).mapper.tables)


def _note_statement(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        _written(state.session).add(getattr(table, "name", None) or ANY_TABLE)
    elif isinstance(state.statement, TextClause) and _WRITE_SQL.match(state.statement.text):
        _written(state.session).add(ANY_TABLE)


def _after_commit(session) -> None:
    tables = session.info.pop(_WRITTEN, None)
    if not tables or not has_app_context() or "cache" not in current_app.extensions:
        return
    for namespace in stale_namespaces(tables):
        bump(namespace)


def stale_namespaces(tables: set[str]) -> list[str]:
    """The namespaces whose pages a commit that wrote ``tables`` makes stale."""
    shown = set(tables) - UNSHOWN
    return [name for name, watched in WATCHED.items()
            if shown and (ANY_TABLE in shown or watched is None or watched & shown)]


def bump(namespace: str) -> None:
    """A new generation for ``namespace``: its cached pages are never read again."""
    try:
        page_store.set(f"gen:{namespace}", secrets.token_hex(8), timeout=_GENERATION_SECONDS)
    except Exception:  # noqa: BLE001
        log.warning("page cache: could not start a new generation of %s", namespace, exc_info=True)
        clear()


def _generation(namespace: str) -> str:
    key = f"gen:{namespace}"
    value = page_store.get(key)
    if value is None:
        page_store.add(key, secrets.token_hex(8), timeout=_GENERATION_SECONDS)
        value = page_store.get(key)
    return value


# --- serving ------------------------------------------------------------------------------


def _signed_in() -> bool:
    """Whether someone is signed in, without loading the user when nobody can be: no user
    id in the session and no remember-me cookie means anonymous."""
    if "_user_id" not in session and current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") not in request.cookies:
        return False
    return current_user.is_authenticated


def _cacheable_request() -> bool:
    return (
        current_app.config.get("PAGE_CACHE_ENABLED", True)
        and request.method == "GET"
        and not g.get("private_page")
        and not _signed_in()
        and not session.get("_flashes")
    )


def _storable(response: Response) -> bool:
    """A page built for this visitor that holds nothing of theirs."""
    field_name = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    return (
        response.status_code == 200
        and not response.direct_passthrough
        and not response.is_streamed
        and not g.get("private_page")
        and field_name not in g  # a form's CSRF token was made: per visitor
        and not session.modified
    )


def _key(name: str, version: Version, generation: str) -> str:
    # The host is part of the key: pages carry absolute URLs (hreflang links, QR codes),
    # so a request with a forged Host header must not shape the page others are served.
    environ = request.environ
    raw = (
        f"{name}|{version.vary}|{current_lang()}|{int(wants_fragment())}|{environ['wsgi.url_scheme']}|"
        f"{request.host}|{environ.get('SCRIPT_NAME', '')}|{environ.get('PATH_INFO', '')}?{environ.get('QUERY_STRING', '')}"
    )
    return f"{version.namespace}:{generation}:" + hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()


def cached(name: str, version: Version, build: Callable[[], Response]) -> Response:
    """``build()``'s response, or for an anonymous reader the same page built before (see
    the module's docstring for what is kept and for how long)."""
    if not _cacheable_request():
        return build()
    try:
        key = _key(name, version, _generation(version.namespace))
        hit = page_store.get(key)
    except Exception:  # noqa: BLE001 - a cache outage only costs speed
        log.warning("page cache: read failed", exc_info=True)
        return build()
    if hit is not None:
        until, body = hit
        if until is None or version.clock() < until:
            response = Response(body, 200, content_type="text/html; charset=utf-8")
            response.headers["Vary"] = "HX-Request, Cookie"  # as render() would have set
            return response
    response = build()
    if _storable(response):
        until = version.fresh_until() if version.fresh_until is not None else None
        try:
            page_store.set(key, (until, response.get_data()))
        except Exception:  # noqa: BLE001
            log.warning("page cache: write failed", exc_info=True)
    return response
