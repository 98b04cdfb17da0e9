"""Wish wall forms: posting (with a honeypot and a signed start time), reporting, and the
moderators' forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, FileField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..core.forms import ChoiceSelect, Form
from ..intake.forms import Clean, KnownChoice
from .models import NAME_MAX, WISH_MAX


class WishForm(Form):
    building = SelectField(_l("Building"), validators=[InputRequired(message=_l("Choose your building.")), KnownChoice(_l("Choose your building."))], validate_choice=False)
    body = TextAreaField(
        _l("Your wish"),
        validators=[DataRequired(message=_l("Write your wish.")), Length(max=WISH_MAX, message=_l("At most %(max)d characters.", max=WISH_MAX)), Clean(4)],
    )
    display_name = StringField(_l("Name to show (optional)"), validators=[Optional(), Length(max=NAME_MAX, message=_l("At most %(max)d characters.", max=NAME_MAX))])
    contact = StringField(_l("Private contact for follow-up (optional)"), validators=[Optional(), Length(max=120)])
    # Anti-abuse: people never see "website"; the start time is signed by the server.
    website = StringField(_l("Leave this empty"))
    started = HiddenField()


class ReportForm(Form):
    reason = TextAreaField(_l("What is wrong with it?"), validators=[DataRequired(message=_l("Tell us what is wrong.")), Length(max=500), Clean(2)])


class RejectForm(Form):
    reason = TextAreaField(_l("Reason (kept internally)"), validators=[Optional(), Length(max=500)])


class EditForm(Form):
    text = TextAreaField(_l("Text shown on the wall"), validators=[DataRequired(message=_l("Write your wish.")), Length(max=WISH_MAX)])


class ClaimForm(Form):
    resource = SelectField(_l("Resource"), validators=[InputRequired(message=_l("Choose a resource."))], validate_choice=True, widget=ChoiceSelect())
    plan = TextAreaField(_l("Plan"), validators=[DataRequired(message=_l("Describe the plan.")), Length(max=1000)])
    target_on = DateField(_l("Target date"), validators=[Optional()])


class FulfilForm(Form):
    result = TextAreaField(_l("Result"), validators=[DataRequired(message=_l("Describe what was done.")), Length(max=1000)])
    photo = FileField(_l("Photo (optional)"))


class ProjectForm(Form):
    title_zh = StringField(_l("Project title (Chinese)"), validators=[DataRequired(message=_l("Enter a title.")), Length(max=160)])
    title_en = StringField(_l("Project title (English)"), validators=[Optional(), Length(max=200)])


class ResourceForm(Form):
    building = SelectField(_l("Building"), validators=[Optional()], validate_choice=True)
    org_zh = StringField(_l("Organisation (Chinese)"), validators=[DataRequired(message=_l("Enter the organisation.")), Length(max=120)])
    org_en = StringField(_l("Organisation (English)"), validators=[Optional(), Length(max=160)])
    offer_zh = TextAreaField(_l("What it offers (Chinese)"), validators=[DataRequired(message=_l("Describe the offer.")), Length(max=300)])
    offer_en = TextAreaField(_l("What it offers (English)"), validators=[Optional(), Length(max=400)])
    contact = StringField(_l("Contact (staff only)"), validators=[Optional(), Length(max=120)])
