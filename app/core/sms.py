"""Text messages (SMS) beside e-mail, through the same outbox.

One notifier interface for both channels: a message is a row of ``outbox_mail``
(``channel`` = ``mail`` or ``sms``) saved in the transaction of the change it reports,
and delivered afterwards by ``deliver_pending`` (right after the commit, and by
``flask --app wsgi send-mail``), with the same attempts and ``--retry-failed``.

Usage::

    if sms_enabled() and (mobile := mobile_number(req.phone)):
        queue_sms(mobile, text, lang="zh", kind="request.received", ref=number)
    db.session.commit()
    deliver_after_commit()

The gateway is chosen by ``SMS_GATEWAY``:

``console``
    development: the message is marked sent and one log line says so, with the number
    masked (``138****5678``) and without the text (it may carry an access code); read the
    text in the outbox table.
``http``
    an HTTP JSON gateway: ``POST SMS_GATEWAY_URL`` with ``{"phone", "sign_name", "text",
    "template", "id"}``, the key in ``X-Api-Key``, and ``X-Timestamp`` and ``X-Signature``
    (``sha256=`` HMAC-SHA256 with the key of ``"<timestamp>.<body>"``).  Any answer
    but 2xx, a redirect, a timeout or a refused connection is a failure, tried again later.
empty
    no SMS: nothing is queued for the SMS channel.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import socket
import time
import urllib.error
import urllib.request
from typing import Protocol

from flask import current_app

from ..extensions import db
from .mail import LANGS, OutboxMail, _describe, _pending, _record_failure
from .timeutil import utcnow

log = logging.getLogger("loushi.sms")

GATEWAYS = ("console", "http")
SMS_TIMEOUT = 10
MAX_SMS_CHARS = 500  # several segments at most; the texts we write are far shorter
MOBILE = re.compile(r"^1[3-9]\d{9}$")


class SmsError(Exception):
    """The gateway did not take the message (the text says why, without the number)."""


def sms_gateway() -> str | None:
    name = (current_app.config.get("SMS_GATEWAY") or "").strip().lower()
    return name if name in GATEWAYS else None


def sms_enabled() -> bool:
    """Whether text messages are sent at all (``SMS_GATEWAY`` set to a known gateway)."""
    return sms_gateway() is not None


def sign_name() -> str:
    return (current_app.config.get("SMS_SIGN_NAME") or "").strip() or "楼事通"


def mobile_number(phone: str | None) -> str | None:
    """A mainland mobile number as stored (``13812345678``), else None (a landline)."""
    phone = (phone or "").strip()
    return phone if MOBILE.match(phone) else None


def mask_mobile(phone: str | None) -> str:
    """``13812345678`` -> ``138****5678``: enough to recognise one's own number."""
    phone = phone or ""
    if len(phone) < 8:
        return "***"
    return f"{phone[:3]}****{phone[-4:]}"


def queue_sms(phone: str, text: str, *, lang: str, kind: str, ref: str | None = None) -> OutboxMail:
    """Add a text message to the outbox in ``db.session`` (the caller commits).
    ValueError unless ``phone`` is a mobile number."""
    if lang not in LANGS:
        raise ValueError(f"unknown SMS language {lang!r}")
    mobile = mobile_number(phone)
    if mobile is None:
        raise ValueError("an SMS goes to a mobile number only")
    message = OutboxMail(channel="sms", to_addr=mobile, subject="", body_text=" ".join(text.split())[:MAX_SMS_CHARS],
                         lang=lang, kind=kind, ref=ref, attempts=0)
    db.session.add(message)
    return message


# --- gateways ------------------------------------------------------------------------


class Gateway(Protocol):
    def send(self, message: OutboxMail) -> None:
        """Hand one message over, or raise (any exception counts a failed attempt)."""


class ConsoleGateway:
    """Development: logs that a message would go out; sends nothing."""

    def send(self, message: OutboxMail) -> None:
        log.info("SMS %s (console gateway, not sent): kind=%s ref=%s to=%s lang=%s, %s characters",
                 message.id, message.kind, message.ref, mask_mobile(message.to_addr), message.lang, len(message.body_text))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer we did not ask for: a failure


class HttpGateway:
    """An HTTP JSON gateway (see the module's docstring)."""

    def __init__(self, config) -> None:
        self.url = (config.get("SMS_GATEWAY_URL") or "").strip()
        if not self.url.lower().startswith(("https://", "http://")):
            raise ValueError("SMS_GATEWAY_URL must be an http(s) URL")
        self.key = config.get("SMS_GATEWAY_KEY") or ""
        if not self.key:
            raise ValueError("SMS_GATEWAY_KEY is not set")
        self.sign_name = (config.get("SMS_SIGN_NAME") or "").strip() or "楼事通"
        self.opener = urllib.request.build_opener(_NoRedirect)

    def payload(self, message: OutboxMail) -> bytes:
        return json.dumps({"phone": message.to_addr, "sign_name": self.sign_name, "text": message.body_text,
                           "template": message.kind, "lang": message.lang, "id": f"outbox-{message.id}"},
                          ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def headers(self, body: bytes, timestamp: str) -> dict[str, str]:
        signature = hmac.new(self.key.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        return {"Content-Type": "application/json; charset=utf-8", "X-Api-Key": self.key, "X-Timestamp": timestamp,
                "X-Signature": f"sha256={signature}", "User-Agent": "loushi-sms/1"}

    def send(self, message: OutboxMail) -> None:
        body = self.payload(message)
        request = urllib.request.Request(self.url, data=body, headers=self.headers(body, str(int(time.time()))), method="POST")
        try:
            with self.opener.open(request, timeout=SMS_TIMEOUT) as response:  # nosec B310 - scheme checked: http(s) only
                status = response.status
                response.read(4096)
        except urllib.error.HTTPError as exc:
            raise SmsError(f"the SMS gateway answered HTTP {exc.code}") from None
        except (socket.timeout, TimeoutError):
            raise SmsError("the SMS gateway did not answer in time") from None
        except urllib.error.URLError as exc:
            raise SmsError(f"the SMS gateway could not be reached ({type(exc.reason).__name__})") from None
        if not 200 <= status < 300:
            raise SmsError(f"the SMS gateway answered HTTP {status}")


def gateway() -> Gateway | None:
    name = sms_gateway()
    if name == "console":
        return ConsoleGateway()
    if name == "http":
        return HttpGateway(current_app.config)
    return None


def deliver_sms(limit: int = 50) -> tuple[int, int]:
    """Send up to ``limit`` waiting text messages, oldest first, and commit: ``(sent,
    failed)``.  Without a gateway they are logged (number masked) and stay waiting."""
    chosen = gateway()  # a configuration error: raised, and no attempt counted
    if chosen is None:
        for message in db.session.scalars(_pending(limit, "sms")):
            log.info("SMS %s waiting in the outbox (SMS_GATEWAY not set): kind=%s ref=%s to=%s",
                     message.id, message.kind, message.ref, mask_mobile(message.to_addr))
        return 0, 0
    batch = list(db.session.scalars(_pending(limit, "sms").with_for_update(skip_locked=True)))
    sent = failed = 0
    try:
        for message in batch:
            try:
                chosen.send(message)
            except Exception as exc:  # noqa: BLE001 - one message must not stop the others
                _record_failure(message, str(exc) if isinstance(exc, SmsError) else _describe(exc))
                failed += 1
            else:
                message.sent_at = utcnow()
                message.last_error = None
                sent += 1
    finally:
        db.session.commit()
    return sent, failed
