"""A server-rendered SVG bar chart (no chart JavaScript): requests received and completed
per month.  The page shows the same numbers in a table beside it for screen readers."""

from __future__ import annotations

from flask_babel import gettext as _
from markupsafe import Markup, escape

WIDTH, HEIGHT = 720, 240
LEFT, BOTTOM, TOP = 36, 28, 12
RECEIVED, COMPLETED = "#9f1d20", "#1a7f37"  # brand red, ok green (presentation attributes: CSP allows them)


def monthly_chart(series: list[tuple[str, int, int]]) -> Markup:
    """``series``: (YYYY-MM, received, completed), oldest first."""
    peak = max([1] + [max(r, c) for _m, r, c in series])
    step = (WIDTH - LEFT) / max(1, len(series))
    bar = step * 0.35
    plot = HEIGHT - BOTTOM - TOP
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="chart-title" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart-title">{escape(_("Requests received and completed per month"))}</title>',
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH}" y2="{HEIGHT - BOTTOM}" stroke="#8c959f"/>',
        f'<text x="{LEFT - 6}" y="{TOP + 10}" text-anchor="end" font-size="11" fill="#57606a">{peak}</text>',
        f'<text x="{LEFT - 6}" y="{HEIGHT - BOTTOM}" text-anchor="end" font-size="11" fill="#57606a">0</text>',
    ]
    for i, (month, received, completed) in enumerate(series):
        x = LEFT + i * step + step * 0.1
        for offset, value, colour, label in ((0, received, RECEIVED, _("received")), (bar, completed, COMPLETED, _("completed"))):
            h = plot * value / peak
            parts.append(
                f'<rect x="{x + offset:.1f}" y="{HEIGHT - BOTTOM - h:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{colour}">'
                f"<title>{escape(month)}: {value} {escape(label)}</title></rect>"
            )
        parts.append(f'<text x="{x + bar:.1f}" y="{HEIGHT - 10}" text-anchor="middle" font-size="11" fill="#57606a">{escape(month[5:])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
