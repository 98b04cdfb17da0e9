"""Fixtures: one app and one schema (built by the migrations) per run, rows wiped after
each test.  ``TEST_DATABASE_URL`` runs the whole suite on PostgreSQL instead of SQLite."""

from __future__ import annotations

import os
import re
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
    yield application
    with application.app_context():
        db.engine.dispose()


def _wipe(application) -> None:
    with application.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())


def _forget_caches(application) -> None:
    from app.core import cache

    with application.app_context():
        cache.clear()


@pytest.fixture(autouse=True)
def _clean(app):
    limiter.reset()
    _forget_caches(app)
    yield
    _wipe(app)
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
    with every demo password set to DEMO_PASSWORD."""
    from app.demo import seed_demo

    with app.app_context():
        seed_demo(DEMO_PASSWORD, guide=False)
        db.session.commit()
        db.session.remove()


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


def text_of(response) -> str:
    """The visible text of an HTML response, tags stripped and white space folded."""
    html = response.get_data(as_text=True)
    html = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", html)
    html = re.sub(r"</?(mark|strong|em|b|i|code|abbr)\b[^>]*>", "", html)  # inline: no gap
    html = re.sub(r"(?s)<[^>]+>", " ", html)
    import html as _html

    return re.sub(r"\s+", " ", _html.unescape(html)).strip()


def pytest_report_header(config):
    url = os.environ.get("TEST_DATABASE_URL")
    return f"database: {'PostgreSQL ' + url if url else 'SQLite (file per run)'}"
