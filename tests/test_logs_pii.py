"""No personal data and no secret in any log record (ASVS 7.1.1, 7.1.2; PIPL).

Every log record is captured at DEBUG — the app's own loggers, SQLAlchemy's (which would
print statement parameters), Flask-Limiter's, the development server's access log
(``werkzeug``) and gunicorn's access log — while a request is filed with a phone and an
e-mail, tracked with its access code, staff sign in (password, then the two-step code),
reveal the phone, an event registration is made and a password link is used.  None of the
phone, e-mail, passwords, codes, one-time tokens or session cookies may appear."""

from __future__ import annotations

import logging
import re
import threading
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from app.extensions import db
from tests.conftest import DEMO_PASSWORD, csrf_from, totp_code
from tests.guide_fixtures import make_entries

PHONE, PHONE_TYPED = "13911223344", "139 1122 3344"
EMAIL = "log.requester@example.org"
EVENT_PHONE = "15800001111"
WRONG_PASSWORD = "not-the-password-9876"
NEW_PASSWORD = "amber-cactus-violin-harbour-7"


class Collect(logging.Handler):
    """Every record, formatted with its traceback, whatever logger it went to."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.formatter_ = logging.Formatter("%(name)s %(levelname)s %(message)s")

    def emit(self, record):
        self.lines.append(self.formatter_.format(record))


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.DEBUG)  # the root logger, so SQLAlchemy's engine logs too
    collect = Collect()
    # loggers that do not propagate to the root (gunicorn's) get the handler themselves
    names = ("", "werkzeug", "gunicorn.access", "gunicorn.error", "sqlalchemy.engine", "flask-limiter")
    loggers = [logging.getLogger(n) for n in names]
    saved = [(lg, lg.level) for lg in loggers]
    for lg in loggers:
        lg.addHandler(collect)
        if lg.name != "root":
            lg.setLevel(logging.DEBUG)
    yield collect
    for lg, level in saved:
        lg.removeHandler(collect)
        lg.setLevel(level)


def _code_of(html: str) -> str:
    return re.search(r'id="access-code">([^<]+)<', html).group(1)


def _serve(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _get(url: str, headers: dict | None = None) -> int:
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, headers=headers or {}), timeout=10) as response:  # nosec B310 - loopback
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_no_personal_data_or_secret_in_the_logs(app, client, demo, logs):
    make_entries(app)
    secrets: dict[str, str] = {"phone": PHONE, "phone typed": PHONE_TYPED, "e-mail": EMAIL, "event phone": EVENT_PHONE,
                               "password": DEMO_PASSWORD, "wrong password": WRONG_PASSWORD, "new password": NEW_PASSWORD}

    # 1. a request with a phone and an e-mail, then its access code (link, form, track page)
    html = client.get("/zh/requests/new").get_data(as_text=True)
    key = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', html).group(1)
    filed = client.post("/zh/requests/new", data={
        "csrf_token": csrf_from(html), "submission_key": key, "service": "food-licence", "building": "shanghai-tower",
        "company_name": "日志测试有限公司", "contact_name": "日志先生", "phone": PHONE_TYPED, "email": EMAIL,
        "description": f"请回电 {PHONE} 或发邮件到 {EMAIL}，谢谢。", "reply_lang": "zh", "consent": "y",
    })
    assert filed.status_code == 303
    page = client.get(filed.location).get_data(as_text=True)
    code = _code_of(page)
    number = re.search(r"LS-\d{4}-\d{6}", page).group(0)
    secrets["access code"] = code
    fresh = app.test_client()
    assert fresh.get(f"/zh/requests/{number}?code={code}").status_code == 303
    track = fresh.get("/en/track").get_data(as_text=True)
    assert fresh.post("/en/track", data={"csrf_token": csrf_from(track), "tracking_no": number, "code": code}).status_code == 303
    wrong = app.test_client()
    status = wrong.get(f"/en/requests/{number}").get_data(as_text=True)
    wrong.post(f"/en/requests/{number}/unlock", data={"csrf_token": csrf_from(status), "code": "WRONG-CODE-42"})

    # 2. staff sign in: wrong passwords until the per-account limit, then the admin's
    #    password and two-step code; department staff reveal the phone
    intruder = app.test_client()
    for _attempt in range(7):
        login = intruder.get("/en/login").get_data(as_text=True)
        intruder.post("/en/login", data={"csrf_token": csrf_from(login), "email": "staff@example.com", "password": WRONG_PASSWORD})
    admin = app.test_client()
    login = admin.get("/en/login").get_data(as_text=True)
    step = admin.post("/en/login", data={"csrf_token": csrf_from(login), "email": "admin@example.com", "password": DEMO_PASSWORD})
    assert "/login/two-step" in step.location
    form = admin.get(step.location).get_data(as_text=True)
    admin.post(step.location, data={"csrf_token": csrf_from(form), "code": "000000"})  # a wrong one first
    totp = totp_code(app, "admin@example.com")
    secrets["TOTP code"] = totp
    done = admin.post(step.location, data={"csrf_token": csrf_from(form), "code": totp})
    assert done.status_code == 303 and "/council" in done.location
    staff = app.test_client()
    login = staff.get("/zh/login").get_data(as_text=True)
    assert staff.post("/zh/login", data={"csrf_token": csrf_from(login), "email": "council@example.com",
                                         "password": DEMO_PASSWORD}).status_code == 303
    detail = staff.get(f"/zh/council/requests/{number}")
    assert detail.status_code == 200, detail.status_code
    revealed = staff.post(f"/zh/council/requests/{number}/reveal", data={"csrf_token": csrf_from(detail.get_data(as_text=True))})
    assert revealed.status_code == 200 and PHONE in revealed.get_data(as_text=True)

    # 3. an event registration with a phone
    from app.boards.models import Event
    from app.core.timeutil import utcnow

    with app.app_context():
        tower = db.session.scalar(sa.text("select id from building where slug = 'shanghai-tower'"))
        start = utcnow() + timedelta(days=2)
        event = Event(building_id=tower, title_zh="日志活动", title_en="Log event", description_zh="", description_en="",
                      place_zh="B1", place_en="B1", starts_at=start, ends_at=start + timedelta(hours=1), seats=5)
        db.session.add(event)
        db.session.commit()
        event_id = event.id
    url = f"/zh/boards/shanghai-tower/events/{event_id}"
    html = client.get(url).get_data(as_text=True)
    registered = client.post(url, data={"csrf_token": csrf_from(html), "name": "报名人", "phone": EVENT_PHONE})
    assert registered.status_code == 303
    client.get(registered.location)

    # 4. a password link (one-time token in the URL) and "forgot password"
    from app.auth.models import User
    from app.auth.services import issue_token

    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "observer@example.com"))
        raw = issue_token(user, "reset")
        db.session.commit()
    secrets["password link token"] = raw
    other = app.test_client()
    link = other.get(f"/en/password/{raw}").get_data(as_text=True)
    other.post(f"/en/password/{raw}", data={"csrf_token": csrf_from(link), "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    forgot = other.get("/en/login/forgot").get_data(as_text=True)
    for _attempt in range(7):
        other.post("/en/login/forgot", data={"csrf_token": csrf_from(forgot), "email": EMAIL})

    # 5. the same URLs through a real server: the development server's access log, with a
    #    Referer that carries the code too
    server, thread = _serve(app)
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        assert _get(f"{base}/zh/requests/{number}?code={code}", {"Referer": f"{base}/x?code={code}"}) == 303
        assert _get(f"{base}/en/password/{raw}") in (200, 410)
    finally:
        server.shutdown()
        thread.join(timeout=5)

    # 6. gunicorn's access log (what `gunicorn --access-logfile -` writes), same request
    from gunicorn.config import Config as GunicornConfig
    from gunicorn.glogging import Logger as GunicornLogger

    cfg = GunicornConfig()
    cfg.set("accesslog", "/dev/null")
    cfg.set("access_log_format", '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(U)s %(q)s')
    glog = GunicornLogger(cfg)

    class Response:
        status, sent, headers = "303 SEE OTHER", 0, [("Location", f"/zh/requests/{number}")]

    environ = {"REQUEST_METHOD": "GET", "RAW_URI": f"/zh/requests/{number}?code={code}", "SERVER_PROTOCOL": "HTTP/1.1",
               "PATH_INFO": f"/zh/requests/{number}", "QUERY_STRING": f"code={code}", "REMOTE_ADDR": "127.0.0.1",
               "HTTP_REFERER": f"https://loushi.example/zh/requests/{number}?code={code}"}
    glog.access(Response(), [("Referer", environ["HTTP_REFERER"])], environ, timedelta(milliseconds=5))
    environ = dict(environ, RAW_URI=f"/en/password/{raw}", PATH_INFO=f"/en/password/{raw}", QUERY_STRING="", HTTP_REFERER="-")
    glog.access(Response(), [], environ, timedelta(milliseconds=5))

    # session cookies and tokens of everyone above
    with app.app_context():
        for user in db.session.scalars(sa.select(User)):
            secrets[f"session token of {user.email}"] = user.session_token
    for name, browser in (("requester", client), ("admin", admin), ("staff", staff), ("tracker", fresh)):
        for cookie_name in ("session", "__Host-session", "remember_token", "loushi_bid"):
            cookie = browser.get_cookie(cookie_name)
            if cookie is not None:
                secrets[f"{cookie_name} cookie of {name}"] = cookie.value
    secrets["staff login e-mail"] = "staff@example.com"  # the rate limiter's key for it

    text = "\n".join(logs.lines)
    assert len(logs.lines) > 20 and "GET /zh/requests/" in text and "gunicorn.access" in text, text[-3000:]
    assert any(line.startswith("sqlalchemy.engine") for line in logs.lines), "SQLAlchemy's statements were not captured"
    access = [line for line in logs.lines if line.startswith(("werkzeug", "gunicorn.access"))]
    assert sum("?code=[redacted]" in line for line in access) >= 2, access  # logged, without the code
    assert any("/password/[redacted]" in line for line in access), access
    found = {what: value for what, value in secrets.items() if value and value in text}
    lines = [line[:300] for line in logs.lines if any(value and value in line for value in found.values())]
    assert not found, f"in the logs: {sorted(found)}\n" + "\n".join(lines[:20])


@pytest.mark.parametrize("line, expected", [
    ('"GET /zh/requests/LS-2026-000001?code=AB12-CD34 HTTP/1.1" 303', '"GET /zh/requests/LS-2026-000001?code=[redacted] HTTP/1.1" 303'),
    ("GET /en/password/Zx_9-token HTTP/1.1", "GET /en/password/[redacted] HTTP/1.1"),
    ("/zh/wall/mine/abc123?x=1", "/zh/wall/mine/[redacted]?x=1"),
    ("/zh/boards/jin-mao/cancel/tok", "/zh/boards/jin-mao/cancel/[redacted]"),
    ("/api/open311/v2/requests.json?api_key=k1&status=open", "/api/open311/v2/requests.json?api_key=[redacted]&status=open"),
    ("/zh/guide/?q=fire&dept=fire", "/zh/guide/?q=fire&dept=fire"),
])
def test_redact(line, expected):
    from app.core.logsafe import redact

    assert redact(line) == expected
