"""The one-stop request form, the tracking look-up, and the requester's and staff's forms."""

from __future__ import annotations

import re
import unicodedata

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, StopValidation, ValidationError

from ..core.forms import ChoiceSelect, Form, choice_values, choices
from ..core.text import CONTROL
from .models import REPLY_LANGS

MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}\d{7,8}$")
TRACKING_NO = re.compile(r"^LS-\d{4}-\d{6}$")


# Full-width letters and digits (Ａ, ５) become ASCII; Chinese punctuation (，。？：) stays.
_FULLWIDTH_ALNUM = {c: c - 0xFEE0 for r in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A)) for c in range(r[0], r[1] + 1)}


def normalize_text(value: str | None) -> str:
    """Full-width letters and digits as ASCII, no control or direction characters,
    trimmed; Chinese text and its punctuation are kept as typed."""
    if not value:
        return ""
    return CONTROL.sub("", unicodedata.normalize("NFC", value).translate(_FULLWIDTH_ALNUM)).strip()


def normalize_phone(value: str | None) -> str | None:
    """A Chinese mobile (13812345678) or landline with area code (021-58880000), in the
    form we store; None when it is neither.  Accepts spaces, dashes, brackets, +86/0086
    and full-width digits."""
    digits = re.sub(r"[\s\-()（）]", "", normalize_text(value))
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix):]
    if MOBILE.match(digits):
        return digits
    if LANDLINE.match(digits):
        area = 3 if digits[1] in "12" else 4  # 010, 02x: three digits; others four
        return f"{digits[:area]}-{digits[area:]}"
    return None


def mask_phone(phone: str | None) -> str:
    """138****5678 / 021-****0000: enough to recognise, not enough to call."""
    if not phone:
        return ""
    if "-" in phone:
        area, number = phone.split("-", 1)
        return f"{area}-{'*' * (len(number) - 4)}{number[-4:]}"
    return f"{phone[:3]}****{phone[-4:]}"


# Phone numbers and e-mail addresses typed inside free text (with spaces or dashes).
_TEXT_CONTACTS = re.compile(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # e-mail
    r"|(?<!\d)(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d){8}(?!\d)"  # mobile
    r"|(?<!\d)0\d{2,3}[\s-]?\d{3,4}[\s-]?\d{4}(?!\d)"  # landline with area code
)


def redact_contacts(text: str | None) -> str:
    """``text`` with every phone number and e-mail address in it replaced by "***": what
    a requester wrote, fit to be published (the Open311 ``description``)."""
    return _TEXT_CONTACTS.sub("***", text or "")


class Phone:
    message = _l("Enter a mobile number (11 digits, starting with 1) or a landline with its area code, e.g. 021-58880000.")

    def __call__(self, form, field):
        if field.data and normalize_phone(field.data) is None:
            raise ValidationError(self.message)


class KnownChoice:
    """The value must be one of the field's (possibly grouped) choices, with our message."""

    def __init__(self, message):
        self.message = message

    def __call__(self, form, field):
        if field.data and field.data not in choice_values(field.choices):
            raise ValidationError(self.message)


class Clean:
    """Text must keep something readable after normalisation (not only spaces/emoji-free
    control characters)."""

    def __init__(self, min_length: int = 1):
        self.min_length = min_length

    def __call__(self, form, field):
        if field.data is None:
            return
        value = normalize_text(field.data)
        if len(value) < self.min_length:
            raise ValidationError(_l("Please write at least %(num)d characters.", num=self.min_length))


class CompanyUnlessPersonal:
    """The company name is needed, except for a service about the employee personally
    (the form's ``personal_services``: services for employees, sensitive services and
    "something else", see ``queries.company_optional``); empty is then fine."""

    message = _l("Enter your company's name.")

    def __call__(self, form, field):
        if normalize_text(field.data):
            return
        field.errors[:] = []
        if form.service.data in getattr(form, "personal_services", ()):
            raise StopValidation()  # optional here: no message, no further checks
        raise StopValidation(self.message)


class ChosenNotTyped:
    """The service picker's text box (``service_text``, made by static/js/picker.js) holds
    what the person typed; only an explicit choice from the list sets ``service``.  Text
    typed with nothing chosen gets its own message (and the text is kept on the page)."""

    message = _l("Choose a service from the list, or “Something else”.")

    def __call__(self, form, field):
        if not field.data and normalize_text(form.service_text.data):
            field.errors[:] = []
            raise StopValidation(self.message)


class RequestForm(Form):
    service = SelectField(_l("Service"), validators=[ChosenNotTyped(), InputRequired(message=_l("Choose a service, or “Something else”.")), KnownChoice(_l("Choose a service, or “Something else”."))], validate_choice=False)
    service_text = StringField(validators=[Optional()], filters=[lambda v: (v or "")[:200]])  # the picker's typed text, never filed
    building = SelectField(_l("Building"), validators=[InputRequired(message=_l("Choose your building.")), KnownChoice(_l("Choose your building."))], validate_choice=False)
    company_name = StringField(_l("Company name"), validators=[CompanyUnlessPersonal(), Length(max=120), Clean(2)],
                               render_kw={"autocomplete": "organization"})
    contact_name = StringField(_l("Your name"), validators=[DataRequired(message=_l("Enter your name.")), Length(max=60), Clean(1)],
                               render_kw={"autocomplete": "name"})
    phone = StringField(_l("Phone"), validators=[DataRequired(message=_l("Enter a phone number.")), Length(max=30), Phone()],
                        render_kw={"type": "tel", "inputmode": "tel", "autocomplete": "tel"})
    email = StringField(_l("E-mail (optional)"), validators=[Optional(), Length(max=254), Email(message=_l("Enter a valid e-mail address."), granular_message=False, check_deliverability=False)],
                        render_kw={"type": "email", "autocomplete": "email"})
    description = TextAreaField(
        _l("What do you need?"),
        validators=[DataRequired(message=_l("Describe what you need.")), Length(max=2000), Clean(10)],
    )
    attachments = MultipleFileField(_l("Attachments (optional)"))
    reply_lang = RadioField(_l("Reply to me in"), choices=choices(REPLY_LANGS.items()), default="zh")
    unlisted = BooleanField(_l("Do not list publicly"))
    urgent = BooleanField(_l("This is urgent: it cannot wait for the usual time limit"))
    consent = BooleanField(
        _l("I agree that my details are used to handle this request as described above."),
        validators=[DataRequired(message=_l("Please agree to the notice so that we can handle your request."))],
    )
    submission_key = HiddenField()

    # The fields validated one by one while the person fills the form in (htmx).
    INLINE = ("service", "building", "company_name", "contact_name", "phone", "email", "description")


class TrackForm(Form):
    tracking_no = StringField(_l("Tracking number"), validators=[DataRequired(message=_l("Enter the tracking number.")), Length(max=20)])
    code = StringField(_l("Access code"), validators=[DataRequired(message=_l("Enter the access code.")), Length(max=20)])


class RecoverForm(Form):
    """A lost access code: the tracking number and the mobile number the request was filed with."""

    tracking_no = StringField(_l("Tracking number"), validators=[DataRequired(message=_l("Enter the tracking number.")), Length(max=20)])
    phone = StringField(_l("Mobile number"), validators=[DataRequired(message=_l("Enter the mobile number you gave.")), Length(max=30)])


class AccessForm(Form):
    code = StringField(_l("Access code"), validators=[DataRequired(message=_l("Enter the access code.")), Length(max=20)])


class InfoForm(Form):
    body = TextAreaField(_l("Add information"), validators=[DataRequired(message=_l("Write what you want to add.")), Length(max=2000), Clean(2)])
    attachments = MultipleFileField(_l("Attachments (optional)"))
    submission_key = HiddenField()  # what files kept across an error are bound to (intake/stash.py)


class RateForm(Form):
    rating = RadioField(
        _l("How satisfied are you?"),
        choices=choices([("5", "5"), ("4", "4"), ("3", "3"), ("2", "2"), ("1", "1")]),
        validators=[InputRequired(message=_l("Choose a rating from 1 to 5."))],
    )
    comment = TextAreaField(_l("Comment (optional)"), validators=[Optional(), Length(max=500)])


class ReopenForm(Form):
    reason = TextAreaField(_l("Why is it not solved?"), validators=[DataRequired(message=_l("Tell us why it is not solved.")), Length(max=1000), Clean(2)])


# --- staff ---------------------------------------------------------------------------


class StageForm(Form):
    stage = SelectField(_l("Move to"), validators=[InputRequired()], validate_choice=True, widget=ChoiceSelect())
    note = TextAreaField(_l("Public note (optional)"), validators=[Optional(), Length(max=2000)])


class ReplyForm(Form):
    body = TextAreaField(_l("Message"), validators=[DataRequired(message=_l("Write a message.")), Length(max=4000)])
    visibility = RadioField(
        _l("Who sees it"),
        choices=choices([("public", _l("Reply to the requester (public)")), ("internal", _l("Internal note (staff only)"))]),
        default="public",
    )
    canned = SelectField(_l("Canned reply"), validators=[Optional()], validate_choice=False)


class TransferForm(Form):
    department = SelectField(_l("Department"), validators=[InputRequired()], validate_choice=True, widget=ChoiceSelect())
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(message=_l("Give a reason.")), Length(max=1000)])


class CohandlerForm(Form):
    # its own id: the transfer form on the same page has a "department" too
    department = SelectField(_l("Co-handling department"), validators=[InputRequired()], validate_choice=True, widget=ChoiceSelect(),
                             id="cohandler-department")


class DuplicateForm(Form):
    other = StringField(_l("Tracking number of the original request"), validators=[DataRequired(message=_l("Enter the tracking number.")), Length(max=20)])


class BulkAssignForm(Form):
    department = SelectField(_l("Assign to department"), validators=[InputRequired()], validate_choice=True, widget=ChoiceSelect())
    # the selected request ids come as a multi-valued "ids" field
