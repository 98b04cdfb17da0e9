"""Outgoing e-mail through an outbox: a notification is a row saved in the same
transaction as the change it reports, and is sent afterwards (right after the commit,
and by ``flask --app wsgi send-mail`` for whatever is left).  A mail that cannot be
sent stays in the outbox; nothing is lost when the mail server is down or not set.

Usage::

    queue_mail(request.email, subject, body, lang="zh", kind="request.received", ref=number)
    db.session.commit()
    deliver_after_commit()
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .i18n import DEFAULT_LANG
from .timeutil import utcnow

log = logging.getLogger("loushi.mail")

MAX_ATTEMPTS = 5
SMTP_TIMEOUT = 10
LANGS = {"zh": "zh-Hans", "en": "en"}  # our locale -> Content-Language
# Headers fold at 78 characters and non-ASCII is encoded (RFC 2047 in headers,
# base64 or quoted-printable in the body), so any server takes the message.
POLICY = SMTP.clone(cte_type="7bit")


class OutboxMail(db.Model):
    __tablename__ = "outbox_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, index=True)
    # "mail" (to_addr is an e-mail address) or "sms" (to_addr is a mobile number, subject
    # empty): one outbox, one sender, the same attempts (app/core/sms.py).
    channel: Mapped[str] = mapped_column(sa.String(8), default="mail", server_default="mail")
    to_addr: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body_text: Mapped[str] = mapped_column(sa.Text)
    lang: Mapped[str] = mapped_column(sa.String(5))
    kind: Mapped[str] = mapped_column(sa.String(40))  # e.g. "request.received"
    ref: Mapped[str | None] = mapped_column(sa.String(64))  # e.g. a tracking number
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True), index=True)
    attempts: Mapped[int] = mapped_column(default=0)  # failed attempts; none after MAX_ATTEMPTS
    last_error: Mapped[str | None] = mapped_column(sa.String(500))

    def __repr__(self) -> str:
        state = "sent" if self.sent_at else f"unsent, {self.attempts} failed"
        return f"<OutboxMail {self.id} {self.kind} {self.ref or ''} ({state})>"


def mask_email(addr: str | None) -> str:
    """``zhang@example.com`` -> ``z***@example.com``: enough to tell mails apart in a
    log, not enough to identify the person."""
    local, at, domain = (addr or "").strip().rpartition("@")
    if not at or not domain:
        return "***"
    return f"{local[:1]}***@{domain}"


def _single_address(to: str) -> str:
    """The address itself (``user@domain``, domain in IDNA form), or ValueError."""
    to = to or ""
    if any(c in to for c in "\r\n\x00\x0b\x0c\x85\u2028\u2029"):  # before strip(): "a@b.c\r\n" too
        raise ValueError("mail recipient must not contain line breaks")
    to = to.strip()
    if not to or any(c.isspace() for c in to) or "," in to or ";" in to:
        raise ValueError("mail recipient must be a single address")
    try:
        addr = Address(addr_spec=to)  # raises on anything but one addr-spec
        domain = addr.domain if addr.domain.isascii() else addr.domain.encode("idna").decode("ascii")
        if not addr.username or not domain:
            raise ValueError("no user or no domain")
        result = Address(username=addr.username, domain=domain).addr_spec
    except (ValueError, IndexError, UnicodeError) as exc:
        raise ValueError("mail recipient must be a single address") from exc
    if len(result) > 254:
        raise ValueError("mail recipient address is too long")
    return result


def _one_line(text: str) -> str:
    return " ".join(part.strip() for part in (text or "").splitlines() if part.strip())


def mail_lang(locale: str | None) -> str:
    """The language of mail to an account whose preference is ``locale``, else the default."""
    return locale if locale in LANGS else DEFAULT_LANG


def user_lang(user) -> str:
    """The language of mail to a staff account: its preference, else the default."""
    return mail_lang(user.locale)


def external_url(endpoint: str, **values) -> str:
    """An absolute link for an e-mail, also from a command (``SITE_URL``)."""
    values = {k: v for k, v in values.items() if v is not None}
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    with current_app.test_request_context(base_url=current_app.config["SITE_URL"]):
        return url_for(endpoint, _external=True, **values)


def queue_mail(to: str, subject: str, body: str, *, lang: str, kind: str, ref: str | None = None) -> OutboxMail:
    """Add a mail to the outbox in ``db.session``.  The caller commits, so the mail is
    saved together with the change it reports (or not at all).  ValueError when ``to``
    is not exactly one address; line breaks in ``subject`` are folded to spaces."""
    if lang not in LANGS:
        raise ValueError(f"unknown mail language {lang!r}")
    mail = OutboxMail(
        channel="mail",
        to_addr=_single_address(to),
        subject=_one_line(subject)[:300],
        body_text=body,
        lang=lang,
        kind=kind,
        ref=ref,
        attempts=0,
    )
    db.session.add(mail)
    return mail


def _sender() -> Address:
    name, addr = parseaddr(current_app.config.get("MAIL_FROM") or "")
    if "@" not in addr:
        raise ValueError("MAIL_FROM is not a valid address")
    return Address(display_name=_one_line(name), addr_spec=addr)


def _build_message(mail: OutboxMail, sender: Address) -> EmailMessage:
    msg = EmailMessage(policy=POLICY)
    msg.set_content(mail.body_text, charset="utf-8")  # first: it resets the Content-* headers
    msg["From"] = sender
    msg["To"] = Address(addr_spec=mail.to_addr)
    msg["Subject"] = mail.subject
    msg["Date"] = format_datetime(utcnow())
    # Stable across retries, so a receiver can recognise a mail sent twice.
    stamp = mail.created_at.strftime("%Y%m%d%H%M%S") if mail.created_at else "0"
    msg["Message-ID"] = f"<{stamp}.{mail.id}.outbox@{sender.domain}>"
    msg["Auto-Submitted"] = "auto-generated"
    msg["Content-Language"] = LANGS.get(mail.lang, "en")
    return msg


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def mask_recipient(mail: OutboxMail) -> str:
    """The recipient as a log may show it: ``z***@example.com`` or ``138****5678``."""
    if mail.channel == "sms":
        from .sms import mask_mobile

        return mask_mobile(mail.to_addr)
    return mask_email(mail.to_addr)


def _record_failure(mail: OutboxMail, error: str) -> None:
    mail.attempts = (mail.attempts or 0) + 1
    masked = error.replace(mail.to_addr, mask_recipient(mail)) if mail.to_addr else error
    mail.last_error = masked[:500]
    log.warning("%s %s not sent (attempt %s of %s): kind=%s ref=%s to=%s: %s", mail.channel or "mail", mail.id, mail.attempts,
                MAX_ATTEMPTS, mail.kind, mail.ref, mask_recipient(mail), masked[:500])


def _pending(limit: int, channel: str = "mail") -> sa.Select:
    return (
        sa.select(OutboxMail)
        .where(OutboxMail.sent_at.is_(None), OutboxMail.attempts < MAX_ATTEMPTS, OutboxMail.channel == channel)
        .order_by(OutboxMail.created_at, OutboxMail.id)
        .limit(limit)
    )


def _connect(config) -> smtplib.SMTP:
    smtp = smtplib.SMTP(config["MAIL_SERVER"], config.get("MAIL_PORT") or 25, timeout=SMTP_TIMEOUT)
    try:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls(context=ssl.create_default_context())
        username, password = config.get("MAIL_USERNAME"), config.get("MAIL_PASSWORD")
        if username and password:
            smtp.login(username, password)
    except BaseException:
        smtp.close()
        raise
    return smtp


# Functions that queue mails a request left to the sender (see ``mail_producer``).
_PRODUCERS: list = []


def mail_producer(produce):
    """Register ``produce(limit) -> int`` (a decorator): queue up to ``limit`` mails that a
    busy request left to the sender, and say how many records it handled.  A request that
    must answer fast records only what happened (a new service request, with nothing
    rendered); ``produce_pending()`` renders and queues its mails later, in the sender's
    own transaction: ``flask send-mail`` and, with ``MAIL_SERVER`` set,
    ``deliver_after_commit()``."""
    _PRODUCERS.append(produce)
    return produce


def produce_pending(limit: int = 50) -> int:
    """Run every registered producer once and commit what they queued."""
    done = sum(produce(limit) for produce in _PRODUCERS)
    if done:
        db.session.commit()
    return done


def deliver_pending(limit: int = 50) -> tuple[int, int]:
    """Queue what the producers left (``produce_pending``), then send up to ``limit``
    unsent mails, oldest first, over one SMTP connection, and up to ``limit`` unsent
    text messages through the SMS gateway (``app.core.sms``), and commit.  Returns
    ``(sent, failed)`` of both channels.  A failed message counts an attempt and keeps its
    error; after MAX_ATTEMPTS it is no longer tried (``send-mail --retry-failed``).
    Without ``MAIL_SERVER`` no mail is sent (without ``SMS_GATEWAY`` no SMS): they are
    logged (recipient masked) and stay in the outbox.  Call it after the caller's
    commit: it commits the session."""
    from .sms import deliver_sms

    produce_pending(limit)
    mail_sent, mail_failed = _deliver_mails(limit)
    sms_sent, sms_failed = deliver_sms(limit)
    return mail_sent + sms_sent, mail_failed + sms_failed


def _deliver_mails(limit: int) -> tuple[int, int]:
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        for mail in db.session.scalars(_pending(limit)):
            log.info("mail %s waiting in the outbox (MAIL_SERVER not set): kind=%s ref=%s to=%s",
                     mail.id, mail.kind, mail.ref, mask_email(mail.to_addr))
        return 0, 0

    sender = _sender()  # a configuration error: raised, and no attempt counted
    # Row locks (PostgreSQL) so two workers delivering at once skip each other's mails.
    batch = list(db.session.scalars(_pending(limit).with_for_update(skip_locked=True)))
    if not batch:
        db.session.commit()
        return 0, 0

    sent = failed = 0
    try:
        smtp = _connect(config)
    except Exception as exc:  # noqa: BLE001 - server down, TLS or login refused
        for mail in batch:
            _record_failure(mail, _describe(exc))
        db.session.commit()
        return 0, len(batch)

    try:
        for mail in batch:
            try:
                smtp.send_message(_build_message(mail, sender))
            except smtplib.SMTPServerDisconnected as exc:
                _record_failure(mail, _describe(exc))
                failed += 1
                break  # the connection is gone: the rest wait for the next run
            except Exception as exc:  # noqa: BLE001 - one bad mail must not stop the others
                _record_failure(mail, _describe(exc))
                failed += 1
            else:
                mail.sent_at = utcnow()
                mail.last_error = None
                sent += 1
    finally:
        try:
            smtp.quit()
        except Exception:  # noqa: BLE001
            smtp.close()
        db.session.commit()
    return sent, failed


def deliver_after_commit() -> tuple[int, int]:
    """``deliver_pending()`` for use right after a request's commit: any error is
    logged and swallowed (the mails stay in the outbox), so a mail problem never turns
    a successful submission into an error page.  Without ``MAIL_SERVER`` and without
    ``SMS_GATEWAY`` it returns at once: the messages wait in the outbox, and those left
    to the producers wait unrendered (``flask send-mail`` queues, lists and sends them later)."""
    from .sms import sms_enabled

    if not current_app.config.get("MAIL_SERVER") and not sms_enabled():
        return 0, 0
    try:
        return deliver_pending()
    except Exception:  # noqa: BLE001
        log.warning("mail delivery failed; the mails stay in the outbox", exc_info=True)
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001
            log.warning("rollback after a mail delivery failure failed", exc_info=True)
        return 0, 0
