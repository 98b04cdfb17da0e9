"""Configuration from the environment, with working defaults."""

from __future__ import annotations

import os
import stat

import sqlalchemy as sa

from app import create_app
from app.config import Config, DevelopmentConfig, TestingConfig, normalize_database_url


def test_defaults_use_sqlite_under_instance_and_generate_a_kept_secret(tmp_path, monkeypatch):
    for name in ("DATABASE_URL", "SECRET_KEY", "REDIS_URL", "UPLOAD_FOLDER", "MAIL_SERVER"):
        monkeypatch.delenv(name, raising=False)
    first = Config(instance_path=tmp_path)
    assert first.SQLALCHEMY_DATABASE_URI == f"sqlite:///{tmp_path / 'loushi.sqlite3'}"
    assert first.UPLOAD_FOLDER == str(tmp_path / "uploads")
    assert first.RATELIMIT_STORAGE_URI == "database://"  # counters shared by every worker (no Redis)
    assert first.MAIL_SERVER is None
    key_file = tmp_path / "secret_key"
    assert key_file.exists() and len(first.SECRET_KEY) >= 40
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    # The generated key is kept: a restart (or a second worker) reads the same one.
    assert Config(instance_path=tmp_path).SECRET_KEY == first.SECRET_KEY
    # ...and it is never a constant: another instance folder gets another key.
    assert Config(instance_path=tmp_path / "other").SECRET_KEY != first.SECRET_KEY


def test_environment_overrides(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.example/loushi")
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/3")
    monkeypatch.setenv("MAIL_SERVER", "smtp.example")
    monkeypatch.setenv("MAIL_PORT", "2525")
    monkeypatch.setenv("MAIL_FROM", "council@example.com")
    monkeypatch.setenv("UPLOAD_FOLDER", str(tmp_path / "files"))
    cfg = Config(instance_path=tmp_path)
    assert cfg.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u@db.example/loushi"
    assert cfg.SECRET_KEY == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()
    assert cfg.RATELIMIT_STORAGE_URI == "redis://127.0.0.1:6379/3"
    assert (cfg.MAIL_SERVER, cfg.MAIL_PORT, cfg.MAIL_FROM) == ("smtp.example", 2525, "council@example.com")
    assert cfg.UPLOAD_FOLDER == str(tmp_path / "files")
    # A pooled connection to the server is tested before use; parameters never reach logs.
    assert cfg.SQLALCHEMY_ENGINE_OPTIONS == {"pool_pre_ping": True, "hide_parameters": True}
    monkeypatch.delenv("DATABASE_URL")
    assert Config(instance_path=tmp_path).SQLALCHEMY_ENGINE_OPTIONS == {"pool_pre_ping": False, "hide_parameters": True}  # a file


def test_database_url_spellings():
    assert normalize_database_url("postgresql://a/b") == "postgresql+psycopg://a/b"
    assert normalize_database_url("postgresql+psycopg://a/b") == "postgresql+psycopg://a/b"
    assert normalize_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_production_and_development_differ_only_in_cookie_security(tmp_path, monkeypatch):
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    monkeypatch.delenv("SMS_GATEWAY", raising=False)
    prod, dev = Config(instance_path=tmp_path), DevelopmentConfig(instance_path=tmp_path)
    assert prod.SESSION_COOKIE_SECURE and prod.REMEMBER_COOKIE_SECURE and prod.HSTS
    assert not dev.SESSION_COOKIE_SECURE and not dev.HSTS
    # and development logs its text messages (console gateway) where production sends none until configured
    assert prod.SMS_GATEWAY is None and dev.SMS_GATEWAY == "console"
    same = {k for k in dir(prod) if k.isupper()} - {
        "ENV_NAME", "SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE", "HSTS", "PREFERRED_URL_SCHEME",
        "PROXY_FIX_HOPS", "SMS_GATEWAY", "DEFAULT_SMS_GATEWAY",
    }
    assert {k: getattr(prod, k) for k in same} == {k: getattr(dev, k) for k in same}


def test_sqlite_connections_get_wal_foreign_keys_and_busy_timeout(tmp_path, monkeypatch):
    monkeypatch.delenv("TEST_DATABASE_URL", raising=False)
    app = create_app(TestingConfig(instance_path=tmp_path))
    with app.app_context():
        from app.extensions import db

        assert db.engine.dialect.name == "sqlite"
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000
        db.engine.dispose()


def test_create_app_accepts_overrides(tmp_path, monkeypatch):
    monkeypatch.setenv("LOUSHI_INSTANCE", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"MAX_CONTENT_LENGTH": 1234})
    assert app.config["MAX_CONTENT_LENGTH"] == 1234
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.instance_path == str(tmp_path.resolve())
