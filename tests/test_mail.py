"""Outgoing mail through the outbox, delivered to a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import email
import email.policy
import logging
import socket
from email.utils import parsedate_to_datetime

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from app.core import mail as mail_module
from app.core.mail import (
    MAX_ATTEMPTS,
    OutboxMail,
    deliver_after_commit,
    deliver_pending,
    mask_email,
    queue_mail,
    user_lang,
)
from app.core.mail_cli import send_mail_command
from app.extensions import db

TO = "zhang.san@example.com"
MASKED = "z***@example.com"
SUBJECT_ZH = "您的诉求已受理（编号 LS-2026-0001）"
BODY_ZH = "张三您好：\n\n您提交的诉求已受理，追踪号 LS-2026-0001。\n——楼事通\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    def __init__(self) -> None:
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self):
        return [email.message_from_bytes(e.content, policy=email.policy.default) for e in self.envelopes]


def _start(handler, monkeypatch, app, **smtp_kwargs) -> Controller:
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port(), **smtp_kwargs)
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", controller.port)
    return controller


@pytest.fixture
def smtp(app, monkeypatch):
    handler = Recorder()
    controller = _start(handler, monkeypatch, app)
    yield handler
    controller.stop()


@pytest.fixture
def closed_port(app, monkeypatch):
    """MAIL_SERVER set, but nothing listens on its port."""
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", _free_port())


def _queue(to=TO, subject=SUBJECT_ZH, body=BODY_ZH, lang="zh", kind="request.received", ref="LS-2026-0001"):
    mail = queue_mail(to, subject, body, lang=lang, kind=kind, ref=ref)
    db.session.commit()
    return mail.id


def _row(mail_id) -> OutboxMail:
    db.session.expire_all()
    return db.session.get(OutboxMail, mail_id)


def test_mask_email():
    assert mask_email("zhang.san@example.com") == "z***@example.com"
    assert mask_email("a@b.cn") == "a***@b.cn"
    assert mask_email("not-an-address") == "***"
    assert mask_email("") == "***" and mask_email(None) == "***"


def test_user_lang_is_the_preference_else_the_default():
    from types import SimpleNamespace

    assert user_lang(SimpleNamespace(locale="en")) == "en"
    assert user_lang(SimpleNamespace(locale="zh")) == "zh"
    assert user_lang(SimpleNamespace(locale=None)) == "zh"
    assert user_lang(SimpleNamespace(locale="fr")) == "zh"


def test_chinese_mail_arrives_intact_once(app, smtp):
    with app.app_context():
        mail_id = _queue()
        assert _row(mail_id).sent_at is None
        assert deliver_pending() == (1, 0)

        assert len(smtp.envelopes) == 1
        envelope = smtp.envelopes[0]
        assert envelope.mail_from == "no-reply@loushi.example"
        assert envelope.rcpt_tos == [TO]
        # Every header line is plain ASCII: non-ASCII is RFC 2047 encoded, not raw.
        raw_headers = envelope.content.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
        raw_headers.decode("ascii")

        msg = smtp.messages()[0]
        assert [a.addr_spec for a in msg["To"].addresses] == [TO]
        assert msg["Subject"] == SUBJECT_ZH
        sender = msg["From"].addresses[0]
        assert "楼事通" in sender.display_name and sender.addr_spec == "no-reply@loushi.example"
        assert msg["Auto-Submitted"] == "auto-generated"
        assert msg["Content-Language"] == "zh-Hans"
        assert msg["Message-ID"].startswith("<") and msg["Message-ID"].endswith("@loushi.example>")
        assert parsedate_to_datetime(msg["Date"]).tzinfo is not None
        body = msg.get_body(("plain",))
        assert body.get_content_charset() == "utf-8"
        assert body.get_content().replace("\r\n", "\n") == BODY_ZH  # MIME text is CRLF

        row = _row(mail_id)
        assert row.sent_at is not None and row.attempts == 0 and row.last_error is None

        assert deliver_pending() == (0, 0)  # nothing sent twice
        assert len(smtp.envelopes) == 1
        db.session.remove()


def test_english_mail_and_oldest_first(app, smtp):
    with app.app_context():
        first = _queue(to="first@example.com", subject="Request received", body="Hello,\nyour request arrived.\n",
                       lang="en")
        second = _queue(to="second@example.com")
        assert deliver_pending(limit=1) == (1, 0)
        assert _row(first).sent_at is not None and _row(second).sent_at is None
        assert deliver_pending(limit=1) == (1, 0)
        english, chinese = smtp.messages()
        assert english["Content-Language"] == "en" and english["Subject"] == "Request received"
        assert english.get_body(("plain",)).get_content().splitlines() == ["Hello,", "your request arrived."]
        assert chinese["Content-Language"] == "zh-Hans"
        db.session.remove()


def test_queue_is_part_of_the_callers_transaction(app, smtp):
    with app.app_context():
        queue_mail(TO, SUBJECT_ZH, BODY_ZH, lang="zh", kind="request.received")
        db.session.rollback()  # the change it reports failed: no mail either
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMail)) == 0
        assert deliver_pending() == (0, 0)
        assert smtp.envelopes == []
        db.session.remove()


def test_without_mail_server_nothing_is_sent_and_the_log_is_masked(app, smtp, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)  # a server listens, but is not configured
    caplog.set_level(logging.INFO, logger="loushi.mail")
    with app.app_context():
        mail_id = _queue()
        assert deliver_pending() == (0, 0)
        assert deliver_after_commit() == (0, 0)
        assert smtp.envelopes == []
        row = _row(mail_id)
        assert row.sent_at is None and row.attempts == 0 and row.last_error is None

        lines = [r for r in caplog.records if r.name == "loushi.mail"]
        assert lines and all(r.levelno == logging.INFO for r in lines)
        text = lines[0].getMessage()
        assert MASKED in text and "request.received" in text and "LS-2026-0001" in text
        assert TO not in caplog.text and "zhang.san" not in caplog.text
        assert all(TO not in r.getMessage() for r in caplog.records)

        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")  # configured later: delivered then
        assert deliver_pending() == (1, 0)
        assert len(smtp.envelopes) == 1 and _row(mail_id).sent_at is not None
        db.session.remove()


def test_server_down_counts_attempts_and_never_raises(app, closed_port, caplog):
    caplog.set_level(logging.INFO, logger="loushi.mail")
    with app.app_context():
        mail_id = _queue()
        assert deliver_after_commit() == (0, 1)  # no exception escapes
        row = _row(mail_id)
        assert row.sent_at is None and row.attempts == 1
        assert row.last_error and len(row.last_error) <= 500
        warnings = [r for r in caplog.records if r.name == "loushi.mail" and r.levelno == logging.WARNING]
        assert warnings and MASKED in warnings[0].getMessage()
        assert TO not in caplog.text

        for n in range(2, MAX_ATTEMPTS + 1):
            assert deliver_pending() == (0, 1)
            assert _row(mail_id).attempts == n
        assert deliver_pending() == (0, 0)  # given up after MAX_ATTEMPTS, but kept
        assert _row(mail_id).attempts == MAX_ATTEMPTS and _row(mail_id).sent_at is None
        db.session.remove()


def test_unexpected_errors_are_swallowed_by_deliver_after_commit(app, smtp, monkeypatch, caplog):
    with app.app_context():
        mail_id = _queue()
        monkeypatch.setitem(app.config, "MAIL_FROM", "not an address")  # a configuration error
        with pytest.raises(ValueError):
            deliver_pending()
        db.session.rollback()
        assert deliver_after_commit() == (0, 0)
        assert _row(mail_id).attempts == 0  # a configuration error uses up no attempt

        def boom(limit=50):
            raise RuntimeError("database went away")

        monkeypatch.setattr(mail_module, "deliver_pending", boom)
        assert deliver_after_commit() == (0, 0)
        assert "database went away" in caplog.text
        assert smtp.envelopes == []
        db.session.remove()


@pytest.mark.parametrize("to", [
    "zhang@example.com\r\nBcc: victim@example.com",
    "zhang@example.com\nBcc: victim@example.com",
    "zhang@example.com\r\n",
    "zhang@example.com, victim@example.com",
    "zhang@example.com victim@example.com",
    "张三 <zhang@example.com>",
    "zhang",
    "zhang@",
    "",
])
def test_bad_recipient_is_refused(app, to):
    with app.app_context():
        with pytest.raises(ValueError):
            queue_mail(to, "Subject", "Body", lang="en", kind="test")
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMail)) == 0
        db.session.remove()


def test_line_breaks_in_subject_cannot_add_headers(app, smtp):
    with app.app_context():
        mail_id = _queue(subject="诉求已受理\r\nBcc: victim@example.com\nX-Evil: 1")
        assert "\r" not in _row(mail_id).subject and "\n" not in _row(mail_id).subject
        assert deliver_pending() == (1, 0)
        msg = smtp.messages()[0]
        assert smtp.envelopes[0].rcpt_tos == [TO]
        assert msg["Bcc"] is None and msg["X-Evil"] is None
        assert msg["Subject"] == "诉求已受理 Bcc: victim@example.com X-Evil: 1"
        db.session.remove()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_login_when_credentials_are_set(app, monkeypatch):
    seen = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        seen.append(auth_data)
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"loushi", b"s3cret")
        return AuthResult(success=ok)

    handler = Recorder()
    controller = _start(handler, monkeypatch, app, authenticator=authenticator, auth_require_tls=False,
                        auth_required=True)
    try:
        with app.app_context():
            mail_id = _queue()
            assert deliver_pending() == (0, 1)  # the server requires AUTH: refused without
            assert handler.envelopes == [] and _row(mail_id).attempts == 1
            monkeypatch.setitem(app.config, "MAIL_USERNAME", "loushi")
            monkeypatch.setitem(app.config, "MAIL_PASSWORD", "s3cret")
            assert deliver_pending() == (1, 0)
            assert len(handler.envelopes) == 1 and seen
            db.session.remove()
    finally:
        controller.stop()


def test_send_mail_command_sends_everything_pending(app, smtp):
    runner = app.test_cli_runner()
    with app.app_context():
        ids = [_queue(to=f"user{i}@example.com", ref=f"LS-{i}") for i in range(5)]
        db.session.remove()
    result = runner.invoke(send_mail_command, ["--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert "Sent 5, failed 0; 0 waiting" in result.output
    assert sorted(e.rcpt_tos[0] for e in smtp.envelopes) == [f"user{i}@example.com" for i in range(5)]
    with app.app_context():
        assert all(_row(i).sent_at is not None for i in ids)
        db.session.remove()
    again = runner.invoke(send_mail_command)
    assert again.exit_code == 0 and "Sent 0, failed 0" in again.output
    assert len(smtp.envelopes) == 5


def test_send_mail_command_retry_failed_and_exit_status(app, smtp, monkeypatch):
    runner = app.test_cli_runner()
    with app.app_context():
        mail_id = _queue()
        _row(mail_id).attempts = MAX_ATTEMPTS
        db.session.commit()
        db.session.remove()
    result = runner.invoke(send_mail_command)
    assert result.exit_code == 0 and "Sent 0" in result.output and "1 given up" in result.output
    assert smtp.envelopes == []
    result = runner.invoke(send_mail_command, ["--retry-failed"])
    assert result.exit_code == 0, result.output
    assert "Sent 1, failed 0" in result.output and len(smtp.envelopes) == 1

    with app.app_context():
        _queue()
        db.session.remove()
    monkeypatch.setitem(app.config, "MAIL_PORT", _free_port())  # server down
    result = runner.invoke(send_mail_command)
    assert result.exit_code == 1 and "Sent 0, failed 1; 1 waiting" in result.output
