"""Form helpers shared by the domains."""

from __future__ import annotations

from collections.abc import Iterable

from wtforms import SelectChoice


def choices(pairs: Iterable[tuple[object, object]]) -> list[SelectChoice]:
    """``[(value, label), …]`` as WTForms select choices."""
    return [SelectChoice(value, label) for value, label in pairs]
