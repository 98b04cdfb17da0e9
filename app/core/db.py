"""Database set-up that SQLAlchemy does not do for us."""

from __future__ import annotations

import sqlite3

from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event
from sqlalchemy.engine import Engine

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


WRITES = "loushi_writes"  # session.info: this session's transactions begin as writes


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(connection) -> None:
    """SQLite: a transaction that will write starts with BEGIN IMMEDIATE, so it waits for
    the write lock (busy timeout) instead of failing with "database is locked" when it
    first read and another writer committed meanwhile.  Reads use a plain BEGIN."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE" if connection.get_execution_options().get(WRITES) else "BEGIN")


class Session(FlaskSession):
    """Flask-SQLAlchemy's session.  Marked as writing (``begin_write``, and every POST), its
    SQLite transactions begin IMMEDIATE (above): it takes its connections from the engine
    with that execution option."""

    def get_bind(self, *args, **kwargs):
        bind = super().get_bind(*args, **kwargs)
        if self.info.get(WRITES) and isinstance(bind, Engine) and bind.dialect.name == "sqlite":
            return _writing_engine(bind)
        return bind


_WRITING_ENGINES: dict[int, tuple[Engine, Engine]] = {}  # id(engine) -> (engine, the same with WRITES)


def _writing_engine(engine: Engine) -> Engine:
    known = _WRITING_ENGINES.get(id(engine))
    if known is None or known[0] is not engine:
        known = _WRITING_ENGINES[id(engine)] = (engine, engine.execution_options(**{WRITES: True}))
    return known[1]


def writing(session) -> bool:
    """Whether ``session``'s transactions begin as writes."""
    return bool(session.info.get(WRITES))


def begin_write(session) -> None:
    """End the session's current (read) transaction; from now on its transactions begin as
    writes (the session of a POST request is marked so from the start)."""
    session.commit()
    session.info[WRITES] = True


def init_write_intent(app) -> None:
    """Every POST request may write: its session's transactions begin IMMEDIATE on SQLite."""
    from flask import request

    from ..extensions import db

    @app.before_request
    def _mark():
        if request.method == "POST":
            db.session.info[WRITES] = True


def upsert_insert(session, model):
    """An INSERT of ``model`` that takes ON CONFLICT clauses (``on_conflict_do_nothing``,
    ``on_conflict_do_update``), in the dialect of ``session``'s database."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model)
