"""Boards forms: registering for an event."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from ..intake.forms import Clean, Phone


class RegistrationForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(message=_l("Enter your name.")), Length(max=60), Clean(1)])
    phone = StringField(_l("Phone"), validators=[DataRequired(message=_l("Enter a phone number.")), Length(max=30), Phone()])
