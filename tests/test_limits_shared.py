"""Rate limits that hold across gunicorn's workers (issue 16, item 6).

Without ``REDIS_URL`` the counters live in the database (``database://``,
app/core/ratelimit_store.py); with it, in Redis.  Each store is tried with TWO real
gunicorn workers on the suite's database (SQLite file or PostgreSQL): the (limit+1)th try
is refused whichever worker answers it.  The Redis runs need ``TEST_REDIS_URL`` (CI sets
it).  The storage class itself is tested on the suite's database too."""

from __future__ import annotations

import os
import threading
import time

import pytest
import sqlalchemy as sa

from app.core import ratelimit_store
from app.core.ratelimit_store import DatabaseStorage, counter_database_url
from app.extensions import db
from tests.conftest import DEMO_PASSWORD, totp_code
from tests.servers import Client, start_gunicorn

REDIS_URL = os.environ.get("TEST_REDIS_URL")
TRACK = 6  # TRACK_LIMIT of the test servers
TWO_STEP = 5  # TWO_STEP_LIMIT (the default)
FREE_FAILURES = 5  # wrong passwords per account before the account's sign-ins must wait


def _storage(app) -> DatabaseStorage:
    return DatabaseStorage(url=counter_database_url(app.config["SQLALCHEMY_DATABASE_URI"]))


# --- the storage class --------------------------------------------------------------------


@pytest.fixture
def storage(app):
    store = _storage(app)
    store.reset()
    yield store
    store.reset()
    store.engine.dispose()


def test_storage_counts_expires_clears_and_resets(storage, monkeypatch):
    clock = [1_000_000.0]
    monkeypatch.setattr(ratelimit_store, "_now", lambda: clock[0])
    assert storage.check()
    assert storage.get("a") == 0 and storage.get_expiry("a") == clock[0]
    assert [storage.incr("a", 60) for _ in range(3)] == [1, 2, 3]
    assert storage.incr("a", 60, amount=2) == 5
    assert storage.incr("b", 10) == 1
    assert storage.get("a") == 5 and storage.get("b") == 1
    assert storage.get_expiry("a") == clock[0] + 60  # the window began with the first hit
    clock[0] += 30
    assert storage.incr("a", 60) == 6 and storage.get_expiry("a") == clock[0] - 30 + 60
    clock[0] += 31  # a's window has passed: it starts again, with a new expiry
    assert storage.get("a") == 0 and storage.get("b") == 0
    assert storage.incr("a", 60) == 1 and storage.get_expiry("a") == clock[0] + 60
    storage.clear("a")
    assert storage.get("a") == 0
    storage.incr("c", 5)
    storage.incr("d", 500)
    assert storage.reset() >= 2
    assert storage.get("d") == 0
    # a key longer than the column is kept under a digest, still counted on its own
    long_a, long_b = "k" * 300 + "a", "k" * 300 + "b"
    assert (storage.incr(long_a, 60), storage.incr(long_a, 60), storage.incr(long_b, 60)) == (1, 2, 1)


def test_expired_rows_are_deleted(storage, monkeypatch):
    clock = [2_000_000.0]
    monkeypatch.setattr(ratelimit_store, "_now", lambda: clock[0])
    storage.incr("short", 5)
    storage.incr("long", 3600)
    clock[0] += 10
    assert storage.cleanup() == 1
    with storage.engine.connect() as conn:
        keys = {row.key for row in conn.execute(sa.text("SELECT key FROM rate_limit_counter"))}
    assert keys == {"long"}
    # a hit runs the cleanup itself, at most once a minute
    storage.incr("short", 5)
    clock[0] += ratelimit_store.CLEANUP_INTERVAL + 10
    storage.incr("long", 3600)
    with storage.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM rate_limit_counter")).scalar_one() == 1


def test_concurrent_hits_are_all_counted(storage):
    def hit():
        for _ in range(20):
            storage.incr("shared", 60)

    threads = [threading.Thread(target=hit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert storage.get("shared") == 80


def test_a_hit_commits_on_its_own_and_leaves_the_request_alone(app, storage):
    """The counter is written on the storage's own connection: the request's rollback does
    not undo it, and it does not commit the request's unfinished work."""
    from app.org.models import Street

    with app.app_context():
        db.session.add(Street(code="test-road", name_zh="测试路", name_en="Test Road", district_zh="测试区"))
        db.session.flush()
        assert storage.incr("during-request", 60) == 1
        db.session.rollback()
        assert storage.get("during-request") == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Street)) == 0
        db.session.remove()


def test_the_site_uses_the_database_store_without_redis(tmp_path, monkeypatch):
    from app.config import Config

    for name in ("REDIS_URL", "DATABASE_URL", "RATELIMIT_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    cfg = Config(instance_path=tmp_path)
    assert cfg.RATELIMIT_STORAGE_URI == "database://"
    assert counter_database_url(cfg.SQLALCHEMY_DATABASE_URI) == f"sqlite:///{tmp_path / 'loushi-ratelimit.sqlite3'}"
    assert counter_database_url("postgresql+psycopg://u:p@h/loushi") == "postgresql+psycopg://u:p@h/loushi"
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/3")
    assert Config(instance_path=tmp_path).RATELIMIT_STORAGE_URI == "redis://127.0.0.1:6379/3"


# --- two real workers -----------------------------------------------------------------------


STORES = ["database", pytest.param("redis", marks=pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL is not set (CI sets it)"))]


@pytest.fixture(scope="module", params=STORES)
def server(request, app, tmp_path_factory):
    """One gunicorn master with two workers on the suite's database; rate limits counted
    in the database (no REDIS_URL) or in Redis."""
    env = {"TRACK_LIMIT": f"{TRACK} per 10 minutes", "LOGIN_DELAY_BASE_SECONDS": "600"}
    if request.param == "redis":
        env.update(REDIS_URL=REDIS_URL, RATELIMIT_KEY_PREFIX=f"loushi-limits-{os.getpid()}-{time.time_ns()}")
    instance = tmp_path_factory.mktemp(f"limits-{request.param}")
    srv = start_gunicorn(app, instance, workers=2, env=env, name=request.param, access_log=True)
    srv.store = request.param
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def counters(app, server):
    """Every counter of the store forgotten before the test."""
    if server.store == "redis":
        from limits.storage import RedisStorage

        RedisStorage(REDIS_URL).reset()
    else:
        store = _storage(app)
        store.reset()
        store.engine.dispose()


def _refused_on_both_workers(server, before: dict[int, int], send) -> None:
    """The (limit+1)th and later tries are refused, whichever worker takes them: at least 4,
    and on until both workers have answered (which worker accepts a connection is the
    kernel's choice; an idle pair often hands a short burst to one), at most 80."""
    for n in range(80):
        status, _, html = send()
        assert status == 429 and "尝试次数过多" in html, (status, server.log())
        if n >= 3 and len({pid for pid, k in server.served_by().items() if k > before.get(pid, 0)}) >= 2:
            break
    _both_workers_answered(server, before)


def _both_workers_answered(server, before: dict[int, int]) -> None:
    after = server.served_by()
    answered = {pid for pid, n in after.items() if n > before.get(pid, 0)}
    assert len(answered) >= 2, f"only worker(s) {answered} answered; the test proves nothing\n{server.log()}"


@pytest.mark.slow  # real gunicorn workers
def test_track_limit_holds_across_two_workers(server, counters, demo):
    before = server.served_by()
    client = Client(server.port)
    token, _ = client.form("/zh/track")
    attempt = {"tracking_no": "LS-2025-000001", "code": "ABCD-EFGH", "csrf_token": token}
    statuses = [client.post("/zh/track", attempt)[0] for _ in range(TRACK)]
    assert statuses == [422] * TRACK, server.log()
    _refused_on_both_workers(server, before, lambda: client.post("/zh/track", attempt))


@pytest.mark.slow  # real gunicorn workers
def test_login_per_account_holds_across_two_workers(server, counters, demo):
    before = server.served_by()
    client = Client(server.port)
    token, _ = client.form("/zh/login")
    wrong = {"email": "council@example.com", "password": "wrong-password", "csrf_token": token}
    statuses = [client.post("/zh/login", wrong)[0] for _ in range(FREE_FAILURES)]
    assert statuses == [422] * FREE_FAILURES, server.log()
    right = dict(wrong, password=DEMO_PASSWORD)
    _refused_on_both_workers(server, before, lambda: client.post("/zh/login", right))


@pytest.mark.slow  # real gunicorn workers
def test_two_step_limit_holds_across_two_workers(app, server, counters, demo):
    before = server.served_by()
    client = Client(server.port)
    token, _ = client.form("/zh/login")
    status, location, _ = client.post("/zh/login", {"email": "admin@example.com", "password": DEMO_PASSWORD, "csrf_token": token})
    assert status == 303 and location.endswith("/zh/login/two-step"), server.log()
    token, _ = client.form("/zh/login/two-step")
    statuses = [client.post("/zh/login/two-step", {"code": "000000", "csrf_token": token})[0] for _ in range(TWO_STEP)]
    assert statuses == [422] * TWO_STEP, server.log()
    _refused_on_both_workers(
        server, before, lambda: client.post("/zh/login/two-step", {"code": totp_code(app, "admin@example.com"), "csrf_token": token}))


@pytest.mark.slow  # real gunicorn workers
def test_database_counters_outlive_a_restart(app, demo, tmp_path):
    """The counters are rows, not a worker's memory: a restarted server still refuses."""
    store = _storage(app)
    store.reset()
    env = {"TRACK_LIMIT": f"{TRACK} per 10 minutes"}
    first = start_gunicorn(app, tmp_path / "before", workers=2, env=env, name="before")
    try:
        client = Client(first.port)
        token, _ = client.form("/zh/track")
        attempt = {"tracking_no": "LS-2025-000001", "code": "ABCD-EFGH", "csrf_token": token}
        assert [client.post("/zh/track", attempt)[0] for _ in range(TRACK)] == [422] * TRACK, first.log()
    finally:
        first.stop()
    second = start_gunicorn(app, tmp_path / "after", workers=2, env=env, name="after")
    try:
        client = Client(second.port)
        token, _ = client.form("/zh/track")
        status, _, html = client.post("/zh/track", dict(attempt, csrf_token=token))
        assert status == 429 and "尝试次数过多" in html, (status, second.log())
    finally:
        second.stop()
        store.reset()
        store.engine.dispose()
