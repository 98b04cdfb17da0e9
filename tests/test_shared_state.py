"""Several app processes behind one database: rate-limit counters live in Redis
(``REDIS_URL``) and sessions are signed cookies checked against the database, so both
hold whichever process answers.  Two real server processes are started on 127.0.0.1.
Needs a Redis server: CI sets ``TEST_REDIS_URL``."""

from __future__ import annotations

import http.cookiejar
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import CSRF_RE, DEMO_PASSWORD

REDIS_URL = os.environ.get("TEST_REDIS_URL")
ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL is not set (CI sets it)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browserless:
    """A tiny cookie-keeping HTTP client that does not follow redirects."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self, base: str, jar: http.cookiejar.CookieJar | None = None):
        self.base = base
        self.jar = jar or http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), self._NoRedirect)

    def request(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()

    def token(self, path: str) -> str:
        _status, html = self.request(path)
        match = CSRF_RE.search(html)
        return match.group(1) or match.group(2)

    def login(self, email: str, password: str) -> int:
        token = self.token("/zh/login")
        return self.request("/zh/login", {"email": email, "password": password, "csrf_token": token})[0]


@pytest.fixture
def two_servers(app, demo, tmp_path):
    import redis

    prefix = f"loushi-test-{os.getpid()}-{time.time_ns()}"
    env = dict(os.environ)
    env.update(
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        SECRET_KEY="shared-secret-of-the-two-test-servers",
        REDIS_URL=REDIS_URL,
        LOUSHI_ENV="development",
        LOUSHI_INSTANCE=str(tmp_path),
        RATELIMIT_KEY_PREFIX=prefix,
    )
    procs, bases = [], []
    for _ in range(2):
        port = _free_port()
        procs.append(
            subprocess.Popen(  # noqa: S603 - our own app on loopback
                [sys.executable, "-m", "flask", "--app", "wsgi", "run", "--host", "127.0.0.1", "--port", str(port), "--no-reload"],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
        )
        bases.append(f"http://127.0.0.1:{port}")
    deadline = time.time() + 30
    for base in bases:
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1).close()  # noqa: S310 - loopback
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
    yield bases
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=10)
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


def test_rate_limits_and_sessions_hold_across_two_app_processes(two_servers):
    one, two = two_servers
    a, b = Browserless(one), Browserless(two)
    # Five failed sign-ins spread over both processes exhaust the account's limit on both.
    for i in range(5):
        assert (a if i % 2 else b).login("admin@example.com", "wrong-password") == 422
    assert a.login("admin@example.com", DEMO_PASSWORD) == 429
    assert b.login("admin@example.com", DEMO_PASSWORD) == 429

    # A session started on one process is honoured by the other...
    assert a.login("council@example.com", DEMO_PASSWORD) == 303
    shared = Browserless(two, a.jar)
    status, html = shared.request("/zh/council/")
    assert status == 200 and "council@example.com" in html
    # ...and signing out on the other ends it everywhere: the old cookie, replayed on
    # the first process, no longer signs anybody in.
    signed_in_cookies = list(a.jar)
    token = shared.token("/zh/council/")
    assert shared.request("/zh/logout", {"csrf_token": token})[0] == 303
    replay = Browserless(one)
    for cookie in signed_in_cookies:
        replay.jar.set_cookie(cookie)
    assert replay.request("/zh/council/")[0] == 302
