"""A bounded load test: gunicorn with 3 sync workers on 127.0.0.1 against the suite's
database (SQLite in WAL mode shared by the worker processes, or PostgreSQL), 8 client
threads (own connection and cookies each) for LOAD_TEST_SECONDS (environment, default
120) doing a weighted mix of what people do:

* browse: home (zh/en), guide list and entries, the wall (newest, most supported, the
  htmx "load more"), a wish's follow page, the boards index, a board, an event page;
* search: the guide with Chinese, English and pinyin terms, full page and htmx partial;
* file: GET the request form (CSRF token + submission_key), POST it; acknowledged = 303
  to …/submitted, then the confirmation page;
* support: +1 on an approved wish as the wall's button does (htmx with X-CSRFToken, or a
  plain form POST), without the ``loushi_bid`` cookie, so every POST is a new person;
* register: for one of the demo events (one is already full, one has a few seats left:
  the waitlist path runs), with a phone number of its own.

Rate limits are turned off for this test (RATELIMIT_ENABLED=false): the clients are all
on 127.0.0.1 and would otherwise meet the per-address limits within seconds.

Afterwards: no 5xx and no transport error at all (counts per route on failure), every
answer the expected one, every acknowledged filing in the database with its description
and nothing else filed, wish_support rows == acknowledged supports == the change of
each wish's support_count, every acknowledged registration in the database and no
event with more confirmed seats than it has (its confirmed_count exact).  A one-line
summary is printed (``pytest -s`` shows it).  Marked ``load``: ``-m "not load"`` skips it."""

from __future__ import annotations

import http.client
import itertools
import os
import random
import re
import threading
import time
import uuid
from collections import Counter

import pytest
import sqlalchemy as sa

from app.extensions import db
from tests.servers import Client, gunicorn, seed_full_demo

LOAD_TEST_SECONDS = float(os.environ.get("LOAD_TEST_SECONDS", "120"))
WORKERS = 3
CLIENTS = 8
WEIGHTS = {"browse": 45, "search": 20, "file": 13, "support": 12, "register": 10}
SEARCH_TERMS = ["停车", "营业执照", "落户", "公积金", "parking", "business licence", "residence", "tingche", "luohu", "gongjijin", "体检"]
HX = {"HX-Request": "true"}
SUBMITTED_RE = re.compile(r"/requests/(LS-\d{4}-\d{6})/submitted$")

pytestmark = pytest.mark.load


def _targets(app) -> dict:
    from app.boards.models import Event
    from app.demo.wall_data import WISHES
    from app.guide.models import GuideEntry
    from app.org.models import Building
    from app.wall.models import Wish

    with app.app_context():
        guide = db.session.scalars(sa.select(GuideEntry.slug).where(GuideEntry.status == "active")).all()
        wishes = db.session.execute(sa.select(Wish.id, Wish.support_count).where(Wish.status == "approved")).all()
        supports = dict(db.session.execute(sa.text("SELECT wish_id, count(*) FROM wish_support GROUP BY wish_id")).all())
        events = db.session.execute(sa.select(Event.id, Building.slug, Event.seats, Event.confirmed_count).join(Building, Building.id == Event.building_id)).all()
        buildings = db.session.scalars(sa.select(Building.slug)).all()
        db.session.remove()
    assert guide and wishes and events, "the demo data has no guide entries, wishes or events"
    assert any(count >= seats for _, _, seats, count in events), "no full event: the waitlist would not be exercised"
    return {
        "guide": guide,
        "wishes": {w.id: (w.support_count, supports.get(w.id, 0)) for w in wishes},
        "follow": [w[0] for w in WISHES if w[5] == "approved"],  # the demo's follow tokens
        "events": [(e.id, e.slug) for e in events],
        "buildings": buildings,
    }


class Tally:
    """What one client thread saw."""

    def __init__(self):
        self.answers: Counter = Counter()  # (route, status)
        self.errors: Counter = Counter()  # (route, exception type)
        self.unexpected: list[str] = []
        self.kinds: Counter = Counter()
        self.filed: dict[str, str] = {}  # tracking number -> description
        self.supported: Counter = Counter()  # wish id -> acknowledged supports
        self.registered: list[tuple[int, str]] = []  # (event id, phone)


class Visitor:
    def __init__(self, port: int, targets: dict, seed: int, phones, tally: Tally):
        self.client = Client(port)
        self.t = targets
        self.rng = random.Random(seed)
        self.phones = phones
        self.tally = tally

    def call(self, route: str, method: str, path: str, expect: tuple[int, ...], data=None, headers=None):
        status, location, body = self.client.request(method, path, data, headers)
        self.tally.answers[(route, status)] += 1
        if status not in expect:
            self.tally.unexpected.append(f"{method} {path} -> {status} (expected {expect}) {body[:300]!r}")
        return status, location, body

    def browse(self):
        lang = self.rng.choice(["zh", "zh", "en"])
        t, choice = self.t, self.rng.randrange(10)
        if choice == 0:
            self.call("home", "GET", f"/{lang}/", (200,))
        elif choice == 1:
            self.call("guide list", "GET", f"/{lang}/guide/", (200,))
        elif choice == 2:
            self.call("guide entry", "GET", f"/{lang}/guide/{self.rng.choice(t['guide'])}", (200,))
        elif choice == 3:
            self.call("wall", "GET", f"/{lang}/wall/" + self.rng.choice(["", "?sort=top", "?sort=fulfilled"]), (200,))
        elif choice == 4:
            self.call("wall more", "GET", f"/{lang}/wall/?page=2", (200,), headers=HX)
        elif choice == 5:
            self.call("wish page", "GET", f"/{lang}/wall/mine/{self.rng.choice(t['follow'])}", (200,))
        elif choice == 6:
            self.call("boards", "GET", f"/{lang}/boards/", (200,))
        elif choice == 7:
            self.call("board", "GET", f"/{lang}/boards/{self.rng.choice(t['buildings'])}", (200,))
        elif choice == 8:
            event_id, slug = self.rng.choice(t["events"])
            self.call("event", "GET", f"/{lang}/boards/{slug}/events/{event_id}", (200,))
        else:
            self.call("wall by building", "GET", f"/{lang}/wall/?building={self.rng.choice(t['buildings'])}", (200,))

    def search(self):
        from urllib.parse import quote

        lang = self.rng.choice(["zh", "en"])
        q = quote(self.rng.choice(SEARCH_TERMS))
        if self.rng.random() < 0.5:
            self.call("search", "GET", f"/{lang}/guide/?q={q}", (200,))
        else:
            self.call("search htmx", "GET", f"/{lang}/guide/?q={q}", (200,), headers=HX)

    def file(self):
        status, _, html = self.call("form", "GET", "/zh/requests/new", (200,))
        if status != 200:
            return
        csrf, key = self.client.form_fields(html)
        description = f"负载测试 load test {uuid.uuid4().hex}：车库停车证申请，请联系我。"
        data = {"service": self.rng.choice(["garage-parking-pass", "other"]), "building": self.rng.choice(self.t["buildings"]),
                "company_name": "楼事通负载测试有限公司", "contact_name": "测试员", "phone": "13812345678", "email": "",
                "description": description, "reply_lang": "zh", "consent": "y", "submission_key": key, "csrf_token": csrf}
        status, location, _ = self.call("file", "POST", "/zh/requests/new", (303,), data)
        found = SUBMITTED_RE.search(location) if status == 303 else None
        if found is None:
            if status == 303:
                self.tally.unexpected.append(f"filing redirected to {location}")
            return
        self.tally.filed[found.group(1)] = description
        self.call("submitted", "GET", location, (200,))

    def support(self):
        wish_id = self.rng.choice(list(self.t["wishes"]))
        self.client.cookies.pop("loushi_bid", None)  # a new person every time
        if self.rng.random() < 0.5:
            status, _, body = self.call("support htmx", "POST", f"/zh/wall/{wish_id}/support", (200,),
                                        {}, {**HX, "X-CSRFToken": self.client.csrf})
            ok = status == 200 and "support-count" in body
        else:
            status, _, _ = self.call("support", "POST", f"/zh/wall/{wish_id}/support", (303,), {"csrf_token": self.client.csrf},
                                     {"Referer": f"http://127.0.0.1:{self.client.port}/zh/wall/"})
            ok = status == 303
        if ok:
            self.tally.supported[wish_id] += 1

    def register(self):
        event_id, slug = self.rng.choice(self.t["events"])
        path = f"/zh/boards/{slug}/events/{event_id}"
        self.call("event", "GET", path, (200,))
        phone = f"177{next(self.phones):08d}"
        status, location, _ = self.call("register", "POST", path, (303,), {"name": "负载测试报名", "phone": phone, "csrf_token": self.client.csrf})
        if status == 303 and location.endswith(f"/events/{event_id}/registered"):
            self.tally.registered.append((event_id, phone))
            self.call("registered", "GET", location, (200,))
        elif status == 303:
            self.tally.unexpected.append(f"registration redirected to {location}")


def _run(port: int, targets: dict, seconds: float) -> list[Tally]:
    phones = itertools.count(int(time.time()) % 1000 * 10000)
    tallies = [Tally() for _ in range(CLIENTS)]
    kinds, weights = list(WEIGHTS), list(WEIGHTS.values())
    deadline = time.monotonic() + seconds

    def worker(i: int) -> None:
        visitor = Visitor(port, targets, seed=i, phones=phones, tally=tallies[i])
        visitor.client.form("/zh/requests/new")  # session cookie + CSRF token
        while time.monotonic() < deadline:
            kind = visitor.rng.choices(kinds, weights)[0]
            tallies[i].kinds[kind] += 1
            try:
                getattr(visitor, kind)()
            except (OSError, http.client.HTTPException) as exc:
                tallies[i].errors[(kind, type(exc).__name__)] += 1
            except Exception as exc:  # noqa: BLE001 - a broken page or a test bug: reported below
                tallies[i].unexpected.append(f"{kind}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 300)
    assert not any(thread.is_alive() for thread in threads), "a client thread hung"
    return tallies


@pytest.fixture
def full_demo(app, demo):
    seed_full_demo(app)


def test_mixed_load_without_errors_or_lost_writes(app, full_demo, tmp_path):
    from app.boards.models import Event, Registration
    from app.intake.models import ServiceRequest
    from app.wall.models import Wish, WishSupport

    targets = _targets(app)
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count()).select_from(ServiceRequest))
        db.session.remove()
    started = time.monotonic()
    # All load clients share 127.0.0.1: no per-network allowance of supports (WALL_SUPPORTS_PER_IP_PER_DAY=0).
    with gunicorn(app, tmp_path, workers=WORKERS, env={"RATELIMIT_ENABLED": "false", "WALL_SUPPORTS_PER_IP_PER_DAY": "0"}) as server:
        tallies = _run(server.port, targets, LOAD_TEST_SECONDS)
        log = server.log()
    elapsed = time.monotonic() - started

    answers = sum((t.answers for t in tallies), Counter())
    errors = sum((t.errors for t in tallies), Counter())
    kinds = sum((t.kinds for t in tallies), Counter())
    unexpected = [line for t in tallies for line in t.unexpected]
    filed = {k: v for t in tallies for k, v in t.filed.items()}
    supported = sum((t.supported for t in tallies), Counter())
    registered = [r for t in tallies for r in t.registered]
    total = sum(answers.values())
    database = app.config["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0]
    print(f"\nload [{database}]: {total} requests in {LOAD_TEST_SECONDS:.0f} s ({total / LOAD_TEST_SECONDS:.0f} req/s), gunicorn -w {WORKERS}, "
          f"{CLIENTS} clients; " + ", ".join(f"{k} {kinds[k]}" for k in WEIGHTS)
          + f"; acknowledged: {len(filed)} filings, {sum(supported.values())} supports, {len(registered)} registrations; "
          f"{sum(errors.values())} transport errors; wall time {elapsed:.0f} s")

    server_errors = {f"{route} {status}": n for (route, status), n in answers.items() if status >= 500}
    assert not server_errors, f"5xx answers per route: {server_errors}\nall answers: {dict(answers)}\n{log}"
    assert not errors, f"transport errors per route: {dict(errors)}\n{log}"
    assert not unexpected, f"{len(unexpected)} unexpected answers, first ones:\n" + "\n".join(unexpected[:20]) + f"\n{log}"
    assert filed and supported and registered, f"a kind of write never happened: {dict(kinds)}"

    with app.app_context():
        rows = dict(db.session.execute(sa.select(ServiceRequest.tracking_no, ServiceRequest.description)
                                       .where(ServiceRequest.tracking_no.in_(list(filed)))).all())
        missing = sorted(set(filed) - set(rows))
        assert not missing, f"{len(missing)} acknowledged filings are not in the database: {missing[:10]}"
        wrong = [n for n, text in filed.items() if rows[n] != text]
        assert not wrong, f"filings stored with another description: {wrong[:10]}"
        after = db.session.scalar(sa.select(sa.func.count()).select_from(ServiceRequest))
        assert after - before == len(filed), f"{after - before} requests filed, {len(filed)} acknowledged"

        for wish_id, (count_before, rows_before) in targets["wishes"].items():
            count = db.session.scalar(sa.select(Wish.support_count).where(Wish.id == wish_id))
            support_rows = db.session.scalar(sa.select(sa.func.count()).select_from(WishSupport).where(WishSupport.wish_id == wish_id))
            assert (support_rows - rows_before, count - count_before) == (supported[wish_id], supported[wish_id]), (
                f"wish {wish_id}: {support_rows - rows_before} new support rows, support_count +{count - count_before}, "
                f"{supported[wish_id]} acknowledged")

        stored = {(r.event_id, r.phone): r.status for r in db.session.scalars(sa.select(Registration))}
        lost = [r for r in registered if r not in stored]
        assert not lost, f"{len(lost)} acknowledged registrations are not in the database: {lost[:10]}"
        assert all(stored[r] in ("confirmed", "waitlisted") for r in registered)
        for event in db.session.scalars(sa.select(Event)):
            regs = [r for r in db.session.scalars(sa.select(Registration).where(Registration.event_id == event.id))]
            confirmed = sum(r.status == "confirmed" for r in regs)
            assert confirmed <= event.seats, f"event {event.id}: {confirmed} confirmed for {event.seats} seats"
            assert event.confirmed_count == confirmed, f"event {event.id}: confirmed_count {event.confirmed_count}, rows {confirmed}"
            assert len({r.position for r in regs}) == len(regs), f"event {event.id}: two registrations share a position"
        waitlisted = sum(stored[r] == "waitlisted" for r in registered)
        assert waitlisted, "no registration went to a waitlist"
        db.session.remove()
