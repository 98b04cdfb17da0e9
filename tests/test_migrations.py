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
