"""Wish-wall benchmark: the number of SQL statements of the wall page at 100 and at N
approved wishes (it must not grow), req/s of the wall page (full page, "most supported",
htmx "load more") against the bare Flask endpoint of bench/wsgi_bench.py in the same run,
with the page cache on and off, and req/s of the +1 endpoint with its exactness under
load; on SQLite and PostgreSQL, served by gunicorn (2 sync workers) on 127.0.0.1.

    .venv/bin/python bench/wall_bench.py [--wishes 10000] [--seconds 8] [--clients 8] [--rounds 1] [--no-postgres]

Data: the demo buildings and accounts (seed_demo, guide=False), then N approved, open
wishes spread over all buildings and the past year (Core bulk inserts), then ANALYZE.

1. Statements: GET /zh/wall/, /zh/wall/?sort=top and the htmx /zh/wall/?page=2, in
   process (Flask test client, a before_cursor_execute listener), page cache and cache
   versions cleared first so the page is really built; also the repeat view (cached).
2. Pages: wrk -t2 -c8 (Python threads when wrk is missing) on /bare, /zh/wall/,
   /zh/wall/?sort=top and /zh/wall/?page=2 with HX-Request: true; once with the page
   cache on (the default: a repeat view is served from the cache per wall version) and
   once with PAGE_CACHE_ENABLED=false (every request builds the page); and /zh/wall/
   again with the cookies of a first view (a returning browser: wrk sends none, so
   otherwise every answer with a CSRF token starts a new session).  --rounds R
   measures R interleaved passes over the URLs and reports medians (for a busy machine).
3. Support: POST /zh/wall/<id>/support (HX-Request: true, X-CSRFToken from the session
   of GET /zh/wall/new) from --clients Python threads, each with its own connection and
   session cookie but never the loushi_bid cookie, so every POST is a new person (a new
   wish_support row).  Threads rather than wrk because a thread finishes the request it
   has sent before it stops, so the 2xx answers can be compared exactly with the rows
   afterwards (wrk drops the requests in flight when its time is up).  The bare endpoint
   is measured with the same clients.  The wish starts at support_count 0.

Rate limiting is off (RATELIMIT_ENABLED=false).  PostgreSQL: BENCH_DATABASE_URL (default
postgresql://postgres@127.0.0.1/loushi_bench_wall, dropped and re-created).  The load
average is printed because other work on the machine skews the figures.  Prints markdown
tables; asserts nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.guide_bench import _free_port, _fresh_postgres, seeded_app, _python_load, _wrk  # noqa: E402
from bench.intake_bench import CSRF_RE, Client, _bare, _load  # noqa: E402

WALL = "/zh/wall/"
NEW = "/zh/wall/new"
HX = {"HX-Request": "true"}
PAGES = {  # label: (path, headers)
    "full": (WALL, None),
    "top": (WALL + "?sort=top", None),
    "more": (WALL + "?page=2", HX),
}

WANTS_ZH = ["暑托班", "健身房", "羽毛球小组", "法律咨询", "体检", "素食窗口", "自行车停车位", "母婴室", "午休区", "读书会",
            "咖啡角", "快递柜", "充电桩", "党群服务站", "篮球场", "心理咨询", "插花课", "英语角", "人才政策讲座", "相亲会"]
WANTS_EN = ["summer childcare", "a gym", "a badminton club", "legal clinics", "health checks", "a vegetarian counter",
            "bike parking", "a nursing room", "a nap area", "a book club", "a coffee corner", "parcel lockers",
            "EV chargers", "a community service desk", "a basketball court", "counselling", "flower arranging",
            "an English corner", "talent policy talks", "a singles mixer"]
NAMES = ["", "", "", "宝妈小李", "金茂打工人", "Startup founder", "羽毛球爱好者", "小王", "Night owl"]


# --- data --------------------------------------------------------------------------------


def _insert_wishes(app, start: int, count: int) -> None:
    """``count`` approved, open wishes (numbered from ``start``) over all buildings."""
    import sqlalchemy as sa

    from app.boards.models import Building
    from app.extensions import db
    from app.wall.models import Wish

    rng = random.Random(start + 11)
    now = datetime.now(timezone.utc)
    with app.app_context():
        building_ids = list(db.session.scalars(sa.select(Building.id).order_by(Building.id)))
        rows: list[dict] = []
        for i in range(start, start + count):
            created = now - timedelta(seconds=rng.randrange(3600, 365 * 24 * 3600))
            published = created + timedelta(minutes=rng.randrange(5, 60))
            k = rng.randrange(len(WANTS_ZH))
            if rng.random() < 0.8:
                lang, body = "zh", f"希望楼里能有{WANTS_ZH[k]}，{WANTS_ZH[(k + 7) % len(WANTS_ZH)]}也很需要。（第{i}号心愿）"
            else:
                lang, body = "en", f"It would be great to have {WANTS_EN[k]} in the building, and {WANTS_EN[(k + 7) % len(WANTS_EN)]} too. (wish {i})"
            rows.append({
                "building_id": building_ids[i % len(building_ids)], "body": body, "lang": lang,
                "display_name": rng.choice(NAMES) or None, "status": "approved", "progress": "open",
                "support_count": rng.randint(0, 200), "report_count": 0,
                "follow_token_hash": hashlib.sha256(f"bench-{i}".encode()).hexdigest(),
                "created_at": created, "published_at": published, "updated_at": published,
            })
            if len(rows) == 1000:
                db.session.execute(sa.insert(Wish.__table__), rows)
                rows = []
        if rows:
            db.session.execute(sa.insert(Wish.__table__), rows)
        db.session.commit()
        db.session.execute(sa.text("ANALYZE"))  # what autovacuum would have done by now in production
        db.session.commit()
        db.session.remove()


# --- 1. statements per page ------------------------------------------------------------------


def _statements(app) -> dict[str, tuple[int, int, int, list[str]]]:
    """{page: (statements when built, statements when cached, cards shown, the statements)}."""
    from sqlalchemy import event

    from app.core import cache as page_cache
    from app.extensions import db

    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    client = app.test_client()
    for path, headers in PAGES.values():  # first requests of the process do one-time work
        client.get(path, headers=headers)
    result = {}
    event.listen(engine, "before_cursor_execute", listener)
    try:
        for label, (path, headers) in PAGES.items():
            with app.app_context():
                page_cache.clear()
            seen.clear()
            response = client.get(path, headers=headers)
            built, statements = len(seen), list(seen)
            seen.clear()
            client.get(path, headers=headers)
            repeat = len(seen)
            if response.status_code != 200:
                raise RuntimeError(f"GET {path} answered {response.status_code}")
            result[label] = (built, repeat, response.get_data(as_text=True).count('class="wish-card '), statements)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return result


# --- 2. pages under load --------------------------------------------------------------------


def _start_server(url: str, instance: Path, cache: bool, log: Path) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=url, LOUSHI_INSTANCE=str(instance), LOUSHI_ENV="development",
               RATELIMIT_ENABLED="false", PAGE_CACHE_ENABLED="true" if cache else "false")
    server = subprocess.Popen(  # noqa: S603 - our own app on loopback
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "--chdir", str(ROOT), "bench.wsgi_bench:app"],
        env=env, stdout=subprocess.DEVNULL, stderr=log.open("ab"),
    )
    deadline = time.time() + 60
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/bare", timeout=1).close()  # noqa: S310 - loopback
            return server, port
        except OSError:
            if server.poll() is not None or time.time() > deadline:
                server.kill()
                raise RuntimeError(f"gunicorn did not start; see {log}") from None
            time.sleep(0.3)


def _visitor_cookies(base: str) -> str:
    """The cookies a browser holds after its first view of the wall (session with its CSRF
    token, language): what a returning visitor sends."""
    with urllib.request.urlopen(base + WALL, timeout=60) as response:  # noqa: S310 - loopback
        response.read()
        cookies = [value.split(";", 1)[0] for value in response.headers.get_all("Set-Cookie") or []]
    if not any(c.startswith("loushi_session=") for c in cookies):
        raise RuntimeError(f"GET {WALL} set no session cookie ({cookies})")
    return "; ".join(cookies)


def _pages(port: int, seconds: int, rounds: int) -> dict:
    """Median req/s per URL over ``rounds`` interleaved passes (bare, full, top, more, bare, …),
    so that the bare endpoint and the pages see the same load from elsewhere; plus the
    full page's ratio to bare in each pass."""
    base = f"http://127.0.0.1:{port}"
    load = _wrk if shutil.which("wrk") else _python_load
    urls = {**PAGES, "returning": (WALL, {"Cookie": _visitor_cookies(base)})}
    for path, headers in [("/bare", None), *urls.values()]:  # warm up both workers (one may still be booting)
        load(base + path, 2, headers)
    out = {"load": os.getloadavg()[0]}
    passes: dict[str, list[float]] = {"bare": [], **{label: [] for label in urls}}
    for _ in range(rounds):
        passes["bare"].append(load(base + "/bare", seconds))
        for label, (path, headers) in urls.items():
            passes[label].append(load(base + path, seconds, headers))
    out.update({label: statistics.median(values) for label, values in passes.items()})
    out["full_ratios"] = [full / bare for full, bare in zip(passes["full"], passes["bare"])]
    return out


# --- 3. support under load ------------------------------------------------------------------


class _Connection(http.client.HTTPConnection):
    """A connection that adds the htmx and CSRF headers to its POSTs."""

    post_headers: dict[str, str] = {}

    def request(self, method, url, body=None, headers=None, **kwargs):
        headers = dict(headers or {})
        if method == "POST":
            headers.update(self.post_headers)
        super().request(method, url, body=body, headers=headers, **kwargs)


def _support_client(port: int) -> Client:
    """One person's browser: a session and its CSRF token (from the wish form), no loushi_bid."""
    client = Client(port)
    client.conn = _Connection("127.0.0.1", port, timeout=60)
    status, _, page = client.request("GET", NEW)
    token = CSRF_RE.search(page)
    if status != 200 or token is None or not client.cookie:
        raise RuntimeError(f"GET {NEW} answered {status} without a csrf_token or session cookie")
    client.conn.post_headers = {"X-CSRFToken": (token.group(1) or token.group(2)).decode(), **HX}
    return client


def _supporter(wish_id: int):
    path = f"/zh/wall/{wish_id}/support"

    def act(client: Client) -> str:
        status, _, _ = client.request("POST", path)
        return "ok" if 200 <= status < 300 else str(status)

    return act


def _support_figures(url: str, wish_id: int) -> tuple[int, int]:
    """(the wish's support_count, its wish_support rows), read afresh."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            count = conn.execute(sa.text("SELECT support_count FROM wish WHERE id = :id"), {"id": wish_id}).scalar_one()
            rows = conn.execute(sa.text("SELECT count(*) FROM wish_support WHERE wish_id = :id"), {"id": wish_id}).scalar_one()
            return count, rows
    finally:
        engine.dispose()


def _supports(url: str, port: int, seconds: int, clients: int, target: int, warm_target: int) -> dict:
    pool = [_support_client(port) for _ in range(clients)]
    _load(pool, 1, _bare)
    _, warm = _load(pool, 1, _supporter(warm_target))
    if warm["ok"] == 0:
        raise RuntimeError(f"no support POST accepted during warm-up: {dict(warm)}")
    before = _support_figures(url, target)
    load = os.getloadavg()[0]
    bare, bare_seen = _load(pool, seconds, _bare)
    rate, seen = _load(pool, seconds, _supporter(target))
    count, rows = _support_figures(url, target)
    return {"load": load, "bare": bare, "bare_seen": bare_seen, "rate": rate, "seen": seen,
            "before": before, "count": count, "rows": rows, "wish": target}


# --- one database -----------------------------------------------------------------------------


def run(label: str, url: str, wishes: int, seconds: int, clients: int, rounds: int) -> dict:
    instance = Path(tempfile.mkdtemp(prefix="loushi-bench-wall-"))
    app = seeded_app(url, instance, guide=False)
    import sqlalchemy as sa

    from app.extensions import db
    from app.wall.models import Wish
    small_n = min(100, wishes)
    started = time.perf_counter()
    _insert_wishes(app, 0, small_n)
    small = _statements(app)
    _insert_wishes(app, small_n, wishes - small_n)
    load_seconds = time.perf_counter() - started
    large = _statements(app)
    with app.app_context():
        # +1 goes to the newest wish (first on the wall), started at 0; the warm-up to the oldest.
        target = db.session.scalar(sa.select(Wish.id).order_by(Wish.published_at.desc(), Wish.id.desc()).limit(1))
        warm_target = db.session.scalar(sa.select(Wish.id).order_by(Wish.published_at, Wish.id).limit(1))
        db.session.execute(sa.update(Wish).where(Wish.id == target).values(support_count=0))
        db.session.commit()
        total = db.session.scalar(sa.select(sa.func.count()).select_from(Wish).where(Wish.status == "approved"))
        db.session.remove()
        db.engine.dispose()

    log = instance / "gunicorn.stderr"
    server, port = _start_server(url, instance, True, log)
    try:
        cached = _pages(port, seconds, rounds)
        support = _supports(url, port, seconds, clients, target, warm_target)
    finally:
        server.terminate()
        server.wait(timeout=10)
    server, port = _start_server(url, instance, False, log)
    try:
        cold = _pages(port, seconds, rounds)
    finally:
        server.terminate()
        server.wait(timeout=10)
    return {"label": label, "small": small, "large": large, "small_n": small_n, "total": total, "load_s": load_seconds,
            "cached": cached, "cold": cold, "support": support, "log": log}


def _summary(sql: str) -> str:
    """``SELECT … FROM wish LEFT OUTER JOIN …`` (the tables, not the columns)."""
    sql = " ".join(sql.split())
    head, sep, tail = sql.partition(" FROM ")
    text = f"{head.split(' ', 1)[0]} …{sep}{tail}" if sep else sql
    return text if len(text) <= 200 else text[:199] + "…"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wishes", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--clients", type=int, default=8, help="Python-thread clients for the support POSTs")
    parser.add_argument("--rounds", type=int, default=1, help="interleaved passes over the page URLs (medians reported)")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--json", default="", help="also write the results as JSON to this path (for bench/report.py)")
    args = parser.parse_args()

    load_start = os.getloadavg()
    results = []
    sqlite_dir = Path(tempfile.mkdtemp(prefix="loushi-bench-wall-sqlite-"))
    results.append(run("SQLite", f"sqlite:///{sqlite_dir / 'bench.sqlite3'}", args.wishes, args.seconds, args.clients, args.rounds))
    if not args.no_postgres:
        pg = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1/loushi_bench_wall")
        results.append(run("PostgreSQL", _fresh_postgres(pg), args.wishes, args.seconds, args.clients, args.rounds))
    load_end = os.getloadavg()

    loader = "wrk -t2 -c8" if shutil.which("wrk") else "Python threads (wrk missing)"
    print(f"\nWish-wall benchmark — {args.wishes} approved wishes, {os.cpu_count()} cores, gunicorn 2 sync workers, "
          f"{loader} for pages, {args.clients} Python-thread clients for supports, {args.seconds} s per URL"
          + (f" and pass, {args.rounds} interleaved passes (medians)" if args.rounds > 1 else ""))
    print("Load average (1/5/15 min): at start " + " / ".join(f"{x:.2f}" for x in load_start)
          + ", at end " + " / ".join(f"{x:.2f}" for x in load_end) + "\n")

    print("SQL statements per request (in process, page cache and versions cleared; 'cached' = the same request again):\n")
    print("| database | request | @100 wishes | @N wishes | constant? | cached repeat @N | cards @N | time to insert N + ANALYZE |")
    print("|---|---|---|---|---|---|---|---|")
    names = {"full": "GET /zh/wall/", "top": "GET /zh/wall/?sort=top", "more": "GET /zh/wall/?page=2 (htmx)"}
    for r in results:
        for key, name in names.items():
            (s, _, _, _), (l, c, cards, _) = r["small"][key], r["large"][key]
            print(f"| {r['label']} | {name} | {s} (@{r['small_n']}) | {l} (@{r['total']}) | {'yes' if s == l else 'NO'} | {c} | {cards} "
                  f"| {r['load_s']:.1f} s |")

    for r in results:
        print(f"\n{r['label']}, GET /zh/wall/ @N: " + "; ".join(_summary(sql) for sql in r["large"]["full"][3]))
    print("\nThroughput (req/s; ratio to the bare endpoint of the same server; load = 1-min load average before the run):\n")
    print("(wrk sends no cookies: every answer that carries a CSRF token — the full page, and the cards' +1 forms of the\n"
          "partial — starts a new session and sets its cookie; 'with cookies' sends the session and language cookies of a\n"
          "first view, as a returning browser does.)\n")
    print("| database | page cache | load | bare | /zh/wall/ (target ≥ 60 %) | ?sort=top | htmx ?page=2 | /zh/wall/ ÷ bare per pass "
          "| /zh/wall/ with cookies |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        for name, m in (("on (repeat view)", r["cached"]), ("off (every request builds)", r["cold"])):
            verdict = "met" if m["full"] / m["bare"] >= 0.60 else "missed"
            print(f"| {r['label']} | {name} | {m['load']:.2f} | {m['bare']:.0f} | {m['full']:.0f} ({m['full'] / m['bare']:.0%}, {verdict}) "
                  f"| {m['top']:.0f} ({m['top'] / m['bare']:.0%}) | {m['more']:.0f} ({m['more'] / m['bare']:.0%}) "
                  f"| {', '.join(f'{x:.0%}' for x in m['full_ratios'])} | {m['returning']:.0f} ({m['returning'] / m['bare']:.0%}) |")

    print(f"\nSupport: POST /zh/wall/<id>/support, htmx, a new person per POST, page cache on "
          f"({args.clients} Python-thread clients, bare measured with the same clients):\n")
    print("| database | load | bare req/s | support req/s (ratio) | 2xx answers | wish_support rows | support_count | equal? |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        s = r["support"]
        ok = s["seen"]["ok"]
        rows = s["rows"] - s["before"][1]
        count = s["count"] - s["before"][0]
        print(f"| {r['label']} | {s['load']:.2f} | {s['bare']:.0f} | {s['rate']:.0f} ({s['rate'] / s['bare']:.0%}) | {ok} | {rows} | {count} "
              f"| {'yes' if ok == rows == count else 'NO'} |")
    for r in results:
        s = r["support"]
        other = {k: v for k, v in s["seen"].items() if k != "ok"}
        bare_other = {k: v for k, v in s["bare_seen"].items() if k != "ok"}
        if other or bare_other or s["before"] != (0, 0):
            print(f"\n{r['label']}: wish {s['wish']} before the run {s['before']} (count, rows); other answers — "
                  f"support {other or 'none'}, bare {bare_other or 'none'} (gunicorn stderr: {r['log']})")

    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "load_start": load_start, "load_end": load_end, "results": results}, ensure_ascii=False, indent=1, default=str))


if __name__ == "__main__":
    main()
