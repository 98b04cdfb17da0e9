"""The Open311 POST checked by the web's request form: RequestForm's rules, bound to the
posted fields under the spec's names, and its errors said in the API's words.

The API differs from the web form in three ways, all in ``Open311RequestForm``: the
service and the building are resolved by the API itself (unknown service_code → 404,
the building from address_id / attribute[building] / address_string); the requester's
name (first_name + last_name) may be empty; a phone number or an e-mail address is
enough (the web form asks for a phone).  Every other rule (description 10 to 2,000
characters, company name 2 to 120 unless the service is personal, phone and e-mail
formats, reply language) is RequestForm's own field with its own validators.
"""

from __future__ import annotations

import re

from werkzeug.datastructures import MultiDict
from wtforms import StringField
from wtforms.fields.core import UnboundField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..intake.forms import Clean, RequestForm, normalize_text
from ..intake.models import REPLY_LANGS

CJK = re.compile(r"[\u3400-\u9fff]")
NO_CONTACT = "phone or email is required, so that the department can reach the requester"


def _optional(unbound: UnboundField) -> UnboundField:
    """RequestForm's field with all its rules, except that it may be left empty."""
    validators = [v for v in unbound.kwargs.get("validators", ()) if not isinstance(v, (DataRequired, InputRequired))]
    return unbound.field_class(*unbound.args, **{**unbound.kwargs, "validators": [Optional(), *validators]})


def contact_name(first: str, last: str) -> str:
    """Chinese names are family name first, without a space (张 + 伟 → 张伟)."""
    if first and last and CJK.search(first) and CJK.search(last):
        return last + first
    return " ".join(part for part in (first, last) if part)


class Open311RequestForm(RequestForm):
    """RequestForm for a client that authenticates with its api_key (no CSRF token)."""

    class Meta:
        csrf = False

    service = StringField()  # the service_code, already checked by the API (CompanyUnlessPersonal reads it)
    service_text = building = attachments = unlisted = urgent = consent = submission_key = None
    contact_name = _optional(RequestForm.contact_name)
    phone = _optional(RequestForm.phone)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not self.phone.data and not self.email.data:
            self.form_errors.append(NO_CONTACT)
            return False
        return valid

    @classmethod
    def from_post(cls, posted: MultiDict, service_code: str, company_optional: bool) -> Open311RequestForm:
        """The form bound to an Open311 POST: the spec's names mapped to the form's, text
        normalised as the web form files it."""
        fields = {
            "service": service_code,
            "description": normalize_text(posted.get("description")),
            "company_name": normalize_text(posted.get("attribute[company_name]")),
            "contact_name": contact_name(normalize_text(posted.get("first_name")), normalize_text(posted.get("last_name"))),
            "phone": normalize_text(posted.get("phone")),
            "email": (posted.get("email") or "").strip(),
        }
        reply_lang = (posted.get("attribute[reply_lang]") or "").strip()
        if reply_lang:  # not given: the form's default (zh)
            fields["reply_lang"] = reply_lang
        form = cls(formdata=MultiDict(fields))
        form.personal_services = {service_code} if company_optional else set()
        return form

    def api_errors(self) -> list[str]:
        """The errors in the API's words, one per field, in the order of the spec's fields;
        the limits they name are the validators' own."""
        out = []
        if self.description.errors:
            low, high = _limit(self.description, Clean, "min_length"), _limit(self.description, Length, "max")
            if len(self.description.data or "") > high:
                out.append(f"description is too long: at most {high} characters")
            else:
                out.append(f"description is required: at least {low} characters")
        if self.company_name.errors:
            low, high = _limit(self.company_name, Clean, "min_length"), _limit(self.company_name, Length, "max")
            out.append(f"attribute[company_name] is required: {low} to {high} characters")
        if self.contact_name.errors:
            out.append(f"first_name and last_name are too long: at most {_limit(self.contact_name, Length, 'max')} characters together")
        if self.phone.errors:
            out.append("phone is not a valid number: a mobile (11 digits) or a landline with its area code, e.g. 021-58880000")
        if self.email.errors:
            out.append("email is not a valid e-mail address")
        out.extend(self.form_errors)
        if self.reply_lang.errors:
            out.append("attribute[reply_lang] must be " + " or ".join(REPLY_LANGS))
        return out


def _limit(field, validator_class, attribute: str) -> int:
    return next(getattr(v, attribute) for v in field.validators if isinstance(v, validator_class))
