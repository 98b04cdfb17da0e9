"""Form helpers shared by the domains."""

from __future__ import annotations

from collections.abc import Iterable

from wtforms import SelectChoice
from wtforms.widgets import Select


def choices(pairs: Iterable[tuple[object, object]]) -> list[SelectChoice]:
    """``[(value, label), …]`` as WTForms select choices."""
    return [SelectChoice(value, label) for value, label in pairs]


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
