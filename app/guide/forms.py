"""Guide forms: the public search form (GET) and the staff editing form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    URLField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, URL, ValidationError

from ..core.forms import ChoiceSelect, Form, choices
from .models import AUDIENCES, CATEGORIES, EMERGENCY_KINDS, MATERIAL_FORMS, STATUSES


class SearchForm(Form):
    """The guide's filter form: GET, no CSRF (it changes nothing)."""

    class Meta:
        csrf = False

    q = StringField(_l("Search the guide"), validators=[Optional(), Length(max=200)])
    dept = SelectField(_l("Department"), validators=[Optional()], validate_choice=False)
    category = SelectField(_l("Category"), validators=[Optional()], validate_choice=False)
    audience = SelectField(_l("For"), validators=[Optional()], validate_choice=False)


class ConditionForm(Form):
    zh = TextAreaField(_l("Condition (Chinese)"), validators=[Optional(), Length(max=500)])
    en = TextAreaField(_l("Condition (English)"), validators=[Optional(), Length(max=700)])


class MaterialForm(Form):
    name_zh = StringField(_l("Material (Chinese)"), validators=[Optional(), Length(max=200)])
    name_en = StringField(_l("Material (English)"), validators=[Optional(), Length(max=300)])
    form = SelectField(_l("Form"), choices=choices(MATERIAL_FORMS.items()), default="original")
    copies = IntegerField(_l("Copies"), validators=[Optional(), NumberRange(min=0, max=20)], default=1)
    source_zh = StringField(_l("Where to get it (Chinese)"), validators=[Optional(), Length(max=200)])
    source_en = StringField(_l("Where to get it (English)"), validators=[Optional(), Length(max=300)])
    template_url = URLField(_l("Blank form link"), validators=[Optional(), URL(require_tld=True), Length(max=500)])


class StepForm(Form):
    title_zh = StringField(_l("Step (Chinese)"), validators=[Optional(), Length(max=200)])
    title_en = StringField(_l("Step (English)"), validators=[Optional(), Length(max=300)])
    detail_zh = TextAreaField(_l("Details (Chinese)"), validators=[Optional(), Length(max=1000)])
    detail_en = TextAreaField(_l("Details (English)"), validators=[Optional(), Length(max=1500)])


# "Also searched as": a few dozen phrases fit; more would be a second body, not keywords.
KEYWORDS_MAX_ZH = 500
KEYWORDS_MAX_EN = 1000

SLUG = Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", message=_l("Use lower-case letters, digits and hyphens."))


class EntryForm(Form):
    """Both languages side by side; list fields are rows."""

    version = HiddenField()
    slug = StringField(_l("Address (slug)"), validators=[DataRequired(), Length(max=80), SLUG])
    department = SelectField(_l("Department"), coerce=int, validators=[InputRequired()], widget=ChoiceSelect())
    category = SelectField(_l("Category"), choices=choices(CATEGORIES.items()), validators=[DataRequired()], widget=ChoiceSelect())
    audience = SelectField(_l("Who it serves"), choices=choices(AUDIENCES.items()), validators=[DataRequired()], widget=ChoiceSelect())
    status = SelectField(_l("Status"), choices=choices(STATUSES.items()), validators=[DataRequired()], widget=ChoiceSelect())
    sensitive = BooleanField(_l("Sensitive: requests for it are never listed publicly"))
    emergency = SelectField(_l("Emergency"), choices=choices(EMERGENCY_KINDS.items()), default="", validate_choice=True, widget=ChoiceSelect())
    title_zh = StringField(_l("Title (Chinese)"), validators=[DataRequired(), Length(max=160)])
    title_en = StringField(_l("Title (English)"), validators=[Optional(), Length(max=200)])
    summary_zh = TextAreaField(_l("Summary (Chinese)"), validators=[DataRequired(), Length(max=1000)])
    summary_en = TextAreaField(_l("Summary (English)"), validators=[Optional(), Length(max=1500)])
    council_role_zh = TextAreaField(_l("The council's role (Chinese)"), validators=[Optional(), Length(max=1000)])
    council_role_en = TextAreaField(_l("The council's role (English)"), validators=[Optional(), Length(max=1500)])
    keywords_zh = TextAreaField(
        _l("Also searched as (Chinese)"),
        validators=[Optional(), Length(max=KEYWORDS_MAX_ZH, message=_l("Keep the words under %(max)d characters (now %(length)d): drop the rarest ones."))],
    )
    keywords_en = TextAreaField(
        _l("Also searched as (English)"),
        validators=[Optional(), Length(max=KEYWORDS_MAX_EN, message=_l("Keep the words under %(max)d characters (now %(length)d): drop the rarest ones."))],
    )
    conditions = FieldList(FormField(ConditionForm), min_entries=1, max_entries=20)
    materials = FieldList(FormField(MaterialForm), min_entries=1, max_entries=30)
    steps = FieldList(FormField(StepForm), min_entries=1, max_entries=20)
    promised_days = IntegerField(_l("Promised time limit (working days)"), validators=[Optional(), NumberRange(min=0, max=365)])
    legal_days = IntegerField(_l("Statutory time limit (working days)"), validators=[Optional(), NumberRange(min=0, max=365)])
    is_free = BooleanField(_l("Free of charge"))
    fee_zh = StringField(_l("Fee (Chinese)"), validators=[Optional(), Length(max=300)])
    fee_en = StringField(_l("Fee (English)"), validators=[Optional(), Length(max=400)])
    location_zh = StringField(_l("Where (Chinese)"), validators=[Optional(), Length(max=300)])
    location_en = StringField(_l("Where (English)"), validators=[Optional(), Length(max=400)])
    hours_zh = StringField(_l("Hours (Chinese)"), validators=[Optional(), Length(max=200)])
    hours_en = StringField(_l("Hours (English)"), validators=[Optional(), Length(max=240)])
    phone = StringField(_l("Enquiry phone"), validators=[Optional(), Length(max=60), Regexp(r"^[0-9+()\-\s/转,，、]*$", message=_l("Digits, spaces and hyphens only."))])
    complaint_zh = StringField(_l("Supervision and complaints (Chinese)"), validators=[Optional(), Length(max=300)])
    complaint_en = StringField(_l("Supervision and complaints (English)"), validators=[Optional(), Length(max=400)])
    legal_basis_zh = TextAreaField(_l("Legal basis (Chinese)"), validators=[Optional(), Length(max=2000)])
    legal_basis_en = TextAreaField(_l("Legal basis (English)"), validators=[Optional(), Length(max=3000)])
    online_url = URLField(_l("Online service link"), validators=[Optional(), URL(require_tld=True), Length(max=500)])
    last_reviewed_on = DateField(_l("Last reviewed"), validators=[Optional()])
    note = StringField(_l("What changed (for the history)"), validators=[Optional(), Length(max=300)])
    save = SubmitField(_l("Save"))
    preview = SubmitField(_l("Preview"))
    add_condition = SubmitField(_l("Add a condition"))
    add_material = SubmitField(_l("Add a material"))
    add_step = SubmitField(_l("Add a step"))

    def validate_legal_days(self, field):
        if field.data is not None and self.promised_days.data is not None and field.data < self.promised_days.data:
            raise ValidationError(_l("The statutory limit cannot be shorter than the promised one."))

    def validate_fee_zh(self, field):
        if not self.is_free.data and not (field.data or "").strip():
            raise ValidationError(_l("Write out the fee, or tick “Free of charge”."))

    def validate_online_url(self, field):
        if field.data and not field.data.startswith("https://"):
            raise ValidationError(_l("Use an https:// link."))

    def rows(self, name: str) -> list[dict]:
        """The non-empty rows of a list field, as stored."""
        out = []
        for sub in getattr(self, name):
            data = {k: (v.strip() if isinstance(v, str) else v) for k, v in sub.data.items()}
            text = [v for k, v in data.items() if isinstance(v, str) and k not in ("form", "template_url")]
            if any(text):
                out.append(data)
        return out
