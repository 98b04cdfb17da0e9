"""Alembic environment for Flask-Migrate and Flask-SQLAlchemy 3 (one database)."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
if config.config_file_name and not current_app.testing:
    # Keep the application's own loggers (the default would disable them).
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db


def get_engine():
    return target_db.engine


config.set_main_option(
    "sqlalchemy.url", get_engine().url.render_as_string(hide_password=False).replace("%", "%%")
)


def get_metadata():
    return target_db.metadata


def run_migrations_offline():
    """Emit SQL to a script instead of running it (``flask db upgrade --sql``)."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=get_metadata(),
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    def process_revision_directives(context, revision, directives):
        # No empty migration when autogenerate finds nothing to do.
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)

    with get_engine().connect() as connection:
        # SQLite alters a table by copying it and dropping the old one (batch mode).  With
        # foreign keys on, that DROP deletes every row pointing at the table (ON DELETE
        # CASCADE) or blanks its links (SET NULL): downgrading a column of guide_entry would
        # wipe its revisions.  So migrations run with them off (the pragma only takes effect
        # outside a transaction), the result is checked, and they go back on for the app.
        # (On the DBAPI connection itself: SQLAlchemy's connection begins every transaction
        # with an explicit BEGIN, app/core/db.py, inside which the pragma would do nothing.)
        sqlite = connection.dialect.name == "sqlite"
        raw = connection.connection.dbapi_connection if sqlite else None
        if sqlite:
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            context.configure(connection=connection, target_metadata=get_metadata(), **conf_args)
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"the migration left rows pointing at nothing: {broken[:5]}")
        finally:
            if sqlite:
                if connection.in_transaction():
                    connection.rollback()
                raw.execute("PRAGMA foreign_keys=ON")

if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
