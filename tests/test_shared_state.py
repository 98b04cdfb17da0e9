"""Several app processes behind one database: rate-limit counters live in Redis
(``REDIS_URL``) and sessions are signed cookies checked against the database, so both
hold whichever process answers.  Two gunicorn instances (2 workers each, tests/servers.py)
run on 127.0.0.1 against the suite's database (SQLite or PostgreSQL) and one Redis.
Needs a Redis server: CI sets ``TEST_REDIS_URL``."""

from __future__ import annotations

import http.cookiejar
import os
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.conftest import CSRF_RE, DEMO_PASSWORD
from tests.servers import start_gunicorn

REDIS_URL = os.environ.get("TEST_REDIS_URL")
TRACK_LIMIT = 4  # look-ups per 10 minutes and address (TRACK_LIMIT), lowered for the test
pytestmark = [pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL is not set (CI sets it)"), pytest.mark.slow]


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


@pytest.fixture(scope="module")
def two_servers(app, tmp_path_factory):
    """Two gunicorn instances (2 workers each) on one database and one Redis, shared by
    this module's tests (each test brings the ``demo`` data)."""
    import redis

    prefix = f"loushi-test-{os.getpid()}-{time.time_ns()}"
    env = {"REDIS_URL": REDIS_URL, "RATELIMIT_KEY_PREFIX": prefix, "TRACK_LIMIT": f"{TRACK_LIMIT} per 10 minutes",
           "LOGIN_DELAY_BASE_SECONDS": "600"}  # the account's wait after 5 wrong passwords outlasts the test
    instance = tmp_path_factory.mktemp("two-servers")
    servers = []
    try:
        for name in ("one", "two"):
            servers.append(start_gunicorn(app, instance, workers=2, env=env, name=name))
        yield servers
    finally:
        for server in servers:
            server.stop()
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)


def test_rate_limits_and_sessions_hold_across_two_app_processes(two_servers, demo):
    one, two = (server.base for server in two_servers)
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


def test_public_lookup_limit_is_counted_across_two_app_processes(two_servers, demo):
    """The /track look-up (TRACK_LIMIT per address) counts the attempts made on both
    instances together: the limit is spent half on each, then both refuse."""
    one, two = (server.base for server in two_servers)
    a, b = Browserless(one), Browserless(two)
    tokens = {a: a.token("/zh/track"), b: b.token("/zh/track")}
    for i in range(TRACK_LIMIT):
        browser, server = (a, two_servers[0]) if i % 2 else (b, two_servers[1])
        status, _ = browser.request("/zh/track", {"tracking_no": "LS-2025-000001", "code": "ABCD-EFGH", "csrf_token": tokens[browser]})
        assert status == 422, f"look-up {i + 1} of {TRACK_LIMIT}: {status}\n{server.log()}"
    for browser in (a, b):
        status, _ = browser.request("/zh/track", {"tracking_no": "LS-2025-000001", "code": "ABCD-EFGH", "csrf_token": tokens[browser]})
        assert status == 429, f"{browser.base}: {status}"
    # A third browser on either instance is the same address: refused too.
    fresh = Browserless(one)
    status, _ = fresh.request("/zh/track", {"tracking_no": "LS-2025-000001", "code": "ABCD-EFGH", "csrf_token": fresh.token("/zh/track")})
    assert status == 429
    # Looking at the form is not limited.
    assert a.request("/zh/track")[0] == 200


def test_the_page_cache_in_redis_is_shared_by_both_processes(two_servers, demo):
    """With REDIS_URL the page cache lives in Redis: a page built by one process is served
    by the other from Redis (same bytes, no new entry), and a form page (never cached)
    carries each visitor's own token, which either process accepts."""
    import redis

    one, two = (server.base for server in two_servers)
    store = redis.Redis.from_url(REDIS_URL)
    before = set(store.scan_iter("loushi:page:boards:*"))

    def get(base: str, host: str) -> bytes:
        # The same Host header for both: the key holds the host (pages carry absolute URLs).
        request = urllib.request.Request(base + "/en/boards/", headers={"Host": host})
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
            return response.read()

    host = urllib.parse.urlsplit(one).netloc
    first = get(one, host)
    assert b"Open Building Boards" in first
    built = set(store.scan_iter("loushi:page:boards:*")) - before
    assert len(built) == 1, built
    assert get(two, host) == first
    assert set(store.scan_iter("loushi:page:boards:*")) - before == built  # served from Redis, not built again
    a, b = Browserless(one), Browserless(two)
    token_a, token_b = a.token("/zh/track"), b.token("/zh/track")
    assert token_a != token_b
    crossed = Browserless(two, a.jar)  # a's cookies and token, sent to the other process
    status, _ = crossed.request("/zh/track", {"tracking_no": "LS-2025-000001", "code": "ABCD-EFGH", "csrf_token": token_a})
    assert status in (422, 429)  # past the CSRF check (400 otherwise): the look-up answered or was limited
    for key in set(store.scan_iter("loushi:page:*")) - before:
        store.delete(key)
