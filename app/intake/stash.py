"""Files kept across a form sent back with an error (HTTP 422).

A browser never sends a file input's choice again with a re-rendered form, so a photo
attached to a form that fails on another field would be lost.  Instead, the files the
form carried (already validated and re-encoded by ``uploads.validate_many``) are written
to ``UPLOAD_FOLDER/stash/`` and listed in ``stashed_upload``; the re-rendered form lists
them with a "Remove" button, and when the form is filed they are moved (renamed, not
read again) to the request's attachments.

Private: a stash belongs to the form's ``submission_key`` AND the session that sent it.
The key is in the page's HTML, so it alone must not be enough: every row carries
``owner_hash``, an HMAC (secret key) of the key and the session's own secret (its CSRF
seed), and is only ever read, removed or filed with both.  Without a session secret
nothing is kept (the form then says to choose the files again).

Short-lived: rows (and their files) older than ``UPLOAD_STASH_HOURS`` are removed by
``flask purge-personal-data`` (``purge_expired``)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from ..core import uploads
from ..core.timeutil import utcnow
from ..extensions import db
from .models import StashedUpload


REQUEST_FORM = "request"  # the request form's scope; the add-information form's is info_scope(…)


def info_scope(tracking_no: str) -> str:
    return f"info:{tracking_no}"


def owner_hash(submission_key: str | None, session_secret: str | None, scope: str = REQUEST_FORM) -> str | None:
    """The binding of a stash to one form (``scope``: the request form, or one request's
    add-information form), its key and one session; None when the key or the session is
    missing."""
    if not submission_key or not session_secret:
        return None
    message = b"stash:" + scope.encode() + b":" + submission_key.encode() + b":" + session_secret.encode()
    return hmac.new(current_app.config["SECRET_KEY"].encode(), message, hashlib.sha256).hexdigest()


def _mine(submission_key: str, owner: str):
    return (StashedUpload.submission_key == submission_key, StashedUpload.owner_hash == owner,
            StashedUpload.created_at >= expiry_cutoff())


def expiry_cutoff():
    return utcnow() - timedelta(hours=int(current_app.config.get("UPLOAD_STASH_HOURS") or 24))


def listed(submission_key: str | None, owner: str | None, for_update: bool = False) -> list[StashedUpload]:
    """The files kept for this form and session, oldest first (none without an owner).
    ``for_update``: lock them (PostgreSQL) until the filing commits, so that two
    submissions of the same form cannot both take them."""
    if not submission_key or owner is None:
        return []
    query = sa.select(StashedUpload).where(*_mine(submission_key, owner)).order_by(StashedUpload.id)
    if for_update and db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return list(db.session.scalars(query))


def keep(submission_key: str, owner: str, stored: list[uploads.StoredFile]) -> list[StashedUpload]:
    """Record files just written by ``uploads.stash``; the caller commits."""
    now = utcnow()
    rows = [StashedUpload(submission_key=submission_key, owner_hash=owner, stash_name=item.storage_name,
                          original_name=item.original_name, content_type=item.content_type, size=item.size,
                          kind=item.kind, pixels=item.pixels, created_at=now) for item in stored]
    db.session.add_all(rows)
    db.session.flush()
    return rows


def remove(submission_key: str, owner: str | None, stash_id) -> bool:
    """The person's "Remove": the row and its file go, if they are this form's and this
    session's (anything else is silently nothing).  The caller commits."""
    try:
        wanted = int(stash_id)
    except (TypeError, ValueError):
        return False
    if owner is None:
        return False
    row = db.session.scalar(sa.select(StashedUpload).where(StashedUpload.id == wanted, *_mine(submission_key, owner)))
    if row is None:
        return False
    db.session.delete(row)
    db.session.flush()
    uploads.delete_stashed(row.stash_name)
    return True


def take(rows: list[StashedUpload]) -> list[uploads.StoredFile]:
    """Move the files of ``rows`` out of the stash into the attachments' folders, as
    ``StoredFile`` ready for filing; a file already gone is left out."""
    taken = []
    for row in rows:
        try:
            name = uploads.unstash(row.stash_name)
        except (FileNotFoundError, FileExistsError):
            continue
        taken.append(uploads.StoredFile(storage_name=name, original_name=row.original_name, content_type=row.content_type,
                                        size=row.size, kind=row.kind, pixels=row.pixels))
    return taken


def forget(rows: list[StashedUpload]) -> None:
    """Drop the rows (after ``take``, or to discard); files still in the stash go too.
    The caller commits."""
    ids = [row.id for row in rows]
    names = [row.stash_name for row in rows]
    if ids:
        db.session.execute(sa.delete(StashedUpload).where(StashedUpload.id.in_(ids)))
    for name in names:
        uploads.delete_stashed(name)


def purge_expired() -> int:
    """Remove stashed files older than ``UPLOAD_STASH_HOURS`` (rows and files), and any
    file left in the stash folder without a row (a worker killed between writing the
    file and committing its row) once it is that old too; how many rows went."""
    cutoff = expiry_cutoff()
    rows = list(db.session.scalars(sa.select(StashedUpload).where(StashedUpload.created_at < cutoff)))
    forget(rows)
    known = set(db.session.scalars(sa.select(StashedUpload.stash_name)))
    folder = uploads.upload_root() / uploads.STASH_FOLDER
    if folder.is_dir():
        for path in folder.iterdir():
            name = f"{uploads.STASH_FOLDER}/{path.name}"
            if name in known or not path.is_file():
                continue
            if path.stat().st_mtime < cutoff.timestamp():
                try:
                    uploads.delete_stashed(name)
                except FileNotFoundError:  # not a name ``stash`` makes: not ours to touch
                    pass
    return len(rows)
