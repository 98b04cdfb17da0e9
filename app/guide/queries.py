"""Reads for the service guide.  Functions return ``select()`` statements; a list page
runs a fixed number of queries whatever it shows."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import load_only

from ..extensions import db
from ..org.models import Department
from .models import GuideEntry, GuideRevision, GuideSearchDoc
from .search import fts5_match, query_terms, tsquery

PAGE_SIZE = 20
MAX_PAGE = 50  # bounded offset


@dataclass(frozen=True)
class GuideFilters:
    q: str = ""
    dept: str = ""
    category: str = ""
    audience: str = ""
    page: int = 1


# PostgreSQL: the stored, GIN-indexed tsvector columns that the migrations add (generated
# columns: PostgreSQL keeps them in step with every edit), of the whole document (title A,
# keywords B, body C, pinyin D), of the title tokens alone, and of title and keywords
# (the "strong" stream, see below).
FULLTEXT_TSV = sa.literal_column("guide_search_doc.fulltext_tsv")
TITLE_TSV = sa.literal_column("guide_search_doc.fulltext_tsv_title")
STRONG_TSV = sa.literal_column("guide_search_doc.fulltext_tsv_strong")
# SQLite: the FTS5 table (its rowid is the entry id) over title, keywords, body, pinyin,
# ranked by bm25 with these weights (in that column order).
FTS = sa.table("guide_search_fts", sa.column("rowid"))
FTS_TABLE = sa.literal_column("guide_search_fts")
BM25_WEIGHTS = (10.0, 5.0, 2.0, 1.0)

# A search ranks at most this many matching entries (title matches first) and lists
# them over SEARCH_CAP / PAGE_SIZE pages; the count says "more than SEARCH_CAP" beyond.
# This bounds the work of a broad word on a large guide: the index yields matches in
# its own order and only the first SEARCH_CAP title matches, SEARCH_CAP strong matches
# (every word in the title or the keywords, "also searched as") and SEARCH_CAP matches
# anywhere are scored, instead of every match.
SEARCH_CAP = 100
TITLE_BONUS = 2000.0  # any title match ranks above every other match
STRONG_BONUS = 1000.0  # a keyword match (title and keywords together) above every body-only match
COLUMNS = {"title": "{title}", "strong": "{title keywords}"}


def _entry_filter(entry_id, filters: GuideFilters | None, public: bool = True):
    """EXISTS(the entry passes the filters): evaluated per index hit, so the full-text
    index drives the search and stops as soon as enough hits pass."""
    cond = [GuideEntry.id == entry_id]
    if public:
        cond.append(GuideEntry.status == "active")
    if filters is not None:
        if filters.dept:
            cond.append(GuideEntry.department_id == sa.select(Department.id).where(Department.code == filters.dept).scalar_subquery())
        if filters.category:
            cond.append(GuideEntry.category == filters.category)
        if filters.audience in ("enterprise", "employee"):
            # entries for "both" serve enterprises and employees alike
            cond.append(GuideEntry.audience.in_([filters.audience, "both"]))
    return sa.exists().where(*cond)


def _stream(
    query: str, filters: GuideFilters | None, column: str = "", ranked: bool = True, mode: str = "all", groups=None
) -> sa.Select | None:
    """Matching entries as ``(entry_id[, score])`` in the index's own order (unsorted,
    so a LIMIT stops the scan early), or None when the query has nothing searchable.
    ``column``: "" anywhere, "title" every word in the title, "strong" every word in the
    title or the keywords.  ``mode="any"``: entries matching any of the query's words
    (see search.MODES); ``groups``: match these groups of ``query_terms`` instead of the
    query's."""
    if db.engine.dialect.name == "sqlite":
        match = fts5_match(query, mode, groups)
        if match is None:
            return None
        if column:
            match = COLUMNS[column] + " : (" + match + ")"
        stmt = sa.select(FTS.c.rowid.label("entry_id")).where(FTS_TABLE.op("MATCH")(match), _entry_filter(FTS.c.rowid, filters))
        if ranked:
            stmt = stmt.add_columns((-sa.func.bm25(FTS_TABLE, *BM25_WEIGHTS)).label("score"))
        return stmt
    expression = tsquery(query, mode, groups)
    if expression is None:
        return None
    tsq = sa.func.to_tsquery(sa.literal_column("'simple'::regconfig"), expression)
    vector = {"title": TITLE_TSV, "strong": STRONG_TSV}.get(column, FULLTEXT_TSV)
    columns = [GuideSearchDoc.entry_id.label("entry_id")]
    if ranked:
        # A title match is scored on title + keywords (see search_hits).
        columns.append(sa.func.ts_rank(STRONG_TSV if column == "title" else vector, tsq).label("score"))
    # OFFSET 0 fences the match off from the caller's LIMIT: planned for all matches, it
    # always uses the GIN index (a bitmap scan that still stops early), never a walk in
    # primary-key order testing every row, which a LIMIT makes look cheap and which costs
    # a full scan when the words are rare.
    matches = sa.select(*columns).where(vector.op("@@")(tsq)).offset(0).subquery("matches")
    return sa.select(*matches.c).where(_entry_filter(matches.c.entry_id, filters))


def search_hits(query: str, filters: GuideFilters | None = None, mode: str = "all") -> sa.Subquery | None:
    """``(entry_id, score)`` of the best ``SEARCH_CAP`` among the first ``SEARCH_CAP``
    title matches, the first ``SEARCH_CAP`` strong matches (title or keywords) and the
    first ``SEARCH_CAP`` matches anywhere (public, passing ``filters``); higher score =
    better: title matches first, then keyword matches, then body matches.  None when
    the query holds nothing searchable."""
    title = _stream(query, filters, column="title", mode=mode)
    if title is None:
        return None
    title = title.limit(SEARCH_CAP).subquery("title_hits")
    strong = _stream(query, filters, column="strong", mode=mode).limit(SEARCH_CAP).subquery("strong_hits")
    anywhere = _stream(query, filters, mode=mode).limit(SEARCH_CAP).subquery("any_hits")
    both = sa.union_all(
        sa.select(title.c.entry_id, sa.literal(TITLE_BONUS).label("tier"), title.c.score),
        sa.select(strong.c.entry_id, sa.literal(STRONG_BONUS).label("tier"), strong.c.score),
        sa.select(anywhere.c.entry_id, sa.literal(0.0).label("tier"), anywhere.c.score),
    ).subquery("both_hits")
    # The best tier an entry reached, plus a score within it, so that in the title tier an
    # entry whose keywords hold the words too ranks first.  SQLite: its best score in any
    # stream (FTS5 answers in rowid order, so which entries make each stream's cut at
    # SEARCH_CAP is always the same).  PostgreSQL: its score in its best tier's stream only,
    # a title match being scored on title + keywords (above): the GIN scan answers in heap
    # order, so whether an entry also made a lower stream's cut is chance, and the order
    # within a tier changed from run to run.
    if db.engine.dialect.name == "sqlite":
        best = (sa.func.max(both.c.tier) + sa.func.max(both.c.score)).label("score")
    else:
        best = sa.func.max(both.c.tier + both.c.score).label("score")
    return (
        sa.select(both.c.entry_id, best)
        .group_by(both.c.entry_id)
        .order_by(best.desc(), both.c.entry_id)
        .limit(SEARCH_CAP)
        .subquery("hits")
    )


def all_matches(query: str) -> sa.Subquery | None:
    """``(entry_id, score)`` of every public entry matching ``query`` (the API pages
    through all of them; the public page uses the bounded ``search_hits``)."""
    stream = _stream(query, None)
    return None if stream is None else stream.subquery("hits")


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


def max_page(filters: GuideFilters) -> int:
    return SEARCH_CAP // PAGE_SIZE if filters.q.strip() else MAX_PAGE


# What a result card shows (templates/guide/_results.html): the lists, steps and long
# texts of an entry are not read (nor JSON-decoded) for a list page.
LIST_COLUMNS = load_only(
    GuideEntry.id, GuideEntry.slug, GuideEntry.department_id, GuideEntry.category, GuideEntry.status,
    GuideEntry.title_zh, GuideEntry.title_en, GuideEntry.summary_zh, GuideEntry.summary_en,
    GuideEntry.promised_days, GuideEntry.is_free, raiseload=True,
)


def guide_page(filters: GuideFilters) -> tuple[sa.Select | None, sa.Select | None]:
    """(entries of the page, their total count); both None when the query is unsearchable.
    With a query the count stops at ``SEARCH_CAP + 1`` (shown as "more than …").  The
    entries carry only the columns of a result card (reading another one raises)."""
    page = max(1, min(filters.page, max_page(filters)))
    if filters.q.strip():
        hits = search_hits(filters.q, filters)
        if hits is None:
            return None, None
        rows = (
            sa.select(GuideEntry)
            .join(hits, hits.c.entry_id == GuideEntry.id)
            .order_by(hits.c.score.desc(), GuideEntry.title_zh, GuideEntry.id)
        )
        matched = _stream(filters.q, filters, ranked=False).limit(SEARCH_CAP + 1).subquery("matched")
        count = sa.select(sa.func.count()).select_from(matched)
    else:
        stmt = _filtered(filters)
        rows = stmt.order_by(GuideEntry.category, GuideEntry.title_zh, GuideEntry.id)
        count = stmt.with_only_columns(sa.func.count(GuideEntry.id)).order_by(None)
    return rows.options(LIST_COLUMNS).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE), count


CLOSEST = 5  # "did you mean": how many closest matches a search with few results offers
FEW = 2  # a search listing at most this many entries also offers the closest matches


def closest_hits(query: str, filters: GuideFilters | None = None) -> sa.Subquery | None:
    """``(entry_id, matched, score)`` of the entries matching any group of the query
    (search.query_terms(mode="any")): ``matched`` adds up, over the groups an entry
    matches, 1 / (how many entries match that group) — once for a match anywhere and
    once more in the title or the keywords — so a rare word counts more than a common
    one; ``score``
    (bm25 / ts_rank of the whole OR query) breaks ties.  Weighing the groups in SQL
    alike, rather than by each database's own ranking function (bm25 knows how rare a
    word is, ts_rank does not), ranks the closest matches alike on SQLite and
    PostgreSQL.  Each group's lookup reads at most SEARCH_CAP index hits."""
    groups = query_terms(query, "any")
    overall = _stream(query, filters, mode="any", groups=groups)
    if overall is None:
        return None
    streams = []
    ranked = overall.limit(SEARCH_CAP).subquery("closest_ranked")
    streams.append(sa.select(ranked.c.entry_id, sa.cast(0.0, sa.Float).label("matched"), sa.cast(ranked.c.score, sa.Float).label("score")))
    for i, group in enumerate(groups):
        for column in ("", "strong"):
            hits = _stream(query, filters, column=column, ranked=False, groups=[group]).limit(SEARCH_CAP).subquery(f"group_{i}_{column or 'any'}")
            weight = sa.cast(1.0 / sa.func.count().over(), sa.Float)
            streams.append(sa.select(hits.c.entry_id, weight.label("matched"), sa.cast(sa.null(), sa.Float).label("score")))
    both = sa.union_all(*streams).subquery("closest_both")
    matched, score = sa.func.sum(both.c.matched).label("matched"), sa.func.max(both.c.score).label("score")
    return sa.select(both.c.entry_id, matched, score).group_by(both.c.entry_id).subquery("closest_hits")


def closest_matches(filters: GuideFilters, exclude: tuple[int, ...] = (), limit: int = CLOSEST) -> sa.Select | None:
    """For a search that found nothing or little: the entries matching the most of its
    words (``closest_hits``) other than ``exclude`` (those already listed), the page's
    "did you mean".  None when the query holds nothing searchable, or only one word
    (then "any" of its words is what the search already tried)."""
    terms = query_terms(filters.q, "any")
    if len(terms) < 2 and terms == query_terms(filters.q):
        return None
    hits = closest_hits(filters.q, filters)
    if hits is None:
        return None
    stmt = sa.select(GuideEntry).join(hits, hits.c.entry_id == GuideEntry.id)
    if exclude:
        stmt = stmt.where(GuideEntry.id.not_in(exclude))
    return (
        stmt.order_by(hits.c.matched.desc(), hits.c.score.desc(), GuideEntry.title_zh, GuideEntry.id)
        .options(LIST_COLUMNS)
        .limit(limit)
    )


# --- Browse by topic (the guide's first page) ---------------------------------------


def category_counts() -> sa.Select:
    """``(category, number of active entries)`` of every category that has any: one
    GROUP BY over the indexed column, the same rows the category's list shows."""
    return (
        sa.select(GuideEntry.category, sa.func.count(GuideEntry.id))
        .where(GuideEntry.status == "active")
        .group_by(GuideEntry.category)
    )


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
