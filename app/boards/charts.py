"""A server-rendered SVG bar chart (no chart JavaScript): requests received and completed
per month.  The page shows the same numbers in a table beside it for screen readers."""

from __future__ import annotations

from flask_babel import gettext as _
from markupsafe import Markup

WIDTH, HEIGHT = 720, 240
LEFT, BOTTOM, TOP = 36, 28, 12
RECEIVED, COMPLETED = "#9f1d20", "#1a7f37"  # brand red, ok green (presentation attributes: CSP allows them)


def monthly_chart(series: list[tuple[str, int, int]]) -> Markup:
    """``series``: (YYYY-MM, received, completed), oldest first."""
    peak = max([1] + [max(r, c) for _m, r, c in series])
    step = (WIDTH - LEFT) / max(1, len(series))
    bar = step * 0.35
    plot = HEIGHT - BOTTOM - TOP
    # Markup(<literal>).format(...) escapes every value it is given.
    parts = [
        Markup('<svg class="chart" viewBox="0 0 {} {}" role="img" aria-labelledby="chart-title" xmlns="http://www.w3.org/2000/svg">').format(WIDTH, HEIGHT),
        Markup('<title id="chart-title">{}</title>').format(_("Requests received and completed per month")),
        Markup('<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#8c959f"/>').format(LEFT, HEIGHT - BOTTOM, WIDTH, HEIGHT - BOTTOM),
        Markup('<text x="{}" y="{}" text-anchor="end" font-size="11" fill="#57606a">{}</text>').format(LEFT - 6, TOP + 10, peak),
        Markup('<text x="{}" y="{}" text-anchor="end" font-size="11" fill="#57606a">0</text>').format(LEFT - 6, HEIGHT - BOTTOM),
    ]
    for i, (month, received, completed) in enumerate(series):
        x = LEFT + i * step + step * 0.1
        for offset, value, colour, label in ((0, received, RECEIVED, _("received")), (bar, completed, COMPLETED, _("completed"))):
            h = plot * value / peak
            parts.append(
                Markup('<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}">'
                       "<title>{}: {} {}</title></rect>").format(x + offset, HEIGHT - BOTTOM - h, bar, h, colour, month, value, label)
            )
        parts.append(Markup('<text x="{:.1f}" y="{}" text-anchor="middle" font-size="11" fill="#57606a">{}</text>').format(x + bar, HEIGHT - 10, month[5:]))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)
