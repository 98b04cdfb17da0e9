"""Keep personal data and secrets out of the logs (ASVS 7.1.1/7.1.2, PIPL).

* Access logs (the development server's ``werkzeug`` logger and gunicorn's
  ``gunicorn.access``) would print URLs whole: the e-mailed ``?code=`` link, one-time
  password links, the wish author's and the event cancel link's tokens.  A filter on those
  loggers replaces such values with ``[redacted]`` before any handler sees them.
* SQLAlchemy never logs statement parameters (``hide_parameters`` in the engine options,
  which also keeps them out of exception messages) and a filter drops the result rows it
  would log at DEBUG: both carry phones, e-mails and hashes.
* Rate-limit keys that contain an e-mail address are a keyed hash (Flask-Limiter logs the
  key of a breached limit): ``pseudonym()``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re

from flask import current_app

REDACTED = "[redacted]"
# ?code=… &token=… &api_key=… (query strings, also inside a logged Referer)
_SECRET_QUERY = re.compile(r"(?i)((?:^|[?&;])(?:code|token|api_key|key|password|secret)=)[^&;#\s\"']*")
# /password/<token>, /wall/mine/<token>, /boards/<slug>/cancel/<token>, Open311 /tokens/<token>
_SECRET_PATH = re.compile(r"(/(?:password|mine|cancel|tokens)/)[^/?#\s\"']+")

ACCESS_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")


def redact(text: str) -> str:
    return _SECRET_PATH.sub(r"\1" + REDACTED, _SECRET_QUERY.sub(r"\1" + REDACTED, text))


def _clean(value):
    return redact(value) if isinstance(value, str) else value


class RedactSecrets(logging.Filter):
    """Rewrites a record's message and arguments (a tuple, or gunicorn's atom dict)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, dict):
            for key, value in list(record.args.items()):  # gunicorn's SafeAtoms: keep its type
                record.args[key] = _clean(value)
        elif isinstance(record.args, tuple):
            record.args = tuple(_clean(value) for value in record.args)
        return True


class DropResultRows(logging.Filter):
    """SQLAlchemy at DEBUG logs every fetched row ("Row %r"): never let one through."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and record.msg.startswith("Row "))


def install_log_filters() -> None:
    """Idempotent: filters live on the loggers (process-wide), not on handlers, so they
    hold whatever handlers gunicorn or a logging config adds later."""
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
    engine = logging.getLogger("sqlalchemy.engine.Engine")
    if not any(isinstance(f, DropResultRows) for f in engine.filters):
        engine.addFilter(DropResultRows())


def pseudonym(value: str) -> str:
    """A stable keyed hash of ``value`` (an e-mail address in a rate-limit key)."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:32]
