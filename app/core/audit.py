"""Write audit records.  Services call ``record`` inside the same transaction as the
change it describes, so a change and its record are committed (or lost) together.

The building of a record (what scopes it to a council member's view) is taken from the
target when not given: its ``building_id``, or its own id when it is a building.  Phone
numbers never reach the log: any value in ``before``/``after`` that holds one is stored
masked (138****5678), the same way staff views show them."""

from __future__ import annotations

import re
from typing import Any

from flask_login import current_user

from ..extensions import db
from .models import AuditLog

# A mainland mobile (11 digits from 13…19, optional +86 and single spaces or dashes
# between digits) or a landline with its area code (021-58880000), standing alone.
_PHONE = re.compile(
    r"(?<![\d*])(?:(?:\+|00)?86[\s-]?)?(1[3-9]\d(?:[\s-]?\d){8})(?![\d*])"
    r"|(?<![\d*])(0\d{2,3})[\s-]?(\d{7,8})(?![\d*])"
)


def _mask_match(match: re.Match) -> str:
    if match.group(1):
        digits = re.sub(r"\D", "", match.group(1))
        return f"{digits[:3]}****{digits[-4:]}"
    number = match.group(3)
    return f"{match.group(2)}-{'*' * (len(number) - 4)}{number[-4:]}"


def mask_phones(value: Any) -> Any:
    """``value`` with every phone number in its strings masked (dicts and lists walked)."""
    if isinstance(value, str):
        return _PHONE.sub(_mask_match, value)
    if isinstance(value, dict):
        return {k: mask_phones(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_phones(v) for v in value]
    return value


# An e-mail address typed inside free text ("请发到 wang.xm@example.com 谢谢").
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])([A-Za-z0-9._%+-]+)@((?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,})(?![A-Za-z0-9-])")


def _mask_email_match(match: re.Match) -> str:
    return f"{match.group(1)[:1]}***@{match.group(2)}"


def mask_contacts(text: Any) -> Any:
    """Free text (a description, more information, an internal note) as staff pages show
    it until a logged reveal: every phone number masked (138****5678, 021-****0000) and
    every e-mail address too (w***@example.com).  None and non-text are returned as given."""
    if not isinstance(text, str):
        return text
    return _EMAIL.sub(_mask_email_match, _PHONE.sub(_mask_match, text))


def has_contacts(text: Any) -> bool:
    """Whether ``mask_contacts`` would hide anything in ``text``."""
    return isinstance(text, str) and bool(_PHONE.search(text) or _EMAIL.search(text))


def _building_of(target: Any) -> int | None:
    if target is None:
        return None
    if getattr(target, "__tablename__", None) == "building":
        return getattr(target, "id", None)
    return getattr(target, "building_id", None)


def record(
    action: str,
    target: Any = None,
    *,
    target_type: str | None = None,
    target_id: Any = None,
    before: dict | None = None,
    after: dict | None = None,
    actor: Any = None,
    building_id: int | None = None,
) -> AuditLog:
    """Add one audit record to the session (the caller's transaction commits it)."""
    if actor is None and current_user and getattr(current_user, "is_authenticated", False):
        actor = current_user
    if target is not None:
        target_type = target_type or getattr(target, "__tablename__", type(target).__name__.lower())
        if target_id is None:
            target_id = getattr(target, "id", None)
    if building_id is None:
        building_id = _building_of(target)
    entry = AuditLog(
        action=action,
        target_type=target_type or "",
        target_id=None if target_id is None else str(target_id),
        actor_id=getattr(actor, "id", None),
        building_id=building_id,
        before=mask_phones(before) if before is not None else None,
        after=mask_phones(after) if after is not None else None,
    )
    db.session.add(entry)
    return entry
