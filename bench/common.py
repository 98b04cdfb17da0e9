"""What every benchmark shares: the app on a fresh database, gunicorn on 127.0.0.1, the load
generators (wrk, or Python threads), the thread clients with their own session, SQL
statement counting, and the lines of the printed reports.

Every benchmark script imports from here; none imports another script's private helpers.
Traffic goes to 127.0.0.1 only, and every load is bounded in time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PASSWORD = "bench-password-123"
COOKIE = "loushi_session"
FORM = "application/x-www-form-urlencoded"
CSRF_RE = re.compile(rb'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
WRK = "wrk -t2 -c8"


# --- the app and its database ---------------------------------------------------------------


def make_app(url: str, instance: Path):
    """The app on ``url`` with ``instance`` as its folder (development settings, no rate limits)."""
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

    app = make_app(url, instance)
    with app.app_context():
        upgrade()
        seed_demo(PASSWORD, guide=guide)
        db.session.commit()
        db.session.remove()
    return app


def dispose(app) -> None:
    """Close the app's connections (before gunicorn's workers open theirs)."""
    from app.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def fresh_postgres(url: str) -> str:
    """``url`` (normalised) after dropping and re-creating its database."""
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


def databases(name: str, no_postgres: bool, files: tuple[str, ...] = ("bench",),
              database: str | None = None, suffix: str = "") -> Iterator[tuple[str, list[str]]]:
    """(label, URLs) per database: SQLite files in a new temporary folder, then (unless
    ``no_postgres``) PostgreSQL at BENCH_DATABASE_URL + ``suffix`` (default
    postgresql://postgres@127.0.0.1/``database``, loushi_bench_<name> unless given),
    dropped and re-created; one URL per name in ``files`` (the first is the main one,
    the others get ``_<file>`` added)."""
    folder = Path(tempfile.mkdtemp(prefix=f"loushi-bench-{name}-sqlite-"))
    yield "SQLite", [f"sqlite:///{folder / f'{file}.sqlite3'}" for file in files]
    if not no_postgres:
        pg = os.environ.get("BENCH_DATABASE_URL", f"postgresql://postgres@127.0.0.1/{database or 'loushi_bench_' + name}") + suffix
        yield "PostgreSQL", [fresh_postgres(pg if i == 0 else f"{pg}_{file}") for i, file in enumerate(files)]


def each_database(name: str, no_postgres: bool, run: Callable[[str, str], dict]) -> tuple[list[dict], tuple, tuple]:
    """``run(label, url)`` on each of ``databases(name, no_postgres)``; (results, load
    average before, load average after)."""
    load_start = os.getloadavg()
    results = [run(label, url) for label, (url,) in databases(name, no_postgres)]
    return results, load_start, os.getloadavg()


def scalar(url: str, sql: str, **params):
    """One value read afresh from the database at ``url`` (its own engine)."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql), params).scalar_one()
    finally:
        engine.dispose()


def analyze(app) -> None:
    """Statistics, as autovacuum keeps them in production."""
    import sqlalchemy as sa

    from app.extensions import db

    with app.app_context():
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
        db.session.remove()


def bulk_insert(app, table, row: Callable[..., dict], start: int, count: int, seed: int, batch: int = 1000) -> None:
    """Rows ``start`` … ``start + count - 1`` made by ``row(i, rng, now, building_ids)``
    (``rng`` seeded with ``start + seed``, ``now`` in UTC, every building's id in order),
    inserted into ``table`` by Core bulk inserts of ``batch`` and committed; then ANALYZE
    (what autovacuum would have done by now in production)."""
    import random
    from datetime import datetime, timezone

    import sqlalchemy as sa

    from app.extensions import db
    from app.org.models import Building

    rng, now = random.Random(start + seed), datetime.now(timezone.utc)
    with app.app_context():
        buildings = list(db.session.scalars(sa.select(Building.id).order_by(Building.id)))
        chunk: list[dict] = []
        for i in range(start, start + count):
            chunk.append(row(i, rng, now, buildings))
            if len(chunk) == batch:
                db.session.execute(sa.insert(table), chunk)
                chunk = []
        if chunk:
            db.session.execute(sa.insert(table), chunk)
        db.session.commit()
        db.session.remove()
    analyze(app)


@contextmanager
def statements(app) -> Iterator[list]:
    """Every SQL statement run while the block runs: ``[statement, parameters, ms]`` each."""
    from sqlalchemy import event

    from app.extensions import db

    with app.app_context():
        engine = db.engine
    seen: list[list] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        seen.append([statement, parameters, (time.perf_counter() - conn.info.pop("bench_started")) * 1000])

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def clear_page_cache(app) -> None:
    """Every cached page forgotten, so that the next view really builds its page."""
    from app.core import cache

    with app.app_context():
        cache.clear()


def summary(sql: str) -> str:
    """``SELECT … FROM wish LEFT OUTER JOIN …`` (the tables, not the columns)."""
    sql = " ".join(sql.split())
    head, sep, tail = sql.partition(" FROM ")
    text = f"{head.split(' ', 1)[0]} …{sep}{tail}" if sep else sql
    return text if len(text) <= 200 else text[:199] + "…"


# --- gunicorn on 127.0.0.1 -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, instance: Path, log: Path, cache: bool = True, workers: int = 2,
                 threads: int | None = None) -> tuple[subprocess.Popen, int]:
    """gunicorn serving bench/wsgi_bench.py on a free port of 127.0.0.1, once it answers /bare."""
    port = free_port()
    env = dict(os.environ, DATABASE_URL=url, LOUSHI_INSTANCE=str(instance), LOUSHI_ENV="development",
               RATELIMIT_ENABLED="false", PAGE_CACHE_ENABLED="true" if cache else "false")
    command = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}", "--chdir", str(ROOT)]
    if threads is not None:
        command += ["--threads", str(threads)]
    server = subprocess.Popen(  # noqa: S603 - our own app on loopback
        [*command, "bench.wsgi_bench:app"], env=env, stdout=subprocess.DEVNULL, stderr=log.open("ab"),
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


@contextmanager
def served(url: str, instance: Path, log: Path | None = None, **options) -> Iterator[int]:
    """The port of a gunicorn started for the block (``start_server``'s options), stopped after it."""
    server, port = start_server(url, instance, log or instance / "gunicorn.stderr", **options)
    try:
        yield port
    finally:
        stop_server(server)


def stop_server(server: subprocess.Popen) -> None:
    """SIGTERM (gunicorn lets its workers finish), SIGKILL if that takes over 30 s (a busy machine)."""
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)


def drain(base: str) -> None:
    """Wait until the workers have answered what wrk left behind: when wrk stops, the
    requests it had sent are still queued (a slow page leaves seconds of work), and the
    next URL would be measured against them.  The listen queue is first in, first out."""
    for _ in range(2):
        urllib.request.urlopen(base + "/bare", timeout=300).close()  # noqa: S310 - loopback


# --- load: wrk, or Python threads ---------------------------------------------------------

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def wrk(url: str, seconds: float, headers: dict[str, str] | None = None, method: str = "GET", body: str = "") -> dict:
    """wrk -t2 -c8 --latency: req/s, p50 and p99 (ms), non-2xx/3xx answers."""
    cmd = ["wrk", "-t2", "-c8", f"-d{max(1, round(seconds))}s", "--latency"]
    for k, v in (headers or {}).items():
        cmd += ["-H", f"{k}: {v}"]
    script = None
    if method != "GET":
        script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
        escaped = body.replace("\\", "\\\\").replace('"', '\\"')
        script.write(f'wrk.method = "{method}"\nwrk.body = "{escaped}"\nwrk.headers["Content-Type"] = "{FORM}"\n')
        script.close()
        cmd += ["-s", script.name]
    try:
        out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True, timeout=seconds + 60).stdout  # noqa: S603
    finally:
        if script:
            os.unlink(script.name)
    lat = {int(p): float(v) * _UNITS[u] for p, v, u in re.findall(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)}
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "p50": lat.get(50, float("nan")),
            "p99": lat.get(99, float("nan")), "bad": int(non2xx.group(1)) if non2xx else 0}


def python_load(url: str, seconds: float, headers: dict[str, str] | None = None, method: str = "GET", body: str = "") -> dict:
    """Fallback when wrk is missing: 8 threads of urllib, with latencies (slower; ratios matter more)."""
    samples: list[list[float]] = [[] for _ in range(8)]
    bad = [0] * 8
    stop = time.perf_counter() + seconds
    data = body.encode() if method != "GET" else None
    hdrs = dict(headers or {}, **({"Content-Type": FORM} if data else {}))

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
    return {"rps": len(lat) / elapsed, "p50": percentile(lat, 50), "p99": percentile(lat, 99), "bad": sum(bad)}


def loader() -> Callable[..., dict]:
    """wrk when it is installed, else the Python threads."""
    return wrk if shutil.which("wrk") else python_load


def loader_name() -> str:
    return WRK if shutil.which("wrk") else "Python threads (wrk missing)"


def rate(url: str, seconds: float, headers: dict[str, str] | None = None) -> float:
    """req/s of ``url`` under ``loader()``; a warning when some answers were not 2xx/3xx."""
    measured = loader()(url, seconds, headers)
    if measured["bad"]:
        print(f"    warning: {measured['bad']} non-2xx responses for {url}")
    return measured["rps"]


def percentile(sorted_samples: list[float], p: float) -> float:
    """The ``p``-th percentile of already sorted samples (nearest rank below)."""
    if not sorted_samples:
        return float("nan")
    if p == 50:
        return sorted_samples[len(sorted_samples) // 2]
    return sorted_samples[min(len(sorted_samples) - 1, int(len(sorted_samples) * p / 100))]


# --- thread clients: one browser each ----------------------------------------------------


class Client:
    """One browser: its own connection and session cookie (and CSRF token once read)."""

    def __init__(self, port: int, headers: dict[str, str] | None = None):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookie = ""
        self.csrf = b""
        self.post_headers = dict(headers or {})  # added to every POST

    def request(self, method: str, path: str, body: bytes | None = None, ctype: str | None = None) -> tuple[int, str, bytes]:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if ctype:
            headers["Content-Type"] = ctype
        if method == "POST":
            headers.update(self.post_headers)
        # No retry: a POST sent twice could file twice.  A failure is counted by run_clients().
        self.conn.request(method, path, body=body, headers=headers)
        resp = self.conn.getresponse()
        data = resp.read()
        for name, value in resp.getheaders():
            if name.lower() == "set-cookie" and value.startswith(COOKIE + "="):
                self.cookie = value.split(";", 1)[0]
        if resp.will_close:  # gunicorn's sync workers close after each answer; the next request reconnects
            self.conn.close()
        return resp.status, resp.getheader("Location") or "", data

    def post(self, path: str, fields: dict[str, str]) -> tuple[int, str]:
        """POST ``fields`` (urlencoded) with the client's CSRF token; (status, Location)."""
        body = urllib.parse.urlencode({**fields, "csrf_token": self.csrf}).encode()
        status, location, _ = self.request("POST", path, body, FORM)
        return status, location


def client_with_token(port: int, path: str) -> Client:
    """A client that has GET ``path`` (a form): session cookie and CSRF token kept."""
    client = Client(port)
    status, _, page = client.request("GET", path)
    token = CSRF_RE.search(page)
    if status != 200 or token is None or not client.cookie:
        raise RuntimeError(f"GET {path} answered {status} without a csrf_token or session cookie")
    client.csrf = token.group(1) or token.group(2)
    return client


def run_clients(clients: list[Client], seconds: float, action: Callable[[Client], str]) -> tuple[float, Counter]:
    """Run ``action(client) -> outcome`` in one thread per client for ``seconds``;
    returns (completed requests / s, Counter of outcomes)."""
    outcomes = [Counter() for _ in clients]
    stop = [0.0]
    start_line = threading.Barrier(len(clients) + 1)

    def worker(i: int) -> None:
        client, seen = clients[i], outcomes[i]
        start_line.wait()
        while time.perf_counter() < stop[0]:
            try:
                seen[action(client)] += 1
            except Exception as exc:  # noqa: BLE001 - counted, not raised
                seen[f"error {type(exc).__name__}"] += 1
                client.conn.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(len(clients))]
    for t in threads:
        t.start()
    started = time.perf_counter()
    stop[0] = started + seconds
    start_line.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    total = sum(outcomes, Counter())
    return sum(total.values()) / elapsed, total


def outcome(status: int, wanted: Callable[[int], bool] = lambda s: 200 <= s < 300) -> str:
    return "ok" if wanted(status) else str(status)


def bare(client: Client) -> str:
    status, _, _ = client.request("GET", "/bare")
    return outcome(status)


def write_load(clients: list[Client], seconds: float, action: Callable[[Client], str], figures: Callable[[], object],
               what: str, warm_up: Callable[[Client], str] | None = None) -> dict:
    """A write under load, next to /bare with the same clients: a warm-up (``warm_up``,
    else ``action``: one accepted write at least), then /bare and ``action`` for
    ``seconds`` each; ``figures()`` (rows in the database) read just before and after
    the measured writes, to compare with the accepted answers."""
    run_clients(clients, 1, bare)
    _, warm = run_clients(clients, 1, warm_up or action)
    if warm["ok"] == 0:
        raise RuntimeError(f"no {what} accepted during warm-up: {dict(warm)}")
    before = figures()
    load = os.getloadavg()[0]
    bare_rate, bare_seen = run_clients(clients, seconds, bare)
    write_rate, seen = run_clients(clients, seconds, action)
    return {"load": load, "bare": bare_rate, "bare_seen": bare_seen, "rate": write_rate, "seen": seen,
            "before": before, "after": figures(), "ok": seen["ok"], "other": others(seen), "bare_other": others(bare_seen)}


def others(seen: Counter) -> dict:
    """The outcomes other than "ok"."""
    return {k: v for k, v in seen.items() if k != "ok"}


def first_view(url: str, headers: dict[str, str] | None = None, method: str = "GET", body: str = "") -> tuple[int, str, str]:
    """(status, the cookies it set as a Cookie header, body) of one request."""
    headers = dict(headers or {})
    data = body.encode() if method == "POST" else None
    if data:
        headers["Content-Type"] = FORM
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as r:  # noqa: S310 - loopback
            content, status, set_cookies = r.read(), r.status, r.headers.get_all("Set-Cookie") or []
    except urllib.error.HTTPError as exc:
        content, status, set_cookies = exc.read(), exc.code, exc.headers.get_all("Set-Cookie") or []
    return status, "; ".join(c.split(";", 1)[0] for c in set_cookies), content.decode("utf-8", "replace")


# --- reporting ----------------------------------------------------------------------------


def parser(doc: str, seconds: float | None = None, **numbers: int | tuple[int, str]) -> argparse.ArgumentParser:
    """The arguments the benchmarks share (--seconds when ``seconds`` is given,
    --no-postgres, --json) and a benchmark's own integer options with their defaults
    (``rounds=1`` → --rounds, default 1; or ``rounds=(1, "help text")``)."""
    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    if seconds is not None:
        p.add_argument("--seconds", type=type(seconds), default=seconds, help="load per URL, in seconds")
    for name, value in numbers.items():
        default, text = value if isinstance(value, tuple) else (value, None)
        p.add_argument("--" + name.replace("_", "-"), type=int, default=default, help=text)
    p.add_argument("--no-postgres", action="store_true", help="SQLite only")
    p.add_argument("--json", default="", help="also write the results as JSON to this path (for bench/report.py)")
    return p


def write_json(path: str, args: argparse.Namespace, results, **extra) -> None:
    if path:
        Path(path).write_text(json.dumps({"args": vars(args), **extra, "results": results}, ensure_ascii=False, indent=1, default=str))


def passes_note(rounds: int) -> str:
    return f" and pass, {rounds} interleaved passes (medians)" if rounds > 1 else ""


def heading(title: str, load_start: tuple[float, ...], load_end: tuple[float, ...]) -> None:
    """A report's first lines: its title and the load averages."""
    print("\n" + title)
    print(load_line(load_start, load_end))


def load_line(start: tuple[float, ...], end: tuple[float, ...]) -> str:
    return ("Load average (1/5/15 min): at start " + " / ".join(f"{x:.2f}" for x in start)
            + ", at end " + " / ".join(f"{x:.2f}" for x in end) + "\n")


def table(*headers: str, intro: str = "") -> None:
    """Print the head of a markdown table (after ``intro``, when given)."""
    if intro:
        print(intro)
    print("| " + " | ".join(headers) + " |")
    print("|" + "---|" * len(headers))


def div(a: float, b: float) -> float:
    return a / b if b else float("nan")
