"""``flask --app wsgi send-mail``: queue the mails that requests left to the sender (a
new service request's receipt and staff notices), then deliver what is waiting in the
outbox: e-mail over SMTP, text messages through the SMS gateway (``app.core.sms``).  Run it from cron or a systemd timer; with ``MAIL_SERVER`` set, mails are
also sent right after the commit that queues them, so this catches up after the mail
server was down or not set."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import with_appcontext

from ..extensions import db
from .mail import MAX_ATTEMPTS, OutboxMail, deliver_pending, produce_pending

MAX_PRODUCE_ROUNDS = 200


def _count(*where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMail).where(OutboxMail.sent_at.is_(None), *where))


@click.command("send-mail")
@click.option("--batch-size", default=50, show_default=True, type=click.IntRange(min=1),
              help="Mails sent over one SMTP connection.")
@click.option("--retry-failed", is_flag=True,
              help=f"Try again the mails given up after {MAX_ATTEMPTS} failed attempts.")
@with_appcontext
def send_mail_command(batch_size: int, retry_failed: bool) -> None:
    """Send the mails waiting in the outbox; exit status 1 when some could not be sent."""
    if retry_failed:
        reset = db.session.execute(
            sa.update(OutboxMail)
            .where(OutboxMail.sent_at.is_(None), OutboxMail.attempts >= MAX_ATTEMPTS)
            .values(attempts=0)
        ).rowcount
        db.session.commit()
        click.echo(f"{reset} given-up mail(s) queued again.")
    # Everything the producers have waiting, in batches; bounded like the sending below.
    produced = 0
    for _ in range(MAX_PRODUCE_ROUNDS):
        done = produce_pending(batch_size)
        produced += done
        if done < batch_size:
            break
    if produced:
        click.echo(f"{produced} new request(s) announced: their mails are queued.")
    from .sms import sms_enabled

    mail_on, sms_on = bool(current_app.config.get("MAIL_SERVER")), sms_enabled()
    if not mail_on:
        waiting_mail = _count(OutboxMail.channel == "mail")
        if not sms_on:
            click.echo(f"MAIL_SERVER is not set: nothing sent; {waiting_mail} mail(s) wait in the outbox.")
            sms_waiting = _count(OutboxMail.channel == "sms")
            if sms_waiting:
                click.echo(f"SMS_GATEWAY is not set: {sms_waiting} text message(s) wait in the outbox.")
            return
        click.echo(f"MAIL_SERVER is not set: no mail sent; {waiting_mail} mail(s) wait in the outbox.")
    sent = failed = 0
    # Bounded, so mails queued meanwhile (or a mail that keeps coming back) cannot keep
    # one run going for ever: whatever is left waits for the next run.
    rounds = _count(OutboxMail.attempts < MAX_ATTEMPTS) // batch_size + MAX_ATTEMPTS + 1
    for _ in range(rounds):
        s, f = deliver_pending(batch_size)
        sent, failed = sent + s, failed + f
        # Stop when the outbox is empty, or when a round sent nothing (server down):
        # the next run tries again instead of using up every attempt now.
        if s == 0 or s + f < batch_size:
            break
    waiting = _count(OutboxMail.attempts < MAX_ATTEMPTS)
    given_up = _count(OutboxMail.attempts >= MAX_ATTEMPTS)
    click.echo(f"Sent {sent}, failed {failed}; {waiting} waiting, {given_up} given up "
               f"after {MAX_ATTEMPTS} attempts (see --retry-failed).")
    if failed:
        raise SystemExit(1)


def register(app: Flask) -> None:
    app.cli.add_command(send_mail_command)
