"""一口受理, the public side: the request form, the confirmation, the requester's page and
the look-up by tracking number + access code.  No account: the access code (kept in the
session once entered) is the key to a request's details."""

from __future__ import annotations

import hashlib
import hmac
import time
from functools import lru_cache

from flask import Blueprint, abort, current_app, flash, redirect, request, send_file, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from ..core import uploads
from ..core.forms import choices
from ..core.handlers import Done, submit
from ..core.i18n import current_lang
from ..core.mail import deliver_after_commit
from ..core.sms import sms_enabled
from ..core.rendering import render
from ..core.security import mark_private, private_page
from ..extensions import client_ip, db, limiter
from ..guide.models import CATEGORIES
from .emergency import emergency_kinds, numbers_for
from .forms import TRACKING_NO, AccessForm, InfoForm, RateForm, RecoverForm, ReopenForm, RequestForm, TrackForm, normalize_phone, normalize_text
from . import progress
from .models import EVENT_KINDS, REPLY_LANGS, STAGES
from ..org.queries import building_by_slug
from .queries import (
    active_entry, building_choices, by_tracking_no, public_events, company_optional, service_choices, service_emergency,
)
from . import stash
from .services import (
    IntakeError, add_info, code_matches, new_submission_key, phone_matches, rate, renew_access_code, reopen, submit_request,
)

bp = Blueprint("intake", __name__, url_prefix="/<lang:lang_code>")

ACCESS_KEY = "request_access"  # tracking numbers this browser has unlocked
MAX_REMEMBERED = 20


def _intake_limit():
    return current_app.config["INTAKE_LIMIT"]


def _track_limit():
    return current_app.config["TRACK_LIMIT"]


# --- how often a wrong access code may be tried ------------------------------------
# Every way of presenting a code (the e-mail link's ?code=, the unlock form, the look-up)
# counts its wrong codes against one limit per tracking number and one per client IP, in
# the rate limiter's storage (memory, Redis, or wherever the limiter keeps its counters).
# A right code counts nothing; once a limit is reached, every code is refused (429) until
# the window passes, the right one too.  Nothing of this goes into the visitor's session.


@lru_cache(maxsize=16)
def _limit_item(text: str):
    from limits import parse

    return parse(text)


def _code_limits(tracking_no: str | None) -> list:
    config = current_app.config
    prefix = config.get("RATELIMIT_KEY_PREFIX") or "loushi"
    limits = [(_limit_item(config["ACCESS_CODE_LIMIT_PER_IP"]), (prefix, "access-code", "ip", client_ip()))]
    if tracking_no:
        limits.append((_limit_item(config["ACCESS_CODE_LIMIT_PER_REQUEST"]), (prefix, "access-code", "request", tracking_no)))
    return limits


def _codes_refused(tracking_no: str | None) -> int | None:
    """Seconds until a code may be tried again, or None while both limits allow one."""
    return _limits_wait(_code_limits(tracking_no))


def _limits_wait(limits: list) -> int | None:
    """Seconds until every one of ``limits`` allows one more, or None while they all do."""
    if not limiter.enabled:
        return None
    waits = []
    for item, keys in limits:
        if not limiter.limiter.test(item, *keys):
            reset = limiter.limiter.get_window_stats(item, *keys).reset_time
            waits.append(max(1, int(reset - time.time()) + 1))
    return max(waits) if waits else None


def _try_code(tracking_no: str | None, req, code: str) -> tuple[bool, int | None]:
    """(whether ``code`` opens ``req``, seconds to wait when refused).  A wrong code (or
    a number without a request) counts against both limits; a refused one is not checked."""
    wait = _codes_refused(tracking_no)
    if wait is not None:
        return False, wait
    if req is not None and code_matches(req, code):
        return True, None
    if limiter.enabled:
        for item, keys in _code_limits(tracking_no):
            limiter.limiter.hit(item, *keys)
    return False, None


def _too_many() -> str:
    return _("Too many wrong access codes were tried for this request or from your network. Please try again later.")


def _refused(response, wait: int):
    response.headers["Retry-After"] = str(wait)
    return response


# --- the form ----------------------------------------------------------------------


def _request_form() -> RequestForm:
    form = RequestForm()
    services, places, _digest, personal = _choices()
    form.service.choices = services
    form.building.choices = places
    form.personal_services = personal  # where the company name may stay empty
    form.reply_lang.choices = choices(REPLY_LANGS.items())
    return form


def _choices():
    """(services, buildings, digest of both, the service codes whose company name is
    optional): the form's lists in the current language."""
    return _choice_lists()


def _choice_lists():
    zh = current_lang() == "zh"
    service_rows = db.session.execute(service_choices()).all()
    building_rows = db.session.execute(building_choices()).all()
    grouped: dict[str, list] = {}
    personal = frozenset(["other"] + [row.slug for row in service_rows if company_optional(row)])
    for slug, category, title_zh, title_en, _audience, _sensitive in service_rows:
        grouped.setdefault(str(CATEGORIES.get(category, category)), []).append((slug, title_zh if zh or not title_en else title_en))
    services = {"": choices([("", _("Choose a service"))]), **{k: choices(v) for k, v in grouped.items()},
                _("Not in the guide"): choices([("other", _("Something else"))])}
    places = choices(
        [("", _("Choose your building"))] + [(slug, name_zh if zh or not name_en else name_en) for slug, name_zh, name_en in building_rows]
    )
    digest = hashlib.sha256(repr((service_rows, building_rows)).encode("utf-8")).hexdigest()[:16]
    return services, places, digest, personal


def _field_context() -> dict:
    """Hints under the form's fields, the same on the page and in an inline re-check."""
    return {
        "field_hints": {
            "service": _("Choose from the Service Guide; if it is not there, choose “Something else”."),
            "description": _("What happened, what you need, and by when. At least 10 characters."),
            "phone": _("A mobile number or a landline with its area code."),
            "email": _("We send your tracking number and every reply here."),
            "company_name": _("Not needed when the request is about you personally: services for employees "
                              "(such as legal aid, mediation of a labour dispute or counselling) and “Something else”."),
            "unlisted": _("Public pages list a request's service, stage and date, never your name, company or contact "
                          "details; the open-data interface (Open311) also shows what you wrote, with phone numbers and "
                          "e-mail addresses removed. Tick this and your request appears only in the totals. Sensitive "
                          "services (legal aid, labour disputes, counselling, hardship aid and similar) and “Something "
                          "else” are never listed anyway."),
        },
        # The service list, enhanced by static/js/picker.js into a combobox fed by the
        # guide's own search (guide.suggest); without JavaScript it is a plain <select>.
        "combobox_fields": {"service": {
            "data-combobox": "", "data-suggest-url": url_for("guide.suggest"), "data-text-name": "service_text",
            "data-hint": _("Type a word in Chinese, pinyin or English, then choose a service from the list (↓ ↑ and Enter)."),
            "data-msg-none": _("No service found. Try another word, or choose “Something else”."),
            "data-msg-one": _("1 service found. Use ↓ to hear it."),
            "data-msg-many": _("%(num)s services found. Use ↓ and ↑ to hear them.", num="{n}"),
            "data-msg-chosen": _("Chosen: %(service)s", service="{label}"),
        }},
    }


def _files(field) -> list:
    return [f for f in (field.data or []) if getattr(f, "filename", "")]


@bp.route("/requests/new", methods=["GET", "POST"])
def new_request():
    if request.method != "POST":  # GET, HEAD
        return _blank_form()
    return _file_request()


# The rate limits sit on the POST handler: on the view they would be evaluated for every GET too.
@limiter.limit(_intake_limit)
def _file_request():
    form = _request_form()  # Flask-WTF reads request.form and request.files itself
    key = form.submission_key.data or ""
    if len(key) < 20 or len(key) > 64:
        form.submission_key.data = new_submission_key()
        key = ""
    # Files kept from an earlier try of this form by this session (app/intake/stash.py).
    owner = stash.owner_hash(form.submission_key.data, _form_session())
    kept = stash.listed(form.submission_key.data, owner, for_update=True)
    removing = request.form.get("remove_stashed")
    # "Remove" on a kept file (without JS: the form comes back, nothing else is checked).
    valid = form.validate() if removing is None else False
    files = _files(form.attachments)
    upload_errors = uploads.validate_many(files, len(kept), sum(row.pixels for row in kept)) if files else []
    if upload_errors:
        form.attachments.errors = uploads.form_errors(upload_errors, kept=bool(kept) and owner is not None)
        valid = False
    if not valid or not key:
        status = 200 if removing is not None and not upload_errors else 422
        return _render_form(form, status=status, stashed=_keep(form, owner, kept, [] if upload_errors else files, removing))
    building = db.session.scalar(building_by_slug(form.building.data))
    if building is None:  # removed since the form was shown
        form.building.errors = [_("Choose your building.")]
        return _render_form(form, status=422, stashed=_keep(form, owner, kept, files, None))
    entry = db.session.scalar(active_entry(form.service.data))  # None: "something else", or an entry gone meanwhile
    stored = stash.take(kept) + [uploads.store(f) for f in files]  # the kept ones are moved, not read again
    filed = submit_request(
        {
            "entry": entry, "building": building, "company_name": form.company_name.data, "contact_name": form.contact_name.data,
            "phone": form.phone.data, "email": form.email.data, "description": form.description.data, "reply_lang": form.reply_lang.data,
            "unlisted": form.unlisted.data, "urgent": form.urgent.data,
        },
        stored,
        key,
        submitter=_form_session(),
    )
    return _filed(filed, stored, kept)


def _filed(filed, stored: list, kept: list):
    """After the filing: files of a repeated submission dropped, the stash forgotten, the
    receipt sent (after the commit), and the person sent on to the confirmation."""
    if not filed.created:
        for item in stored:  # the first submission kept its own files
            uploads.delete_stored(item.storage_name)
    if kept:
        stash.forget(kept)
        db.session.commit()
    deliver_after_commit()
    if filed.code is None:
        # This form was sent before from another session: whoever merely knows its key
        # (from the page's HTML, an old Open311 token) is told so, without the code.
        flash(_("This form was sent already, and its request is shown below. Its access code was given to the person who sent it."), "info")
        return redirect(url_for("intake.status", tracking_no=filed.tracking_no), code=303)
    session["new_request"] = {"no": filed.tracking_no, "code": filed.code}
    _grant(filed.tracking_no)
    return redirect(url_for("intake.submitted", tracking_no=filed.tracking_no), code=303)


def _keep(form, owner: str | None, kept: list, files: list, removing: str | None) -> list:
    """A form going back to its sender: drop the kept file the person removed, keep the
    accepted new ones (written to the stash), commit; the list to show.  Without a
    session to bind them to, nothing is kept and the form says to choose files again."""
    db.session.rollback()  # nothing of the failed try is written, but the stash
    key = form.submission_key.data
    kept = stash.listed(key, owner)
    if removing is not None:
        stash.remove(key, owner, removing)
        kept = [row for row in kept if str(row.id) != removing]
    if files and owner is not None:
        kept += stash.keep(key, owner, [uploads.stash(f) for f in files])
    elif files:
        form.attachments.errors = list(form.attachments.errors or []) + [
            _("Everything else you typed is kept, but files are not: please choose them again.")]
    db.session.commit()
    return kept


@bp.route("/requests/new/stashed", methods=["POST"])
@limiter.limit(_track_limit)  # carries no file: not counted as a filing
def remove_stashed():
    """htmx: "Remove" on a kept file; answers the list of the files still kept.  (Without
    JS the same button sends the whole form: ``_file_request``.)"""
    return _remove_stashed(stash.REQUEST_FORM)


def _remove_stashed(scope: str):
    key = request.form.get("submission_key", "")
    owner = stash.owner_hash(key, _form_session(), scope)
    stash.remove(key, owner, request.form.get("remove_stashed", ""))
    db.session.commit()
    return render("intake/_stashed.html", stashed=stash.listed(key, owner), removed=True)


def _form_session() -> str | None:
    """The sending session's own secret: the seed of its CSRF tokens (a valid POST has one;
    the form's page made it).  Both clicks of a double submit carry the same one."""
    value = session.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
    return value if isinstance(value, str) and value else None


def _blank_form():
    form = _request_form()
    service, building = request.args.get("service", ""), request.args.get("building", "")
    if service and db.session.scalar(active_entry(service)) is not None:
        form.service.data = service
    if building and db.session.scalar(building_by_slug(building)) is not None:
        form.building.data = building
    form.reply_lang.data = str(get_locale().language) if str(get_locale().language) in REPLY_LANGS else "zh"
    form.submission_key.data = new_submission_key()
    return _render_form(form)


def _emergency_context(form: RequestForm) -> dict:
    """The "call first" notice's kinds: those the description suggests (shown inline under
    it) and the chosen service's own (guide_entry.emergency), for the notice above the form."""
    typed = emergency_kinds(form.description.data)
    service = form.service.data or ""
    kind = db.session.scalar(service_emergency(service)) if service and service != "other" else None
    return {"typed_emergency": typed, "notice_kinds": ([kind] if kind else []) + [k for k in typed if k != kind]}


def _render_form(form: RequestForm, status: int = 200, stashed=()):
    return render("intake/new.html", form=form, status=status, max_files=uploads.max_upload_files(), stashed=list(stashed), **_field_context(),
                  **_emergency_context(form), typed_service="" if form.service.data else (form.service_text.data or ""),
                  max_size=uploads.format_size(uploads.max_upload_bytes()), retention_days=current_app.config["RETENTION_DAYS"])


@bp.route("/requests/new/check", methods=["POST"])
def check_field():
    """htmx: validate one field as the person leaves it; returns that field's markup."""
    name = request.args.get("field", "")
    form = _request_form()
    if name not in RequestForm.INLINE:
        abort(404)
    field = form[name]
    field.validate(form)
    if not (field.data or "").strip():
        field.errors = []  # an empty field is only an error on submit
    return render("intake/_field.html", field=field, name=name, **_field_context(),
                  typed_emergency=emergency_kinds(field.data) if name == "description" else [])


@bp.route("/requests/<tracking_no>/submitted")
@private_page  # the access code
def submitted(tracking_no: str):
    info = session.get("new_request") or {}
    req = _load(tracking_no)
    if info.get("no") != tracking_no:
        return redirect(url_for("intake.status", tracking_no=tracking_no))
    from ..core.mail import mask_email
    from ..core.sms import mask_mobile, mobile_number

    mobile = mobile_number(req.phone) if sms_enabled() else None
    return render("intake/submitted.html", req=req, code=info.get("code"), stages=STAGES, mail_to=mask_email(req.email),
                  sms_to=mask_mobile(mobile) if mobile else None, sms_configured=sms_enabled(),
                  typed_emergency=emergency_kinds(req.description))


# --- the requester's page --------------------------------------------------------


def _load(tracking_no: str):
    if not TRACKING_NO.match(tracking_no or ""):
        abort(404)
    req = db.session.scalar(by_tracking_no(tracking_no))
    if req is None:
        abort(404)
    return req


def _granted(tracking_no: str) -> bool:
    return tracking_no in session.get(ACCESS_KEY, [])


def _grant(tracking_no: str) -> None:
    remembered = [n for n in session.get(ACCESS_KEY, []) if n != tracking_no]
    session[ACCESS_KEY] = (remembered + [tracking_no])[-MAX_REMEMBERED:]


@bp.route("/requests/<tracking_no>")
def status(tracking_no: str):
    code = request.args.get("code")
    if code is None and not _granted(tracking_no):
        # The locked view shows the stage only.
        if not TRACKING_NO.match(tracking_no or ""):
            abort(404)
        return _status_page(_load(tracking_no))
    req = _load(tracking_no)
    if code is not None:
        # The link from the confirmation e-mail: unlock, then drop the code from the URL.
        # A wrong code is answered here (no flash: nothing goes into the session).
        if _granted(tracking_no) or not code.strip():
            return redirect(url_for("intake.status", tracking_no=tracking_no), code=303)
        opened, wait = _try_code(req.tracking_no, req, code)
        if opened:
            _grant(tracking_no)
            return redirect(url_for("intake.status", tracking_no=tracking_no), code=303)
        form = AccessForm()
        if wait is not None:
            form.code.errors = [_too_many()]
            return _refused(_status_page(req, status=429, access_form=form), wait)
        form.code.errors = [_("That access code does not open this request.")]
        return _status_page(req, status=422, access_form=form)
    return _status_page(req)


def _status_page(req, status: int = 200, access_form=None, info_form=None, rate_form=None, reopen_form=None, stashed=()):
    unlocked = _granted(req.tracking_no)
    # The step sentence names the department and the promised date to the requester only
    # (the locked page is the same for anyone who has the tracking number).
    context = {"req": req, "unlocked": unlocked, "stages": STAGES, "kinds": EVENT_KINDS,
               "steps": progress.steps(req), "now": progress.now_sentence(req, progress.today(), detailed=unlocked),
               "images": IMAGE_TYPES}
    if unlocked:
        mark_private()  # the requester's own text and replies: private, no-store
        if info_form is None:
            info_form = InfoForm()
            info_form.submission_key.data = new_submission_key()
        context.update(
            events=db.session.scalars(public_events(req)).all(),
            info_form=info_form,
            stashed=list(stashed),
            rate_form=rate_form or RateForm(),
            reopen_form=reopen_form or ReopenForm(),
        )
    else:
        context["access_form"] = access_form or AccessForm()
    return render("intake/status.html", status=status, **context)


@bp.route("/requests/<tracking_no>/unlock", methods=["POST"])
@limiter.limit(_track_limit)
def unlock(tracking_no: str):
    req = _load(tracking_no)
    form = AccessForm()
    if form.validate():
        opened, wait = _try_code(req.tracking_no, req, form.code.data)
        if opened:
            _grant(tracking_no)
            return redirect(url_for("intake.status", tracking_no=tracking_no), code=303)
        if wait is not None:
            form.code.errors = [_too_many()]
            return _refused(_status_page(req, status=429, access_form=form), wait)
    if form.code.data:
        form.code.errors = [_("That access code does not open this request.")]
    return _status_page(req, status=422, access_form=form)


def _unlocked(tracking_no: str):
    req = _load(tracking_no)
    if not _granted(tracking_no):
        abort(403)
    return req


@bp.route("/requests/<tracking_no>/info", methods=["POST"])
@limiter.limit(_intake_limit)
def info(tracking_no: str):
    req = _unlocked(tracking_no)
    form = InfoForm()
    key = form.submission_key.data or ""
    if len(key) < 20 or len(key) > 64:
        form.submission_key.data = new_submission_key()
    # Files kept from an earlier try of this form (app/intake/stash.py), as on the request form.
    owner = stash.owner_hash(form.submission_key.data, _form_session(), stash.info_scope(req.tracking_no))
    kept = stash.listed(form.submission_key.data, owner, for_update=True)
    removing = request.form.get("remove_stashed")
    valid = form.validate() if removing is None else False
    files = _files(form.attachments)
    errors = uploads.validate_many(files, len(kept), sum(row.pixels for row in kept)) if files else []
    if errors:
        form.attachments.errors = uploads.form_errors(errors, kept=bool(kept) and owner is not None)
        valid = False
    if not valid:
        status = 200 if removing is not None and not errors else 422
        stashed = _keep(form, owner, kept, [] if errors else files, removing)
        return _status_page(_load(tracking_no), status=status, info_form=form, stashed=stashed)
    stored = stash.take(kept) + [uploads.store(f) for f in files]

    def added():
        add_info(req, form.body.data, stored)
        if kept:
            stash.forget(kept)

    return submit(
        form,
        valid=True,
        page=lambda: _status_page(req, info_form=form),
        field=form.body,
        act=added,
        on_error=lambda: [uploads.delete_stored(item.storage_name) for item in stored],
        done=lambda _done: Done(_("Thank you: your information was added."), _status_url(req)),
    )


def _status_url(req) -> str:
    return url_for("intake.status", tracking_no=req.tracking_no)


@bp.route("/requests/<tracking_no>/info/stashed", methods=["POST"])
@limiter.limit(_track_limit)
def remove_stashed_info(tracking_no: str):
    """htmx: "Remove" on a file kept for the add-information form."""
    req = _unlocked(tracking_no)
    return _remove_stashed(stash.info_scope(req.tracking_no))


@bp.route("/requests/<tracking_no>/rate", methods=["POST"])
def rate_request(tracking_no: str):
    req = _unlocked(tracking_no)
    form = RateForm()
    return submit(
        form,
        page=lambda: _status_page(req, rate_form=form),
        field=form.rating,
        act=lambda: rate(req, int(form.rating.data), form.comment.data or ""),
        done=lambda _done: Done(_("Thank you for your rating."), _status_url(req)),
    )


@bp.route("/requests/<tracking_no>/reopen", methods=["POST"])
def reopen_request(tracking_no: str):
    req = _unlocked(tracking_no)
    form = ReopenForm()
    return submit(
        form,
        page=lambda: _status_page(req, reopen_form=form),
        field=form.reason,
        act=lambda: reopen(req, form.reason.data),
        done=lambda _done: Done(_("Your request was reopened and sent back to the department."), _status_url(req)),
    )


@bp.route("/requests/<tracking_no>/files/<int:attachment_id>")
def attachment(tracking_no: str, attachment_id: int):
    req = _unlocked(tracking_no)
    return send_attachment(req, attachment_id)


# Photos the pages show inline (a thumbnail linking to the full image); every other file
# type is only ever a download.
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


def send_attachment(req, attachment_id: int):
    """The file as a download, for the requester or staff; a photo asked for with
    ``?view=1`` is sent inline (for <img> and "click to enlarge"), still sandboxed and
    never sniffed.  Any other type is a download whatever is asked."""
    found = next((a for a in req.attachments if a.id == attachment_id), None)
    if found is None:
        abort(404)
    try:
        path = uploads.open_stored(found.storage_name)
    except FileNotFoundError:
        abort(404)
    inline = request.args.get("view") == "1" and found.content_type in IMAGE_TYPES
    response = send_file(path, mimetype=found.content_type, as_attachment=not inline, download_name=found.original_name, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- look-up -----------------------------------------------------------------------


@bp.route("/track", methods=["GET", "POST"])
def track():
    if request.method != "POST":  # GET, HEAD
        return render("intake/track.html", form=TrackForm())
    return _look_up()


# The rate limits sit on the POST handler: on the view they would be evaluated for every GET too.
@limiter.limit(_track_limit)
def _look_up():
    form = TrackForm()
    if form.validate():
        number = form.tracking_no.data.strip().upper()
        known = TRACKING_NO.match(number) is not None
        req = db.session.scalar(by_tracking_no(number)) if known else None
        # A number without a request counts too: the answers do not tell them apart.
        opened, wait = _try_code(number if known else None, req, form.code.data)
        if opened:
            _grant(number)
            return redirect(url_for("intake.status", tracking_no=number), code=303)
        if wait is not None:
            form.code.errors = [_too_many()]
            return _refused(render("intake/track.html", form=form, status=429), wait)
        # Same message whether the number exists or not: nothing is revealed.
        form.code.errors = [_("No request matches this tracking number and access code.")]
    return render("intake/track.html", form=form, status=422)


# --- a lost access code --------------------------------------------------------------
# The tracking number and the mobile number the request was filed with: a new access code
# by SMS (the old one stops working).  Every valid attempt counts, whether or not the pair
# matches (each match sends a text message), against one limit per tracking number, one per
# phone number (a keyed hash: no number in the limiter's storage) and one per client IP, in
# the rate limiter's storage as the access-code limits above.  The answer is the same page
# whether or not the pair matched.


def _recover_limits(tracking_no: str | None, phone: str) -> list:
    config = current_app.config
    prefix = config.get("RATELIMIT_KEY_PREFIX") or "loushi"
    phone_key = hmac.new(config["SECRET_KEY"].encode(), b"recover-phone:" + phone.encode(), hashlib.sha256).hexdigest()[:32]
    limits = [(_limit_item(config["RECOVER_LIMIT_PER_IP"]), (prefix, "recover", "ip", client_ip())),
              (_limit_item(config["RECOVER_LIMIT_PER_PHONE"]), (prefix, "recover", "phone", phone_key))]
    if tracking_no:
        limits.append((_limit_item(config["RECOVER_LIMIT_PER_REQUEST"]), (prefix, "recover", "request", tracking_no)))
    return limits


def _recover_page(form, status: int = 200, sent: bool = False):
    return render("intake/recover.html", form=form, status=status, sent=sent, sms=sms_enabled())


@bp.route("/track/recover", methods=["GET", "POST"])
def recover():
    if request.method != "POST":  # GET, HEAD
        return _recover_page(RecoverForm())
    return _recover_code()


@limiter.limit(_track_limit)
def _recover_code():
    mark_private()  # the typed phone number may come back in the form
    form = RecoverForm()
    if not sms_enabled() or not form.validate():
        return _recover_page(form, status=422 if sms_enabled() else 200)
    number = form.tracking_no.data.strip().upper()
    known = TRACKING_NO.match(number) is not None
    phone = normalize_phone(form.phone.data) or normalize_text(form.phone.data)
    limits = _recover_limits(number if known else None, phone)
    wait = _limits_wait(limits)
    if wait is not None:
        form.phone.errors = [_("Too many new codes were asked for this request, this phone number or from your network. "
                               "Please try again later.")]
        return _refused(_recover_page(form, status=429), wait)
    if limiter.enabled:
        for item, keys in limits:
            limiter.limiter.hit(item, *keys)
    req = db.session.scalar(by_tracking_no(number)) if known else None
    if req is not None and phone_matches(req, form.phone.data):
        try:
            renew_access_code(req)
            db.session.commit()
        except IntakeError:
            db.session.rollback()
        else:
            deliver_after_commit()
    else:
        db.session.rollback()
    # The same answer whether or not the pair matched.
    return _recover_page(RecoverForm(formdata=None), sent=True)


@bp.app_template_global("emergency_numbers")
def _emergency_numbers(kinds=(), general=True):
    """[(number, label)] for the "call first" notice (templates/macros/emergency.html)."""
    return numbers_for(kinds, general)
