"""Public pages benchmark: req/s, p50 and p99 of EVERY public page type and of the htmx
partials the public pages use (zh), each as a ratio to the bare Flask endpoint of
bench/wsgi_bench.py measured in the same run and interleaved with it; the SQL statements
of one uncached render of each; and event registration (a write) under load; on SQLite
and PostgreSQL, served by gunicorn (2 sync workers, the app's defaults: page cache on).

    .venv/bin/python bench/pages_bench.py [--seconds 5] [--rounds 3] [--group 4] [--clients 8]
                                          [--no-postgres] [--no-cookies-variant] [--only KEY,…]
                                          [--profile KEY] [--json PATH]

Data: seed_demo(guide=True) (the demo guide, requests, wishes, boards and events), plus
100 approved wishes (bench/wall_bench.py's bulk insert) so the wall has a page 2, plus
one pending wish whose author's page (/zh/wall/mine/<token>) is measured.

1. Statements: each URL once through the Flask test client with a before_cursor_execute
   listener, page cache and cache versions cleared first (so the page is really built),
   then again (the repeat view: 0 when served from the page cache).
2. Load: wrk -t2 -c8 --latency (Python threads when wrk is missing) on each URL for
   --seconds.  A round measures /bare, then --group URLs, then /bare again, … ; each URL's
   ratio is its req/s ÷ the mean of the /bare runs just before and after its group, so a
   noisy neighbour hits both sides of a ratio.  Figures are medians over --rounds.
   wrk sends no cookies: every page with a form carries a CSRF token, so a
   cookieless request starts a new session each time and gets a Set-Cookie.  URLs whose
   first view sets a cookie are measured a second time with the cookies of that first view
   (a returning browser), unless --no-cookies-variant.  After each run the requests wrk
   left queued are waited for (two GETs of /bare).
3. Writes: POST /zh/boards/<slug>/events/<id> (event registration: name + a new phone each
   time, CSRF token of the client's session) from --clients Python threads, next to /bare
   with the same clients; 303 answers compared with the registrations created.

Rate limiting is off (RATELIMIT_ENABLED=false).  PostgreSQL: BENCH_DATABASE_URL (default
postgresql://postgres@127.0.0.1/loushi_bench_pages, dropped and re-created).  Prints
markdown tables; asserts nothing.  Targets (the report's): full page ≥ 60 % of bare,
partial ≥ 80 %.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.boards_bench import _drain  # noqa: E402
from bench.guide_bench import _fresh_postgres, seeded_app  # noqa: E402
from bench.intake_bench import CSRF_RE, Client, _bare, _load  # noqa: E402
from bench.wall_bench import _insert_wishes, _start_server  # noqa: E402

HX = {"HX-Request": "true"}
BOARD_SLUG = "shanghai-tower"
PAGE_TARGET, PARTIAL_TARGET = 0.60, 0.80
TOKEN_IN_HEADERS = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')  # a form's token


@dataclass
class Url:
    key: str
    label: str
    kind: str  # "page" or "partial"
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    method: str = "GET"
    body: str = ""  # urlencoded, for POST
    note: str = ""

    @property
    def target(self) -> float:
        return PAGE_TARGET if self.kind == "page" else PARTIAL_TARGET


# --- data ---------------------------------------------------------------------------------


def _targets(app) -> dict:
    """The ids the URLs need, from the seeded data (plus one pending wish for its author's page)."""
    import sqlalchemy as sa

    from app.boards.models import Building, Event, Street
    from app.core.timeutil import utcnow
    from app.extensions import db
    from app.guide.models import GuideEntry
    from app.intake.models import ServiceRequest
    from app.wall.models import Wish
    from app.wall.services import post_wish

    with app.app_context():
        now = utcnow()
        entry = db.session.scalar(sa.select(GuideEntry.slug).where(GuideEntry.status == "active").order_by(GuideEntry.id).limit(1))
        tracking = db.session.scalar(sa.select(ServiceRequest.tracking_no).order_by(ServiceRequest.id).limit(1))
        wish_id = db.session.scalar(sa.select(Wish.id).where(Wish.status == "approved").order_by(Wish.published_at.desc(), Wish.id.desc()).limit(1))
        street = db.session.scalar(sa.select(Street.code).order_by(Street.id).limit(1))
        events = db.session.scalars(sa.select(Event).where(Event.starts_at > now).order_by(Event.starts_at)).all()

        def open_now(e) -> bool:
            opens, closes = e.registration_opens_at, e.registration_closes_at
            from app.core.timeutil import aware

            return (opens is None or aware(opens) <= now) and (closes is None or aware(closes) >= now)

        event = next((e for e in events if open_now(e) and e.seats_left > 0), None) or next((e for e in events if open_now(e)), None)
        event = event or (events[0] if events else None)
        building = db.session.scalar(sa.select(Building).where(Building.slug == BOARD_SLUG))
        _wish, token = post_wish(building, "基准测试：希望楼里能有读书会，每月一次。", "", "", "zh")
        db.session.commit()
        out = {"entry": entry, "tracking": tracking, "wish_id": wish_id, "street": street, "token": token,
               "event": (event.building.slug, event.id, open_now(event)) if event else None}
        db.session.remove()
    return out


def _urls(t: dict) -> list[Url]:
    q = urllib.parse.quote("落户")
    b = f"/zh/boards/{BOARD_SLUG}"
    urls = [
        Url("home", "home", "page", "/zh/"),
        Url("guide", "guide list", "page", "/zh/guide/"),
        Url("guide_search", "guide search (?q=落户)", "page", f"/zh/guide/?q={q}"),
        Url("guide_detail", "guide entry", "page", f"/zh/guide/{t['entry']}"),
        Url("request_new", "request form", "page", "/zh/requests/new"),
        Url("request_status", "request status (public view, locked)", "page", f"/zh/requests/{t['tracking']}"),
        Url("track", "track (tracking no. + code form)", "page", "/zh/track"),
        Url("wall", "wish wall", "page", "/zh/wall/"),
        Url("wall_top", "wish wall, most supported", "page", "/zh/wall/?sort=top"),
        Url("wish_new", "wish form", "page", "/zh/wall/new"),
        Url("wish_mine", "wish page (author's link)", "page", f"/zh/wall/mine/{t['token']}",
            note="there is no other public page per wish"),
        Url("wish_report", "wish report form", "page", f"/zh/wall/{t['wish_id']}/report"),
        Url("boards", "boards index", "page", "/zh/boards/"),
        Url("board", "a building's board", "page", b),
        Url("screen", "lobby screen", "page", b + "/screen"),
        Url("poster", "poster (A4, QR codes)", "page", b + "/poster"),
        Url("login", "staff sign-in", "page", "/zh/login"),
        Url("guide_search_hx", "guide search results", "partial", f"/zh/guide/?q={q}", HX),
        Url("guide_filter_hx", "guide filter (category)", "partial", "/zh/guide/?category=business", HX),
        Url("wall_more_hx", "wall “load more” (?page=2)", "partial", "/zh/wall/?page=2", HX),
        Url("wall_sort_hx", "wall filter/sort change", "partial", "/zh/wall/?sort=top", HX),
        Url("boards_street_hx", "boards street filter", "partial", f"/zh/boards/?street={urllib.parse.quote(t['street'] or '')}", HX,
            note="the view answers the whole page; the browser keeps #board-list (data-hx-select)"),
        Url("screen_hx", "lobby screen poll (every 60 s)", "partial", b + "/screen", HX),
        Url("check_hx", "request form inline check (POST)", "partial", "/zh/requests/new/check?field=phone", HX, "POST", "phone=13812345678",
            note="POST with the session cookie and X-CSRFToken of a first view of the form"),
    ]
    if t["event"]:
        slug, event_id, _open = t["event"]
        path = f"/zh/boards/{slug}/events/{event_id}"
        urls.insert(16, Url("event", "event page", "page", path))
        urls.append(Url("seats_hx", "event seats poll (every 15 s)", "partial", path + "?part=seats", HX))
    return urls


# --- 1. statements ------------------------------------------------------------------------


def _statements(app, urls: list[Url]) -> dict[str, dict]:
    from sqlalchemy import event

    from app.core import cache as page_cache
    from app.extensions import db

    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    client = app.test_client()
    form = client.get("/zh/requests/new").get_data(as_text=True)
    token = next(t for t in TOKEN_IN_HEADERS.search(form).groups() if t)

    def call(u: Url):
        headers = dict(u.headers)
        if u.method == "POST":
            headers["X-CSRFToken"] = token
            return client.post(u.path, data=u.body, headers=headers, content_type="application/x-www-form-urlencoded")
        return client.get(u.path, headers=headers)

    for u in urls:  # the first requests of a process do one-time work
        call(u)
    out = {}
    event.listen(engine, "before_cursor_execute", listener)
    try:
        for u in urls:
            with app.app_context():
                page_cache.clear()
            seen.clear()
            response = call(u)
            built = len(seen)
            seen.clear()
            call(u)
            out[u.key] = {"built": built, "repeat": len(seen), "status": response.status_code, "bytes": len(response.get_data())}
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return out


def _profile(app, urls: list[Url], key: str) -> str:
    """cProfile of one uncached render of ``key`` (in process), top 25 by cumulative time."""
    import cProfile
    import io
    import pstats

    from app.core import cache as page_cache

    u = next(u for u in urls if u.key == key)
    client = app.test_client()
    client.get(u.path, headers=u.headers)
    with app.app_context():
        page_cache.clear()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(20):
        with app.app_context():
            page_cache.clear()
        client.get(u.path, headers=u.headers)
    profiler.disable()
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(25)
    return text.getvalue()


# --- 2. load --------------------------------------------------------------------------------

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _wrk(url: str, seconds: float, headers: dict[str, str], method: str = "GET", body: str = "") -> dict:
    """wrk -t2 -c8 --latency: req/s, p50 and p99 (ms), non-2xx/3xx answers."""
    cmd = ["wrk", "-t2", "-c8", f"-d{max(1, round(seconds))}s", "--latency"]
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    script = None
    if method != "GET":
        script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
        escaped = body.replace("\\", "\\\\").replace('"', '\\"')
        script.write(f'wrk.method = "{method}"\nwrk.body = "{escaped}"\n'
                     'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n')
        script.close()
        cmd += ["-s", script.name]
    try:
        out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    finally:
        if script:
            os.unlink(script.name)
    lat = {int(p): float(v) * _UNITS[u] for p, v, u in re.findall(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)}
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "p50": lat.get(50, float("nan")),
            "p99": lat.get(99, float("nan")), "bad": int(non2xx.group(1)) if non2xx else 0}


def _python_load(url: str, seconds: float, headers: dict[str, str], method: str = "GET", body: str = "") -> dict:
    """Fallback when wrk is missing: 8 threads of urllib, with latencies (slower; ratios matter more)."""
    samples: list[list[float]] = [[] for _ in range(8)]
    bad = [0] * 8
    stop = time.perf_counter() + seconds
    data = body.encode() if method != "GET" else None
    hdrs = dict(headers, **({"Content-Type": "application/x-www-form-urlencoded"} if data else {}))

    def worker(i: int) -> None:
        while time.perf_counter() < stop:
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=hdrs, method=method), timeout=30) as r:  # noqa: S310
                    r.read()
            except OSError:
                bad[i] += 1
            samples[i].append((time.perf_counter() - started) * 1000)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    lat = sorted(x for s in samples for x in s)
    if not lat:
        return {"rps": 0.0, "p50": float("nan"), "p99": float("nan"), "bad": sum(bad)}
    return {"rps": len(lat) / elapsed, "p50": lat[len(lat) // 2], "p99": lat[min(len(lat) - 1, int(len(lat) * 0.99))], "bad": sum(bad)}


def loader():
    return _wrk if shutil.which("wrk") else _python_load


def _first_view(base: str, u: Url, cookie: str = "") -> tuple[int, str, str]:
    """(status, the cookies it set as a Cookie header, body) of one request."""
    headers = dict(u.headers, **({"Cookie": cookie} if cookie else {}))
    data = u.body.encode() if u.method == "POST" else None
    if data:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    request = urllib.request.Request(base + u.path, data=data, headers=headers, method=u.method)
    try:
        with urllib.request.urlopen(request, timeout=60) as r:  # noqa: S310 - loopback
            body, status, set_cookies = r.read(), r.status, r.headers.get_all("Set-Cookie") or []
    except urllib.error.HTTPError as exc:
        body, status, set_cookies = exc.read(), exc.code, exc.headers.get_all("Set-Cookie") or []
    return status, "; ".join(c.split(";", 1)[0] for c in set_cookies), body.decode("utf-8", "replace")


def _plan(base: str, urls: list[Url], cookies_variant: bool) -> list[tuple[Url, str, dict[str, str]]]:
    """(url, variant, headers) to measure: every URL as wrk sends it (no cookies), and again
    with a first view's cookies when that view set one; the POST partial only with them."""
    form_status, form_cookie, form = _first_view(base, Url("f", "f", "page", "/zh/requests/new"))
    token = next(t for t in TOKEN_IN_HEADERS.search(form).groups() if t)
    plan = []
    for u in urls:
        if u.method == "POST":
            plan.append((u, "cookies", dict(u.headers, Cookie=form_cookie, **{"X-CSRFToken": token})))
            continue
        status, cookie, _ = _first_view(base, u)
        if status >= 400:
            raise RuntimeError(f"GET {u.path} answered {status}")
        plan.append((u, "no cookies", dict(u.headers)))
        if cookie and cookies_variant:
            plan.append((u, "cookies", dict(u.headers, Cookie=cookie)))
    return plan


def _http(url: str, instance: Path, urls: list[Url], seconds: float, rounds: int, group: int, cookies_variant: bool) -> dict:
    log = instance / "gunicorn.stderr"
    server, port = _start_server(url, instance, True, log)  # the defaults: page cache on
    base = f"http://127.0.0.1:{port}"
    load = loader()
    try:
        plan = _plan(base, urls, cookies_variant)
        load(base + "/bare", 1, {})
        for u, _variant, headers in plan:  # warm up both workers (templates, translations, caches)
            for _ in range(6):
                _first_view(base, Url(u.key, "", u.kind, u.path, headers, u.method, u.body))
        runs: dict[tuple[str, str], list[dict]] = {(u.key, v): [] for u, v, _ in plan}
        bares: list[float] = []
        load_avg = [os.getloadavg()[0]]
        for _ in range(rounds):
            order = plan[:]
            for start in range(0, len(order), group):
                before = load(base + "/bare", seconds, {})
                _drain(base)
                chunk = []
                for u, variant, headers in order[start:start + group]:
                    m = load(base + u.path, seconds, headers, u.method, u.body)
                    _drain(base)
                    chunk.append(((u.key, variant), m))
                after = load(base + "/bare", seconds, {})
                _drain(base)
                bares += [before["rps"], after["rps"]]
                for key, m in chunk:
                    m["ratio"] = m["rps"] / ((before["rps"] + after["rps"]) / 2)
                    runs[key].append(m)
        load_avg.append(os.getloadavg()[0])
    finally:
        server.terminate()
        server.wait(timeout=10)
    results = {}
    for (key, variant), ms in runs.items():
        results[f"{key}|{variant}"] = {
            "rps": statistics.median(m["rps"] for m in ms), "p50": statistics.median(m["p50"] for m in ms),
            "p99": statistics.median(m["p99"] for m in ms), "ratio": statistics.median(m["ratio"] for m in ms),
            "ratios": [m["ratio"] for m in ms], "bad": sum(m["bad"] for m in ms),
        }
    return {"bare": statistics.median(bares), "bare_runs": bares, "load": load_avg, "results": results, "log": str(log)}


# --- 3. writes ------------------------------------------------------------------------------


def _registrations(url: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT count(*) FROM registration")).scalar_one()
    finally:
        engine.dispose()


def _register_client(port: int, path: str) -> Client:
    client = Client(port)
    status, _, page = client.request("GET", path)
    token = CSRF_RE.search(page)
    if status != 200 or token is None or not client.cookie:
        raise RuntimeError(f"GET {path} answered {status} without a csrf_token or session cookie")
    client.csrf = token.group(1) or token.group(2)
    return client


def _registrar(path: str):
    rng = random.Random()
    lock = threading.Lock()

    def act(client: Client) -> str:
        with lock:
            phone = "13" + "".join(rng.choice("0123456789") for _ in range(9))
        body = urllib.parse.urlencode({"name": "基准测试", "phone": phone, "csrf_token": client.csrf}).encode()
        status, location, _ = client.request("POST", path, body, "application/x-www-form-urlencoded")
        return "ok" if status == 303 and "/registered" in location else str(status)

    return act


def _writes(url: str, instance: Path, event: tuple[str, int, bool] | None, seconds: float, clients: int) -> dict | None:
    if not event or not event[2]:
        return None
    slug, event_id, _ = event
    path = f"/zh/boards/{slug}/events/{event_id}"
    server, port = _start_server(url, instance, True, instance / "gunicorn.stderr")
    try:
        pool = [_register_client(port, path) for _ in range(clients)]
        act = _registrar(path)
        _load(pool, 1, _bare)
        _, warm = _load(pool, 1, act)
        if warm["ok"] == 0:
            raise RuntimeError(f"no registration accepted during warm-up: {dict(warm)}")
        before = _registrations(url)
        bare, bare_seen = _load(pool, seconds, _bare)
        rate, seen = _load(pool, seconds, act)
        rows = _registrations(url) - before
    finally:
        server.terminate()
        server.wait(timeout=10)
    return {"path": path, "bare": bare, "rate": rate, "ok": seen["ok"], "rows": rows,
            "other": {k: v for k, v in seen.items() if k != "ok"}, "bare_other": {k: v for k, v in bare_seen.items() if k != "ok"}}


# --- one database -----------------------------------------------------------------------------


def run(label: str, url: str, args) -> dict:
    instance = Path(tempfile.mkdtemp(prefix="loushi-bench-pages-"))
    app = seeded_app(url, instance)
    from app.extensions import db

    _insert_wishes(app, 0, 100)
    targets = _targets(app)
    urls = _urls(targets)
    if args.only:
        keep = set(args.only.split(","))
        urls = [u for u in urls if u.key in keep]
    statements = _statements(app, urls)
    profile = _profile(app, urls, args.profile) if args.profile else ""
    with app.app_context():
        db.engine.dispose()
    http = _http(url, instance, urls, args.seconds, args.rounds, args.group, not args.no_cookies_variant)
    writes = None if args.no_writes else _writes(url, instance, targets["event"], args.seconds, args.clients)
    return {"label": label, "urls": [u.__dict__ | {"target": u.target} for u in urls], "statements": statements,
            "http": http, "writes": writes, "profile": profile}


def _ms(x: float) -> str:
    return f"{x:.1f} ms" if x >= 10 else f"{x:.2f} ms"


def print_tables(results: list[dict], args, load_start, load_end) -> None:
    tool = "wrk -t2 -c8 --latency" if shutil.which("wrk") else "Python threads (wrk missing)"
    print(f"\nPublic pages benchmark — {os.cpu_count()} cores, gunicorn 2 sync workers (page cache on), {tool}, "
          f"{args.seconds} s per URL, {args.rounds} round(s) (medians), /bare before and after every {args.group} URLs")
    print("Load average (1/5/15 min): at start " + " / ".join(f"{x:.2f}" for x in load_start)
          + ", at end " + " / ".join(f"{x:.2f}" for x in load_end) + "\n")
    print("Ratio = req/s ÷ the mean of the /bare runs just before and after (same server).  'no cookies' is what wrk sends\n"
          "(each answer then starts a session); 'cookies' = with the cookies of a first view (a returning browser).\n")
    for r in results:
        h = r["http"]
        print(f"\n{r['label']} — bare {h['bare']:.0f} req/s (median of {len(h['bare_runs'])} runs: "
              f"{min(h['bare_runs']):.0f}–{max(h['bare_runs']):.0f}); load {h['load'][0]:.2f} → {h['load'][1]:.2f}\n")
        print("| page / partial | URL | cookies | req/s | p50 | p99 | ratio | target | verdict | statements (uncached / repeat) |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for u in r["urls"]:
            st = r["statements"][u["key"]]
            for variant in ("no cookies", "cookies"):
                m = h["results"].get(f"{u['key']}|{variant}")
                if m is None:
                    continue
                verdict = "met" if m["ratio"] >= u["target"] else "**missed**"
                bad = f" ({m['bad']} errors)" if m["bad"] else ""
                method = "POST " if u["method"] == "POST" else ""
                print(f"| {u['label']} ({u['kind']}) | `{method}{u['path']}` | {variant} | {m['rps']:.0f}{bad} | {_ms(m['p50'])} | {_ms(m['p99'])} "
                      f"| {m['ratio']:.0%} | ≥ {u['target']:.0%} | {verdict} | {st['built']} / {st['repeat']} |")
        notes = [f"{u['label']}: {u['note']}" for u in r["urls"] if u["note"]]
        if notes:
            print("\n" + "\n".join(f"- {n}" for n in notes))
    print("\nEvent registration (POST, a new phone per request; "
          f"{args.clients} Python-thread clients with their own session; bare with the same clients):\n")
    print("| database | bare req/s | registration req/s (ratio) | 303 answers | registrations created | equal? |")
    print("|---|---|---|---|---|---|")
    for r in results:
        w = r["writes"]
        if w is None:
            print(f"| {r['label']} | – | not measured (no event open for registration) | | | |")
            continue
        print(f"| {r['label']} | {w['bare']:.0f} | {w['rate']:.0f} ({w['rate'] / w['bare']:.0%}) | {w['ok']} | {w['rows']} "
              f"| {'yes' if w['ok'] == w['rows'] else 'NO'} |")
        if w["other"] or w["bare_other"]:
            print(f"\n{r['label']}: other answers — registration {w['other'] or 'none'}, bare {w['bare_other'] or 'none'}")
    for r in results:
        if r["profile"]:
            print(f"\n{r['label']}: cProfile of 20 uncached renders of {args.profile}:\n")
            print("\n".join("    " + line for line in r["profile"].splitlines()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3, help="passes over all URLs (medians reported)")
    parser.add_argument("--group", type=int, default=4, help="URLs measured between two /bare runs")
    parser.add_argument("--clients", type=int, default=8, help="Python-thread clients for the registrations")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-cookies-variant", action="store_true", help="do not measure pages again with a first view's cookies")
    parser.add_argument("--no-writes", action="store_true", help="skip the event registration measurement")
    parser.add_argument("--only", default="", help="comma-separated URL keys (e.g. wall,board)")
    parser.add_argument("--profile", default="", help="cProfile 20 uncached renders of this URL key (in process)")
    parser.add_argument("--json", default="", help="also write the results as JSON to this path")
    args = parser.parse_args()

    load_start = os.getloadavg()
    results = []
    sqlite_dir = Path(tempfile.mkdtemp(prefix="loushi-bench-pages-sqlite-"))
    results.append(run("SQLite", f"sqlite:///{sqlite_dir / 'bench.sqlite3'}", args))
    if not args.no_postgres:
        pg = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1/loushi_bench_pages")
        results.append(run("PostgreSQL", _fresh_postgres(pg), args))
    load_end = os.getloadavg()
    print_tables(results, args, load_start, load_end)
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "loader": "wrk" if shutil.which("wrk") else "python",
                                               "load_start": load_start, "load_end": load_end, "results": results},
                                              ensure_ascii=False, indent=1, default=str))


if __name__ == "__main__":
    main()
