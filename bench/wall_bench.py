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

import hashlib
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    Client, bulk_insert, clear_page_cache, client_with_token, dispose, each_database, heading,
    loader_name, outcome, passes_note, parser, rate, scalar, seeded_app, served, statements, summary, table, write_json, write_load,
)

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


def _wish(i: int, rng, now, buildings: list[int]) -> dict:
    """Approved, open wish number ``i`` (``bench.common.bulk_insert``'s row)."""
    created = now - timedelta(seconds=rng.randrange(3600, 365 * 24 * 3600))
    published = created + timedelta(minutes=rng.randrange(5, 60))
    k = rng.randrange(len(WANTS_ZH))
    if rng.random() < 0.8:
        lang, body = "zh", f"希望楼里能有{WANTS_ZH[k]}，{WANTS_ZH[(k + 7) % len(WANTS_ZH)]}也很需要。（第{i}号心愿）"
    else:
        lang, body = "en", f"It would be great to have {WANTS_EN[k]} in the building, and {WANTS_EN[(k + 7) % len(WANTS_EN)]} too. (wish {i})"
    return {
        "building_id": buildings[i % len(buildings)], "body": body, "lang": lang,
        "display_name": rng.choice(NAMES) or None, "status": "approved", "progress": "open",
        "support_count": rng.randint(0, 200), "report_count": 0,
        "follow_token_hash": hashlib.sha256(f"bench-{i}".encode()).hexdigest(),
        "created_at": created, "published_at": published, "updated_at": published,
    }


def _insert_wishes(app, start: int, count: int) -> None:
    """``count`` approved, open wishes (numbered from ``start``) over all buildings."""
    from app.wall.models import Wish

    bulk_insert(app, Wish.__table__, _wish, start, count, seed=11)


# --- 1. statements per page ------------------------------------------------------------------


def _statements(app) -> dict[str, tuple[int, int, int, list[str]]]:
    """{page: (statements when built, statements when cached, cards shown, the statements)}."""
    client = app.test_client()
    for path, headers in PAGES.values():  # first requests of the process do one-time work
        client.get(path, headers=headers)
    result = {}
    with statements(app) as seen:
        for label, (path, headers) in PAGES.items():
            clear_page_cache(app)
            seen.clear()
            response = client.get(path, headers=headers)
            built, run = len(seen), [s[0] for s in seen]
            seen.clear()
            client.get(path, headers=headers)
            repeat = len(seen)
            if response.status_code != 200:
                raise RuntimeError(f"GET {path} answered {response.status_code}")
            result[label] = (built, repeat, response.get_data(as_text=True).count('class="wish-card '), run)
    return result


# --- 2. pages under load --------------------------------------------------------------------


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
    urls = {**PAGES, "returning": (WALL, {"Cookie": _visitor_cookies(base)})}
    for path, headers in [("/bare", None), *urls.values()]:  # warm up both workers (one may still be booting)
        rate(base + path, 2, headers)
    out = {"load": os.getloadavg()[0]}
    passes: dict[str, list[float]] = {"bare": [], **{label: [] for label in urls}}
    for _ in range(rounds):
        passes["bare"].append(rate(base + "/bare", seconds))
        for label, (path, headers) in urls.items():
            passes[label].append(rate(base + path, seconds, headers))
    out.update({label: statistics.median(values) for label, values in passes.items()})
    out["full_ratios"] = [full / bare for full, bare in zip(passes["full"], passes["bare"])]
    return out


# --- 3. support under load ------------------------------------------------------------------


def _support_client(port: int) -> Client:
    """One person's browser: a session and its CSRF token (from the wish form), no loushi_bid."""
    client = client_with_token(port, NEW)
    client.post_headers = {"X-CSRFToken": client.csrf.decode(), **HX}
    return client


def _supporter(wish_id: int):
    path = f"/zh/wall/{wish_id}/support"

    def act(client: Client) -> str:
        status, _, _ = client.request("POST", path)
        return outcome(status)

    return act


def _support_figures(url: str, wish_id: int) -> tuple[int, int]:
    """(the wish's support_count, its wish_support rows), read afresh."""
    return (scalar(url, "SELECT support_count FROM wish WHERE id = :id", id=wish_id),
            scalar(url, "SELECT count(*) FROM wish_support WHERE wish_id = :id", id=wish_id))


def _supports(url: str, port: int, seconds: int, clients: int, target: int, warm_target: int) -> dict:
    pool = [_support_client(port) for _ in range(clients)]
    out = write_load(pool, seconds, _supporter(target), lambda: _support_figures(url, target), "support POST",
                     warm_up=_supporter(warm_target))
    count, rows = out["after"]
    return {**out, "count": count, "rows": rows, "wish": target}


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
    dispose(app)

    log = instance / "gunicorn.stderr"
    with served(url, instance, log, cache=True) as port:
        cached = _pages(port, seconds, rounds)
        support = _supports(url, port, seconds, clients, target, warm_target)
    with served(url, instance, log, cache=False) as port:
        cold = _pages(port, seconds, rounds)
    return {"label": label, "small": small, "large": large, "small_n": small_n, "total": total, "load_s": load_seconds,
            "cached": cached, "cold": cold, "support": support, "log": log}


def main() -> None:
    args = parser(__doc__, 8, wishes=10_000, clients=(8, "Python-thread clients for the support POSTs"),
               rounds=(1, "interleaved passes over the page URLs (medians reported)")).parse_args()
    results, load_start, load_end = each_database(
        "wall", args.no_postgres, lambda label, url: run(label, url, args.wishes, args.seconds, args.clients, args.rounds))

    heading(f"Wish-wall benchmark — {args.wishes} approved wishes, {os.cpu_count()} cores, gunicorn 2 sync workers, "
            f"{loader_name()} for pages, {args.clients} Python-thread clients for supports, {args.seconds} s per URL"
            + passes_note(args.rounds), load_start, load_end)

    print("SQL statements per request (in process, page cache and versions cleared; 'cached' = the same request again):\n")
    table("database", "request", "@100 wishes", "@N wishes", "constant?", "cached repeat @N", "cards @N", "time to insert N + ANALYZE")
    names = {"full": "GET /zh/wall/", "top": "GET /zh/wall/?sort=top", "more": "GET /zh/wall/?page=2 (htmx)"}
    for r in results:
        for key, name in names.items():
            (s, _, _, _), (l, c, cards, _) = r["small"][key], r["large"][key]
            print(f"| {r['label']} | {name} | {s} (@{r['small_n']}) | {l} (@{r['total']}) | {'yes' if s == l else 'NO'} | {c} | {cards} "
                  f"| {r['load_s']:.1f} s |")

    for r in results:
        print(f"\n{r['label']}, GET /zh/wall/ @N: " + "; ".join(summary(sql) for sql in r["large"]["full"][3]))
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
    table("database", "load", "bare req/s", "support req/s (ratio)", "2xx answers", "wish_support rows", "support_count", "equal?")
    for r in results:
        s = r["support"]
        ok = s["seen"]["ok"]
        rows = s["rows"] - s["before"][1]
        count = s["count"] - s["before"][0]
        print(f"| {r['label']} | {s['load']:.2f} | {s['bare']:.0f} | {s['rate']:.0f} ({s['rate'] / s['bare']:.0%}) | {ok} | {rows} | {count} "
              f"| {'yes' if ok == rows == count else 'NO'} |")
    for r in results:
        s = r["support"]
        other, bare_other = s["other"], s["bare_other"]
        if other or bare_other or s["before"] != (0, 0):
            print(f"\n{r['label']}: wish {s['wish']} before the run {s['before']} (count, rows); other answers — "
                  f"support {other or 'none'}, bare {bare_other or 'none'} (gunicorn stderr: {r['log']})")

    write_json(args.json, args, results, load_start=load_start, load_end=load_end)


if __name__ == "__main__":
    main()
