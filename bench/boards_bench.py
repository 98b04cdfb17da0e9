"""Boards benchmark: a building's board (GET /zh/boards/shanghai-tower) with 1,000 and
with 100,000 service requests in the database — the number of SQL statements it runs
(it must not grow), its in-process latency, and its req/s next to the bare Flask
endpoint of bench/wsgi_bench.py and the boards index (GET /zh/boards/) in the same run;
on SQLite and PostgreSQL, served by gunicorn (2 sync workers) and loaded by wrk on
127.0.0.1.

    .venv/bin/python bench/boards_bench.py [--requests 100000] [--seconds 8] [--rounds 1] [--explain] [--no-postgres]

Data: the demo buildings and accounts (seed_demo, guide=False), then 1,000 requests
(Core bulk inserts into service_request, spread evenly over all buildings, so the
measured building holds ~1/14; random stage, created over the past 400 days, resolved /
closed times, some ratings), ANALYZE, measure; then up to --requests, ANALYZE, measure
again.

1. In process (Flask test client): the statements of one GET of the board (a
   before_cursor_execute listener, after warm-up requests), the median latency of 30
   GETs, and the median time of each statement in the database (cursor execute to
   after_cursor_execute: the driver has the rows by then); the slowest are printed.
   --explain also prints their plans (EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL,
   EXPLAIN QUERY PLAN on SQLite) at the larger size.
2. Under load: wrk -t2 -c8 (Python threads when wrk is missing) on /bare, the board and
   the index, with the app's default settings (the board and the index are not
   page-cached).  After each wrk run the requests wrk left queued are waited for (two
   GETs of /bare), so a slow page does not slow the next measurement.  wrk stops after
   the duration and its 2 s timeout keeps only the latency, so a very slow page (≥ 2 s
   with 8 connections) loses up to 8 answers at the end.  --rounds R measures R
   interleaved passes and reports medians.

Rate limiting is off (RATELIMIT_ENABLED=false).  PostgreSQL: BENCH_DATABASE_URL (default
postgresql://postgres@127.0.0.1/loushi_bench_boards, dropped and re-created).  The load
average is printed because other work on the machine skews the figures.  Prints markdown
tables; asserts nothing.
"""

from __future__ import annotations

import hashlib
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    bulk_insert, dispose, each_database, div, drain, heading, loader_name, passes_note, parser, rate, seeded_app,
    served, statements, summary, table, write_json,
)

SLUG = "shanghai-tower"
BOARD = f"/zh/boards/{SLUG}"
INDEX = "/zh/boards/"
SMALL = 1_000
STAGES = ("received", "assigned", "in_progress", "resolved", "closed")
SERVICES = ["停车证办理", "消防检查预约", "税务登记咨询", "人才落户", "垃圾分类清运", "电梯维修", "空调不制冷", "快递柜申请"]


# --- data --------------------------------------------------------------------------------


def _request(i: int, rng, now, buildings: list[int]) -> dict:
    """Service request number ``i`` (``bench.common.bulk_insert``'s row): a random stage,
    created over the past 400 days, resolved / closed times, some ratings."""
    created = now - timedelta(seconds=rng.randrange(60, 400 * 24 * 3600))
    stage = rng.choice(STAGES)
    first_response = min(now, created + timedelta(minutes=rng.randrange(10, 48 * 60)))
    resolved = closed = rating = None
    if stage in ("resolved", "closed"):
        resolved = min(now, created + timedelta(minutes=rng.randrange(60, 20 * 24 * 60)))
    if stage == "closed":
        closed = min(now, resolved + timedelta(minutes=rng.randrange(10, 7 * 24 * 60)))
        if rng.random() < 0.6:
            rating = rng.randint(1, 5)
    return {
        "tracking_no": f"LS-2026-{i:06d}",
        "access_code_hash": hashlib.sha256(f"bench-code-{i}".encode()).hexdigest(),
        "submission_key": f"bench-boards-{i}",
        "source": "web",
        "building_id": buildings[i % len(buildings)],
        "stage": stage,
        "description": f"基准测试诉求：{SERVICES[i % len(SERVICES)]}，请尽快联系。（第{i}号）",
        "reply_lang": "zh",
        "created_at": created,
        "updated_at": closed or resolved or first_response,
        "due_on": (created + timedelta(days=7)).date(),
        "first_response_at": None if stage == "received" else first_response,
        "first_response_on_time": rng.random() < 0.8,
        "resolved_at": resolved,
        "closed_at": closed,
        "rating": rating,
        "reopen_count": 0,
    }


def _insert_requests(app, start: int, count: int) -> None:
    """``count`` service requests (numbered from ``start``), spread evenly over all buildings."""
    from app.intake.models import ServiceRequest

    bulk_insert(app, ServiceRequest.__table__, _request, start, count, seed=23, batch=5000)


def _counts(app) -> tuple[int, int]:
    """(all requests, the measured building's requests)."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.intake.models import ServiceRequest
    from app.org.models import Building

    with app.app_context():
        total = db.session.scalar(sa.select(sa.func.count()).select_from(ServiceRequest))
        mine = db.session.scalar(
            sa.select(sa.func.count()).select_from(ServiceRequest).join(Building).where(Building.slug == SLUG)
        )
        db.session.remove()
    return total, mine


# --- 1. in process ---------------------------------------------------------------------------


def _in_process(app, rounds: int = 30) -> dict:
    """Statements of one board GET, median latency of ``rounds`` GETs, median time per statement."""
    client = app.test_client()
    for _ in range(3):  # the first requests of the process compile templates, load translations, …
        response = client.get(BOARD)
        if response.status_code != 200:
            raise RuntimeError(f"GET {BOARD} answered {response.status_code}")
    latencies, runs = [], []
    with statements(app) as calls:  # [statement, parameters, ms]
        for _ in range(rounds):
            calls.clear()
            started = time.perf_counter()
            response = client.get(BOARD)
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"GET {BOARD} answered {response.status_code}")
            runs.append(list(calls))
    first = runs[0]
    per_statement = []
    for k, (statement, parameters, _ms) in enumerate(first):
        times = [run[k][2] for run in runs if len(run) > k and run[k][0] == statement]
        per_statement.append((statement, parameters, statistics.median(times)))
    return {
        "statements": len(first),
        "counts": sorted({len(run) for run in runs}),  # one value when every GET runs the same statements
        "p50": statistics.median(latencies),
        "per_statement": per_statement,
        "sql_ms": statistics.median(sum(c[2] for c in run) for run in runs),
    }


def _explain(app, statements: list[tuple[str, object, float]]) -> list[tuple[str, float, list[str]]]:
    """The plans of ``statements`` (with their captured parameters) on the app's database."""
    from app.extensions import db

    out = []
    with app.app_context():
        postgres = db.engine.dialect.name == "postgresql"
        prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
        with db.engine.connect() as conn:
            for statement, parameters, ms in statements:
                rows = conn.exec_driver_sql(prefix + statement, parameters).all()
                lines = [row[0] for row in rows] if postgres else [str(row[-1]) for row in rows]
                out.append((statement, ms, lines))
        db.engine.dispose()
    return out


# --- 2. under load ----------------------------------------------------------------------------


def _http(url: str, instance: Path, seconds: int, rounds: int, log: Path) -> dict:
    paths = {"bare": "/bare", "board": BOARD, "index": INDEX}
    with served(url, instance, log) as port:  # the defaults: page cache on (the board does not use it)
        base = f"http://127.0.0.1:{port}"
        for path in paths.values():  # warm up both workers (one may still be booting)
            rate(base + path, 2)
            drain(base)
        out: dict = {"load": os.getloadavg()[0]}
        passes: dict[str, list[float]] = {label: [] for label in paths}
        for _ in range(rounds):
            for label, path in paths.items():
                passes[label].append(rate(base + path, seconds))
                drain(base)
    out.update({label: statistics.median(values) for label, values in passes.items()})
    return out


# --- one database -----------------------------------------------------------------------------


def _measure(app, url: str, instance: Path, seconds: int, rounds: int, log: Path, explain: bool) -> dict:
    total, mine = _counts(app)
    result = {"total": total, "mine": mine, **_in_process(app)}
    if explain:
        slowest = sorted(result["per_statement"], key=lambda s: s[2], reverse=True)[:4]
        result["plans"] = _explain(app, slowest)
    dispose(app)
    result["http"] = _http(url, instance, seconds, rounds, log)
    return result


def run(label: str, url: str, requests: int, seconds: int, rounds: int, explain: bool) -> dict:
    instance = Path(tempfile.mkdtemp(prefix="loushi-bench-boards-"))
    app = seeded_app(url, instance, guide=False)
    log = instance / "gunicorn.stderr"
    small_n = min(SMALL, requests)
    started = time.perf_counter()
    _insert_requests(app, 0, small_n)
    small_load = time.perf_counter() - started
    small = _measure(app, url, instance, seconds, rounds, log, False)
    started = time.perf_counter()
    _insert_requests(app, small_n, requests - small_n)
    large_load = time.perf_counter() - started
    large = _measure(app, url, instance, seconds, rounds, log, explain)
    return {"label": label, "small": small, "large": large, "load_s": (small_load, large_load), "log": log}


def main() -> None:
    p = parser(__doc__, 8, requests=100_000, rounds=(1, "interleaved passes over the URLs (medians reported)"))
    p.add_argument("--explain", action="store_true", help="print the plans of the slowest statements at the larger size")
    args = p.parse_args()
    results, load_start, load_end = each_database(
        "boards", args.no_postgres, lambda label, url: run(label, url, args.requests, args.seconds, args.rounds, args.explain))

    heading(f"Boards benchmark — GET {BOARD} at {SMALL:,} and {args.requests:,} requests, {os.cpu_count()} cores, "
            f"gunicorn 2 sync workers, {loader_name()}, {args.seconds} s per URL" + passes_note(args.rounds), load_start, load_end)

    table("database", "requests", "statements", "p50 in-process", "bare req/s", "board req/s (ratio to bare)", "index req/s", "load")
    for r in results:
        for m in (r["small"], r["large"]):
            h = m["http"]
            counts = "" if len(m["counts"]) == 1 else f" (varies: {m['counts']})"
            print(f"| {r['label']} | {m['total']:,} ({m['mine']:,} on {SLUG}) | {m['statements']}{counts} | {m['p50']:.1f} ms "
                  f"(SQL {m['sql_ms']:.1f} ms) | {h['bare']:.0f} | {h['board']:.0f} ({div(h['board'], h['bare']):.0%}) "
                  f"| {h['index']:.0f} ({div(h['index'], h['bare']):.0%}) | {h['load']:.2f} |")
    print("\n(load = 1-min load average before the wrk runs; SQL = the statements' own time, median of 30 GETs; "
          "on SQLite the count includes the app's explicit BEGIN)\n")

    print(f"| database | board req/s @{SMALL:,} ÷ @{args.requests:,} (target ≤ 2×) | p50 @{args.requests:,} ÷ @{SMALL:,} "
          f"| index req/s @{SMALL:,} ÷ @{args.requests:,} | statements constant? | time to load |")
    print("|---|---|---|---|---|---|")
    for r in results:
        s, l = r["small"], r["large"]
        ratio = div(s["http"]["board"], l["http"]["board"])
        print(f"| {r['label']} | {ratio:.2f}× ({'met' if ratio <= 2 else 'missed'}) | {div(l['p50'], s['p50']):.2f}× "
              f"| {div(s['http']['index'], l['http']['index']):.2f}× | {'yes' if s['statements'] == l['statements'] else 'NO'} "
              f"| {r['load_s'][0]:.1f} s + {r['load_s'][1]:.1f} s |")

    for r in results:
        for name, m in ((f"@{r['small']['total']:,}", r["small"]), (f"@{r['large']['total']:,}", r["large"])):
            print(f"\n{r['label']} {name}: the slowest statements of GET {BOARD} (median ms of 30 GETs):\n")
            for statement, _params, ms in sorted(m["per_statement"], key=lambda s: s[2], reverse=True)[:5]:
                print(f"- {ms:.2f} ms — {summary(statement)}")
        for statement, ms, lines in r["large"].get("plans", []):
            print(f"\n{r['label']} @{r['large']['total']:,}, {ms:.2f} ms:\n\n    " + " ".join(statement.split()) + "\n")
            print("\n".join("    " + line for line in lines))

    write_json(args.json, args, results, load_start=load_start, load_end=load_end)


if __name__ == "__main__":
    main()
