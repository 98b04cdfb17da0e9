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

import os
import re
import secrets
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import CSRF_RE, seeded_app, FORM, Client, bare, databases, dispose, outcome, others, parser, run_clients, scalar, served, table, write_json  # noqa: E402

FORM_PATH = "/zh/requests/new"
KEY_RE = re.compile(rb'name="submission_key"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="submission_key"')
FIELDS = {
    "service": "garage-parking-pass", "building": "shanghai-tower", "company_name": "楼事通基准测试有限公司",
    "contact_name": "测试员", "phone": "13812345678", "email": "",
    "description": "基准测试：申请车库停车证，请联系我。", "reply_lang": "zh", "consent": "y",
}


# --- one client ----------------------------------------------------------------------


class FormClient(Client):
    """One browser filling in the request form."""

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
        status, location, _ = self.request("POST", FORM_PATH, body, FORM)
        return status, location

    prefix = urllib.parse.urlencode(FIELDS).encode()


def _bare_post(client: FormClient) -> str:
    status, _, _ = client.request("POST", "/bare", client.prefix, FORM)
    return outcome(status)


def _csrf_floor(client: FormClient) -> str:
    """A POST that only passes the CSRF check (bench/wsgi_bench.py /bench/csrf-floor)."""
    body = client.prefix + b"&csrf_token=" + urllib.parse.quote_plus(client.csrf).encode()
    status, _, _ = client.request("POST", "/bench/csrf-floor", body, FORM)
    return outcome(status, lambda s: s == 200)


def _floor(client: FormClient) -> str:
    """The form's own work without filing (bench/wsgi_bench.py /bench/form-floor)."""
    body = client.prefix + b"&submission_key=" + secrets.token_urlsafe(24).encode() + b"&csrf_token=" + urllib.parse.quote_plus(client.csrf).encode()
    status, _, _ = client.request("POST", "/bench/form-floor", body, FORM)
    return outcome(status, lambda s: s == 303)


def _submit(client: FormClient) -> str:
    status, location = client.post_form(secrets.token_urlsafe(24).encode())  # 32 urlsafe characters
    return "ok" if status == 303 and location.rstrip("/").endswith("/submitted") else str(status)


def _submit_fresh_form(client: FormClient) -> str:
    status, location = client.post_form(client.load_form())
    return "ok" if status == 303 and location.rstrip("/").endswith("/submitted") else str(status)


# --- one database --------------------------------------------------------------------


def _count_rows(url: str) -> int:
    return scalar(url, "SELECT count(*) FROM service_request")


def run(label: str, url: str, seconds: int, clients: int, fresh_form: bool, workers: int) -> dict:
    instance = Path(tempfile.mkdtemp(prefix="loushi-bench-intake-"))
    app = seeded_app(url, instance)
    dispose(app)
    log = instance / "gunicorn.stderr"
    with served(url, instance, log, cache=False, workers=workers, threads=1) as port:
        pool = [FormClient(port) for _ in range(clients)]
        for client in pool:
            client.load_form()
        action = _submit_fresh_form if fresh_form else _submit
        run_clients(pool, 1, bare)  # warm up both workers on both URLs
        _, warm = run_clients(pool, 1, action)
        if warm["ok"] == 0:
            raise RuntimeError(f"no form POST accepted during warm-up ({dict(warm)}); see {log}")
        before = _count_rows(url)
        bare_rate, bare_seen = run_clients(pool, seconds, bare)
        form, form_seen = run_clients(pool, seconds, action)
        rows = _count_rows(url) - before
        bare_post, _ = run_clients(pool, seconds, _bare_post)
        csrf_floor, csrf_seen = run_clients(pool, seconds, _csrf_floor)
        floor, floor_seen = run_clients(pool, seconds, _floor)
    announced, mails, took = _announce_all(app)
    return {"label": label, "bare": bare_rate, "bare_seen": bare_seen, "form": form, "form_seen": form_seen, "rows": rows,
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
    p = parser(__doc__, 10, clients=16)
    p.add_argument("--workers", type=int, default=2,
                   help="gunicorn sync workers (default 2, as in the other benchmarks; 4 measured the same here)")
    p.add_argument("--form-per-post", action="store_true", help="GET the form (new CSRF page + one-time key) before every POST")
    args = p.parse_args()
    results = [run(label, url, args.seconds, args.clients, args.form_per_post, args.workers)
               for label, (url,) in databases("intake", args.no_postgres)]

    mode = ("GET form + POST per submission (form req/s = submissions/s)" if args.form_per_post
            else "one CSRF token per client, a random 32-character submission_key per POST (POST only)")
    print(f"\nIntake benchmark — {os.cpu_count()} cores, gunicorn {args.workers} sync workers × 1 thread, {args.clients} Python-thread "
          f"clients on 127.0.0.1 (own connection + cookie each), {args.seconds} s per URL, page cache off")
    print(f"Form: POST {FORM_PATH}, urlencoded, no e-mail, no files; {mode}.")
    print("Bare: GET /bare of bench/wsgi_bench.py, same client code (the target's reference).\n")
    table("database", "bare req/s", "form POST req/s (ratio, target ≥ 40 % SQLite / ≥ 30 % PG)", "2xx/303 answers", "rows created", "equal?")
    for r in results:
        ok = r["form_seen"]["ok"]
        verdict = "met" if r["form"] / r["bare"] >= r["target"] else "missed"
        print(f"| {r['label']} | {r['bare']:.0f} | {r['form']:.0f} ({r['form'] / r['bare']:.1%}, target {r['target']:.0%} {verdict}) "
              f"| {ok} | {r['rows']} | {'yes' if ok == r['rows'] else 'NO'} |")
    table("database", "POST /bare", "CSRF check only", "form without filing (the stack's floor)", "filing", intro=(
          "\nWhere the time goes: POST /bare (the same body, no form), POST /bench/csrf-floor (passes the CSRF check,\n"
          "answers \"ok\") and POST /bench/form-floor (the real form — CSRF check, every validator, session write,\n"
          "303 — without filing), ratios to GET /bare:\n"))
    for r in results:
        print(f"| {r['label']} | {r['bare_post']:.0f} ({r['bare_post'] / r['bare']:.0%}) "
              f"| {r['csrf_floor']:.0f} ({r['csrf_floor'] / r['bare']:.0%}, {r['csrf_ok']} × 200) "
              f"| {r['floor']:.0f} ({r['floor'] / r['bare']:.0%}, {r['floor_ok']} × 303) | {r['form']:.0f} ({r['form'] / r['bare']:.1%}) |")
    print("\nThe new requests' mails are not rendered by the filing: the sender (`flask send-mail`) queues them\n"
          "afterwards (receipt to the requester, the department's staff, the building's council). Run here in one\n"
          "process after the load, over every request the benchmark filed:\n")
    table("database", "requests announced", "mails queued", "seconds", "requests/s")
    for r in results:
        rate = r["announced"] / r["announce_seconds"] if r["announce_seconds"] else 0
        print(f"| {r['label']} | {r['announced']} | {r['mails']} | {r['announce_seconds']:.1f} | {rate:.0f} |")
    for r in results:
        other, bare_other = others(r["form_seen"]), others(r["bare_seen"])
        if other or bare_other:
            print(f"\n{r['label']}: other answers — form {other or 'none'}, bare {bare_other or 'none'} (gunicorn stderr: {r['log']})")

    write_json(args.json, args, results)


if __name__ == "__main__":
    main()
