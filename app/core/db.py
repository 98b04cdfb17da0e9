"""Database set-up that SQLAlchemy does not do for us."""

from __future__ import annotations

import re
import sqlite3
import threading
from typing import TYPE_CHECKING

from sqlalchemy import event
from sqlalchemy.engine import Engine

if TYPE_CHECKING:
    from sqlalchemy import TextClause

SQLITE_BUSY_TIMEOUT_MS = 10_000

# Database-specific objects that migrations create by hand and the models do not
# describe (full-text indexes): autogenerate and the drift test leave them alone.
UNMODELLED_PREFIXES = ("guide_search_fts", "ix_guide_search_doc_fulltext", "fulltext_tsv")


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    return not (name or "").startswith(UNMODELLED_PREFIXES)


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, _record) -> None:
    """Every SQLite connection: WAL, foreign keys on, a busy timeout, and transactions
    begun by us (SQLAlchemy's documented recipe) so that SAVEPOINTs work."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


_write_intent = threading.local()


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(connection) -> None:
    """SQLite: a transaction that will write starts with BEGIN IMMEDIATE, so it waits for
    the write lock (busy timeout) instead of failing with "database is locked" when it
    first read and another writer committed meanwhile.  Reads use a plain BEGIN."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE" if getattr(_write_intent, "on", False) else "BEGIN")


def set_write_intent(on: bool) -> None:
    """Mark the transactions this thread begins from now on as writing (see above)."""
    _write_intent.on = on


def writing() -> bool:
    """Whether this thread's transactions begin as writes (during a POST)."""
    return getattr(_write_intent, "on", False)


def begin_write(session) -> None:
    """End the current (read) transaction and begin one that may write."""
    session.commit()
    previous = getattr(_write_intent, "on", False)
    _write_intent.on = True
    try:
        session.connection()
    finally:
        _write_intent.on = previous


def init_write_intent(app) -> None:
    """Every POST request may write: its transactions begin IMMEDIATE on SQLite."""
    from flask import request

    @app.before_request
    def _mark():
        set_write_intent(request.method == "POST")

    @app.teardown_request
    def _clear(_exc):
        set_write_intent(False)


def upsert_insert(session, model):
    """An INSERT of ``model`` that takes ON CONFLICT clauses (``on_conflict_do_nothing``,
    ``on_conflict_do_update``), in the dialect of ``session``'s database."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model)


def typed_sql(sql: str, table) -> "TextClause":
    """A hand-written statement whose ``:name`` parameters take the types of ``table``'s
    columns of the same names (so dates are stored as SQLAlchemy stores them).

    For the few hot writes whose SQLAlchemy constructs cannot be cached (INSERT … ON
    CONFLICT is compiled anew on every execution, ~0.3 ms); a text statement is compiled
    once.  Write only SQL that PostgreSQL and SQLite both take."""
    from sqlalchemy import bindparam, text

    names = dict.fromkeys(re.findall(r"(?<![:\w]):(\w+)", sql))
    return text(sql).bindparams(*(bindparam(name, type_=table.c[name].type) for name in names if name in table.c))
