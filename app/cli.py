"""Commands: seed-demo, create-user, purge-personal-data, reindex-guide, translate."""

from __future__ import annotations

import subprocess
import sys

import click
import sqlalchemy as sa
from flask import Flask, current_app

from .config import BASE_DIR
from .extensions import db


def register_cli(app: Flask) -> None:
    @app.cli.command("seed-demo")
    @click.option("--password", help="Password for the demo accounts (generated and printed when omitted).")
    @click.option("--if-empty", is_flag=True, help="Do nothing when the database already has buildings.")
    def seed_demo_command(password: str | None, if_empty: bool) -> None:
        """Create realistic bilingual demo data (idempotent)."""
        from .demo import is_empty, seed_demo

        if if_empty and not is_empty():
            click.echo("Demo data already present; nothing to do (run `flask --app wsgi seed-demo` to refresh).")
            return
        report = seed_demo(password)
        db.session.commit()
        click.echo("Demo data ready:")
        for line in report.lines():
            click.echo(line)

    @app.cli.command("purge-personal-data")
    @click.option("--older-than", "days", type=click.IntRange(min=0), required=True, metavar="DAYS",
                  help="Requests closed more than DAYS days ago lose their contact data and attachments.")
    def purge_personal_data_command(days: int) -> None:
        """Delete requesters' contact data (name, company, phone, e-mail, files) of closed
        requests; the anonymous record and the statistics stay.  Also removes the files
        kept for unfinished forms once older than UPLOAD_STASH_HOURS."""
        from .intake import stash
        from .intake.services import purge_personal_data

        count = purge_personal_data(days)
        db.session.commit()
        click.echo(f"Contact data removed from {count} closed request(s) older than {days} day(s).")
        # Files kept for forms sent back with an error and never filed (app/intake/stash.py).
        stashed = stash.purge_expired()
        db.session.commit()
        hours = current_app.config["UPLOAD_STASH_HOURS"]
        click.echo(f"Kept upload(s) of unfinished forms removed: {stashed} older than {hours} hour(s).")

    @app.cli.command("create-user")
    @click.argument("email")
    @click.option("--role", type=click.Choice(["admin", "council", "staff", "observer"]), required=True)
    @click.option("--building", "buildings", multiple=True, help="Building slug (council members and observers; repeatable).")
    @click.option("--department", help="Department code (department staff).")
    @click.option("--name", default="", help="Display name.")
    @click.password_option(help="Prompted for when omitted.")
    def create_user_command(email, role, buildings, department, name, password) -> None:
        """Create a staff account."""
        from .auth.services import UserError, create_user
        from .org.models import Building, Department

        found = []
        for slug in buildings:
            b = db.session.scalar(sa.select(Building).where(Building.slug == slug))
            if b is None:
                raise click.UsageError(f"no building with slug {slug!r}")
            found.append(b)
        dept = None
        if department:
            dept = db.session.scalar(sa.select(Department).where(Department.code == department))
            if dept is None:
                raise click.UsageError(f"no department with code {department!r}")
        from flask_babel import force_locale

        try:
            with current_app.test_request_context("/en/"), force_locale("en"):  # messages in English on the console
                user = create_user(email, password, role, name=name, buildings=found, department=dept)
        except UserError as exc:
            raise click.UsageError(str(exc)) from exc
        db.session.commit()
        click.echo(f"Created {user.email} ({user.role}).")

    @app.cli.command("reindex-guide")
    def reindex_guide_command() -> None:
        """Rewrite the search index of every guide entry (safe to run at any time)."""
        from .guide.services import reindex_all

        count = reindex_all()
        db.session.commit()
        click.echo(f"Reindexed {count} guide entries.")

    @app.cli.group("translate")
    def translate() -> None:
        """Extract, update and compile the message catalogues."""

    def _pybabel(*args: str) -> None:
        subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=BASE_DIR)  # noqa: S603

    @translate.command("update")
    def translate_update() -> None:
        """Extract messages and merge them into translations/*/messages.po."""
        _pybabel("extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "--no-location",
                 "--omit-header", "-o", "translations/messages.pot", ".")
        _pybabel("update", "-i", "translations/messages.pot", "-d", "translations", "--no-fuzzy-matching",
                 "--ignore-obsolete")

    @translate.command("compile")
    def translate_compile() -> None:
        """Compile .po catalogues to .mo (done by make run / make test)."""
        _pybabel("compile", "-d", "translations")
