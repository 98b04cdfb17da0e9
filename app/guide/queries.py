"""Reads for the service guide.  Functions return ``select()`` statements; a list page
runs a fixed number of queries whatever it shows."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from ..extensions import db
from .models import Department, GuideEntry, GuideRevision, GuideSearchDoc
from .search import fts5_match, tsquery

PAGE_SIZE = 20
MAX_PAGE = 50  # bounded offset


@dataclass(frozen=True)
class GuideFilters:
    q: str = ""
    dept: str = ""
    category: str = ""
    audience: str = ""
    page: int = 1


# PostgreSQL: the stored, GIN-indexed tsvector column that the migration adds.
FULLTEXT_TSV = sa.literal_column("guide_search_doc.fulltext_tsv")


def search_hits(query: str, ranked: bool = True, limit: int | None = None) -> sa.Subquery | None:
    """``(entry_id, score)`` of entries matching ``query``, higher score = better (just
    ``entry_id`` when not ``ranked``: counting needs no ranking), or None when the query
    holds nothing searchable.  Title matches weigh most.  ``limit`` keeps only the best
    ``limit`` hits, so a broad word does not make every match travel through the join."""
    dialect = db.engine.dialect.name
    if dialect == "sqlite":
        match = fts5_match(query)
        if match is None:
            return None
        score = ", -bm25(guide_search_fts, 10.0, 2.0, 1.0) AS score" if ranked else ""
        columns = {"entry_id": sa.Integer, **({"score": sa.Float} if ranked else {})}
        top = " ORDER BY score DESC" if ranked and limit else ""
        return (
            sa.text(
                # A LIMIT (-1: none) keeps SQLite from flattening this into the outer query,
                # which would probe the FTS index once per entry instead of once per search.
                f"SELECT rowid AS entry_id{score} FROM guide_search_fts WHERE guide_search_fts MATCH :match{top} LIMIT :limit"
            )
            .bindparams(match=match, limit=limit if ranked and limit else -1)
            .columns(**columns)
            .subquery("hits")
        )
    expression = tsquery(query)
    if expression is None:
        return None
    tsq = sa.func.to_tsquery(sa.literal_column("'simple'::regconfig"), expression)
    columns = [GuideSearchDoc.entry_id.label("entry_id")]
    stmt = sa.select(*columns).select_from(GuideSearchDoc).where(FULLTEXT_TSV.op("@@")(tsq))
    if ranked:
        score = sa.func.ts_rank(FULLTEXT_TSV, tsq).label("score")
        stmt = stmt.add_columns(score)
        if limit:
            stmt = stmt.order_by(score.desc()).limit(limit)
    return stmt.subquery("hits")


def _filtered(filters: GuideFilters, public: bool = True):
    stmt = sa.select(GuideEntry)
    if public:
        stmt = stmt.where(GuideEntry.status == "active")
    if filters.dept:
        stmt = stmt.join(Department, GuideEntry.department_id == Department.id).where(Department.code == filters.dept)
    if filters.category:
        stmt = stmt.where(GuideEntry.category == filters.category)
    if filters.audience in ("enterprise", "employee"):
        # entries for "both" serve enterprises and employees alike
        stmt = stmt.where(GuideEntry.audience.in_([filters.audience, "both"]))
    return stmt


def guide_page(filters: GuideFilters) -> tuple[sa.Select | None, sa.Select | None]:
    """(entries of the page, their total count); both None when the query is unsearchable."""
    stmt = count_stmt = _filtered(filters)
    order = [GuideEntry.category, GuideEntry.title_zh]
    if filters.q.strip():
        page = max(1, min(filters.page, MAX_PAGE))
        limit = None
        if not (filters.dept or filters.category or filters.audience):
            # Only the status filter can drop a hit: keep enough of the best ones for this
            # page even if every unpublished entry ranked above them (exact, not a guess).
            unpublished = db.session.scalar(sa.select(sa.func.count()).where(GuideEntry.status != "active")) or 0
            limit = page * PAGE_SIZE + unpublished
        hits = search_hits(filters.q, limit=limit)
        if hits is None:
            return None, None
        matched = search_hits(filters.q, ranked=False)
        stmt = stmt.join(hits, hits.c.entry_id == GuideEntry.id)
        count_stmt = count_stmt.join(matched, matched.c.entry_id == GuideEntry.id)
        order = [hits.c.score.desc(), GuideEntry.title_zh]
    count = count_stmt.with_only_columns(sa.func.count(GuideEntry.id)).order_by(None)
    page = max(1, min(filters.page, MAX_PAGE))
    rows = stmt.order_by(*order).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    return rows, count


def guide_version() -> sa.Select:
    """Changes whenever any entry is created, edited or changes status (page cache key)."""
    return sa.select(sa.func.max(GuideEntry.updated_at))


def entry_by_slug(slug: str, public: bool = True) -> sa.Select:
    stmt = sa.select(GuideEntry).where(GuideEntry.slug == slug)
    if public:
        stmt = stmt.where(GuideEntry.status == "active")
    return stmt


def related_entries(entry: GuideEntry, limit: int = 4) -> sa.Select:
    """Other active entries of the same category, the same department's first."""
    return (
        sa.select(GuideEntry)
        .where(GuideEntry.status == "active", GuideEntry.id != entry.id, GuideEntry.category == entry.category)
        .order_by(sa.case((GuideEntry.department_id == entry.department_id, 0), else_=1), GuideEntry.title_zh)
        .limit(limit)
    )


def departments_with_entries() -> sa.Select:
    return (
        sa.select(Department)
        .where(sa.exists().where(GuideEntry.department_id == Department.id, GuideEntry.status == "active"))
        .order_by(Department.code)
    )


def all_departments() -> sa.Select:
    return sa.select(Department).order_by(Department.code)


def staff_entries(user, dept: str = "") -> sa.Select:
    """Entries a staff member may edit: a department's for its staff, all for admins."""
    stmt = sa.select(GuideEntry).join(Department, GuideEntry.department_id == Department.id)
    if user.role != "admin":
        stmt = stmt.where(GuideEntry.department_id == user.department_id)
    elif dept:
        stmt = stmt.where(Department.code == dept)
    return stmt.order_by(Department.code, GuideEntry.title_zh)


def revisions_of(entry: GuideEntry) -> sa.Select:
    return sa.select(GuideRevision).where(GuideRevision.entry_id == entry.id).order_by(GuideRevision.version.desc())
