"""Writes for the service guide: every save bumps the version, keeps a revision
snapshot, rewrites the entry's search document and writes an audit record."""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from ..core import audit
from ..extensions import db
from .models import GuideEntry, GuideRevision, GuideSearchDoc
from .search import index_tokens, pinyin_tokens

TEXT_FIELDS = (
    "title", "summary", "council_role", "keywords", "fee", "location", "hours", "complaint", "legal_basis",
)
SCALAR_FIELDS = (
    "slug", "category", "audience", "status", "sensitive", "emergency", "promised_days", "legal_days", "is_free", "phone", "online_url",
)
LIST_FIELDS = ("conditions", "materials", "steps")
EDITABLE_FIELDS = (
    SCALAR_FIELDS
    + tuple(f"{name}_{lang}" for name in TEXT_FIELDS for lang in ("zh", "en"))
    + LIST_FIELDS
    + ("last_reviewed_on",)
)


class StaleEdit(Exception):
    """Someone else saved the entry after this form was opened."""


def snapshot(entry: GuideEntry) -> dict:
    data = {name: getattr(entry, name) for name in EDITABLE_FIELDS}
    data["last_reviewed_on"] = entry.last_reviewed_on.isoformat() if entry.last_reviewed_on else None
    data["department"] = entry.department.code if entry.department else None
    return data


KEYWORD_SEPARATORS = re.compile(r"[,，、;；\n\r]+")


def keyword_phrases(text: str | None) -> list[str]:
    """The phrases of a keywords field (separated by commas, 、, semicolons or new lines),
    blanks and repeats (ignoring case) dropped, in the order typed."""
    seen: set[str] = set()
    phrases: list[str] = []
    for phrase in KEYWORD_SEPARATORS.split(text or ""):
        phrase = " ".join(phrase.split())
        if phrase and phrase.casefold() not in seen:
            seen.add(phrase.casefold())
            phrases.append(phrase)
    return phrases


def normalise_keywords(text: str | None, lang: str) -> str:
    """A keywords field as stored: its phrases joined by 、 (Chinese) or ", " (English)."""
    return ("、" if lang == "zh" else ", ").join(keyword_phrases(text))


def _search_text(entry: GuideEntry) -> tuple[str, str, str, str]:
    """(title, keywords, body, pinyin) token strings of the entry's search document.
    Title and keywords get the same tokens as the body plus their full pinyin (``shebao``
    for 社保), so a pinyin query ranks as the Chinese one would; their pinyin initials go
    with the title's and summary's pinyin into the weak pinyin column."""
    title = f"{entry.title_zh} {entry.title_en}"
    words = " , ".join(keyword_phrases(entry.keywords_zh) + keyword_phrases(entry.keywords_en))
    keywords = " ".join(t for t in (index_tokens(words), pinyin_tokens(words, initials=False)) if t)
    parts = [entry.summary_zh, entry.summary_en, entry.council_role_zh, entry.council_role_en]
    for row in entry.conditions or []:
        parts += [row.get("zh", ""), row.get("en", "")]
    for row in entry.materials or []:
        parts += [row.get("name_zh", ""), row.get("name_en", "")]
    for row in entry.steps or []:
        parts += [row.get("title_zh", ""), row.get("title_en", ""), row.get("detail_zh", ""), row.get("detail_en", "")]
    dept = entry.department
    if dept is not None:
        parts += [dept.name_zh, dept.name_en, dept.short_zh, dept.short_en]
    body = " ".join(p for p in parts if p)
    pinyin = " ".join(t for t in (pinyin_tokens(f"{entry.title_zh} {entry.summary_zh}"), pinyin_tokens(words, initials=None)) if t)
    title = " ".join(t for t in (index_tokens(title), pinyin_tokens(entry.title_zh, initials=False)) if t)
    return title, keywords, index_tokens(body), pinyin


def reindex(entry: GuideEntry) -> None:
    """Rewrite the entry's search document (the full-text index follows it)."""
    title, keywords, body, pinyin = _search_text(entry)
    doc = db.session.get(GuideSearchDoc, entry.id)
    if doc is None:
        db.session.add(GuideSearchDoc(entry_id=entry.id, title=title, keywords=keywords, body=body, pinyin=pinyin))
    else:
        doc.title, doc.keywords, doc.body, doc.pinyin = title, keywords, body, pinyin


def reindex_all() -> int:
    """Rewrite every entry's search document (after a change to what is indexed, e.g.
    the keywords column); the number of entries.  ``flask --app wsgi reindex-guide``."""
    count = 0
    for entry in db.session.scalars(sa.select(GuideEntry).order_by(GuideEntry.id)):
        reindex(entry)
        count += 1
    return count


def web_link(url: str | None) -> str:
    """``url`` when it is an http(s) link, else "": a ``javascript:`` or ``data:`` URL must
    never reach an ``href`` on a public page (whatever the caller validated)."""
    url = (url or "").strip()
    return url if url.lower().startswith(("http://", "https://")) else ""


def _apply(entry: GuideEntry, data: dict) -> None:
    for name in EDITABLE_FIELDS:
        if name in data:
            value = data[name]
            if name == "last_reviewed_on" and isinstance(value, str):
                value = date.fromisoformat(value) if value else None
            if name == "online_url":
                value = web_link(value)
            if name in ("keywords_zh", "keywords_en"):
                value = normalise_keywords(value, name[-2:])
            if name == "materials" and value:
                value = [dict(row, template_url=web_link(row.get("template_url"))) if isinstance(row, dict) else row for row in value]
            setattr(entry, name, value)
    if "department" in data and data["department"] is not None:
        entry.department = data["department"]


def _record_revision(entry: GuideEntry, actor, note: str) -> None:
    db.session.add(
        GuideRevision(entry_id=entry.id, version=entry.version, actor_id=getattr(actor, "id", None), note=note or "", data=snapshot(entry))
    )


def create_entry(data: dict, *, actor=None, note: str = "") -> GuideEntry:
    entry = GuideEntry()
    _apply(entry, data)
    db.session.add(entry)
    db.session.flush()
    reindex(entry)
    _record_revision(entry, actor, note)
    audit.record("guide.create", entry, actor=actor, after=snapshot(entry))
    return entry


def update_entry(entry: GuideEntry, data: dict, *, expected_version: int | None = None, actor=None, note: str = "") -> dict:
    """Save changes; returns {field: [before, after]} of what changed (empty: nothing
    saved).  Raises StaleEdit when the entry moved on since the form was opened."""
    if expected_version is not None and expected_version != entry.version:
        raise StaleEdit(entry.version)
    before = snapshot(entry)
    _apply(entry, data)
    after = snapshot(entry)
    changed = {k: [before[k], after[k]] for k in after if before.get(k) != after.get(k)}
    if not changed:
        return {}
    try:
        db.session.flush()  # UPDATE … WHERE version = <read version>: see version_id_col
    except StaleDataError as exc:
        raise StaleEdit(entry.version) from exc
    reindex(entry)
    _record_revision(entry, actor, note)
    audit.record(
        "guide.update",
        entry,
        actor=actor,
        before={k: v[0] for k, v in changed.items()},
        after={k: v[1] for k, v in changed.items()},
    )
    return changed


def set_status(entry: GuideEntry, status: str, *, actor=None) -> bool:
    if entry.status == status:
        return False
    update_entry(entry, {"status": status}, actor=actor, note=f"status: {status}")
    return True


def load_entries(rows: list[dict], departments: dict) -> tuple[int, int]:
    """Create or update entries from plain dicts (the demo data); (created, updated)."""
    created = updated = 0
    for row in rows:
        data = dict(row)
        data["department"] = departments[data.pop("department")]
        data["last_reviewed_on"] = data.pop("last_reviewed", None)
        existing = db.session.scalar(sa.select(GuideEntry).where(GuideEntry.slug == data["slug"]))
        if existing is None:
            create_entry(data, note="seed-demo")
            created += 1
        else:
            # An entry seeded before keywords existed gets the demo keywords, once: words
            # that staff have since written are never replaced.
            fill = {k: data[k] for k in ("keywords_zh", "keywords_en") if data.get(k) and not getattr(existing, k)}
            if fill:
                update_entry(existing, fill, note="seed-demo: keywords")
            updated += 1
    return created, updated
