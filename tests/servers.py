"""Real app servers for the multi-process tests: gunicorn on 127.0.0.1 against the
suite's database, and a small HTTP client that keeps its own cookies.

    with gunicorn(app, tmp_path, workers=3, env={"RATELIMIT_ENABLED": "false"}) as server:
        client = Client(server.port)
        status, location, body = client.get("/zh/")

The server's stderr (gunicorn's error log: boots, worker deaths, tracebacks) goes to a
file; ``server.log()`` returns its tail for assertion messages.  Used by
tests/test_shared_state.py, tests/test_load.py and tests/test_worker_kill.py."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import CSRF_RE

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = "shared-secret-of-the-test-servers"
KEY_RE = re.compile(r'name="submission_key" type="hidden" value="([^"]+)"|value="([^"]+)"[^>]*name="submission_key"')
# Settings of the developer's shell that must not leak into a test server.
_SCRUBBED = ("DATABASE_URL", "REDIS_URL", "RATELIMIT_ENABLED", "RATELIMIT_KEY_PREFIX", "PAGE_CACHE_ENABLED", "SECRET_KEY",
             "MAIL_SERVER", "UPLOAD_FOLDER", "GUNICORN_CMD_ARGS", "WEB_CONCURRENCY")


def _no_control_socket() -> list[str]:
    """gunicorn ≥ 25 opens a control socket at one fixed path per user (~/.gunicorn):
    test servers (several at once) do without."""
    from gunicorn.config import KNOWN_SETTINGS

    return ["--no-control-socket"] if any(s.name == "control_socket_disable" for s in KNOWN_SETTINGS) else []


_NO_CONTROL_SOCKET = _no_control_socket()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid: int) -> set[int]:
    """The live child processes of ``pid`` (gunicorn's workers of a master)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.update(int(p) for p in (task / "children").read_text().split())
        except OSError:
            continue
    return {p for p in found if alive(p)}


def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class Server:
    """One gunicorn master and its workers."""

    def __init__(self, proc: subprocess.Popen, port: int, log_path: Path, access_log: Path | None):
        self.proc = proc
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        self.access_log = access_log

    @property
    def pid(self) -> int:
        return self.proc.pid

    def workers(self) -> set[int]:
        return children(self.proc.pid)

    def log(self, tail: int = 6000) -> str:
        """The end of gunicorn's stderr, for assertion messages."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return f"--- gunicorn stderr ({self.log_path}) ---\n" + text[-tail:]

    def served_by(self) -> dict[int, int]:
        """Answers per worker pid, from the access log (``access_log=True`` only)."""
        counts: dict[int, int] = {}
        for line in (self.access_log.read_text().splitlines() if self.access_log else []):
            pid = line.split(" ", 1)[0].strip("<>")  # gunicorn writes %(p)s as <pid>
            if pid.isdigit():
                counts[int(pid)] = counts.get(int(pid), 0) + 1
        return counts

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.time() + timeout
        while True:
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=2).close()  # noqa: S310 - loopback
                return
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    self.stop()
                    raise RuntimeError(f"gunicorn did not become healthy on {self.base}\n{self.log()}") from None
                time.sleep(0.2)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # graceful: the workers finish their request
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def server_env(app, instance: Path, **extra: str) -> dict[str, str]:
    """The environment of a test server: the suite's database, a shared secret key,
    development settings (plain-http cookies), its own instance folder."""
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    env.update(
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        SECRET_KEY=SECRET_KEY,
        LOUSHI_ENV="development",
        LOUSHI_INSTANCE=str(instance),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def start_gunicorn(app, instance: Path, *, workers: int = 2, env: dict[str, str] | None = None, name: str = "gunicorn",
                   access_log: bool = False) -> Server:
    """``gunicorn -w N wsgi:app`` on a free 127.0.0.1 port, healthy when it returns."""
    instance.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = instance / f"{name}.stderr"
    args = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}", "--chdir", str(ROOT),
            "--timeout", "120", "--graceful-timeout", "20", "--log-level", "info", *_NO_CONTROL_SOCKET]
    access_path = None
    if access_log:
        access_path = instance / f"{name}.access"
        args += ["--access-logfile", str(access_path), "--access-logformat", "%(p)s %(m)s %(U)s %(s)s"]
    with log_path.open("wb") as stderr:
        proc = subprocess.Popen(  # noqa: S603 - our own app on loopback
            [*args, "wsgi:app"], cwd=ROOT, env=server_env(app, instance, **(env or {})),
            stdout=subprocess.DEVNULL, stderr=stderr,
        )
    server = Server(proc, port, log_path, access_path)
    server.wait_healthy()
    deadline = time.time() + 30  # every worker booted (healthz may be answered by the first)
    while len(server.workers()) < workers and time.time() < deadline:
        time.sleep(0.1)
    return server


@contextmanager
def gunicorn(app, instance: Path, **kwargs):
    server = start_gunicorn(app, instance, **kwargs)
    try:
        yield server
    finally:
        server.stop()


class Client:
    """One browser: its own connection and cookies, no redirects followed, no retries
    (a POST sent twice could file twice: a failure is the caller's to count)."""

    def __init__(self, port: int, timeout: float = 60):
        self.port = port
        self.timeout = timeout
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    def request(self, method: str, path: str, data: dict | None = None, headers: dict | None = None) -> tuple[int, str, str]:
        """(status, Location, body)."""
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.conn.request(method, path, body=body, headers=sent)
            resp = self.conn.getresponse()
            text = resp.read().decode("utf-8", errors="replace")
        except BaseException:
            self.conn.close()
            raise
        for name, value in resp.getheaders():
            if name.lower() == "set-cookie":
                pair = value.split(";", 1)[0]
                key, _, val = pair.partition("=")
                if val and "max-age=0" not in value.lower() and "expires=thu, 01 jan 1970" not in value.lower():
                    self.cookies[key.strip()] = val
                else:
                    self.cookies.pop(key.strip(), None)
        if resp.will_close:  # gunicorn's sync workers close after each answer
            self.conn.close()
        return resp.status, resp.getheader("Location") or "", text

    def get(self, path: str, headers: dict | None = None) -> tuple[int, str, str]:
        return self.request("GET", path, headers=headers)

    def post(self, path: str, data: dict, headers: dict | None = None) -> tuple[int, str, str]:
        return self.request("POST", path, data, headers)

    def form(self, path: str) -> tuple[str, str | None]:
        """GET a form page: (its CSRF token, its submission_key or None); the token is kept."""
        status, _, html = self.get(path)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}")
        return self.form_fields(html)

    def form_fields(self, html: str) -> tuple[str, str | None]:
        """The CSRF token (kept) and the submission_key (or None) of a form page."""
        match = CSRF_RE.search(html)
        if match is None:
            raise RuntimeError("no CSRF token on the page")
        self.csrf = match.group(1) or match.group(2)
        key = KEY_RE.search(html)
        return self.csrf, (key.group(1) or key.group(2)) if key else None


def seed_full_demo(app) -> None:
    """The whole demo data set on top of the ``demo`` fixture's: guide entries, requests,
    wishes (approved ones with supports), events (one full, with a waitlist)."""
    from app.demo import seed_demo
    from app.extensions import db
    from tests.conftest import DEMO_PASSWORD

    with app.app_context():
        seed_demo(DEMO_PASSWORD, guide=True)
        db.session.commit()
        db.session.remove()
