"""Forms of the council workspace shell: user administration."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import EmailField, RadioField, SelectField, SelectMultipleField, StringField
from wtforms.validators import AnyOf, DataRequired, Email, Length

from ..auth.models import BUILDING_ROLES, ROLES
from ..core.forms import Form, choices
from ..core.i18n import LANG_NAMES

# What each role may do, shown beside the role choice.
ROLE_HINTS: dict[str, object] = {
    "admin": _l("Every building and department; manages accounts."),
    "council": _l("The chosen buildings: requests, wishes and the open board."),
    "staff": _l("One department: its requests and its Service Guide entries."),
    "observer": _l("Reads the chosen buildings' requests and changes nothing."),
}


def _name_field():
    return StringField(_l("Name"), validators=[DataRequired(_l("Enter the person's name.")), Length(max=120)])


def _role_field():
    return RadioField(_l("Role"), choices=choices(ROLES.items()), default="council", validate_choice=False,
                      validators=[AnyOf(tuple(ROLES), message=_l("Choose a role."))])


class _ScopeRules:
    """Name, role and scope, shared by the invitation and the edit form.  The choices
    of ``buildings`` (slugs) and ``department`` (codes) are set by the route."""

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        # The same rules as the service (app/auth/services.py), on the field concerned.
        if self.role.data in BUILDING_ROLES and not self.buildings.data:
            self.buildings.errors = [*self.buildings.errors, _("Council members and observers need at least one building.")]
            ok = False
        if self.role.data == "staff" and not self.department.data:
            self.department.errors = [*self.department.errors, _("Department staff need a department.")]
            ok = False
        return ok


class InviteForm(_ScopeRules, Form):
    email = EmailField(
        _l("Email"),
        validators=[DataRequired(_l("Enter an e-mail address.")),
                    Email(_l("Enter a valid e-mail address."), check_deliverability=False), Length(max=254)],
    )
    name = _name_field()
    role = _role_field()
    buildings = SelectMultipleField(_l("Buildings"), choices=[])
    department = SelectField(_l("Department"), choices=[], default="")
    locale = RadioField(_l("Language of the invitation"), choices=choices(LANG_NAMES.items()), default="zh")


class EditUserForm(_ScopeRules, Form):
    name = _name_field()
    role = _role_field()
    buildings = SelectMultipleField(_l("Buildings"), choices=[])
    department = SelectField(_l("Department"), choices=[], default="")


class ActionForm(Form):
    """The small one-button forms (deactivate, reactivate, send a link, reset two-step):
    nothing but the CSRF token."""
