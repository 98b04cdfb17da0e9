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

import argparse
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUERIES = ["落户", "消防", "税务登记", "停车", "parking", "licence", "luohu", "体检", "fire safety", "调解"]
WORDS_ZH = ["落户", "消防", "税务", "停车", "体检", "调解", "许可", "登记", "备案", "补贴", "申请", "人才", "企业", "职工", "楼宇", "检查", "证照", "公寓", "积水", "垃圾分类"]
WORDS_EN = ["residence", "fire", "tax", "parking", "health", "mediation", "licence", "registration", "filing", "subsidy", "application", "talent", "company", "employee", "building", "inspection", "permit", "apartment", "flooding", "waste"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _make_app(url: str, instance: Path):
    os.environ["DATABASE_URL"] = url
    os.environ["LOUSHI_INSTANCE"] = str(instance)
    os.environ["LOUSHI_ENV"] = "development"
    os.environ["RATELIMIT_ENABLED"] = "false"
    from app import create_app

    return create_app()


def seeded_app(url: str, instance: Path, guide: bool = True):
    """A fresh app on ``url``: schema from the migrations and the demo data (with the
    guide's entries or without); also writes instance/secret_key, shared by the workers."""
    from flask_migrate import upgrade

    from app.demo import seed_demo
    from app.extensions import db

    app = _make_app(url, instance)
    with app.app_context():
        upgrade()
        seed_demo("bench-password-123", guide=guide)
        db.session.commit()
        db.session.remove()
    return app


def _generate(app, count: int, start: int = 0) -> None:
    from app.demo import seed_demo
    from app.extensions import db
    from app.guide.services import create_entry
    from app.org.models import Department
    import sqlalchemy as sa

    rng = random.Random(start + 7)
    with app.app_context():
        if start == 0:
            seed_demo("bench-password-123", guide=False)
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


def _wrk(url: str, seconds: int, headers: dict[str, str] | None = None) -> float:
    cmd = ["wrk", "-t2", "-c8", f"-d{seconds}s", "--latency"]
    for k, v in (headers or {}).items():
        cmd += ["-H", f"{k}: {v}"]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True, timeout=seconds + 30).stdout
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        print(f"    warning: {non2xx.group(1)} non-2xx responses for {url}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def _python_load(url: str, seconds: int, headers: dict[str, str] | None = None) -> float:
    """Fallback when wrk is missing: 8 threads of urllib (slower, so ratios matter more)."""
    import threading

    done = [0]
    stop = time.time() + seconds

    def worker():
        while time.time() < stop:
            request = urllib.request.Request(url, headers=headers or {})
            with urllib.request.urlopen(request, timeout=10) as r:  # noqa: S310 - loopback
                r.read()
            done[0] += 1

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return done[0] / seconds


def _http(url_db: str, instance: Path, seconds: int, cache: bool, rounds: int = 3) -> dict[str, float]:
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=url_db, LOUSHI_INSTANCE=str(instance), LOUSHI_ENV="development", RATELIMIT_ENABLED="false",
               PAGE_CACHE_ENABLED="true" if cache else "false")
    server = subprocess.Popen(  # noqa: S603 - our own app on loopback
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "--chdir", str(ROOT), "bench.wsgi_bench:app"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/bare", timeout=1).close()  # noqa: S310
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.3)
        load = _wrk if shutil.which("wrk") else _python_load
        page = base + "/zh/guide/?q=" + urllib.parse.quote("落户")
        for url, headers in ((base + "/bare", None), (page, None), (page, {"HX-Request": "true"})):  # warm up both workers
            load(url, 1, headers)
        # Each round: bare, full page and partial (in turn first), bare again; the page and
        # partial are compared with the mean of the two bare runs around them (the machine's
        # speed drifts), and the median of the rounds is reported.
        bares, fulls, partials = [], [], []
        for i in range(rounds):
            before = load(base + "/bare", seconds)
            if i % 2:
                partials.append(load(page, seconds, {"HX-Request": "true"}))
                fulls.append(load(page, seconds))
            else:
                fulls.append(load(page, seconds))
                partials.append(load(page, seconds, {"HX-Request": "true"}))
            bares.append((before + load(base + "/bare", seconds)) / 2)
        return {
            "bare": statistics.median(bares),
            "full": statistics.median(fulls),
            "partial": statistics.median(partials),
            "loader": 0.0 if load is _wrk else 1.0,
        }
    finally:
        server.terminate()
        server.wait(timeout=10)


def run(label: str, url: str, small_url: str, entries: int, seconds: int) -> dict:
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from app.extensions import db

    apps, instances = {}, {}
    for name, db_url in (("small", small_url), ("large", url)):
        instances[name] = Path(tempfile.mkdtemp(prefix=f"loushi-bench-{name}-"))
        apps[name] = _make_app(db_url, instances[name])
        with apps[name].app_context():
            upgrade()
    started = time.perf_counter()
    _generate(apps["small"], 100)
    _generate(apps["large"], 100)  # the same 100 entries (same seed) …
    _generate(apps["large"], entries - 100, start=100)  # … and the rest
    load_seconds = time.perf_counter() - started
    for app in apps.values():
        with app.app_context():  # statistics, as autovacuum keeps them in production (both sizes alike)
            db.session.execute(sa.text("ANALYZE"))
            db.session.commit()
    small, large = _latencies(apps["small"], apps["large"])
    for app in apps.values():
        with app.app_context():
            db.engine.dispose()
    instance = instances["large"]
    cached = _http(url, instance, seconds, cache=True)
    cold = _http(url, instance, seconds, cache=False, rounds=1)
    return {"label": label, "small": small, "large": large, "load_s": load_seconds, **cached,
            "cold_bare": cold["bare"], "cold_full": cold["full"], "cold_partial": cold["partial"]}


def _fresh_postgres(url: str) -> str:
    import sqlalchemy as sa

    from app.config import normalize_database_url

    url = normalize_database_url(url)
    name = urllib.parse.urlsplit(url).path.lstrip("/")
    admin = sa.create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--json", default="", help="also write the results as JSON to this path (for bench/report.py)")
    args = parser.parse_args()

    results = []
    sqlite_dir = Path(tempfile.mkdtemp(prefix="loushi-bench-sqlite-"))
    results.append(run("SQLite", f"sqlite:///{sqlite_dir / 'bench.sqlite3'}", f"sqlite:///{sqlite_dir / 'small.sqlite3'}",
                       args.entries, args.seconds))
    if not args.no_postgres:
        pg = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1/loushi_bench")
        results.append(run("PostgreSQL", _fresh_postgres(pg), _fresh_postgres(pg + "_small"), args.entries, args.seconds))

    print(f"\nGuide benchmark — {args.entries} entries, {os.cpu_count()} cores, gunicorn 2 sync workers, "
          f"{'wrk -t2 -c8' if shutil.which('wrk') else 'Python threads (wrk missing)'}, {args.seconds} s per URL\n")
    print("Search latency (guide_page(): entries + count, 10 queries × 30 rounds, in-process; 5 passes per size, "
          "the two sizes in turn on two databases, medians):\n")
    print("| database | p50 @100 | p95 @100 | p50 @N | p95 @N | p95 @N / p95 @100 (target ≤ 1.5×) | time to load N |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        (p50s, p95s), (p50l, p95l) = r["small"], r["large"]
        print(f"| {r['label']} | {p50s:.2f} ms | {p95s:.2f} ms | {p50l:.2f} ms | {p95l:.2f} ms | {p95l / p95s:.2f}× | {r['load_s']:.0f} s |")
    print("\nThroughput of /zh/guide/?q=落户 (req/s; ratio to the bare endpoint of the same run):\n")
    print("| database | page cache | bare | full page (target ≥ 60 %) | htmx partial (target ≥ 80 %) |")
    print("|---|---|---|---|---|")
    for r in results:
        for label, bare, full, partial in (("on (repeat search)", r["bare"], r["full"], r["partial"]),
                                           ("off (every request searches)", r["cold_bare"], r["cold_full"], r["cold_partial"])):
            print(f"| {r['label']} | {label} | {bare:.0f} | {full:.0f} ({full / bare:.0%}) | {partial:.0f} ({partial / bare:.0%}) |")

    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "results": results}, ensure_ascii=False, indent=1, default=str))


if __name__ == "__main__":
    main()
