"""Writes of the council workspace's own pages (the audit log viewer, user administration).

Account changes (invite, role and scope, deactivate, reactivate, password links, two-step
reset) are the auth package's services (app/auth/services.py, app/auth/totp.py), which
council/users.py calls; what the workspace writes itself is here.  Each function mutates
and writes its audit record; the route commits once."""

from __future__ import annotations

from ..core import audit
from ..core.db import begin_write
from ..extensions import db


def record_audit_export(filters: dict) -> None:
    """The audit log's own record of a CSV export (``audit.export``) with the filters it
    was exported with, in a transaction that may write (the export itself only reads)."""
    begin_write(db.session)
    audit.record("audit.export", target_type="audit_log", after={"format": "csv", "filters": filters})
