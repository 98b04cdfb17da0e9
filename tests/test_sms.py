"""Issue 17, item 3: SMS beside e-mail.  One outbox (``outbox_mail.channel``), one sender
(``flask send-mail``), a gateway adapter chosen by ``SMS_GATEWAY``; the HTTP adapter is
tested against a real HTTP server on 127.0.0.1 that records what it is sent.  The
requester's SMS receipt and updates, the confirmation page saying what is sent, and
/<lang>/track/recover (tracking number + phone -> a new access code by SMS)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa

from app.core.mail import OutboxMail
from app.extensions import db
from app.intake.models import ServiceRequest
from tests.conftest import DEMO_PASSWORD, csrf_from, text_of
from tests.guide_fixtures import make_entries
from tests.test_intake import file_request

PHONE, PHONE_TYPED, MASKED = "13812345678", "138 1234 5678", "138****5678"
KEY, SIGN = "test-gateway-key-0123456789", "楼事通测试"
EMAIL = "sms.requester@example.org"


class Recorder:
    """An SMS gateway on 127.0.0.1: records every POST, answers the queued statuses (then 200)."""

    def __init__(self):
        self.posts: list[dict] = []
        self.statuses: list[int] = []
        self.delay = 0.0
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server API
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                recorder.posts.append({"path": self.path, "headers": dict(self.headers), "raw": body, "json": json.loads(body)})
                if recorder.delay:
                    time.sleep(recorder.delay)
                status = recorder.statuses.pop(0) if recorder.statuses else 200
                answer = json.dumps({"ok": status == 200}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):  # keep the test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1/sms"

    @property
    def texts(self) -> list[str]:
        return [p["json"]["text"] for p in self.posts]


@pytest.fixture
def gateway(app, monkeypatch):
    recorder = Recorder()
    recorder.thread.start()
    monkeypatch.setitem(app.config, "SMS_GATEWAY", "http")
    monkeypatch.setitem(app.config, "SMS_GATEWAY_URL", recorder.url)
    monkeypatch.setitem(app.config, "SMS_GATEWAY_KEY", KEY)
    monkeypatch.setitem(app.config, "SMS_SIGN_NAME", SIGN)
    yield recorder
    recorder.server.shutdown()
    recorder.server.server_close()
    recorder.thread.join(timeout=5)


@pytest.fixture
def guide(app, demo):
    make_entries(app)


def _sms_rows(app, number: str | None = None) -> list[OutboxMail]:
    with app.app_context():
        query = sa.select(OutboxMail).where(OutboxMail.channel == "sms").order_by(OutboxMail.id)
        if number:
            query = query.where(OutboxMail.ref == number)
        rows = db.session.scalars(query).all()
        for row in rows:
            db.session.expunge(row)
        db.session.remove()
    return rows


# --- the receipt ---------------------------------------------------------------------------


def test_zh_receipt_by_sms_without_email_carries_the_code_and_a_link(app, client, guide, gateway):
    number, code, text = file_request(client, "zh", phone=PHONE_TYPED, email="")
    assert f"我们已向 {MASKED} 发送短信回执" in text
    assert "您没有填写电子邮箱，因此不会发送邮件" in text
    assert PHONE not in text
    assert len(gateway.posts) == 1
    post = gateway.posts[0]
    assert post["path"] == "/v1/sms"
    assert post["json"]["phone"] == PHONE and post["json"]["sign_name"] == SIGN
    assert post["json"]["template"] == "request.received"
    sms = post["json"]["text"]
    assert f"您的诉求已受理，编号 {number}" in sms and f"查询码 {code}" in sms  # no e-mail: the code comes by SMS
    assert f"/zh/requests/{number}" in sms and "?code" not in sms
    # the key and a signature of timestamp + body
    headers = {k.lower(): v for k, v in post["headers"].items()}
    assert headers["x-api-key"] == KEY
    stamp = headers["x-timestamp"]
    assert abs(int(stamp) - time.time()) < 60
    expected = hmac.new(KEY.encode(), stamp.encode() + b"." + post["raw"], hashlib.sha256).hexdigest()
    assert headers["x-signature"] == f"sha256={expected}"
    [row] = _sms_rows(app, number)
    assert row.sent_at is not None and row.attempts == 0 and row.to_addr == PHONE


def test_en_receipt_by_sms_with_email_leaves_the_code_to_the_email(app, client, guide, gateway):
    number, code, text = file_request(client, "en", phone=PHONE_TYPED, email=EMAIL, reply_lang="en")
    assert f"We are sending an SMS receipt to {MASKED}." in text
    assert "We are sending them to your e-mail address s***@example.org too." in text
    [sms] = gateway.texts
    assert sms == f"Your request {number} was received. Follow it: http://localhost/en/requests/{number}"
    assert code not in sms
    with app.app_context():
        mail = db.session.scalar(sa.select(OutboxMail).where(OutboxMail.channel == "mail", OutboxMail.to_addr == EMAIL))
        assert code in mail.body_text  # … which carries it
        db.session.remove()


def test_without_sms_gateway_the_page_says_no_sms_and_none_is_queued(app, client, guide):
    number, _code, text = file_request(client, "zh", phone=PHONE_TYPED)
    assert "不发送短信：本服务不发送短信" in text and "发送短信回执" not in text
    _number, _code, english = file_request(app.test_client(), "en", phone="021-58880000")
    assert "No text message (SMS) is sent" in english
    with app.app_context():
        from app.core.mail import produce_pending

        produce_pending()
        db.session.remove()
    assert _sms_rows(app) == []


def test_a_landline_gets_no_sms_and_the_page_says_why(app, client, guide, gateway):
    _number, _code, text = file_request(client, "en", phone="021-5888 0000")
    assert "No text message is sent: the phone number you gave is not a mobile number." in text
    assert gateway.posts == []


def test_tracking_number_does_not_break_across_lines():
    from pathlib import Path

    css = (Path(__file__).resolve().parent.parent / "static/css/site.css").read_text()
    assert re.search(r"\.tracking-no[^{]*\{[^}]*white-space:\s*nowrap", css)


# --- updates --------------------------------------------------------------------------------


def test_stage_change_and_public_reply_send_an_sms_in_the_reply_language(app, client, guide, gateway):
    number, code, _text = file_request(client, "zh", phone=PHONE_TYPED, email=EMAIL, reply_lang="en")
    from app.auth.models import User
    from app.core.mail import deliver_pending
    from app.intake.services import change_stage, reply

    with app.app_context():
        req = db.session.scalar(sa.select(ServiceRequest).where(ServiceRequest.tracking_no == number))
        staff = db.session.scalar(sa.select(User).where(User.email == "council@example.com"))
        change_stage(req, "in_progress", staff, "已联系物业")
        reply(req, staff, "许可证材料清单已发到您的邮箱。", public=True)
        reply(req, staff, "内部备注：不发给申请人", public=False)
        db.session.commit()
        assert deliver_pending() == (2, 0)  # the two SMS (no MAIL_SERVER: the mails wait)
        db.session.remove()
    site = app.config["SITE_URL"]
    texts = gateway.texts
    assert len(texts) == 3, texts  # receipt, stage, reply; nothing for the internal note
    assert texts[1] == f"Your request {number} is now: In progress. Details: {site}/en/requests/{number}"
    assert texts[2].endswith(f"replied to your request {number}. Read it: {site}/en/requests/{number}")
    assert "许可证材料" not in texts[2] and "内部备注" not in " ".join(texts)  # the words stay on the status page
    assert all(code not in t for t in texts)
    assert [p["json"]["template"] for p in gateway.posts] == ["request.received", "request.stage", "request.reply"]


# --- failures and retries ----------------------------------------------------------------


def test_gateway_500_is_a_failure_retried_by_send_mail(app, client, guide, gateway):
    from app.core.mail_cli import send_mail_command

    gateway.statuses = [500]
    number, _code, text = file_request(client, "zh", phone=PHONE_TYPED)
    assert "发送短信回执" in text  # the filing itself went through
    [row] = _sms_rows(app, number)
    assert row.sent_at is None and row.attempts == 1 and row.last_error == "the SMS gateway answered HTTP 500"
    result = app.test_cli_runner().invoke(send_mail_command)
    assert result.exit_code == 0, result.output
    assert "Sent 1, failed 0" in result.output and "MAIL_SERVER is not set: no mail sent" in result.output
    assert len(gateway.posts) == 2
    assert gateway.posts[0]["json"]["id"] == gateway.posts[1]["json"]["id"]  # the same message, sent again
    [row] = _sms_rows(app, number)
    assert row.sent_at is not None and row.last_error is None


def test_gateway_timeout_counts_an_attempt_and_logs_no_number(app, client, guide, gateway, monkeypatch, caplog):
    from app.core import sms

    monkeypatch.setattr(sms, "SMS_TIMEOUT", 0.3)
    gateway.delay = 1.0
    caplog.set_level(logging.DEBUG)
    number, _code, _text = file_request(client, "zh", phone=PHONE_TYPED)
    [row] = _sms_rows(app, number)
    assert row.sent_at is None and row.attempts == 1 and "did not answer in time" in row.last_error
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "not sent (attempt 1 of 5)" in logged and MASKED in logged and PHONE not in logged


def test_console_gateway_logs_no_full_number_and_no_code(app, client, guide, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "SMS_GATEWAY", "console")
    caplog.set_level(logging.DEBUG)
    number, code, text = file_request(client, "zh", phone=PHONE_TYPED)
    assert f"我们已向 {MASKED} 发送短信回执" in text
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "console gateway" in logged and MASKED in logged
    assert PHONE not in logged and code not in logged
    [row] = _sms_rows(app, number)
    assert row.sent_at is not None and code in row.body_text


def test_send_mail_without_any_channel_says_what_waits(app, client, guide, gateway, monkeypatch):
    from app.core.mail_cli import send_mail_command
    from app.core.sms import queue_sms

    with app.app_context():
        queue_sms(PHONE, "测试", lang="zh", kind="test", ref="LS-0")
        db.session.commit()
        db.session.remove()
    monkeypatch.setitem(app.config, "SMS_GATEWAY", None)
    result = app.test_cli_runner().invoke(send_mail_command)
    assert "SMS_GATEWAY is not set: 1 text message(s) wait in the outbox." in result.output
    monkeypatch.setitem(app.config, "SMS_GATEWAY", "http")
    result = app.test_cli_runner().invoke(send_mail_command)
    assert result.exit_code == 0 and "Sent 1, failed 0" in result.output and gateway.texts == ["测试"]


# --- a lost access code ------------------------------------------------------------------


def _recover(client, number: str, phone: str, lang: str = "zh"):
    page = client.get(f"/{lang}/track/recover").get_data(as_text=True)
    return client.post(f"/{lang}/track/recover", data={"csrf_token": csrf_from(page), "tracking_no": number, "phone": phone})


def _unlocks(app, number: str, code: str) -> bool:
    fresh = app.test_client()
    page = fresh.get("/zh/track").get_data(as_text=True)
    return fresh.post("/zh/track", data={"csrf_token": csrf_from(page), "tracking_no": number, "code": code}).status_code == 303


SENT_ZH = "如果该受理编号和手机号码属于同一件诉求，新的查询码将以短信发送到该手机"


def test_recover_right_pair_sends_a_new_code_and_the_old_one_stops_working(app, client, guide, gateway):
    number, old, _text = file_request(client, "zh", phone=PHONE_TYPED, email=EMAIL)
    gateway.posts.clear()
    assert _unlocks(app, number, old)
    stranger = app.test_client()
    right = _recover(stranger, number, "+86 138-1234-5678")
    assert right.status_code == 200 and SENT_ZH in text_of(right)
    [post] = gateway.posts
    assert post["json"]["phone"] == PHONE and post["json"]["template"] == "request.recover"
    new = re.search(r"新查询码为 ([A-Z0-9]{4}-[A-Z0-9]{4})", post["json"]["text"]).group(1)
    assert new != old and "原查询码已失效" in post["json"]["text"]
    assert _unlocks(app, number, new)
    assert not _unlocks(app, number, old)
    # the staff timeline records it; the public one does not
    with app.app_context():
        kinds = db.session.execute(sa.text("select kind, public from request_event e join service_request r on r.id = e.request_id "
                                           "where r.tracking_no = :n"), {"n": number}).all()
        assert ("recover", False) in [(k, bool(p)) for k, p in kinds]
        db.session.remove()
    staff = app.test_client()
    login = staff.get("/zh/login").get_data(as_text=True)
    assert staff.post("/zh/login", data={"csrf_token": csrf_from(login), "email": "council@example.com",
                                         "password": DEMO_PASSWORD}).status_code == 303
    assert "已通过短信发送新查询码" in text_of(staff.get(f"/zh/council/requests/{number}"))
    assert "已通过短信发送新查询码" not in text_of(client.get(f"/zh/requests/{number}"))


def test_recover_wrong_pair_gets_the_same_page_and_no_sms(app, client, guide, gateway):
    number, code, _text = file_request(client, "zh", phone=PHONE_TYPED)
    gateway.posts.clear()
    right = text_of(_recover(app.test_client(), number, PHONE))
    gateway.posts.clear()
    wrong_phone = _recover(app.test_client(), number, "13900000000")
    wrong_number = _recover(app.test_client(), "LS-2026-999999", PHONE)
    nonsense = _recover(app.test_client(), "whatever", "12")
    for response in (wrong_phone, wrong_number, nonsense):
        assert response.status_code == 200
        assert text_of(response) == right  # word for word the same page
    assert gateway.posts == []
    # English
    en = _recover(app.test_client(), number, "13900000000", lang="en")
    assert "If this tracking number and mobile number belong to a request, a new access code is on its way" in text_of(en)


def test_recover_is_rate_limited_per_tracking_number_per_phone_and_per_ip(app, client, guide, gateway, monkeypatch):
    number, _code, _text = file_request(client, "zh", phone=PHONE_TYPED)
    gateway.posts.clear()
    for _i in range(3):
        assert _recover(app.test_client(), number, "13900000000").status_code == 200
    limited = _recover(app.test_client(), number, PHONE)  # the right pair, but the number's limit is used up
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert "申请新查询码的次数过多，请稍后再试" in text_of(limited)
    assert gateway.posts == []
    # per phone: three tracking numbers, one phone
    for i in range(3):
        assert _recover(app.test_client(), f"LS-2026-00010{i}", "13700000000").status_code == 200
    en = _recover(app.test_client(), "LS-2026-000200", "137 0000 0000", lang="en")
    assert en.status_code == 429 and "Too many new codes were asked" in text_of(en)
    # per IP
    monkeypatch.setitem(app.config, "RECOVER_LIMIT_PER_IP", "2 per hour")
    from app.extensions import limiter

    limiter.reset()
    assert _recover(app.test_client(), "LS-2026-000300", "13600000001").status_code == 200
    assert _recover(app.test_client(), "LS-2026-000301", "13600000002").status_code == 200
    assert _recover(app.test_client(), "LS-2026-000302", "13600000003").status_code == 429


def test_recover_page_is_linked_from_track_and_the_unlock_form(app, client, guide, gateway):
    number, _code, _text = file_request(client, "zh", phone=PHONE_TYPED)
    for url in ("/zh/track", f"/zh/requests/{number}"):
        html = app.test_client().get(url).get_data(as_text=True)
        assert 'href="/zh/track/recover"' in html and "查询码丢了？" in html
    page = client.get("/en/track/recover")
    assert page.status_code == 200 and 'type="tel"' in page.get_data(as_text=True)
    assert "Get a new access code" in text_of(page)


def test_recover_without_sms_says_so(app, client, guide):
    page = text_of(client.get("/zh/track/recover"))
    assert "新查询码只能通过短信发送，而本服务目前不发送短信" in page
