"""Database set-up that SQLAlchemy does not do for us."""

from __future__ import annotations

import sqlite3

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


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(connection) -> None:
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN")
