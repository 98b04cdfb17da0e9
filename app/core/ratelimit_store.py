"""Rate-limit counters in the database, for sites without Redis.

Flask-Limiter keeps its counters in a ``limits`` storage.  ``memory://`` is one counter per
process: behind gunicorn's workers each worker counts alone (a limit of 20 lets 40 through
with two workers) and a restart forgets everything.  ``DatabaseStorage`` (storage URI
``database://``) keeps them in a table ``rate_limit_counter`` (key, count, expiry) that
every worker shares, with one atomic statement per hit::

    INSERT … ON CONFLICT (key) DO UPDATE SET count = …, expiry = … RETURNING count

(SQLite ≥ 3.35 and PostgreSQL both take it).  It supports the fixed-window strategy, the
one the app uses (``RATELIMIT_STRATEGY`` is not set).

The storage has its own engine: a hit is committed at once, whatever the request does
afterwards (a rolled-back request still counts), and it never commits the request's
half-done work.  Where it lives:

* PostgreSQL: the site's own database (the table comes from the migrations); other rows'
  locks never block an upsert of a counter.
* SQLite: a file beside the site's database (``loushi.sqlite3`` → ``loushi-ratelimit.sqlite3``),
  its table created on first use.  SQLite locks a whole file for a writer, and a POST holds
  the site database's write lock from its first query (``BEGIN IMMEDIATE``) until it commits:
  a counter written to the same file from another connection would wait for its own request.

``RATELIMIT_DATABASE_URL`` puts the counters elsewhere.  Expired rows are deleted by the
writing process at most once a minute.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path

import sqlalchemy as sa
from limits.storage import Storage
from sqlalchemy.engine import make_url

CLEANUP_INTERVAL = 60.0  # seconds between two deletions of expired rows, per process
_MAX_KEY = 255

_CREATE_SQLITE = (
    "CREATE TABLE IF NOT EXISTS rate_limit_counter ("
    "key VARCHAR(255) NOT NULL, count INTEGER NOT NULL, expiry FLOAT NOT NULL, "
    "CONSTRAINT pk_rate_limit_counter PRIMARY KEY (key))",
    "CREATE INDEX IF NOT EXISTS ix_rate_limit_counter_expiry ON rate_limit_counter (expiry)",
)
# A row whose window has passed starts again at ``amount`` with a new expiry; a live row grows.
_INCR = sa.text(
    "INSERT INTO rate_limit_counter (key, count, expiry) VALUES (:key, :amount, :expiry) "
    "ON CONFLICT (key) DO UPDATE SET "
    "count = CASE WHEN rate_limit_counter.expiry <= :now THEN excluded.count "
    "ELSE rate_limit_counter.count + excluded.count END, "
    "expiry = CASE WHEN rate_limit_counter.expiry <= :now THEN excluded.expiry "
    "ELSE rate_limit_counter.expiry END "
    "RETURNING count"
)
_GET = sa.text("SELECT count, expiry FROM rate_limit_counter WHERE key = :key AND expiry > :now")
_CLEAR = sa.text("DELETE FROM rate_limit_counter WHERE key = :key")
_RESET = sa.text("DELETE FROM rate_limit_counter")
_EXPIRED = sa.text("DELETE FROM rate_limit_counter WHERE expiry <= :now")


def _now() -> float:
    return time.time()


def counter_database_url(database_url: str) -> str:
    """Where the counters of a site whose database is ``database_url`` live (see above)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return database_url
    path = Path(url.database)
    return url.set(database=str(path.with_name(f"{path.stem}-ratelimit{path.suffix or '.sqlite3'}"))).render_as_string(
        hide_password=False
    )


def configure(app) -> None:
    """Point a ``database://`` storage URI at the counters' database (before the limiter's
    ``init_app``)."""
    if not str(app.config.get("RATELIMIT_STORAGE_URI") or "").startswith("database://"):
        return
    url = app.config.get("RATELIMIT_DATABASE_URL") or counter_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    options = dict(app.config.get("RATELIMIT_STORAGE_OPTIONS") or {})
    options.setdefault("url", url)
    app.config["RATELIMIT_STORAGE_OPTIONS"] = options


class DatabaseStorage(Storage):
    """A ``limits`` storage over the ``rate_limit_counter`` table (fixed window)."""

    STORAGE_SCHEME = ["database"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, url: str | None = None, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        if not url:
            raise ValueError("DatabaseStorage needs the counters' database URL (url=…)")
        self.url = url
        self._engine: sa.Engine | None = None
        self._pid = 0
        self._lock = threading.Lock()
        self._last_cleanup = 0.0

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return sa.exc.SQLAlchemyError

    @property
    def engine(self) -> sa.Engine:
        """The storage's own engine, made on first use in each process (a pool must not
        cross a fork)."""
        if self._engine is None or self._pid != os.getpid():
            with self._lock:
                if self._engine is None or self._pid != os.getpid():
                    self._engine = self._make_engine()
                    self._pid = os.getpid()
        return self._engine

    def _make_engine(self) -> sa.Engine:
        url = make_url(self.url)
        if url.get_backend_name() == "sqlite":
            if url.database and url.database != ":memory:":
                Path(url.database).parent.mkdir(parents=True, exist_ok=True)
            engine = sa.create_engine(url, hide_parameters=True)
            with engine.begin() as conn:
                for statement in _CREATE_SQLITE:
                    conn.exec_driver_sql(statement)
            return engine
        return sa.create_engine(url, hide_parameters=True, pool_pre_ping=True, pool_size=2, max_overflow=4)

    @staticmethod
    def _key(key: str) -> str:
        if len(key) <= _MAX_KEY:
            return key
        return key[:180] + "#" + hashlib.sha256(key.encode()).hexdigest()

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = _now()
        with self.engine.begin() as conn:
            count = conn.execute(_INCR, {"key": self._key(key), "amount": amount, "expiry": now + expiry, "now": now}).scalar_one()
        if now - self._last_cleanup > CLEANUP_INTERVAL:
            self.cleanup(now)
        return int(count)

    def get(self, key: str) -> int:
        with self.engine.connect() as conn:
            row = conn.execute(_GET, {"key": self._key(key), "now": _now()}).first()
        return int(row.count) if row else 0

    def get_expiry(self, key: str) -> float:
        now = _now()
        with self.engine.connect() as conn:
            row = conn.execute(_GET, {"key": self._key(key), "now": now}).first()
        return float(row.expiry) if row else now

    def check(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            return True
        except sa.exc.SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        with self.engine.begin() as conn:
            return conn.execute(_RESET).rowcount

    def clear(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(_CLEAR, {"key": self._key(key)})

    def cleanup(self, now: float | None = None) -> int:
        """Delete the rows whose window has passed; the number deleted."""
        now = _now() if now is None else now
        self._last_cleanup = now
        with self.engine.begin() as conn:
            return conn.execute(_EXPIRED, {"now": now}).rowcount
