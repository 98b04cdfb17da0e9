"""Emergency words in a request's description: someone trapped, a fire, a fraud, an
injury.  The form is answered in working days, so when such words are typed the person
is told to call 110 / 119 / 120 (and 96110 for fraud) first: inline while typing (htmx,
the field check), on the form shown again (422) and on the confirmation page.  A hint,
never a block: the request is filed as usual."""

from __future__ import annotations

import re

from ..guide.models import EMERGENCY_NUMBERS, NUMBER_LABELS

# (the kind of emergency, the words that suggest it)
_WORDS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("lift", ("被困", "困在电梯", "电梯困人", "关在电梯"), ("trapped", "stuck in the lift", "stuck in the elevator")),
    ("fire", ("着火", "冒烟", "失火", "火灾", "起火", "烟雾"), ("fire", "smoke", "smoking", "burning")),
    ("fraud", ("诈骗", "骗子", "被骗", "电诈"), ("fraud", "scam", "scammed", "scammer")),
    ("medical", ("受伤", "晕倒", "昏迷", "流血", "心脏骤停"), ("injured", "injury", "fainted", "unconscious", "bleeding")),
    ("police", ("抢劫", "打架", "斗殴", "持刀"), ("robbery", "assault", "attacked")),
)
_ENGLISH = {kind: re.compile(r"\b(?:" + "|".join(re.escape(w) for w in en) + r")\b", re.IGNORECASE) for kind, _zh, en in _WORDS}


def emergency_kinds(text: str | None) -> list[str]:
    """The kinds of emergency ``text`` suggests, in a fixed order; [] for ordinary text."""
    text = text or ""
    return [kind for kind, zh, _en in _WORDS if any(w in text for w in zh) or _ENGLISH[kind].search(text)]


def numbers_for(kinds, general: bool = True) -> list[tuple[str, object]]:
    """[(number, label)] to show for these kinds (the general 110 / 119 / 120 when none),
    followed by the rest of the general three unless ``general`` is false."""
    seen: list[str] = []
    for kind in list(kinds) or [""]:
        for number in EMERGENCY_NUMBERS.get(kind, EMERGENCY_NUMBERS[""]):
            if number not in seen:
                seen.append(number)
    for number in EMERGENCY_NUMBERS[""] if general else ():  # the three always, after the most relevant
        if number not in seen:
            seen.append(number)
    return [(number, NUMBER_LABELS[number]) for number in seen]
