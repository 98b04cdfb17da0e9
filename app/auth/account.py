"""Account self-service in the workspace: /<lang>/council/account/ (preferences,
password, two-step sign-in and recovery codes).  Everyone with a workspace may use it."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_user

from ..core.mail import deliver_after_commit
from ..core.qr import qr_svg
from ..core.rendering import render
from ..core.security import no_store
from ..extensions import db
from .forms import ChangePasswordForm, ConfirmPasswordForm, EnableTwoStepForm, PreferencesForm
from .permissions import permission_required
from .services import UserError, change_password, update_preferences
from .totp import disable, enable, grouped, new_secret, provisioning_uri, recovery_codes_left, regenerate_recovery_codes, required_for

bp = Blueprint("account", __name__, url_prefix="/<lang:lang_code>/council/account")


def _me():
    return current_user._get_current_object()


def _stay_signed_in(user) -> None:
    """After a change that ended every session (new password): this browser only
    continues, with the new session token."""
    remember = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
    session.clear()
    login_user(user, remember=remember)


@bp.route("/", methods=["GET"])
@permission_required("account.self")
def index():
    user = _me()
    form = PreferencesForm(locale=user.locale or "zh", notify_new=user.notify_new, notify_updates=user.notify_updates)
    return render("account/index.html", form=form, codes_left=recovery_codes_left(user) if user.totp_enabled else 0,
                  required=required_for(user))


@bp.route("/preferences", methods=["POST"])
@permission_required("account.self")
def preferences():
    user = _me()
    form = PreferencesForm()
    if form.validate_on_submit():
        update_preferences(user, locale=form.locale.data, notify_new=form.notify_new.data, notify_updates=form.notify_updates.data)
        db.session.commit()
        with force_locale(user.locale or "zh"):  # the next page is in the language just chosen
            flash(_("Your preferences are saved."), "success")
        return redirect(url_for("account.index", lang_code=user.locale or "zh"), code=303)
    return render("account/index.html", form=form, codes_left=recovery_codes_left(user) if user.totp_enabled else 0,
                  required=required_for(user), status=422)


@bp.route("/password", methods=["GET", "POST"])
@permission_required("account.self")
def password():
    user = _me()
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            change_password(user, form.current.data, form.password.data)
        except UserError as exc:
            field = form.current if str(exc) == _("The current password is not correct.") else form.password
            field.errors.append(str(exc))
        else:
            db.session.commit()
            deliver_after_commit()
            _stay_signed_in(user)
            flash(_("Your password is changed. Every other device signed in to your account was signed out."), "success")
            return redirect(url_for("account.index"), code=303)
    return render("account/password.html", form=form, status=422 if request.method == "POST" else 200)


def _setup_secret() -> str:
    """The secret being set up lives in the signed session until it is confirmed."""
    secret = session.get("totp_setup")
    if not isinstance(secret, str) or len(secret) != 32:
        secret = session["totp_setup"] = new_secret()
    return secret


def _render_setup(form, status: int = 200):
    user = _me()
    secret = _setup_secret()
    uri = provisioning_uri(user, secret)
    return no_store(render("account/two_step_setup.html", form=form, qr=qr_svg(uri, _("QR code for your authenticator app")),
                           key=grouped(secret), required=required_for(user), status=status))


@bp.route("/two-step", methods=["GET"])
@permission_required("account.self")
def two_step():
    user = _me()
    if not user.totp_enabled:
        return _render_setup(EnableTwoStepForm())
    return _render_manage()


def _render_manage(codes_form=None, off_form=None, status: int = 200):
    user = _me()
    return render("account/two_step.html", codes_left=recovery_codes_left(user), required=required_for(user),
                  codes_form=codes_form or ConfirmPasswordForm(prefix="codes"), off_form=off_form or ConfirmPasswordForm(prefix="off"),
                  status=status)


@bp.route("/two-step", methods=["POST"])
@permission_required("account.self")
def two_step_enable():
    user = _me()
    if user.totp_enabled:
        return redirect(url_for("account.two_step"), code=303)
    form = EnableTwoStepForm()
    if form.validate_on_submit():
        codes = enable(user, _setup_secret(), form.code.data)
        if codes is not None:
            db.session.commit()
            deliver_after_commit()
            session.pop("totp_setup", None)
            flash(_("Two-step sign-in is on."), "success")
            return no_store(render("account/recovery_codes.html", codes=codes))
        form.code.errors.append(_("That code is not correct. Check the time on your phone and enter the code the app shows now."))
    return _render_setup(form, status=422)


def _confirmed(form) -> bool:
    """The person typed their password again (before a sensitive change)."""
    if not form.validate_on_submit():
        return False
    if not _me().check_password(form.password.data):
        form.password.errors.append(_("The password is not correct."))
        return False
    return True


@bp.route("/two-step/recovery-codes", methods=["POST"])
@permission_required("account.self")
def recovery_codes():
    user = _me()
    form = ConfirmPasswordForm(prefix="codes")
    if not user.totp_enabled:
        return redirect(url_for("account.two_step"), code=303)
    if _confirmed(form):
        codes = regenerate_recovery_codes(user)
        db.session.commit()
        deliver_after_commit()
        flash(_("New recovery codes are made; the old ones no longer work."), "success")
        return no_store(render("account/recovery_codes.html", codes=codes))
    return _render_manage(codes_form=form, status=422)


@bp.route("/two-step/off", methods=["POST"])
@permission_required("account.self")
def two_step_disable():
    user = _me()
    form = ConfirmPasswordForm(prefix="off")
    if not user.totp_enabled:
        return redirect(url_for("account.two_step"), code=303)
    if required_for(user):
        flash(_("Your role requires two-step sign-in; it cannot be turned off."), "error")
        return redirect(url_for("account.two_step"), code=303)
    if _confirmed(form):
        disable(user)
        db.session.commit()
        deliver_after_commit()
        flash(_("Two-step sign-in is off."), "success")
        return redirect(url_for("account.index"), code=303)
    return _render_manage(off_form=form, status=422)
