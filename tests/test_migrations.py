"""The migrations build the schema (the app fixture runs them) and match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db


def test_models_and_migrations_do_not_drift(app):
    with app.app_context():
        with db.engine.connect() as conn:
            from app.core.db import include_object

            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "render_as_batch": True, "include_object": include_object}
            )
            diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models and migrations differ; run `flask --app wsgi db migrate` and review: {diff}"


def test_migrations_run_from_nothing_and_back(tmp_path, monkeypatch):
    """A fresh SQLite file: upgrade to head, downgrade to base, upgrade again."""
    monkeypatch.delenv("TEST_DATABASE_URL", raising=False)
    from flask_migrate import downgrade, upgrade
    import sqlalchemy as sa

    from app import create_app
    from app.config import TestingConfig

    app = create_app(TestingConfig(instance_path=tmp_path))
    with app.app_context():
        upgrade()
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {"building", "council", "council_member", "department", "user", "audit_log", "street"} <= tables
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        db.engine.dispose()


def test_downgrading_past_table_rebuilds_keeps_the_rows_that_point_at_them(tmp_path, monkeypatch):
    """SQLite drops a column by copying the table and dropping the old one.  With foreign keys
    on, dropping ``guide_entry`` that way would cascade: every revision and search row deleted,
    every request's service link set to NULL.  Step down past the migrations that rebuild
    ``guide_entry`` and ``service_request`` with the demo data in, and back up: nothing lost."""
    monkeypatch.delenv("TEST_DATABASE_URL", raising=False)
    from flask_migrate import downgrade, upgrade
    import sqlalchemy as sa

    from app import create_app
    from app.config import TestingConfig
    from app.demo import seed_demo

    counts = {
        "revisions": "SELECT count(*) FROM guide_revision",
        "entries": "SELECT count(*) FROM guide_entry",
        "requests linked to a service": "SELECT count(*) FROM service_request WHERE entry_id IS NOT NULL",
        "request events": "SELECT count(*) FROM request_event",
    }

    def read() -> dict[str, int]:
        with db.engine.connect() as conn:
            return {name: conn.execute(sa.text(sql)).scalar_one() for name, sql in counts.items()}

    app = create_app(TestingConfig(instance_path=tmp_path))
    with app.app_context():
        upgrade()
        seed_demo(password="demo-password-1")
        db.session.commit()
        db.session.remove()
        before = read()
        assert all(before.values()), before
        downgrade(revision="3644d58971df")  # below emergency routing, keywords and browse topics
        assert read() == before
        upgrade()
        assert read() == before
        with db.engine.connect() as conn:  # and the app's connections still enforce foreign keys
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
        db.engine.dispose()
