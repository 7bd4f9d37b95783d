"""Charts as server-rendered SVG: no script, no chart library, nothing fetched at run time.

Written here rather than vendored: two chart shapes (a daily line and
horizontal bars) are about a hundred lines of SVG, while a chart library would
need JavaScript the CSP and the no-CDN rule make awkward. Presentation
attributes only (no inline `style`), so the admin's CSP accepts them; each
point and bar carries a `<title>` for the value on hover. The stylesheet
(static/css/analytics_admin.css) stretches each to its box's width: the
width and height here give the proportions, the viewBox the drawing.
"""

import unicodedata
from datetime import date

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

LINE = "#417690"  # the admin's own blue
GRID = "#dddddd"
TEXT = "#333333"


def _nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5 × 10^n at or above value (at least 1), for a readable axis."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return max(step * factor, 1)
        step *= 10


def _text_width(text: str) -> int:
    """Pixels at 12 px: a wide (CJK, full-width) character 12, any other about 7."""
    return sum(12 if unicodedata.east_asian_width(c) in "WF" else 7 for c in text)


def _fit(text: str, pixels: int) -> str:
    """The text, or its longest start that fits with "…" after it."""
    if _text_width(text) <= pixels:
        return text
    while text and _text_width(text) + 12 > pixels:
        text = text[:-1]
    return text + "…"


def line_chart(series: list[tuple[date, int]], *, label: str, width: int = 1100, height: int = 300) -> SafeString:
    """Downloads per day as a line, with the axis from 0 and the first, middle and last dates."""
    left, right, top, bottom = 48, 16, 16, 32
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = _nice_ceiling(max((n for _, n in series), default=0))
    count = max(len(series) - 1, 1)

    def x(i: int) -> float:
        return left + plot_w * i / count

    def y(n: int) -> float:
        return top + plot_h * (1 - n / peak)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="analytics-chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(label)}">',
        f"<title>{escape(label)}</title>",
    ]
    for tick in (0, peak // 2, peak):
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" font-size="11" fill="{TEXT}">{tick}</text>'
        )
    if series:
        for i in sorted({0, len(series) // 2, len(series) - 1}):
            day = series[i][0]
            parts.append(
                f'<text x="{x(i):.1f}" y="{height - 10}" text-anchor="middle" font-size="11" '
                f'fill="{TEXT}">{day.month}/{day.day}</text>'
            )
        points = " ".join(f"{x(i):.1f},{y(n):.1f}" for i, (_, n) in enumerate(series))
        parts.append(f'<polyline points="{points}" fill="none" stroke="{LINE}" stroke-width="2"/>')
        for i, (day, n) in enumerate(series):
            parts.append(
                f'<circle cx="{x(i):.1f}" cy="{y(n):.1f}" r="3" fill="{LINE}">'
                f"<title>{day:%Y-%m-%d}: {n}</title></circle>"
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every interpolated text above is escaped or a number


def bar_chart(rows: list[tuple[str, int]], *, label: str, width: int = 1100) -> SafeString:
    """Horizontal bars, one per (name, downloads) row, longest first as given.

    `width` is the box's usual width in CSS pixels (1100 for the page's width, 600 for a column), so
    the text keeps about its 12 px once stretched; a label longer than its column is cut with "…".
    """
    row_h, value_w = 24, 56
    label_w = min(420, int(width * 0.4))
    height = max(len(rows), 1) * row_h + 8
    peak = max((n for _, n in rows), default=0) or 1
    bar_w = width - label_w - value_w
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="analytics-chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(label)}">',
        f"<title>{escape(label)}</title>",
    ]
    for i, (name, n) in enumerate(rows):
        top = 4 + i * row_h
        shown = _fit(name, label_w - 8)
        parts.append(
            f'<text x="{label_w - 8}" y="{top + 16}" text-anchor="end" font-size="12" fill="{TEXT}">'
            f"{escape(shown)}</text>"
            f'<rect x="{label_w}" y="{top + 3}" width="{bar_w * n / peak:.1f}" height="{row_h - 6}" fill="{LINE}">'
            f"<title>{escape(name)}: {n}</title></rect>"
            f'<text x="{label_w + bar_w * n / peak + 6:.1f}" y="{top + 16}" font-size="12" fill="{TEXT}">{n}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every interpolated text above is escaped or a number
