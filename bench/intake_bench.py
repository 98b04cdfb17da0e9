"""Intake benchmark: req/s of the real request form (POST /zh/requests/new, CSRF and
all) from many concurrent clients on 127.0.0.1, next to the bare Flask endpoint of
bench/wsgi_bench.py (GET /bare) in the same run, on SQLite and
PostgreSQL, served by gunicorn (2 sync workers by default, 1 thread each; ``--workers``).

    .venv/bin/python bench/intake_bench.py [--seconds 10] [--clients 16] [--no-postgres] [--form-per-post]

Each client is a Python thread with its own http.client connection and cookie jar: it
GETs the form once for its session cookie and CSRF token, then POSTs the form with a
fresh random submission_key each time (what the form's one-time key would be), so the
POST alone is measured.  --form-per-post GETs the form before every POST instead and
counts submissions/s.  Afterwards the rows added to service_request are counted in the
database: they should equal the accepted answers (303 to …/submitted).  Last, the
sender's part is timed: queueing the new requests' mails (``produce_pending``, what
``flask send-mail`` does first), which the filing leaves out.

PostgreSQL: BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1/loushi_bench_intake,
dropped and re-created).  Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.guide_bench import _free_port, _fresh_postgres, seeded_app  # noqa: E402

FORM_PATH = "/zh/requests/new"
COOKIE = "loushi_session"
CSRF_RE = re.compile(rb'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
KEY_RE = re.compile(rb'name="submission_key"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="submission_key"')
FIELDS = {
    "service": "garage-parking-pass", "building": "shanghai-tower", "company_name": "楼事通基准测试有限公司",
    "contact_name": "测试员", "phone": "13812345678", "email": "",
    "description": "基准测试：申请车库停车证，请联系我。", "reply_lang": "zh", "consent": "y",
}


# --- one client ----------------------------------------------------------------------


class Client:
    """One browser: its own connection and session cookie."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookie = ""
        self.csrf = b""

    def request(self, method: str, path: str, body: bytes | None = None, ctype: str | None = None) -> tuple[int, str, bytes]:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if ctype:
            headers["Content-Type"] = ctype
        # No retry: a POST sent twice could file twice.  A failure is counted by _load().
        self.conn.request(method, path, body=body, headers=headers)
        resp = self.conn.getresponse()
        data = resp.read()
        for name, value in resp.getheaders():
            if name.lower() == "set-cookie" and value.startswith(COOKIE + "="):
                self.cookie = value.split(";", 1)[0]
        if resp.will_close:  # gunicorn's sync workers close after each answer; the next request reconnects
            self.conn.close()
        return resp.status, resp.getheader("Location") or "", data

    def load_form(self) -> bytes:
        """GET the form: session cookie + CSRF token; returns the form's own submission_key."""
        status, _, page = self.request("GET", FORM_PATH)
        if status != 200:
            raise RuntimeError(f"GET {FORM_PATH} answered {status}")
        csrf, key = CSRF_RE.search(page), KEY_RE.search(page)
        if csrf is None or key is None or not self.cookie:
            raise RuntimeError("the form page has no csrf_token / submission_key or no session cookie")
        self.csrf = csrf.group(1) or csrf.group(2)
        return key.group(1) or key.group(2)

    def post_form(self, key: bytes) -> tuple[int, str]:
        body = self.prefix + b"&submission_key=" + key + b"&csrf_token=" + urllib.parse.quote_plus(self.csrf).encode()
        status, location, _ = self.request("POST", FORM_PATH, body, "application/x-www-form-urlencoded")
        return status, location

    prefix = urllib.parse.urlencode(FIELDS).encode()


def _load(clients: list[Client], seconds: float, action) -> tuple[float, Counter]:
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


def _bare(client: Client) -> str:
    status, _, _ = client.request("GET", "/bare")
    return "ok" if 200 <= status < 300 else str(status)


def _bare_post(client: Client) -> str:
    status, _, _ = client.request("POST", "/bare", client.prefix, "application/x-www-form-urlencoded")
    return "ok" if 200 <= status < 300 else str(status)


def _csrf_floor(client: Client) -> str:
    """A POST that only passes the CSRF check (bench/wsgi_bench.py /bench/csrf-floor)."""
    body = client.prefix + b"&csrf_token=" + urllib.parse.quote_plus(client.csrf).encode()
    status, _, _ = client.request("POST", "/bench/csrf-floor", body, "application/x-www-form-urlencoded")
    return "ok" if status == 200 else str(status)


def _floor(client: Client) -> str:
    """The form's own work without filing (bench/wsgi_bench.py /bench/form-floor)."""
    body = client.prefix + b"&submission_key=" + secrets.token_urlsafe(24).encode() + b"&csrf_token=" + urllib.parse.quote_plus(client.csrf).encode()
    status, _, _ = client.request("POST", "/bench/form-floor", body, "application/x-www-form-urlencoded")
    return "ok" if status == 303 else str(status)


def _submit(client: Client) -> str:
    status, location = client.post_form(secrets.token_urlsafe(24).encode())  # 32 urlsafe characters
    return "ok" if status == 303 and location.rstrip("/").endswith("/submitted") else str(status)


def _submit_fresh_form(client: Client) -> str:
    status, location = client.post_form(client.load_form())
    return "ok" if status == 303 and location.rstrip("/").endswith("/submitted") else str(status)


# --- one database --------------------------------------------------------------------


def _count_rows(url: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT count(*) FROM service_request")).scalar_one()
    finally:
        engine.dispose()


def _start_server(url: str, instance: Path, log: Path, workers: int) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=url, LOUSHI_INSTANCE=str(instance), LOUSHI_ENV="development",
               RATELIMIT_ENABLED="false", PAGE_CACHE_ENABLED="false")
    server = subprocess.Popen(  # noqa: S603 - our own app on loopback
        [sys.executable, "-m", "gunicorn", "-w", str(workers), "--threads", "1", "-b", f"127.0.0.1:{port}", "--chdir", str(ROOT),
         "bench.wsgi_bench:app"],
        env=env, stdout=subprocess.DEVNULL, stderr=log.open("wb"),
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


def run(label: str, url: str, seconds: int, clients: int, fresh_form: bool, workers: int) -> dict:
    instance = Path(tempfile.mkdtemp(prefix="loushi-bench-intake-"))
    app = seeded_app(url, instance)
    from app.extensions import db

    with app.app_context():
        db.engine.dispose()

    log = instance / "gunicorn.stderr"
    server, port = _start_server(url, instance, log, workers)
    try:
        pool = [Client(port) for _ in range(clients)]
        for client in pool:
            client.load_form()
        action = _submit_fresh_form if fresh_form else _submit
        _load(pool, 1, _bare)  # warm up both workers on both URLs
        _, warm = _load(pool, 1, action)
        if warm["ok"] == 0:
            raise RuntimeError(f"no form POST accepted during warm-up ({dict(warm)}); see {log}")
        before = _count_rows(url)
        bare, bare_seen = _load(pool, seconds, _bare)
        form, form_seen = _load(pool, seconds, action)
        rows = _count_rows(url) - before
        bare_post, _ = _load(pool, seconds, _bare_post)
        csrf_floor, csrf_seen = _load(pool, seconds, _csrf_floor)
        floor, floor_seen = _load(pool, seconds, _floor)
    finally:
        server.terminate()
        server.wait(timeout=10)
    announced, mails, took = _announce_all(app)
    return {"label": label, "bare": bare, "bare_seen": bare_seen, "form": form, "form_seen": form_seen, "rows": rows,
            "bare_post": bare_post, "csrf_floor": csrf_floor, "csrf_ok": csrf_seen["ok"], "floor": floor, "floor_ok": floor_seen["ok"],
            "announced": announced, "mails": mails, "announce_seconds": took,
            "log": log, "target": 0.40 if label == "SQLite" else 0.30}


def _announce_all(app) -> tuple[int, int, float]:
    """What the sender (``flask send-mail``) does with the requests just filed: queue each
    one's receipt and staff notices (rendered in their languages), 100 requests per
    transaction, in this one process.  Returns (requests, mails queued, seconds)."""
    import sqlalchemy as sa

    from app.core.mail import OutboxMail, produce_pending
    from app.extensions import db

    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMail))
        started, announced = time.perf_counter(), 0
        while True:
            done = produce_pending(100)
            announced += done
            if done < 100:
                break
        took = time.perf_counter() - started
        mails = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMail)) - before
        db.session.remove()
        db.engine.dispose()
    return announced, mails, took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--workers", type=int, default=2,
                        help="gunicorn sync workers (default 2, as in the other benchmarks; 4 measured the same here)")
    parser.add_argument("--form-per-post", action="store_true", help="GET the form (new CSRF page + one-time key) before every POST")
    parser.add_argument("--json", default="", help="also write the results as JSON to this path (for bench/report.py)")
    args = parser.parse_args()

    results = []
    sqlite_dir = Path(tempfile.mkdtemp(prefix="loushi-bench-intake-sqlite-"))
    results.append(run("SQLite", f"sqlite:///{sqlite_dir / 'bench.sqlite3'}", args.seconds, args.clients, args.form_per_post, args.workers))
    if not args.no_postgres:
        pg = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1/loushi_bench_intake")
        results.append(run("PostgreSQL", _fresh_postgres(pg), args.seconds, args.clients, args.form_per_post, args.workers))

    mode = ("GET form + POST per submission (form req/s = submissions/s)" if args.form_per_post
            else "one CSRF token per client, a random 32-character submission_key per POST (POST only)")
    print(f"\nIntake benchmark — {os.cpu_count()} cores, gunicorn {args.workers} sync workers × 1 thread, {args.clients} Python-thread "
          f"clients on 127.0.0.1 (own connection + cookie each), {args.seconds} s per URL, page cache off")
    print(f"Form: POST {FORM_PATH}, urlencoded, no e-mail, no files; {mode}.")
    print("Bare: GET /bare of bench/wsgi_bench.py, same client code (the target's reference).\n")
    print("| database | bare req/s | form POST req/s (ratio, target ≥ 40 % SQLite / ≥ 30 % PG) | 2xx/303 answers | rows created | equal? |")
    print("|---|---|---|---|---|---|")
    for r in results:
        ok = r["form_seen"]["ok"]
        verdict = "met" if r["form"] / r["bare"] >= r["target"] else "missed"
        print(f"| {r['label']} | {r['bare']:.0f} | {r['form']:.0f} ({r['form'] / r['bare']:.1%}, target {r['target']:.0%} {verdict}) "
              f"| {ok} | {r['rows']} | {'yes' if ok == r['rows'] else 'NO'} |")
    print("\nWhere the time goes: POST /bare (the same body, no form), POST /bench/csrf-floor (passes the CSRF check,")
    print("answers \"ok\") and POST /bench/form-floor (the real form — CSRF check, every validator, session write,")
    print("303 — without filing), ratios to GET /bare:\n")
    print("| database | POST /bare | CSRF check only | form without filing (the stack's floor) | filing |")
    print("|---|---|---|---|---|")
    for r in results:
        print(f"| {r['label']} | {r['bare_post']:.0f} ({r['bare_post'] / r['bare']:.0%}) "
              f"| {r['csrf_floor']:.0f} ({r['csrf_floor'] / r['bare']:.0%}, {r['csrf_ok']} × 200) "
              f"| {r['floor']:.0f} ({r['floor'] / r['bare']:.0%}, {r['floor_ok']} × 303) | {r['form']:.0f} ({r['form'] / r['bare']:.1%}) |")
    print("\nThe new requests' mails are not rendered by the filing: the sender (`flask send-mail`) queues them")
    print("afterwards (receipt to the requester, the department's staff, the building's council). Run here in one")
    print("process after the load, over every request the benchmark filed:\n")
    print("| database | requests announced | mails queued | seconds | requests/s |")
    print("|---|---|---|---|---|")
    for r in results:
        rate = r["announced"] / r["announce_seconds"] if r["announce_seconds"] else 0
        print(f"| {r['label']} | {r['announced']} | {r['mails']} | {r['announce_seconds']:.1f} | {rate:.0f} |")
    for r in results:
        other = {k: v for k, v in r["form_seen"].items() if k != "ok"}
        bare_other = {k: v for k, v in r["bare_seen"].items() if k != "ok"}
        if other or bare_other:
            print(f"\n{r['label']}: other answers — form {other or 'none'}, bare {bare_other or 'none'} (gunicorn stderr: {r['log']})")

    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "results": results}, ensure_ascii=False, indent=1, default=str))


if __name__ == "__main__":
    main()
