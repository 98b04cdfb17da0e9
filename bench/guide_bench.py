"""Service-guide benchmark: search latency at 100 and 10,000 entries on SQLite and
PostgreSQL, and req/s of the guide search page (full and htmx partial) against a bare
Flask endpoint, served by gunicorn (2 sync workers) and loaded by wrk on 127.0.0.1.
With the page cache on, three rounds of bare / page / partial / bare (medians; each round's
page and partial against the mean of the bare runs around them).  Search latency: 100 and N
entries in two databases side by side, measured in turn (five passes each, medians), so
both sizes see the same moments of a machine whose speed drifts.

    .venv/bin/python bench/guide_bench.py [--entries 10000] [--seconds 10] [--no-postgres]

PostgreSQL: BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1/loushi_bench,
dropped and re-created).  Prints a table; asserts nothing.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PASSWORD, analyze, databases, dispose, loader_name, make_app, parser, rate, served, table, write_json  # noqa: E402

QUERIES = ["落户", "消防", "税务登记", "停车", "parking", "licence", "luohu", "体检", "fire safety", "调解"]
WORDS_ZH = ["落户", "消防", "税务", "停车", "体检", "调解", "许可", "登记", "备案", "补贴", "申请", "人才", "企业", "职工", "楼宇", "检查", "证照", "公寓", "积水", "垃圾分类"]
WORDS_EN = ["residence", "fire", "tax", "parking", "health", "mediation", "licence", "registration", "filing", "subsidy", "application", "talent", "company", "employee", "building", "inspection", "permit", "apartment", "flooding", "waste"]


def _generate(app, count: int, start: int = 0) -> None:
    import sqlalchemy as sa

    from app.demo import seed_demo
    from app.extensions import db
    from app.guide.services import create_entry
    from app.org.models import Department

    rng = random.Random(start + 7)
    with app.app_context():
        if start == 0:
            seed_demo(PASSWORD, guide=False)
        depts = list(db.session.scalars(sa.select(Department)))
        for i in range(start, start + count):
            zh = rng.sample(WORDS_ZH, 4)
            en = [WORDS_EN[WORDS_ZH.index(w)] for w in zh]
            create_entry({
                "slug": f"bench-{i}", "department": depts[i % len(depts)], "category": "business", "audience": "both",
                "status": "active", "is_free": True, "fee_zh": "不收费", "fee_en": "Free",
                "title_zh": f"{zh[0]}{zh[1]}办理（{i}）", "title_en": f"{en[0].title()} {en[1]} ({i})",
                "summary_zh": "、".join(zh) + "相关事项的说明。", "summary_en": "About " + ", ".join(en) + ".",
                "conditions": [{"zh": f"在楼宇办公的{zh[2]}主体", "en": f"A {en[2]} in the building"}],
                "steps": [{"title_zh": "提交申请", "title_en": "Apply", "detail_zh": zh[3], "detail_en": en[3]}],
                "promised_days": 5, "legal_days": 20,
            })
            if i % 500 == 499:
                db.session.commit()
        db.session.commit()
        db.session.remove()


def _one_pass(app, rounds: int = 30) -> tuple[float, float]:
    """Median and p95 of a search: the ten QUERIES, ``rounds`` times each."""
    from app.extensions import db
    from app.guide.queries import GuideFilters, guide_page

    samples = []
    with app.app_context():
        for _ in range(rounds):
            for q in QUERIES:
                started = time.perf_counter()
                rows, count = guide_page(GuideFilters(q=q))
                db.session.scalars(rows).unique().all()
                db.session.scalar(count)
                samples.append((time.perf_counter() - started) * 1000)
        db.session.remove()
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def _latencies(small_app, large_app, repeats: int = 5) -> tuple[tuple[float, float], tuple[float, float]]:
    """(p50, p95) at each size, measured in turn (small, large, large, small, …) on two
    databases that exist side by side, so both sizes meet the same moments of the
    machine; each figure is the median over the ``repeats``."""
    passes: dict[str, list[tuple[float, float]]] = {"small": [], "large": []}
    for i in range(repeats):
        for name in (("small", "large") if i % 2 == 0 else ("large", "small")):
            passes[name].append(_one_pass(small_app if name == "small" else large_app))
    return tuple((statistics.median(p for p, _ in passes[n]), statistics.median(q for _, q in passes[n])) for n in ("small", "large"))


def _http(url_db: str, instance: Path, seconds: int, cache: bool, rounds: int = 3) -> dict[str, float]:
    with served(url_db, instance, cache=cache) as port:
        base = f"http://127.0.0.1:{port}"
        page = base + "/zh/guide/?q=" + urllib.parse.quote("落户")
        for url, headers in ((base + "/bare", None), (page, None), (page, {"HX-Request": "true"})):  # warm up both workers
            rate(url, 1, headers)
        # Each round: bare, full page and partial (in turn first), bare again; the page and
        # partial are compared with the mean of the two bare runs around them (the machine's
        # speed drifts), and the median of the rounds is reported.
        bares, fulls, partials = [], [], []
        for i in range(rounds):
            before = rate(base + "/bare", seconds)
            if i % 2:
                partials.append(rate(page, seconds, {"HX-Request": "true"}))
                fulls.append(rate(page, seconds))
            else:
                fulls.append(rate(page, seconds))
                partials.append(rate(page, seconds, {"HX-Request": "true"}))
            bares.append((before + rate(base + "/bare", seconds)) / 2)
    return {"bare": statistics.median(bares), "full": statistics.median(fulls), "partial": statistics.median(partials),
            "loader": 0.0 if loader_name().startswith("wrk") else 1.0}


def run(label: str, url: str, small_url: str, entries: int, seconds: int) -> dict:
    from flask_migrate import upgrade

    apps, instances = {}, {}
    for name, db_url in (("small", small_url), ("large", url)):
        instances[name] = Path(tempfile.mkdtemp(prefix=f"loushi-bench-{name}-"))
        apps[name] = make_app(db_url, instances[name])
        with apps[name].app_context():
            upgrade()
    started = time.perf_counter()
    _generate(apps["small"], 100)
    _generate(apps["large"], 100)  # the same 100 entries (same seed) …
    _generate(apps["large"], entries - 100, start=100)  # … and the rest
    load_seconds = time.perf_counter() - started
    for app in apps.values():  # statistics, as autovacuum keeps them in production (both sizes alike)
        analyze(app)
    small, large = _latencies(apps["small"], apps["large"])
    for app in apps.values():
        dispose(app)
    instance = instances["large"]
    cached = _http(url, instance, seconds, cache=True)
    cold = _http(url, instance, seconds, cache=False, rounds=1)
    return {"label": label, "small": small, "large": large, "load_s": load_seconds, **cached,
            "cold_bare": cold["bare"], "cold_full": cold["full"], "cold_partial": cold["partial"]}


def main() -> None:
    args = parser(__doc__, 10, entries=10_000).parse_args()
    results = [run(label, url, small_url, args.entries, args.seconds)
               for label, (url, small_url) in databases("guide", args.no_postgres, ("bench", "small"), "loushi_bench")]

    print(f"\nGuide benchmark — {args.entries} entries, {os.cpu_count()} cores, gunicorn 2 sync workers, "
          f"{loader_name()}, {args.seconds} s per URL\n")
    print("Search latency (guide_page(): entries + count, 10 queries × 30 rounds, in-process; 5 passes per size, "
          "the two sizes in turn on two databases, medians):\n")
    table("database", "p50 @100", "p95 @100", "p50 @N", "p95 @N", "p95 @N / p95 @100 (target ≤ 1.5×)", "time to load N")
    for r in results:
        (p50s, p95s), (p50l, p95l) = r["small"], r["large"]
        print(f"| {r['label']} | {p50s:.2f} ms | {p95s:.2f} ms | {p50l:.2f} ms | {p95l:.2f} ms | {p95l / p95s:.2f}× | {r['load_s']:.0f} s |")
    print("\nThroughput of /zh/guide/?q=落户 (req/s; ratio to the bare endpoint of the same run):\n")
    table("database", "page cache", "bare", "full page (target ≥ 60 %)", "htmx partial (target ≥ 80 %)")
    for r in results:
        for label, bare, full, partial in (("on (repeat search)", r["bare"], r["full"], r["partial"]),
                                           ("off (every request searches)", r["cold_bare"], r["cold_full"], r["cold_partial"])):
            print(f"| {r['label']} | {label} | {bare:.0f} | {full:.0f} ({full / bare:.0%}) | {partial:.0f} ({partial / bare:.0%}) |")

    write_json(args.json, args, results)


if __name__ == "__main__":
    main()
