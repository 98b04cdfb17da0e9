"""Text helpers for templates."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

# Characters that are never part of a name, a company, a description, a reply or a guide
# entry we can show: C0 controls but tab and line breaks, DEL, zero-width characters and
# the bidirectional marks, embeddings, overrides and isolates (U+061C, U+200E/F,
# U+202A-202E, U+2066-2069; U+202E, the "right-to-left override", shows "fdp.exe" as
# "exe.pdf").
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def strip_controls(value):
    """``value`` without control or direction characters (None and non-text as given).
    Every form's text fields are cleaned with it (app/core/forms.py), public and staff."""
    if not isinstance(value, str):
        return value
    return CONTROL.sub("", value)


def highlight(text, terms) -> Markup:
    """``text`` escaped, with each of ``terms`` wrapped in <mark> (case-insensitive)."""
    value = str(text or "")
    terms = [t for t in (terms or []) if t]
    if not terms:
        return escape(value)
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.IGNORECASE)
    out, last = [], 0
    for match in pattern.finditer(value):
        out.append(escape(value[last:match.start()]))
        out.append(Markup("<mark>{}</mark>").format(match.group(0)))
        last = match.end()
    out.append(escape(value[last:]))
    return Markup("").join(out)


_TRAILING_PUNCTUATION = " \t\u3000。．.？?！!：:；;，,、"


def summary_label(label) -> str:
    """A field's label as an error summary names it: without the punctuation it may end in
    ("您对办理结果是否满意？" → "您对办理结果是否满意"), since the message follows it."""
    return str(label or "").rstrip(_TRAILING_PUNCTUATION)


def excerpt(text, limit: int = 80) -> str:
    """The start of ``text`` on one line: whitespace runs become one space, and past
    ``limit`` characters it is cut (at a space when one is near the end) and ends in "…".
    Mask what must not show *before* cutting (a cut number must not escape the mask)."""
    value = " ".join(str(text or "").split())
    if len(value) <= limit:
        return value
    cut = value[:limit]
    space = cut.rfind(" ")
    if space >= limit * 3 // 4:
        cut = cut[:space]
    return cut.rstrip(_TRAILING_PUNCTUATION) + "…"
