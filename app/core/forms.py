"""Form helpers shared by the domains."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from babel import support
from flask import current_app
from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectChoice, StringField
from wtforms.i18n import messages_path
from wtforms.widgets import Select


@lru_cache(maxsize=8)
def _wtforms_catalogue(locale: str) -> support.Translations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class Form(FlaskForm):
    """The base of every form: Flask-WTF with WTForms' own messages (“This field is
    required.” …) in the page's language.
    Flask-WTF reads WTForms' catalogue from disk for every request that builds a form;
    here it is read once per language and process.

    Every text field (``StringField``, ``TextAreaField`` and their kin, passwords
    excepted) of every form, public or staff, drops control and bidirectional-override
    characters as it reads its data (``strip_controls``): what staff type in the guide
    and boards editors, replies, notes, user admin and wall moderation is cleaned the way
    the public's text is, and no form can forget it."""

    class Meta(FlaskForm.Meta):
        def bind_field(self, form, unbound_field, options):
            field_class = unbound_field.field_class
            if issubclass(field_class, StringField) and not issubclass(field_class, PasswordField):
                from .text import strip_controls

                options = {**options, "filters": (*unbound_field.kwargs.get("filters", ()), strip_controls)}
            return super().bind_field(form, unbound_field, options)

        def get_translations(self, form):
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)
            return _wtforms_catalogue(str(get_locale() or "zh"))


def choices(pairs: Iterable[tuple[object, object]]) -> list[SelectChoice]:
    """``[(value, label), …]`` as WTForms select choices."""
    return [SelectChoice(value, label) for value, label in pairs]


def choice_values(field_choices) -> set:
    """The values of a select field's choices, flat or grouped (``{group: [...]}``), read
    straight from them: ``iter_choices()`` copies every option of every group for each
    call, a good part of a form POST's time with a long service list."""
    groups = field_choices.values() if isinstance(field_choices, dict) else (field_choices or (),)
    return {c.value if isinstance(c, SelectChoice) else (c[0] if isinstance(c, tuple) else c) for group in groups for c in group}


class ChoiceSelect(Select):
    """A ``<select>`` for a required choice whose options are all real values (no empty
    "choose…" placeholder).  Such a select can never be sent empty, and HTML forbids
    ``required`` on it (the first option of a required select must be a placeholder), so
    ``required`` is left out there; the server validates the choice all the same."""

    def __call__(self, field, **kwargs):
        if not field.has_groups():
            first = next(iter(field.iter_choices()), None)
            if first is not None and str(first[0]) != "":
                kwargs.setdefault("required", False)
        return super().__call__(field, **kwargs)
