"""QR codes as inline SVG (segno), for printed pages and lobby screens."""

from __future__ import annotations

import segno
from markupsafe import Markup


def qr_svg(url: str, label: str, scale: int = 4) -> Markup:
    """An accessible inline SVG QR code of ``url`` (no inline style, CSP-safe)."""
    qr = segno.make(url, error="m")
    svg = qr.svg_inline(scale=scale, border=2, title=label, svgclass="qr", lineclass="qr-line", omitsize=True)
    # A viewBox (omitsize) so that CSS can scale the code (lobby screen, poster, print), and
    # its natural size as width/height where no CSS sizes it.
    width, height = qr.symbol_size(scale=scale, border=2)
    return Markup(svg.replace("<svg ", f'<svg role="img" width="{width}" height="{height}" ', 1))  # nosec B704 - segno escapes the title; the URL is only encoded as path data
