"""Sign in (password, then a TOTP or recovery code where two-step sign-in is on), sign
out, "forgot password" and the one-time password links: /<lang>/login, /<lang>/login/
two-step, /<lang>/login/forgot, /<lang>/password/<token>, /<lang>/logout."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user

from ..core import audit
from ..core.logsafe import pseudonym
from ..core.mail import deliver_after_commit
from ..core.rendering import render
from ..core.security import no_store
from ..extensions import db, limiter, login_manager
from . import throttle
from .forms import CodeForm, ForgotForm, LoginForm, LogoutForm, NewPasswordForm
from .models import User
from .queries import normalize_email
from .services import UserError, authenticate, record_login, redeem_token, request_reset, sign_out, valid_token
from .totp import needs_setup, verify_second_step

bp = Blueprint("auth", __name__, url_prefix="/<lang:lang_code>")


@login_manager.user_loader
def load_user(cookie_id: str) -> User | None:
    user_id, _sep, token = (cookie_id or "").partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_token != token:
        return None
    return user


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: no scheme, no host, no //, no backslash."""
    if not target:
        return None
    target = target.strip()
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    if any(ord(c) < 32 for c in target):
        return None
    return target


def _failed(response) -> bool:
    return response.status_code != 303


def complete_sign_in(user: User, remember: bool, next_url: str | None, *, two_step: bool = False):
    """A new session for ``user`` (nothing from before survives: no fixation)."""
    session.clear()
    login_user(user, remember=remember)
    record_login(user, two_step=two_step)
    db.session.commit()
    if needs_setup(user):
        flash(_("Your role requires two-step sign-in. Set it up now to continue."), "info")
        response = redirect(url_for("account.two_step"), code=303)
    else:
        flash(_("You are signed in."), "success")
        response = redirect(next_url or url_for("council.dashboard"), code=303)
    # This browser is now known to the account: strangers' wrong passwords do not hold it.
    return throttle.set_device_cookie(response, user.email)


def _blank_login():
    form = LoginForm()
    form.next.data = safe_next(request.args.get("next")) or ""
    return render("auth/login.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("council.dashboard"), code=303)
    if request.method != "POST":  # GET, HEAD
        return _blank_login()
    return _sign_in()


# The rate limit sits on the POST handler: on the view it would be evaluated for every GET too.
# Per account, wrong passwords earn growing waits (app/auth/throttle.py), not a lockout.
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"])
def _sign_in():
    form = LoginForm()
    if form.validate():
        subject = throttle.subject_for(form.email.data)
        wait = throttle.wait_seconds(subject)
        if wait:  # refused without looking at the password
            form.password.errors.append(ngettext(
                "Too many attempts to sign in to this account. Try again in %(num)d second.",
                "Too many attempts to sign in to this account. Try again in %(num)d seconds.", wait))
            response = render("auth/login.html", form=form, status=429)
            response.headers["Retry-After"] = str(wait)
            return response
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            throttle.record_success(subject)
            next_url = safe_next(form.next.data)
            if user.totp_enabled:
                # The password was right; the session holds only this pending step
                # (bound to the account's session token, so a revocation ends it too).
                session.clear()
                session["two_step"] = {"uid": user.id, "tok": user.session_token, "remember": bool(form.remember.data),
                                       "next": next_url or "", "at": int(time.time())}
                return redirect(url_for("auth.two_step"), code=303)
            return complete_sign_in(user, bool(form.remember.data), next_url)
        throttle.record_failure(subject)
        form.password.errors.append(_("The email or password is not correct."))
    return render("auth/login.html", form=form, status=422)


def _pending_two_step() -> tuple[User | None, dict]:
    pending = session.get("two_step")
    if not isinstance(pending, dict):
        return None, {}
    if time.time() - pending.get("at", 0) > current_app.config["TWO_STEP_PENDING_SECONDS"]:
        return None, {}
    user = db.session.get(User, pending.get("uid") or 0)
    if user is None or not user.active or user.session_token != pending.get("tok") or not user.totp_enabled:
        return None, {}
    return user, pending


def _two_step_key() -> str:
    pending = session.get("two_step")
    return f"two-step:{pending.get('uid') if isinstance(pending, dict) else 'none'}"


@bp.route("/login/two-step", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"])
@limiter.limit(lambda: current_app.config["TWO_STEP_LIMIT"], key_func=_two_step_key, methods=["POST"], deduct_when=_failed)
def two_step():
    user, pending = _pending_two_step()
    if user is None:
        session.pop("two_step", None)
        flash(_("Your sign-in has expired. Please sign in again."), "info")
        return redirect(url_for("auth.login"), code=303)
    form = CodeForm()
    if form.validate_on_submit():
        if verify_second_step(user, form.code.data):
            return complete_sign_in(user, pending.get("remember", False), safe_next(pending.get("next")), two_step=True)
        audit.record("auth.two_step_failed", user, actor=user)
        db.session.commit()
        form.code.errors.append(_("That code is not correct or has already been used. Wait for the next code and try again."))
    return no_store(render("auth/two_step.html", form=form, status=422 if request.method == "POST" else 200))


def _reset_email_key() -> str:
    return "reset:" + pseudonym(normalize_email(request.form.get("email", "")))


@bp.route("/login/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RESET_LIMIT"], methods=["POST"])
@limiter.limit(lambda: current_app.config["RESET_LIMIT"], key_func=_reset_email_key, methods=["POST"])
def forgot():
    form = ForgotForm()
    if form.validate_on_submit():
        request_reset(form.email.data)
        db.session.commit()
        deliver_after_commit()
        # The same answer whether or not the address has an account.
        return render("auth/forgot_sent.html", email=normalize_email(form.email.data))
    return render("auth/forgot.html", form=form, status=422 if request.method == "POST" else 200)


@bp.route("/password/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"])
def set_password(token: str):
    found = valid_token(token)
    if found is None:
        return no_store(render("auth/link_invalid.html", status=410))
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            redeem_token(token, form.password.data)
        except UserError as exc:
            form.password.errors.append(str(exc))
        else:
            db.session.commit()
            deliver_after_commit()
            if current_user.is_authenticated:
                logout_user()
            session.clear()
            flash(_("Your password is saved. Sign in with it now."), "success")
            return redirect(url_for("auth.login"), code=303)
    return no_store(render("auth/set_password.html", form=form, user=found.user, purpose=found.purpose,
                           status=422 if request.method == "POST" else 200))


@bp.route("/logout", methods=["GET", "POST"])
@login_required
def logout():
    form = LogoutForm()
    if form.validate_on_submit():
        sign_out(current_user._get_current_object())
        db.session.commit()
        session.clear()
        logout_user()  # after clear(): it marks the remember-me cookie for deletion
        flash(_("You are signed out."), "success")
        return redirect(url_for("home.home"), code=303)
    return render("auth/logout.html", form=form, status=422 if request.method == "POST" else 200)
