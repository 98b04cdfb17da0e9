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

import os
import random
import re
import statistics
import sys
import tempfile
import threading
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    Client, clear_page_cache, client_with_token, dispose, each_database, drain, first_view, heading, loader, loader_name,
    outcome, parser, scalar, seeded_app, served, statements, table, write_json, write_load,
)
from bench.wall_bench import _insert_wishes  # noqa: E402  (the wall's data, as in its own benchmark)

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

    from app.boards.models import Event

    from app.core.timeutil import utcnow
    from app.extensions import db
    from app.guide.models import GuideEntry
    from app.intake.models import ServiceRequest
    from app.org.models import Building, Street
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
    with statements(app) as seen:
        for u in urls:
            clear_page_cache(app)
            seen.clear()
            response = call(u)
            built = len(seen)
            seen.clear()
            call(u)
            out[u.key] = {"built": built, "repeat": len(seen), "status": response.status_code, "bytes": len(response.get_data())}
    return out


def _profile(app, urls: list[Url], key: str) -> str:
    """cProfile of one uncached render of ``key`` (in process), top 25 by cumulative time."""
    import cProfile
    import io
    import pstats

    u = next(u for u in urls if u.key == key)
    client = app.test_client()
    client.get(u.path, headers=u.headers)
    clear_page_cache(app)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(20):
        clear_page_cache(app)
        client.get(u.path, headers=u.headers)
    profiler.disable()
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(25)
    return text.getvalue()


# --- 2. load --------------------------------------------------------------------------------

def _first_view(base: str, u: Url, cookie: str = "") -> tuple[int, str, str]:
    """(status, the cookies it set as a Cookie header, body) of one request."""
    return first_view(base + u.path, dict(u.headers, **({"Cookie": cookie} if cookie else {})), u.method, u.body)


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
    load = loader()
    with served(url, instance, log) as port:  # the defaults: page cache on
        base = f"http://127.0.0.1:{port}"
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
                drain(base)
                chunk = []
                for u, variant, headers in order[start:start + group]:
                    m = load(base + u.path, seconds, headers, u.method, u.body)
                    drain(base)
                    chunk.append(((u.key, variant), m))
                after = load(base + "/bare", seconds, {})
                drain(base)
                bares += [before["rps"], after["rps"]]
                for key, m in chunk:
                    m["ratio"] = m["rps"] / ((before["rps"] + after["rps"]) / 2)
                    runs[key].append(m)
        load_avg.append(os.getloadavg()[0])
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
    return scalar(url, "SELECT count(*) FROM registration")


def _registrar(path: str):
    rng = random.Random()
    lock = threading.Lock()

    def act(client: Client) -> str:
        with lock:
            phone = "13" + "".join(rng.choice("0123456789") for _ in range(9))
        status, location = client.post(path, {"name": "基准测试", "phone": phone})
        return outcome(status, lambda s: s == 303 and "/registered" in location)

    return act


def _writes(url: str, instance: Path, event: tuple[str, int, bool] | None, seconds: float, clients: int) -> dict | None:
    if not event or not event[2]:
        return None
    slug, event_id, _ = event
    path = f"/zh/boards/{slug}/events/{event_id}"
    with served(url, instance) as port:
        pool = [client_with_token(port, path) for _ in range(clients)]
        w = write_load(pool, seconds, _registrar(path), lambda: _registrations(url), "registration")
    return {"path": path, "bare": w["bare"], "rate": w["rate"], "ok": w["ok"], "rows": w["after"] - w["before"],
            "other": w["other"], "bare_other": w["bare_other"]}


# --- one database -----------------------------------------------------------------------------


def run(label: str, url: str, args) -> dict:
    instance = Path(tempfile.mkdtemp(prefix="loushi-bench-pages-"))
    app = seeded_app(url, instance)
    _insert_wishes(app, 0, 100)
    targets = _targets(app)
    urls = _urls(targets)
    if args.only:
        keep = set(args.only.split(","))
        urls = [u for u in urls if u.key in keep]
    statements = _statements(app, urls)
    profile = _profile(app, urls, args.profile) if args.profile else ""
    dispose(app)
    http = _http(url, instance, urls, args.seconds, args.rounds, args.group, not args.no_cookies_variant)
    writes = None if args.no_writes else _writes(url, instance, targets["event"], args.seconds, args.clients)
    return {"label": label, "urls": [u.__dict__ | {"target": u.target} for u in urls], "statements": statements,
            "http": http, "writes": writes, "profile": profile}


def _ms(x: float) -> str:
    return f"{x:.1f} ms" if x >= 10 else f"{x:.2f} ms"


def print_tables(results: list[dict], args, load_start, load_end) -> None:
    tool = loader_name() + (" --latency" if loader_name().startswith("wrk") else "")
    heading(f"Public pages benchmark — {os.cpu_count()} cores, gunicorn 2 sync workers (page cache on), {tool}, "
            f"{args.seconds} s per URL, {args.rounds} round(s) (medians), /bare before and after every {args.group} URLs",
            load_start, load_end)
    print("Ratio = req/s ÷ the mean of the /bare runs just before and after (same server).  'no cookies' is what wrk sends\n"
          "(each answer then starts a session); 'cookies' = with the cookies of a first view (a returning browser).\n")
    for r in results:
        h = r["http"]
        print(f"\n{r['label']} — bare {h['bare']:.0f} req/s (median of {len(h['bare_runs'])} runs: "
              f"{min(h['bare_runs']):.0f}–{max(h['bare_runs']):.0f}); load {h['load'][0]:.2f} → {h['load'][1]:.2f}\n")
        table("page / partial", "URL", "cookies", "req/s", "p50", "p99", "ratio", "target", "verdict", "statements (uncached / repeat)")
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
    table("database", "bare req/s", "registration req/s (ratio)", "303 answers", "registrations created", "equal?")
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
    p = parser(__doc__, 5.0, rounds=(3, "passes over all URLs (medians reported)"), group=(4, "URLs measured between two /bare runs"),
               clients=(8, "Python-thread clients for the registrations"))
    p.add_argument("--no-cookies-variant", action="store_true", help="do not measure pages again with a first view's cookies")
    p.add_argument("--no-writes", action="store_true", help="skip the event registration measurement")
    p.add_argument("--only", default="", help="comma-separated URL keys (e.g. wall,board)")
    p.add_argument("--profile", default="", help="cProfile 20 uncached renders of this URL key (in process)")
    args = p.parse_args()
    results, load_start, load_end = each_database("pages", args.no_postgres, lambda label, url: run(label, url, args))
    print_tables(results, args, load_start, load_end)
    write_json(args.json, args, results, loader="wrk" if loader_name().startswith("wrk") else "python",
               load_start=load_start, load_end=load_end)


if __name__ == "__main__":
    main()
