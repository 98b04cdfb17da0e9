from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, RadioField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from ..core.forms import Form, choices


class LoginForm(Form):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me signed in on this device (14 days)"))
    next = HiddenField()
    submit = SubmitField(_l("Sign in"))


class LogoutForm(Form):
    submit = SubmitField(_l("Sign out"))


class CodeForm(Form):
    """The second step of signing in: a code from the app, or a recovery code."""

    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=64)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "text", "autocapitalize": "none", "spellcheck": "false"},
    )
    submit = SubmitField(_l("Continue"))


class ForgotForm(Form):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    submit = SubmitField(_l("Send me a link"))


class NewPasswordForm(Form):
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(max=128)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("New password, again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords are not the same."))],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Save the password"))


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=200)], render_kw={"autocomplete": "current-password"}
    )


class PreferencesForm(Form):
    locale = RadioField(_l("Language of the workspace and of e-mails"), choices=choices([("zh", "中文"), ("en", "English")]), validators=[DataRequired()])
    notify_new = BooleanField(_l("E-mail me about new requests in my scope"))
    notify_updates = BooleanField(_l("E-mail me when a request I handle is transferred, co-handled, added to or reopened"))
    submit = SubmitField(_l("Save preferences"))


class EnableTwoStepForm(Form):
    code = StringField(
        _l("The 6-digit code the app shows"),
        validators=[DataRequired(), Length(max=64)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )
    submit = SubmitField(_l("Turn on two-step sign-in"))


class ConfirmPasswordForm(Form):
    """Re-authentication before a sensitive change (ASVS 3.7.1)."""

    password = PasswordField(_l("Your password"), validators=[DataRequired(), Length(max=200)], render_kw={"autocomplete": "current-password"})
    submit = SubmitField(_l("Confirm"))
