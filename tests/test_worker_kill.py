"""A worker killed with SIGKILL in the middle of a write load loses nothing that was
acknowledged.  gunicorn runs 2 sync workers on 127.0.0.1 against the suite's database
(SQLite or PostgreSQL); 6 client threads file requests continuously (GET the form for
its CSRF token and submission_key, POST it).  A worker is killed (SIGKILL: no cleanup, a
transaction may be half done), the load goes on until the master has started a new
worker, the new worker has answered and more filings were acknowledged; this repeats
(at most MAX_KILLS times) until at least one POST got no answer at all.

Then: the killed workers are gone; every acknowledged tracking number is in the
database with its submission_key and description; every request in the database is
whole (exactly its one "submitted" timeline event, written in the same transaction);
nothing was filed that was not sent; and each POST that got no answer, sent again by
its browser (same session, same form: same submission_key), gives one request — the
one stored before the kill, if its transaction had committed — never two.  Sending an
acknowledged form again gives its first tracking number back.  Rate limits are off
(RATELIMIT_ENABLED=false).  Marked ``load``."""

from __future__ import annotations

import http.client
import os
import signal
import threading
import time
import uuid

import pytest
import sqlalchemy as sa

from app.extensions import db
from tests.servers import Client, alive, gunicorn, seed_full_demo

FORM = "/zh/requests/new"
CLIENTS = 6
MAX_KILLS = 8
pytestmark = pytest.mark.load


def _wait(condition, timeout: float, what: str, server) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}\n{server.log()}")
        time.sleep(0.05)


class Load:
    """Client threads filing requests until ``stop`` is set."""

    def __init__(self, port: int):
        self.port = port
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acknowledged: dict[str, tuple[str, str]] = {}  # tracking no -> (submission_key, description)
        self.unanswered: list[tuple[dict, dict]] = []  # (cookies, form data) of POSTs without an answer
        self.form_errors = 0  # GETs of the form without an answer (not a write)
        self.other: list[str] = []  # any other answer

    def _data(self, csrf: str, key: str) -> dict:
        return {"service": "garage-parking-pass", "building": "shanghai-tower", "company_name": "楼事通故障测试有限公司",
                "contact_name": "测试员", "phone": "13812345678", "email": "", "reply_lang": "zh", "consent": "y",
                "description": f"故障测试 kill test {uuid.uuid4().hex}：车库停车证申请。", "submission_key": key, "csrf_token": csrf}

    def worker(self) -> None:
        client = Client(self.port, timeout=120)
        while not self.stop.is_set():
            try:
                csrf, key = client.form(FORM)
            except (OSError, http.client.HTTPException, RuntimeError):
                with self.lock:
                    self.form_errors += 1
                continue
            data = self._data(csrf, key)
            try:
                status, location, _ = client.post(FORM, data)
            except (OSError, http.client.HTTPException):
                with self.lock:
                    self.unanswered.append((dict(client.cookies), data))
                continue
            if status == 303 and location.endswith("/submitted"):
                number = location.rsplit("/", 2)[-2]
                with self.lock:
                    self.acknowledged[number] = (key, data["description"])
            else:
                with self.lock:
                    self.other.append(f"POST {FORM} -> {status} {location}")

    def count(self) -> int:
        with self.lock:
            return len(self.acknowledged)


@pytest.fixture
def full_demo(app, demo):
    seed_full_demo(app)


def test_sigkill_of_a_worker_loses_no_acknowledged_filing(app, full_demo, tmp_path):
    from app.intake.models import RequestEvent, ServiceRequest

    with app.app_context():
        existing = set(db.session.scalars(sa.select(ServiceRequest.id)))
        db.session.remove()
    killed: list[int] = []
    respawned: list[int] = []
    with gunicorn(app, tmp_path, workers=2, env={"RATELIMIT_ENABLED": "false"}, access_log=True) as server:
        load = Load(server.port)
        threads = [threading.Thread(target=load.worker, daemon=True) for _ in range(CLIENTS)]
        for thread in threads:
            thread.start()
        try:
            _wait(lambda: load.count() >= 20, 120, "20 filings were acknowledged", server)
            while len(killed) < MAX_KILLS and not load.unanswered:
                workers = server.workers()
                assert len(workers) == 2, f"workers: {workers}\n{server.log()}"
                victim = max(workers)  # the younger one: after the first round, the respawned worker
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)
                _wait(lambda: not alive(victim), 30, f"worker {victim} is gone", server)
                _wait(lambda: len(server.workers() - workers) == 1 and len(server.workers()) == 2, 120,
                      f"the master replaced worker {victim}", server)
                (new,) = server.workers() - workers
                respawned.append(new)
                acknowledged = load.count()
                _wait(lambda: load.count() >= acknowledged + 10 and server.served_by().get(new, 0) > 0, 120,
                      f"the new worker {new} answered and 10 more filings were acknowledged", server)
        finally:
            load.stop.set()
            for thread in threads:
                thread.join(180)
        assert not any(t.is_alive() for t in threads), "a client thread hung"
        assert not load.other, f"unexpected answers: {load.other[:10]}\n{server.log()}"
        assert load.unanswered, f"{len(killed)} kills and no POST was cut off (only {load.form_errors} form views)\n{server.log()}"
        assert all(not alive(pid) for pid in killed) and not set(killed) & server.workers()
        served = server.served_by()
        assert all(served.get(pid, 0) > 0 for pid in respawned), f"answers per worker: {served}"
        log = server.log(tail=10**7)
        assert all(f"Worker (pid:{pid}) was sent SIGKILL" in log for pid in killed), log

        # The browsers whose POST got no answer send the same form again.
        with app.app_context():
            stored_before_retry = {key: n for key, n in db.session.execute(
                sa.select(ServiceRequest.submission_key, ServiceRequest.tracking_no)
                .where(ServiceRequest.submission_key.in_([d["submission_key"] for _, d in load.unanswered])))}
            db.session.remove()
        retried: dict[str, tuple[str, str]] = {}
        for cookies, data in load.unanswered:
            client = Client(server.port)
            client.cookies.update(cookies)
            status, location, _ = client.post(FORM, data)
            assert status == 303 and location.endswith("/submitted"), f"resubmission: {status} {location}\n{server.log()}"
            number = location.rsplit("/", 2)[-2]
            if data["submission_key"] in stored_before_retry:  # committed before the kill: the same request
                assert number == stored_before_retry[data["submission_key"]]
            retried[number] = (data["submission_key"], data["description"])
        # An acknowledged form sent again from another session: the first request, not a
        # second one; and, as that session did not send it, the locked status page without
        # the receipt's access code (issue 16).
        number, (key, description) = next(iter(load.acknowledged.items()))
        again = Client(server.port)
        csrf, _ = again.form(FORM)
        status, location, _ = again.post(FORM, {**load._data(csrf, key), "description": "已经提交过的表单再次提交。"})
        assert status == 303 and location.endswith(f"/requests/{number}"), (status, location)

    expected = {**load.acknowledged, **retried}
    with app.app_context():
        rows = db.session.execute(
            sa.select(ServiceRequest.id, ServiceRequest.tracking_no, ServiceRequest.submission_key, ServiceRequest.description)
            .where(ServiceRequest.id.not_in(existing) if existing else sa.true())
        ).all()
        by_number = {r.tracking_no: r for r in rows}
        missing = sorted(set(load.acknowledged) - set(by_number))
        assert not missing, f"{len(missing)} acknowledged filings are not in the database: {missing[:10]}"
        for number, (key, description) in expected.items():
            assert (by_number[number].submission_key, by_number[number].description) == (key, description), number
        extra = sorted(set(by_number) - set(expected))
        assert not extra, f"filed but never acknowledged, not even on resubmission: {extra[:10]}"
        keys = [r.submission_key for r in rows]
        assert len(keys) == len(set(keys)), "a submission_key was filed twice"
        events = dict(db.session.execute(
            sa.select(RequestEvent.request_id, sa.func.count()).where(RequestEvent.kind == "submitted").group_by(RequestEvent.request_id)
        ).all())
        incomplete = [r.tracking_no for r in rows if events.get(r.id) != 1]
        assert not incomplete, f"requests without exactly one 'submitted' event: {incomplete[:10]}"
        db.session.remove()
    print(f"\nworker kill: {len(killed)} SIGKILL(s), {len(load.acknowledged)} filings acknowledged, {len(load.unanswered)} POST(s) "
          f"without an answer resent ({len(stored_before_retry)} had "
          f"been stored before the kill), {load.form_errors} form view(s) cut off; answers per worker: {served}")
