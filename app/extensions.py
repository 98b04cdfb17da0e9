"""Extension singletons, bound to an app in ``create_app``."""

from __future__ import annotations

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from .core.db import Session as DbSession

# Deterministic constraint names, so migrations are the same on SQLite and PostgreSQL
# and batch (SQLite ALTER) migrations can find constraints by name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def client_ip() -> str:
    """The client's address (``ProxyFix`` has already applied X-Forwarded-For)."""
    return request.remote_addr or "unknown"


db = SQLAlchemy(model_class=Base, session_options={"class_": DbSession})  # SQLite write transactions: app/core/db.py
def _include_object(*args) -> bool:
    from .core.db import include_object

    return include_object(*args)


migrate = Migrate(render_as_batch=True, compare_type=True, include_object=_include_object)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
htmx = Htmx()
limiter = Limiter(key_func=client_ip)
