"""Sign in and sign out: /<lang>/login, /<lang>/logout."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..core.rendering import render
from ..extensions import db, limiter, login_manager
from .forms import LoginForm, LogoutForm
from .models import User
from .queries import normalize_email
from .services import authenticate, record_login, sign_out

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


def _login_account_key() -> str:
    return "login-account:" + normalize_email(request.form.get("email", ""))


def _failed(response) -> bool:
    return response.status_code != 303


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    key_func=_login_account_key,
    methods=["POST"],
    deduct_when=_failed,
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("council.dashboard"), code=303)
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next")) or ""
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            session.clear()  # no session fixation: nothing from before sign-in survives
            login_user(user, remember=form.remember.data)
            record_login(user)
            db.session.commit()
            flash(_("You are signed in."), "success")
            return redirect(safe_next(form.next.data) or url_for("council.dashboard"), code=303)
        form.password.errors.append(_("The email or password is not correct."))
    status = 422 if request.method == "POST" else 200
    return render("auth/login.html", form=form, status=status)


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
        return redirect(url_for("core.home"), code=303)
    return render("auth/logout.html", form=form, status=422 if request.method == "POST" else 200)
