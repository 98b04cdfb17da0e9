"""Boards forms: registering for an event."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, DateTimeLocalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from ..core.forms import Form, choices
from ..intake.forms import Clean, Phone
from ..org.models import COUNCIL_ROLES
from .models import DECISION_STATUSES


class RegistrationForm(Form):
    name = StringField(_l("Your name"), validators=[DataRequired(message=_l("Enter your name.")), Length(max=60), Clean(1)])
    # Required unless the person is signed in (then the account identifies them).
    phone = StringField(_l("Phone"), validators=[Length(max=30), Phone()])


# --- staff editing -------------------------------------------------------------------------


class DecisionForm(Form):
    held_on = DateField(_l("Meeting date"), validators=[InputRequired(message=_l("Enter the date."))])
    topic_zh = StringField(_l("Topic (Chinese)"), validators=[DataRequired(message=_l("Enter the topic.")), Length(max=200)])
    topic_en = StringField(_l("Topic (English)"), validators=[Optional(), Length(max=260)])
    decision_zh = TextAreaField(_l("Decision (Chinese)"), validators=[DataRequired(message=_l("Enter the decision.")), Length(max=4000)])
    decision_en = TextAreaField(_l("Decision (English)"), validators=[Optional(), Length(max=6000)])
    follow_up_zh = TextAreaField(_l("Follow-up (Chinese)"), validators=[Optional(), Length(max=2000)])
    follow_up_en = TextAreaField(_l("Follow-up (English)"), validators=[Optional(), Length(max=3000)])
    status = SelectField(_l("Status"), choices=choices(DECISION_STATUSES.items()), default="open")


class NoticeForm(Form):
    title_zh = StringField(_l("Title (Chinese)"), validators=[DataRequired(message=_l("Enter a title.")), Length(max=200)])
    title_en = StringField(_l("Title (English)"), validators=[Optional(), Length(max=260)])
    body_zh = TextAreaField(_l("Text (Chinese)"), validators=[DataRequired(message=_l("Enter the text.")), Length(max=4000)])
    body_en = TextAreaField(_l("Text (English)"), validators=[Optional(), Length(max=6000)])


class EventForm(Form):
    title_zh = StringField(_l("Title (Chinese)"), validators=[DataRequired(message=_l("Enter a title.")), Length(max=200)])
    title_en = StringField(_l("Title (English)"), validators=[Optional(), Length(max=260)])
    description_zh = TextAreaField(_l("Description (Chinese)"), validators=[Optional(), Length(max=4000)])
    description_en = TextAreaField(_l("Description (English)"), validators=[Optional(), Length(max=6000)])
    place_zh = StringField(_l("Place (Chinese)"), validators=[DataRequired(message=_l("Enter the place.")), Length(max=200)])
    place_en = StringField(_l("Place (English)"), validators=[Optional(), Length(max=260)])
    starts_at = DateTimeLocalField(_l("Starts (Shanghai time)"), format="%Y-%m-%dT%H:%M", validators=[InputRequired(message=_l("Enter the start time."))])
    ends_at = DateTimeLocalField(_l("Ends (Shanghai time)"), format="%Y-%m-%dT%H:%M", validators=[InputRequired(message=_l("Enter the end time."))])
    seats = IntegerField(_l("Seats"), validators=[InputRequired(message=_l("Enter the number of seats.")), NumberRange(min=1, max=5000)])
    registration_closes_at = DateTimeLocalField(_l("Registration closes (optional)"), format="%Y-%m-%dT%H:%M", validators=[Optional()])

    def validate_ends_at(self, field):
        if self.starts_at.data and field.data and field.data <= self.starts_at.data:
            raise ValidationError(_l("The end must be after the start."))


class ProjectEditForm(Form):
    title_zh = StringField(_l("Project title (Chinese)"), validators=[DataRequired(message=_l("Enter a title.")), Length(max=160)])
    title_en = StringField(_l("Project title (English)"), validators=[Optional(), Length(max=200)])
    progress = IntegerField(_l("Progress (%)"), validators=[InputRequired(message=_l("Enter the progress.")), NumberRange(min=0, max=100)])
    milestones = TextAreaField(_l("Milestones (one per line; start a line with [x] when done)"), validators=[Optional(), Length(max=4000)])


class MemberForm(Form):
    role = SelectField(_l("Role"), choices=choices(COUNCIL_ROLES.items()), default="member")
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(message=_l("Enter the name.")), Length(max=80)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=120)])
    org_zh = StringField(_l("Organisation (Chinese)"), validators=[Optional(), Length(max=160)])
    org_en = StringField(_l("Organisation (English)"), validators=[Optional(), Length(max=200)])
    title_zh = StringField(_l("Position (Chinese)"), validators=[Optional(), Length(max=120)])
    title_en = StringField(_l("Position (English)"), validators=[Optional(), Length(max=160)])
