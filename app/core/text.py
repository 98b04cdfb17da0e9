"""Text helpers for templates."""

from __future__ import annotations

import re

from markupsafe import Markup, escape


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
