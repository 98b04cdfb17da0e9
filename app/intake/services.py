"""Writes of the one-stop intake: filing, the closed loop's steps, ratings, retention.

Every function changes the session and leaves the commit to its caller, except
``submit_request`` which owns its transaction (the tracking counter must be the first
write of a short transaction).  Staff actions write an audit record; changes the
requester should know about queue an e-mail in the same transaction."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ..core import audit
from ..core.db import begin_write, upsert_insert, writing
from ..core.mail import external_url, mail_lang, mail_producer, queue_mail
from ..core.sms import mobile_number, queue_sms, sms_enabled
from ..core.timeutil import utcnow
from ..core.uploads import StoredFile, delete_stored
from ..core.workdays import SHANGHAI, calendar, due_date
from ..core.errors import ServiceError
from ..extensions import db
from .forms import normalize_phone, normalize_text
from .models import (
    OPEN_STAGES,
    STAGES,
    TRANSITIONS,
    ApiKey,
    RequestAttachment,
    RequestDepartment,
    RequestEvent,
    ServiceRequest,
    TrackingCounter,
)

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
DEFAULT_PROMISED_DAYS = 5  # "something else" requests, and services without a time limit


class IntakeError(ServiceError):
    """A requester or staff action that cannot be done now (a translated message)."""


# --- tracking numbers and access codes ----------------------------------------------


def next_tracking_no(year: int) -> str:
    """LS-YYYY-NNNNNN from one atomic upsert … RETURNING on the year's counter row:
    concurrent transactions queue on that row (PostgreSQL) or on the write lock
    (SQLite), so no two requests get the same number."""
    statement = upsert_insert(db.session, TrackingCounter).values(year=year, last_no=1)
    statement = statement.on_conflict_do_update(index_elements=[TrackingCounter.year], set_={"last_no": TrackingCounter.last_no + 1})
    number = db.session.execute(statement.returning(TrackingCounter.last_no)).scalar_one()
    return f"LS-{year}-{number:06d}"


def access_code_for(submission_key: str) -> str:
    """The access code of the request filed with this form token: derived (HMAC with
    the secret key) so that a repeated submission of the same form, and the sender's
    receipt mail (``announce_pending``), can show it again.  The key alone is not enough
    to be shown it: see ``submitter_hash``."""
    digest = hmac.new(current_app.config["SECRET_KEY"].encode(), b"access:" + submission_key.encode(), hashlib.sha256).digest()
    value = int.from_bytes(digest[:8], "big")
    chars = []
    for _i in range(8):
        value, index = divmod(value, len(CODE_ALPHABET))
        chars.append(CODE_ALPHABET[index])
    return "".join(chars[:4]) + "-" + "".join(chars[4:])


def random_access_code() -> str:
    """A fresh access code (recovery by SMS): random, not derived from anything."""
    chars = [secrets.choice(CODE_ALPHABET) for _i in range(8)]
    return "".join(chars[:4]) + "-" + "".join(chars[4:])


def hash_code(code: str) -> str:
    return hashlib.sha256(normalize_code(code).encode()).hexdigest()


def normalize_code(code: str) -> str:
    cleaned = "".join(c for c in normalize_text(code).upper() if c.isalnum())
    return cleaned[:4] + "-" + cleaned[4:] if len(cleaned) == 8 else cleaned


def code_matches(req: ServiceRequest, code: str) -> bool:
    return hmac.compare_digest(req.access_code_hash, hash_code(code or ""))


def new_submission_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(24)).decode().rstrip("=")


def new_public_token() -> str:
    """The Open311 POST's ``token``: random, and nothing else is derived from it."""
    return secrets.token_urlsafe(24)


def submitter_hash(submission_key: str, submitter: str | None) -> str | None:
    """Which session sent a form: an HMAC (secret key) of the form's key and the session's
    own secret (its CSRF seed), stored with the request.  A second POST of the same form is
    shown the access code only when it comes with the same session (a second click, a
    reload); someone who merely knows the key (it is in the page's HTML) gets no code."""
    if not submitter:
        return None
    message = b"submitter:" + submission_key.encode() + b":" + submitter.encode()
    return hmac.new(current_app.config["SECRET_KEY"].encode(), message, hashlib.sha256).hexdigest()


# --- filing ------------------------------------------------------------------------


@dataclass
class Filed:
    request: ServiceRequest
    code: str | None  # None: the form was filed before from another session (no code for it)
    created: bool  # False: this form had already been submitted
    tracking_no: str

    @property
    def request_id(self) -> int:
        return self.request.id


def submit_request(data: dict, files: list[StoredFile], submission_key: str, source: str = "web",
                   submitter: str | None = None, public_token: str | None = None) -> Filed:
    """File a request and commit.  ``data``: entry (a GuideEntry, or None for "something
    else"), building (a Building), company_name, contact_name, phone, email, description,
    reply_lang, and optionally unlisted (the requester's "do not list publicly") and urgent.
    Idempotent per ``submission_key``: a second call returns the first request, with its
    access code only if ``submitter`` (the sending session's secret) is the first call's.
    ``public_token``: the Open311 token to store with the request.

    One transaction writes the year's counter, the request, its first event, its
    attachments and the mails that announce it (the receipt with the access code, the
    department's staff, the building's council): all of them or none.  The caller sends
    them after the commit (``deliver_after_commit``); without a mail server they wait in
    the outbox for ``flask send-mail``."""
    entry, building = data.get("entry"), data["building"]
    promised = entry.promised_days if entry is not None and entry.promised_days else DEFAULT_PROMISED_DAYS
    # On SQLite the counter's write must not follow reads in a deferred transaction (it
    # could not wait for the write lock): the read transaction ends here, and this one
    # begins IMMEDIATE (a POST's do already).
    if not writing(db.session):
        begin_write(db.session)
    code = access_code_for(submission_key)
    mine = submitter_hash(submission_key, submitter)
    if db.session.scalar(sa.select(ServiceRequest.id).where(ServiceRequest.submission_key == submission_key)) is None:
        now = utcnow()
        req = ServiceRequest(
            tracking_no=next_tracking_no(now.astimezone(SHANGHAI).year),
            access_code_hash=hash_code(code),
            submission_key=submission_key,
            submitter_hash=mine,
            public_token=public_token,
            source=source,
            entry=entry,
            building=building,
            department=entry.department if entry is not None else None,
            company_name=normalize_text(data.get("company_name")) or None,
            contact_name=normalize_text(data.get("contact_name")) or None,
            phone=normalize_phone(data.get("phone")) if data.get("phone") else None,
            email=(data.get("email") or "").strip() or None,
            description=normalize_text(data["description"]),
            reply_lang=data.get("reply_lang") if data.get("reply_lang") in ("zh", "en") else "zh",
            unlisted=bool(data.get("unlisted")),
            urgent=bool(data.get("urgent")),
            stage="received",
            consent_at=now,
            created_at=now,
            updated_at=now,
            due_on=due_date(now, promised, calendar()),
            reopen_count=0,
            announced_at=now,
        )
        db.session.add(req)
        event = RequestEvent(request=req, kind="submitted", public=True, by_requester=True, to_stage="received",
                             department=req.department, created_at=now, body="")
        db.session.add(event)
        try:
            db.session.flush()  # the same form filed at this moment by another worker: the insert waits for it, then fails
        except IntegrityError:
            db.session.rollback()
        else:
            for stored in files:
                db.session.add(_attachment(req, stored, event))
            _notify_requester(req, "received", code=code)
            _notify_new(req, req.department_id)
            tracking_no = req.tracking_no
            db.session.commit()
            return Filed(req, code, True, tracking_no)
    # This form was filed before (a second click, a reload): nothing is written, the
    # number goes back, and the first request is answered.
    db.session.rollback()
    for stored in files:
        delete_stored(stored.storage_name)
    first = db.session.scalars(sa.select(ServiceRequest).where(ServiceRequest.submission_key == submission_key)).one()
    same = mine is not None and first.submitter_hash is not None and hmac.compare_digest(mine, first.submitter_hash)
    # A code renewed by SMS since (``renew_access_code``) replaced the derived one.
    same = same and hmac.compare_digest(first.access_code_hash, hash_code(code))
    return Filed(first, code if same else None, False, first.tracking_no)


@mail_producer
def announce_pending(limit: int = 50) -> int:
    """Queue the new-request mails of up to ``limit`` requests filed since the last run:
    the receipt with the access code to the requester (in the reply language), the lead
    department's staff and the building's council.  The mails and ``announced_at`` are
    written in one transaction (the caller commits), so each request is announced once;
    on PostgreSQL two senders skip each other's rows, on SQLite the write lock orders them.
    A filing announces its request itself (``submit_request``): this is for requests
    recorded without their mails (filed by an earlier version)."""
    if not writing(db.session):
        begin_write(db.session)
    pending = sa.select(ServiceRequest).where(ServiceRequest.announced_at.is_(None)).order_by(ServiceRequest.id).limit(limit)
    if db.session.get_bind().dialect.name == "postgresql":
        pending = pending.with_for_update(skip_locked=True, of=ServiceRequest)
    reqs = db.session.scalars(pending).all()
    now = utcnow()
    for req in reqs:
        code = access_code_for(req.submission_key) if req.submission_key else None
        if code is not None and not code_matches(req, code):
            code = None  # renewed by SMS before the receipt went out: the old one opens nothing
        _notify_requester(req, "received", code=code)
        _notify_new(req, req.department_id)
        req.announced_at = now
    return len(reqs)


def _attachment(req: ServiceRequest, stored: StoredFile, event: RequestEvent | None) -> RequestAttachment:
    return RequestAttachment(
        request=req, event_id=event.id if event is not None else None, storage_name=stored.storage_name,
        original_name=stored.original_name, content_type=stored.content_type, size=stored.size,
    )


def _event(req: ServiceRequest, kind: str, public: bool, actor=None, **fields) -> RequestEvent:
    event = RequestEvent(request=req, kind=kind, public=public, actor_id=actor.id if actor is not None else None, created_at=utcnow(), **fields)
    db.session.add(event)
    db.session.flush()
    return event


def _first_response(req: ServiceRequest) -> None:
    if req.first_response_at is None:
        set_first_response(req, utcnow())


def set_first_response(req: ServiceRequest, when) -> None:
    """The first answer, and whether it came within one working day (响应率 counts these;
    kept on the row so the boards aggregate instead of computing calendars per row)."""
    req.first_response_at = when
    cal = calendar()
    start = req.created_at.astimezone(SHANGHAI).date()
    answered = when.astimezone(SHANGHAI).date()
    req.first_response_on_time = cal.working_days_between(start, answered) <= 1


# --- the requester -----------------------------------------------------------------


def add_info(req: ServiceRequest, body: str, files: list[StoredFile]) -> RequestEvent:
    if req.stage == "closed":
        raise IntakeError(_("This request is closed. Please file a new request."))
    event = _event(req, "info", public=True, by_requester=True, body=normalize_text(body))
    for stored in files:
        db.session.add(_attachment(req, stored, event))
    _notify_department(req, req.department_id, "info")
    return event


def rate(req: ServiceRequest, rating: int, comment: str) -> None:
    """The requester's satisfaction (1–5) once resolved; closes the request."""
    if req.stage != "resolved":
        raise IntakeError(_("A request can be rated once it is resolved."))
    req.rating = rating
    req.rating_comment = normalize_text(comment)[:500] or None
    _event(req, "rating", public=True, by_requester=True, from_stage=req.stage, to_stage="closed", body=req.rating_comment or "")
    req.stage = "closed"
    req.closed_at = utcnow()


def reopen(req: ServiceRequest, reason: str) -> None:
    """Not solved: back to the lead department, in progress."""
    if req.stage != "resolved":
        raise IntakeError(_("Only a resolved request can be reopened."))
    _event(req, "reopen", public=True, by_requester=True, from_stage=req.stage, to_stage="in_progress", body=normalize_text(reason))
    req.stage = "in_progress"
    req.resolved_at = None
    req.reopen_count += 1
    _notify_department(req, req.department_id, "reopened")


# --- staff -------------------------------------------------------------------------


def _audit(action: str, req: ServiceRequest, actor, before=None, after=None) -> None:
    audit.record(action, req, before=before, after=after, actor=actor, building_id=req.building_id)


def change_stage(req: ServiceRequest, to_stage: str, actor, note: str = "") -> None:
    if to_stage not in TRANSITIONS.get(req.stage, ()):
        raise IntakeError(_("A request cannot move from “%(from)s” to “%(to)s”.", **{"from": STAGES[req.stage], "to": STAGES.get(to_stage, to_stage)}))
    before = req.stage
    _event(req, "stage", public=True, actor=actor, from_stage=before, to_stage=to_stage, body=normalize_text(note))
    req.stage = to_stage
    now = utcnow()
    if to_stage == "resolved":
        req.resolved_at = now
    if to_stage == "closed":
        req.closed_at = now
    if to_stage in OPEN_STAGES:
        req.resolved_at = req.closed_at = None
    _first_response(req)
    _audit("request.stage", req, actor, {"stage": before}, {"stage": to_stage})
    _notify_requester(req, "stage", body=normalize_text(note))


def reply(req: ServiceRequest, actor, body: str, public: bool) -> RequestEvent:
    event = _event(req, "reply" if public else "note", public=public, actor=actor, body=body.strip())
    if public:
        _first_response(req)
        _notify_requester(req, "reply", body=body.strip())
    _audit("request.reply" if public else "request.note", req, actor, None, {"event": event.id})
    return event


def transfer(req: ServiceRequest, department, reason: str, actor) -> None:
    """改派: the lead department changes; the new one is told."""
    if department.id == req.department_id:
        raise IntakeError(_("The request is already with this department."))
    before = req.department_id
    _event(req, "transfer", public=True, actor=actor, department_id=department.id, body=normalize_text(reason))
    req.department_id = department.id
    req.department = department
    db.session.execute(sa.delete(RequestDepartment).where(RequestDepartment.request_id == req.id, RequestDepartment.department_id == department.id))
    _audit("request.transfer", req, actor, {"department_id": before}, {"department_id": department.id, "reason": reason})
    _notify_department(req, department.id, "transferred")
    _notify_requester(req, "transfer")


def add_cohandler(req: ServiceRequest, department, actor) -> None:
    """协办: another department works on it beside the lead."""
    if department.id == req.department_id or any(c.department_id == department.id for c in req.cohandlers):
        raise IntakeError(_("This department already handles the request."))
    req.cohandlers.append(RequestDepartment(department_id=department.id, department=department))
    _event(req, "cohandler", public=True, actor=actor, department_id=department.id)
    _audit("request.cohandler", req, actor, None, {"department_id": department.id})
    _notify_department(req, department.id, "cohandling")
    _notify_requester(req, "cohandler", body=department.loc("name").text)


def mark_duplicate(req: ServiceRequest, original: ServiceRequest, actor) -> None:
    """并单: the requester is pointed to the original request; this one closes."""
    if original.id == req.id or original.duplicate_of_id == req.id:
        raise IntakeError(_("A request cannot be merged into itself."))
    before = req.stage
    req.duplicate_of = original
    _event(req, "duplicate", public=True, actor=actor, from_stage=before, to_stage="closed", body=original.tracking_no)
    req.stage = "closed"
    req.closed_at = utcnow()
    _first_response(req)
    _audit("request.duplicate", req, actor, {"stage": before}, {"duplicate_of": original.tracking_no})
    _notify_requester(req, "duplicate", body=original.tracking_no)


def assign_department(req: ServiceRequest, department, actor) -> None:
    """Bulk assignment from the queue: the lead department is set (or changed)."""
    if department.id == req.department_id:
        return
    before = req.department_id
    _event(req, "assign", public=True, actor=actor, department_id=department.id)
    req.department_id = department.id
    req.department = department
    _audit("request.assign", req, actor, {"department_id": before}, {"department_id": department.id})
    _notify_department(req, department.id, "new")
    _notify_requester(req, "transfer")


def phone_matches(req: ServiceRequest, phone: str | None) -> bool:
    """Whether ``phone`` (as typed) is the mobile number the request was filed with."""
    typed = normalize_phone(phone) if phone else None
    stored = mobile_number(req.phone) if req.personal_data_purged_at is None else None
    return bool(typed and stored) and hmac.compare_digest(typed, stored)


def renew_access_code(req: ServiceRequest) -> None:
    """A new access code, sent by SMS to the request's mobile number: the old code stops
    opening the request.  Recorded on the staff timeline (not the public one); the caller
    commits, then delivers (the SMS is in the outbox with the change)."""
    mobile = mobile_number(req.phone)
    if mobile is None or req.personal_data_purged_at is not None or not sms_enabled():
        raise IntakeError(_("No text message can be sent for this request."))
    code = random_access_code()
    req.access_code_hash = hash_code(code)
    _event(req, "recover", public=False, by_requester=True)
    lang = req.reply_lang if req.reply_lang in ("zh", "en") else "zh"
    with force_locale(lang):
        text = _("The new access code of your request %(no)s is %(code)s. The old code no longer works. "
                 "If you did not ask for it, you may ignore this message.", no=req.tracking_no, code=code)
    queue_sms(mobile, text, lang=lang, kind="request.recover", ref=req.tracking_no)


def reveal_contact(req: ServiceRequest, actor) -> None:
    """Staff see the whole phone number only through this logged step."""
    _event(req, "reveal", public=False, actor=actor)
    _audit("request.reveal_contact", req, actor)


# --- notifications -----------------------------------------------------------------

# What the requester is told by SMS too (when SMS is configured and the phone is a mobile):
# the receipt, a public reply, a stage change (a merge closes the request).
SMS_EVENTS = ("received", "stage", "reply", "duplicate")


def _notify_requester(req: ServiceRequest, what: str, code: str | None = None, body: str = "") -> None:
    if req.personal_data_purged_at is not None:
        return
    if what in SMS_EVENTS:
        _sms_requester(req, what, code=code, body=body)
    if not req.email:
        return
    from flask import render_template

    lang = req.reply_lang
    with force_locale(lang):
        dept = req.department.loc("name").text if req.department is not None else _("the building council")
        subject = {
            "received": _("Request %(no)s received", no=req.tracking_no),
            "stage": _("Request %(no)s: %(stage)s", no=req.tracking_no, stage=STAGES[req.stage]),
            "reply": _("Request %(no)s: a reply from %(dept)s", no=req.tracking_no, dept=dept),
            "transfer": _("Request %(no)s: passed to %(dept)s", no=req.tracking_no, dept=dept),
            "duplicate": _("Request %(no)s: merged into %(other)s", no=req.tracking_no, other=body),
            "cohandler": _("Request %(no)s: %(other)s joins to help", no=req.tracking_no, other=body),
        }[what]
        link = external_url("intake.status", lang_code=lang, tracking_no=req.tracking_no, code=code)
        text = render_template("intake/mail/requester.txt", req=req, what=what, code=code, body=body, dept=dept, link=link, stages=STAGES)
    queue_mail(req.email, subject, text, lang=lang, kind=f"request.{what}", ref=req.tracking_no)


def _sms_requester(req: ServiceRequest, what: str, code: str | None = None, body: str = "") -> None:
    """A short text in the requester's language: the tracking number, what happened and
    the status page's link.  The access code goes in the receipt only when there is no
    e-mail address (else it is in the e-mail, and a text message stays code-free); a
    reply's own words stay on the status page."""
    mobile = mobile_number(req.phone)
    if mobile is None or not sms_enabled():
        return
    lang = req.reply_lang if req.reply_lang in ("zh", "en") else "zh"
    with force_locale(lang):
        dept = req.department.loc("name").text if req.department is not None else _("the building council")
        link = external_url("intake.status", lang_code=lang, tracking_no=req.tracking_no)
        if what == "received" and code and not req.email:
            text = _("Your request %(no)s was received. Access code: %(code)s (keep it). Follow it: %(link)s",
                     no=req.tracking_no, code=code, link=link)
        elif what == "received":
            text = _("Your request %(no)s was received. Follow it: %(link)s", no=req.tracking_no, link=link)
        elif what == "stage":
            text = _("Your request %(no)s is now: %(stage)s. Details: %(link)s", no=req.tracking_no, stage=STAGES[req.stage], link=link)
        elif what == "reply":
            text = _("%(dept)s replied to your request %(no)s. Read it: %(link)s", dept=dept, no=req.tracking_no, link=link)
        else:  # duplicate
            text = _("Your request %(no)s was merged into %(other)s. Details: %(link)s", no=req.tracking_no, other=body, link=link)
    queue_sms(mobile, text, lang=lang, kind=f"request.{what}", ref=req.tracking_no)


def _staff_recipients(*where) -> sa.Select:
    """Active accounts to mail about a request: only the columns the mail needs."""
    from ..auth.models import User

    return sa.select(User.email, User.locale, User.notify_new, User.notify_updates).where(User.active.is_(True), *where)


def _notify_department(req: ServiceRequest, department_id: int | None, what: str) -> None:
    """E-mail the department's active staff (in each one's language) about a request."""
    if department_id is None:
        return
    from ..auth.models import User

    _notify_staff(req, _staff_recipients(User.department_id == department_id, User.role == "staff"), what)


def _notify_new(req: ServiceRequest, department_id: int | None) -> None:
    """A new request: the lead department's staff, and the building's council, which is
    always told (一口受理: they follow it)."""
    from ..auth.models import User, user_building

    _notify_department(req, department_id, "new")
    council = _staff_recipients(User.role == "council", User.id.in_(
        sa.select(user_building.c.user_id).where(user_building.c.building_id == req.building_id)))
    _notify_staff(req, council, "building")


def _notify_staff(req: ServiceRequest, recipients: sa.Select, what: str) -> None:
    """Queue one mail per recipient who wants it (account preferences: new requests, and
    later events), rendered once per language."""
    from flask import render_template

    new = what in ("new", "building")
    rendered: dict[str, tuple[str, str]] = {}
    for email, locale, notify_new, notify_updates in db.session.execute(recipients):
        if not (notify_new if new else notify_updates):
            continue
        lang = mail_lang(locale)
        if lang not in rendered:
            with force_locale(lang):
                subject = {
                    "new": _("New request %(no)s for your department", no=req.tracking_no),
                    "transferred": _("Request %(no)s transferred to your department", no=req.tracking_no),
                    "cohandling": _("Your department is asked to co-handle request %(no)s", no=req.tracking_no),
                    "info": _("Request %(no)s: the requester added information", no=req.tracking_no),
                    "reopened": _("Request %(no)s was reopened by the requester", no=req.tracking_no),
                    "building": _("New request %(no)s in your building", no=req.tracking_no),
                }[what]
                link = external_url("intake_staff.detail", lang_code=lang, tracking_no=req.tracking_no)
                rendered[lang] = subject, render_template("intake/mail/staff.txt", req=req, what=what, link=link, stages=STAGES)
        subject, text = rendered[lang]
        queue_mail(email, subject, text, lang=lang, kind=f"staff.{what}", ref=req.tracking_no)


# --- retention and API keys ---------------------------------------------------------


def purge_personal_data(older_than_days: int) -> int:
    """Remove the contact data of requests closed more than ``older_than_days`` ago,
    and their attachments; the anonymous record and its statistics stay."""
    cutoff = utcnow() - timedelta(days=older_than_days)
    reqs = db.session.scalars(
        sa.select(ServiceRequest).where(
            ServiceRequest.stage == "closed", ServiceRequest.closed_at < cutoff, ServiceRequest.personal_data_purged_at.is_(None)
        )
    ).all()
    now = utcnow()
    for req in reqs:
        req.company_name = req.contact_name = req.phone = req.email = None
        req.personal_data_purged_at = now
        for attachment in list(req.attachments):
            delete_stored(attachment.storage_name)
            db.session.delete(attachment)
    audit.record("request.purge_personal_data", target_type="service_request", after={"count": len(reqs), "older_than_days": older_than_days})
    return len(reqs)


def create_api_key(name: str) -> str:
    key = "ls_" + secrets.token_urlsafe(30)
    db.session.add(ApiKey(name=name, key_hash=hashlib.sha256(key.encode()).hexdigest()))
    return key


def api_key_valid(key: str | None) -> ApiKey | None:
    if not key:
        return None
    found = db.session.scalar(sa.select(ApiKey).where(ApiKey.key_hash == hashlib.sha256(key.encode()).hexdigest(), ApiKey.active.is_(True)))
    if found is not None:
        found.last_used_at = utcnow()
    return found

