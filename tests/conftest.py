"""Fixtures: one app and one schema (built by the migrations) per run, and a fresh database
for every test.  ``TEST_DATABASE_URL`` runs the whole suite on PostgreSQL instead of SQLite.

The demo data is seeded once per session and kept as a snapshot (``Snapshots``); each test
that asks for ``demo`` gets its own copy of it, and every test starts from the empty schema:

* SQLite: the database file is overwritten with a saved copy through SQLite's backup API
  (page by page, under SQLite's own locks, so the app's pooled connections, the live
  server's threads and gunicorn's processes all see the new contents; a few milliseconds);
* PostgreSQL: every table is emptied with ``DELETE`` after each test (as before) and the
  demo rows are inserted again from the snapshot in one transaction (tens of milliseconds).

Either way the data is committed, real data: tests that commit, run threads or processes,
or open several connections see it.  (Measured, the alternatives on PostgreSQL: ``CREATE
DATABASE … TEMPLATE`` of a seeded database took 0.07–2 s per test here (1–1.8 s with
``STRATEGY FILE_COPY``) against 0.03–0.07 s for wipe and re-insert, and must close every
connection first; a SAVEPOINT wrapped around the test hides its data from the live server
and from gunicorn.)  See docs/testing.md."""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import create_app
from app.config import TestingConfig
from app.extensions import db, limiter

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def _reset_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    config = TestingConfig(instance_path=Path(instance))
    if config.SQLALCHEMY_DATABASE_URI.startswith("postgresql"):
        _reset_postgres(config.SQLALCHEMY_DATABASE_URI)
    application = create_app(config)
    with application.app_context():
        from flask_migrate import upgrade

        upgrade()  # the schema comes from the migrations, exactly as in production
    _wipe(application)
    application.extensions["loushi_snapshots"] = Snapshots(application, Path(instance))
    yield application
    with application.app_context():
        db.engine.dispose()


def _wipe(application) -> None:
    with application.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            tables = list(reversed(db.metadata.sorted_tables))
            if conn.dialect.name == "postgresql":  # one round trip instead of one per table
                conn.exec_driver_sql("; ".join(f'DELETE FROM "{t.name}"' for t in tables))
            else:
                for table in tables:
                    conn.execute(table.delete())


class Snapshots:
    """Saved database states of this session: ``empty`` (the schema, no rows) and ``demo``
    (``seed_demo(DEMO_PASSWORD, guide=False)``, seeded the first time a test needs it)."""

    def __init__(self, application, folder: Path):
        self.app = application
        self.folder = folder
        with application.app_context():
            url = db.engine.url
        self.sqlite_path = url.database if url.get_backend_name() == "sqlite" else None
        self.rows: dict[str, dict[str, list[dict]]] = {}
        # SQLite: one connection of our own to the test database.  ``PRAGMA data_version``
        # on it changes when any other connection (the app's pool, the live server, gunicorn)
        # has committed since, so a test that wrote nothing needs no restore.
        self.state: str | None = None
        self.version: int | None = None
        self.own = sqlite3.connect(self.sqlite_path, timeout=30) if self.sqlite_path else None
        self._save("empty")
        self.state, self.version = "empty", self._data_version()

    # SQLite: whole-file copies through the backup API.
    def _copy(self, source: str, target: str) -> None:
        with self.app.app_context():
            db.session.remove()
        src = sqlite3.connect(source, timeout=30)
        own = target == self.sqlite_path
        dst = self.own if own else sqlite3.connect(target, timeout=30)
        try:
            src.backup(dst)
        finally:
            src.close()
            if not own:
                dst.close()

    def _data_version(self) -> int | None:
        return self.own.execute("PRAGMA data_version").fetchone()[0] if self.own else None

    def _file(self, name: str) -> str:
        return str(self.folder / f"snapshot-{name}.sqlite3")

    def _save(self, name: str) -> None:
        if self.sqlite_path:
            self._copy(self.sqlite_path, self._file(name))
            return
        with self.app.app_context():
            db.session.remove()
            with db.engine.connect() as conn:
                self.rows[name] = {
                    table.name: [dict(row._mapping) for row in conn.execute(sa.select(table))]
                    for table in db.metadata.sorted_tables
                }

    def has(self, name: str) -> bool:
        return name in self.rows or (self.sqlite_path is not None and os.path.exists(self._file(name)))

    def restore(self, name: str) -> None:
        """Make the test database what it was when ``name`` was saved."""
        if self.sqlite_path:
            self._copy(self._file(name), self.sqlite_path)
            self.state, self.version = name, self._data_version()
            return
        _wipe(self.app)
        with self.app.app_context(), db.engine.begin() as conn:
            for table in db.metadata.sorted_tables:
                rows = self.rows[name].get(table.name)
                if rows:
                    conn.execute(table.insert(), rows)

    def reset(self) -> None:
        """After a test: back to the empty schema."""
        if self.sqlite_path:
            with self.app.app_context():
                db.session.remove()  # an unfinished transaction ends here, as before
            if self.state != "empty" or self._data_version() != self.version:
                self.restore("empty")
        else:
            _wipe(self.app)

    def _empty(self) -> bool:
        with self.app.app_context():
            db.session.remove()
            with db.engine.connect() as conn:
                return not any(conn.execute(sa.select(sa.exists().select_from(t))).scalar() for t in db.metadata.sorted_tables)

    def demo(self) -> None:
        if not self._empty():
            # Something was written before ``demo`` was set up (another fixture): seed on top
            # of it, as a fresh seed would, and keep no snapshot of the mixture.
            self._seed()
        elif not self.has("demo"):
            self._seed()
            self._save("demo")
            self.state, self.version = "demo", self._data_version()
        else:
            self.restore("demo")

    def _seed(self) -> None:
        self.state = "seeded"  # not a snapshot: the next reset restores the empty one
        from app.demo import seed_demo

        with self.app.app_context():
            seed_demo(DEMO_PASSWORD, guide=False)
            db.session.commit()
            db.session.remove()


def _forget_caches(application) -> None:
    from app.core import cache

    with application.app_context():
        cache.clear()


@pytest.fixture(autouse=True)
def _clean(app):
    limiter.reset()
    _forget_caches(app)
    yield
    app.extensions["loushi_snapshots"].reset()
    limiter.reset()
    _forget_caches(app)


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def demo(app):
    """The demo data of ``seed-demo`` (without guide entries: tests bring their own),
    with every demo password set to DEMO_PASSWORD.  Seeded once per session; each test
    gets a fresh copy (see ``Snapshots``)."""
    app.extensions["loushi_snapshots"].demo()


DEMO_PASSWORD = "demo-password-1234"


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


def totp_code(app, email: str) -> str:
    """The code a person's authenticator app shows now.  Each code is accepted once, so
    the account's last used step is forgotten first (as if the next 30 s had begun)."""
    import pyotp

    from app.auth.models import User

    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        user.totp_last_step = None
        db.session.commit()
        secret = user.totp_secret
        db.session.remove()
    return pyotp.TOTP(secret).now()


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, email="admin@example.com", password=DEMO_PASSWORD, lang="zh", *, second_step=True, **extra):
        """Sign in through the form; where the account has two-step sign-in on (the demo
        admin), also enter the app's current code (``second_step=False`` stops before)."""
        page = self.client.get(f"/{lang}/login")
        data = {"email": email, "password": password, "csrf_token": csrf_from(page.get_data(as_text=True))}
        data.update(extra)
        response = self.client.post(f"/{lang}/login", data=data)
        if second_step and response.status_code == 303 and "/login/two-step" in response.location:
            code = totp_code(self.client.application, email)
            page = self.client.get(response.location)
            response = self.client.post(response.location, data={"code": code, "csrf_token": csrf_from(page.get_data(as_text=True))})
        return response

    def logout(self, lang="zh"):
        page = self.client.get(f"/{lang}/council/")
        return self.client.post(f"/{lang}/logout", data={"csrf_token": csrf_from(page.get_data(as_text=True))})


@pytest.fixture
def auth(client):
    return Auth(client)


def count_statements(app, client, path: str, **headers) -> int:
    """How many SQL statements one GET of ``path`` runs (it must answer 200)."""
    import sqlalchemy as sa

    seen = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        assert client.get(path, headers=headers).status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    return len(seen)


def text_of(response) -> str:
    """The visible text of an HTML response, tags stripped and white space folded."""
    html = response.get_data(as_text=True)
    html = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", html)
    html = re.sub(r"</?(mark|strong|em|b|i|code|abbr)\b[^>]*>", "", html)  # inline: no gap
    html = re.sub(r"(?s)<[^>]+>", " ", html)
    import html as _html

    return re.sub(r"\s+", " ", _html.unescape(html)).strip()


def pytest_collection_modifyitems(config, items):
    """Every browser and load test is ``slow`` (``make test-fast`` leaves them out, except
    the ``smoke`` journeys); the axe, vnu, bandit and crawl modules mark themselves."""
    for item in items:
        if item.get_closest_marker("browser") or item.get_closest_marker("load"):
            item.add_marker(pytest.mark.slow)


def pytest_report_header(config):
    url = os.environ.get("TEST_DATABASE_URL")
    return f"database: {'PostgreSQL ' + url if url else 'SQLite (file per run)'}"
