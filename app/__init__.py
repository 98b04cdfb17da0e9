"""楼事通 Loushi: the application factory."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from flask import Flask, url_for
from flask_babel import format_date, format_datetime
from flask_babel import lazy_gettext as _l
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import BASE_DIR, Config, config_from_env
from .extensions import babel, csrf, db, htmx, limiter, login_manager, migrate

# Public surfaces in navigation order; each appears once its blueprint is registered.
NAVIGATION = (
    ("guide.index", _l("Service Guide")),
    ("intake.new_request", _l("Requests")),
    ("intake.track", _l("Track")),
    ("wall.index", _l("Wish Wall")),
    ("boards.index", _l("Building Boards")),
)

# Pages that belong to a navigation item though another item shares their blueprint
# (besides the item's endpoint and endpoints named after it, e.g. intake.track_recover).
NAV_SECTIONS = {
    "intake.track": ("intake.status", "intake.unlock", "intake.info", "intake.rate_request", "intake.reopen_request", "intake.attachment", "intake.recover"),
}


def _load_config(config) -> Config | object:
    if config is None or isinstance(config, Mapping):
        return config_from_env()
    if isinstance(config, type):
        return config()
    return config


def create_app(config=None) -> Flask:
    """Build the app.  ``config`` is None (from the environment), a Config class or
    instance, or a mapping of overrides applied on top of the environment's config."""
    cfg = _load_config(config)
    app = Flask(
        __name__,
        template_folder=str(BASE_DIR / "templates"),
        static_folder=str(BASE_DIR / "static"),
        instance_path=str(Path(cfg.INSTANCE_PATH).resolve()),
    )
    app.config.from_object(cfg)
    if isinstance(config, Mapping):
        app.config.update(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    if app.config.get("PROXY_FIX_HOPS"):
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    from .core import db as _sqlite_setup  # noqa: F401  (registers engine events)
    from .core.errors import init_errors
    from .core.i18n import init_i18n, select_locale
    from .core.security import init_security

    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"))
    csrf.init_app(app)
    htmx.init_app(app)
    from .core.ratelimit_store import configure as configure_ratelimit_store

    configure_ratelimit_store(app)  # database:// counters: which database (before init_app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale, default_timezone="Asia/Shanghai")
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"

    from .core import cache as page_cache

    page_cache.init_app(app)
    from .core.timeutil import aware, format_when, format_until, machine_time

    app.jinja_env.filters["aware"] = aware
    app.jinja_env.filters["machine_time"] = machine_time
    app.jinja_env.globals.update(format_when=format_when, format_until=format_until)
    init_i18n(app)
    init_security(app)
    init_errors(app)
    from .core.inputs import init_inputs

    init_inputs(app)  # after htmx (request class) and i18n, before the blueprints (int converter)
    from .core.logsafe import install_log_filters

    install_log_filters()  # no access codes, one-time tokens or result rows in any log
    from .core.db import init_write_intent
    from .core.identity import init_identity

    init_identity(app)
    init_write_intent(app)

    from . import models  # noqa: F401  (every model, for Alembic and relationships)
    from .api.hsds import bp as hsds_bp
    from .auth.account import bp as account_bp
    from .auth.routes import bp as auth_bp
    from .core.routes import bp as core_bp
    from .council.audit import bp as audit_bp
    from .council.routes import bp as council_bp
    from .council.users import bp as users_bp
    from .guide.manage import bp as guide_manage_bp
    from .guide.routes import bp as guide_bp
    from .home.routes import bp as home_bp
    from .intake.routes import bp as intake_bp
    from .intake.manage import bp as intake_staff_bp

    from .api.open311 import bp as open311_bp
    from .api.openapi import openapi_bp
    from .boards.manage import bp as boards_manage_bp
    from .boards.routes import bp as boards_bp
    from .wall.manage import bp as wall_manage_bp
    from .wall.routes import bp as wall_bp

    blueprints = [home_bp, core_bp, auth_bp, council_bp, audit_bp, guide_bp, guide_manage_bp, hsds_bp, intake_bp, intake_staff_bp, open311_bp, openapi_bp, wall_bp, wall_manage_bp, boards_bp, boards_manage_bp, account_bp, users_bp]
    for blueprint in blueprints:
        app.register_blueprint(blueprint)

    from .cli import register_cli
    from .core.mail_cli import register as register_mail_cli

    register_cli(app)
    register_mail_cli(app)

    def intake_url(**params) -> str:
        """The intake form (URL contract: /<lang>/requests/new?service=…&building=…)."""
        if "intake.new_request" in app.view_functions:
            return url_for("intake.new_request", **params)
        from urllib.parse import urlencode

        from .core.i18n import current_lang

        query = urlencode({k: v for k, v in params.items() if v})
        return f"/{current_lang()}/requests/new" + (f"?{query}" if query else "")

    def nav_items():
        return [(endpoint, label) for endpoint, label in NAVIGATION if endpoint in app.view_functions]

    def nav_current(endpoint: str) -> bool:
        """Whether the navigation item of ``endpoint`` is the section of this page: a
        requester's tracking pages (the look-up, code recovery, the status page and its
        forms) are "Track"; every other page of a blueprint is its item's."""
        from flask import request

        here = request.endpoint or ""
        if endpoint in NAV_SECTIONS:
            return here in NAV_SECTIONS[endpoint] or here.startswith(endpoint)
        claimed = any(here in pages or here.startswith(item) for item, pages in NAV_SECTIONS.items())
        return not claimed and here.split(".")[0] == endpoint.split(".")[0]

    from .auth.permissions import can
    from .core.text import highlight, summary_label

    app.jinja_env.filters["highlight"] = highlight
    app.jinja_env.filters["summary_label"] = summary_label
    app.jinja_env.globals.update(
        nav_items=nav_items,
        nav_current=nav_current,
        intake_url=intake_url,
        can=can,
        format_datetime=format_datetime,
        format_date=format_date,
        static_url=lambda filename: url_for("static", filename=filename),
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    return app
