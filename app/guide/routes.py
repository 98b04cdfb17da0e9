"""楼事服务指南 public pages: /<lang>/guide/ and /<lang>/guide/<slug>."""

from __future__ import annotations

from flask import Blueprint, abort, g, jsonify, request, url_for
from flask_babel import gettext as _

from ..core.forms import choices
from ..core.inputs import page_arg
from ..core.cache import Version, cached
from ..core.qr import qr_svg
from ..core.rendering import render, wants_fragment
from ..extensions import db
from ..org.queries import all_departments
from .forms import SearchForm
from .models import AUDIENCES, CATEGORIES, CATEGORY_DESCRIPTIONS, MATERIAL_FORMS
from . import queries
from .queries import PAGE_SIZE, GuideFilters, entry_by_slug, guide_page, related_entries
from .search import highlight_terms

bp = Blueprint("guide", __name__, url_prefix="/<lang:lang_code>/guide")


def _version() -> Version:
    """The guide's pages are cached in the ``guide`` namespace (app/core/cache.py)."""
    return Version("guide")


def _filters() -> GuideFilters:
    args = request.args
    page = page_arg()
    category = args.get("category", "")
    audience = args.get("audience", "")
    return GuideFilters(
        q=args.get("q", "")[:200],
        dept=args.get("dept", "")[:40],
        category=category if category in CATEGORIES else "",
        audience=audience if audience in ("enterprise", "employee") else "",
        page=page,
    )


@bp.route("/")
def index():
    return cached("guide.index", _version(), _index)


def _index():
    filters = _filters()
    departments = db.session.scalars(all_departments()).all()
    form = SearchForm(request.args)
    form.dept.choices = choices([("", _("All departments"))] + [(d.code, d.loc("name").text) for d in departments])
    form.category.choices = choices([("", _("All categories"))] + list(CATEGORIES.items()))
    form.audience.choices = choices([("", _("Everyone")), ("enterprise", AUDIENCES["enterprise"]), ("employee", AUDIENCES["employee"])])
    rows, count = guide_page(filters)
    entries = db.session.scalars(rows).unique().all() if rows is not None else []
    total = db.session.scalar(count) if count is not None else 0
    more = bool(filters.q.strip()) and total > queries.SEARCH_CAP  # a search lists the best SEARCH_CAP
    closest = []  # "did you mean": few or no entries match every word, these match some
    if filters.q.strip() and filters.page == 1 and len(entries) <= queries.FEW:
        stmt = queries.closest_matches(filters, exclude=tuple(e.id for e in entries))
        closest = db.session.scalars(stmt).unique().all() if stmt is not None else []
    total = min(total, queries.SEARCH_CAP) if more else total
    pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
    return render(
        "guide/index.html",
        "guide/_listing.html",
        **_browse_context(filters, departments),
        form=form,
        filters=filters,
        entries=entries,
        closest=closest,
        total=total,
        more=more,
        pages=pages,
        terms=highlight_terms(filters.q),
        categories=CATEGORIES,
    )


# --- Browse by topic (docs/guide/browse.md) -------------------------------------------


def _browse_context(filters: GuideFilters, departments) -> dict:
    """What the browse UI of the guide's index needs: the topic grid with its counts on
    the first page (no query, no filter), the topic's heading on a topic's page
    (``?category=<key>`` without a query), and the active filters as removable chips."""
    browsing = not (filters.q.strip() or filters.dept or filters.category or filters.audience) and filters.page == 1
    topics = []
    if browsing:
        counts = dict(db.session.execute(queries.category_counts()).all())
        topics = [
            {"key": key, "label": label, "description": CATEGORY_DESCRIPTIONS[key], "count": counts[key]}
            for key, label in CATEGORIES.items()
            if counts.get(key)
        ]
    args = {k: v for k in ("q", "dept", "category", "audience") if (v := request.args.get(k, ""))}
    chips = []
    names = {d.code: d.loc("short").text or d.loc("name").text for d in departments}
    for name, label, value in (
        ("category", _("Category"), CATEGORIES.get(filters.category)),
        ("dept", _("Department"), names.get(filters.dept)),
        ("audience", _("For"), AUDIENCES.get(filters.audience)),
    ):
        if value:
            rest = {k: v for k, v in args.items() if k != name}
            chips.append({"label": label, "value": value, "url": url_for("guide.index", **rest)})
    topic = filters.category if filters.category and not filters.q.strip() else ""
    return {
        "topics": topics,
        "topic": topic,
        "topic_description": CATEGORY_DESCRIPTIONS.get(topic, ""),
        "chips": chips,
        "fragment": wants_fragment(),
    }


SUGGESTIONS = 10  # what the request form's service picker lists at most


@bp.route("/suggest")
def suggest():
    """The request form's service picker (static/js/picker.js): the best matches of the
    guide's own search for ``q`` — the query function behind /guide/?q=, so the same
    words (Chinese, pinyin, initials, English) find the same entries in the same order —
    as JSON ``{"q", "results": [{"value", "label", "group"}], "count"}``.  When nothing
    matches every word, the closest matches the guide page offers ("did you mean")."""
    q = request.args.get("q", "")[:200]
    entries = []
    if q.strip():
        rows, _count = guide_page(GuideFilters(q=q))
        entries = db.session.scalars(rows).unique().all()[:SUGGESTIONS] if rows is not None else []
        if not entries:  # the closest matches, as the guide page offers them
            stmt = queries.closest_matches(GuideFilters(q=q))
            entries = db.session.scalars(stmt).unique().all() if stmt is not None else []
    results = [{"value": e.slug, "label": e.loc("title").text, "group": str(CATEGORIES.get(e.category, e.category))} for e in entries]
    response = jsonify({"q": q, "results": results, "count": len(results)})
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


@bp.route("/<slug>")
def detail(slug: str):
    return cached("guide.detail", _version(), lambda: _detail(slug))


def _detail(slug: str):
    entry = db.session.scalar(entry_by_slug(slug))
    if entry is None:
        abort(404)
    related = db.session.scalars(related_entries(entry)).unique().all()
    title = entry.loc("title")
    fallback_note = title.note if title.fallback else ""
    g.fallback_noted = bool(fallback_note)  # one banner instead of a note on every field
    page_url = url_for("guide.detail", slug=entry.slug, _external=True)
    return render(
        "guide/detail.html",
        entry=entry,
        related=related,
        categories=CATEGORIES,
        audiences=AUDIENCES,
        material_forms=MATERIAL_FORMS,
        qr=qr_svg(page_url, _("QR code of this page")),
        fallback_note=fallback_note,
    )
