"""Server-drawn SVG charts: columns, horizontal bars and lines, readable without colour or JS.

Every chart is an ``<svg class="chart" role="img">`` labelled by its ``<title>``; series are told
apart by fill patterns as well as colour (the ``plain`` palette, or ``severity`` for severity
levels in scheme order), and all text is escaped. No inline styles: only classes
(styled in app.css) and SVG presentation attributes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640
COLUMN_HEIGHT = 260
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 64, 16, 20, 52
BAR_LABEL_WIDTH = 150
BAR_ROW_HEIGHT = 26
MAX_X_LABELS = 13
# Time units for duration axes: seconds per unit and the unit's name, smallest first.
TIME_UNITS = ((60.0, "minutes"), (3600.0, "hours"), (86400.0, "days"))


@dataclass(frozen=True)
class Scale:
    """A linear map from [0, maximum] onto [0, length] pixels, with round tick values."""

    maximum: float
    length: float
    whole: bool = False

    def at(self, value: float) -> float:
        """The pixel offset of ``value`` (clamped to the scale)."""
        return max(0.0, min(value, self.maximum)) / self.maximum * self.length

    def ticks(self) -> list[float]:
        """0 and about five round steps up to the maximum; whole steps for counts."""
        step = nice_ceiling(self.maximum / 5)
        if self.whole:
            step = max(step, 1.0)
        count = math.floor(self.maximum / step + 1e-9)
        return [round(step * i, 10) for i in range(count + 1)]


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 x 10^k at or above ``value``; 1 for nothing."""
    if value <= 0 or not math.isfinite(value):
        return 1.0
    power = math.pow(10, math.floor(math.log10(value)))
    for step in (1.0, 2.0, 2.5, 5.0):
        if value <= step * power * (1 + 1e-9):
            return round(step * power, 10)
    return round(10 * power, 10)


def scale_for(
    values: Sequence[float], length: float, *, whole: bool = False, maximum: float | None = None
) -> Scale:
    """A scale from zero that fits every value (or is fixed at ``maximum``)."""
    return Scale(maximum or nice_ceiling(max(values, default=0.0)), length, whole)


def time_unit(longest_seconds: float) -> tuple[float, str]:
    """The unit to plot durations in: minutes below 2 h, hours below 2 d, else days."""
    for seconds, name in TIME_UNITS:
        if longest_seconds < seconds * (120 if name == "minutes" else 48):
            return seconds, name
    return TIME_UNITS[-1]


@dataclass(frozen=True)
class BarRow:
    """One column or bar: its label, stacked parts (one per series) and the words shown by it."""

    label: str
    parts: tuple[float, ...]
    words: str


def _number(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _ticks_words(value: float) -> str:
    return f"{value:g}"


def _opening(
    chart_id: str, title: str, summary: str, height: float, kind: str = "chart"
) -> list[str]:
    return [
        f'<svg class="{kind}" id="{escape(chart_id)}" role="img" viewBox="0 0 {WIDTH} '
        f'{_number(height)}" aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(summary)}</desc>',
    ]


def _patterns(chart_id: str, count: int, palette: str) -> list[str]:
    """One fill per series: solid, stripes, dots, cross-hatch, bars; colours from ``palette``."""
    marks = (
        "",
        '<path class="hatch" d="M0 8L8 0M-2 2L2 -2M6 10L10 6"/>',
        '<circle class="hatch-dot" cx="4" cy="4" r="1.6"/>',
        '<path class="hatch" d="M0 0L8 8M8 0L0 8"/>',
        '<path class="hatch" d="M0 4H8"/>',
    )
    defs = ["<defs>"]
    for index in range(count):
        defs.append(
            f'<pattern id="{escape(chart_id)}-s{index}" width="8" height="8" '
            f'patternUnits="userSpaceOnUse"><rect class="{palette}-{index % 5}" width="8" '
            f'height="8"/>{marks[index % 5]}</pattern>'
        )
    defs.append("</defs>")
    return defs


def _legend(chart_id: str, series: Sequence[str], y: float) -> list[str]:
    parts = [f'<g class="legend" transform="translate({MARGIN_LEFT} {_number(y)})">']
    x = 0.0
    for index, name in enumerate(series):
        parts.append(
            f'<rect class="swatch" x="{_number(x)}" y="-10" width="12" height="12" '
            f'fill="url(#{escape(chart_id)}-s{index})"/>'
            f'<text x="{_number(x + 16)}" y="0">{escape(name)}</text>'
        )
        x += 24 + 7 * len(name)
    parts.append("</g>")
    return parts


def _no_data(x: float, y: float) -> str:
    return (
        f'<text class="no-data" x="{_number(x)}" y="{_number(y)}" '
        'text-anchor="middle">No data</text>'
    )


def _y_axis(
    scale: Scale, bottom: float, right: float, label: str, words: Callable[[float], str]
) -> list[str]:
    parts = []
    for tick in scale.ticks():
        y = bottom - scale.at(tick)
        parts.append(
            f'<line class="grid" x1="{MARGIN_LEFT}" x2="{_number(right)}" y1="{_number(y)}" '
            f'y2="{_number(y)}"/><text class="tick" x="{MARGIN_LEFT - 6}" y="{_number(y + 4)}" '
            f'text-anchor="end">{escape(words(tick))}</text>'
        )
    middle = (MARGIN_TOP + bottom) / 2
    parts.append(
        f'<text class="axis-label" transform="translate(14 {_number(middle)}) rotate(-90)" '
        f'text-anchor="middle">{escape(label)}</text>'
        f'<line class="axis" x1="{MARGIN_LEFT}" x2="{MARGIN_LEFT}" y1="{MARGIN_TOP}" '
        f'y2="{_number(bottom)}"/>'
    )
    return parts


def _x_axis(labels: Sequence[str], bottom: float, right: float, label: str) -> list[str]:
    band = (right - MARGIN_LEFT) / max(len(labels), 1)
    every = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    parts = [
        f'<line class="axis" x1="{MARGIN_LEFT}" x2="{_number(right)}" y1="{_number(bottom)}" '
        f'y2="{_number(bottom)}"/>'
    ]
    for index, text in enumerate(labels):
        if index % every == 0:
            x = MARGIN_LEFT + band * (index + 0.5)
            parts.append(
                f'<text class="tick" x="{_number(x)}" y="{_number(bottom + 16)}" '
                f'text-anchor="middle">{escape(text)}</text>'
            )
    parts.append(
        f'<text class="axis-label" x="{_number((MARGIN_LEFT + right) / 2)}" '
        f'y="{_number(bottom + 34)}" text-anchor="middle">{escape(label)}</text>'
    )
    return parts


def columns(
    chart_id: str,
    title: str,
    rows: Sequence[BarRow],
    series: Sequence[str],
    *,
    x_label: str,
    y_label: str,
    palette: str = "plain",
) -> Markup:
    """Vertical stacked columns, one ``<g class="bar">`` per row, with a legend of the series."""
    bottom = COLUMN_HEIGHT - MARGIN_BOTTOM
    right = WIDTH - MARGIN_RIGHT
    scale = scale_for([sum(row.parts) for row in rows], bottom - MARGIN_TOP, whole=True)
    summary = f"{len(rows)} columns stacked by {', '.join(series)}."
    height = COLUMN_HEIGHT + (18 if len(series) > 1 else 0)
    opening = _opening(chart_id, title, summary, height)
    parts = opening + _patterns(chart_id, len(series), palette)
    parts += _y_axis(scale, bottom, right, y_label, _ticks_words)
    band = (right - MARGIN_LEFT) / max(len(rows), 1)
    width = max(band * 0.7, 1.0)
    for index, row in enumerate(rows):
        x = MARGIN_LEFT + band * index + (band - width) / 2
        parts.append(f'<g class="bar"><title>{escape(row.label)}: {escape(row.words)}</title>')
        top = float(bottom)
        for part_index, value in enumerate(row.parts):
            if value > 0:
                size = scale.at(value)
                top -= size
                parts.append(
                    f'<rect x="{_number(x)}" y="{_number(top)}" width="{_number(width)}" '
                    f'height="{_number(size)}" fill="url(#{escape(chart_id)}-s{part_index})"/>'
                )
        if band >= 14 and sum(row.parts) > 0:
            parts.append(
                f'<text class="value" x="{_number(x + width / 2)}" y="{_number(top - 4)}" '
                f'text-anchor="middle">{_number(sum(row.parts))}</text>'
            )
        parts.append("</g>")
    if not rows:
        parts.append(_no_data((MARGIN_LEFT + right) / 2, (MARGIN_TOP + bottom) / 2))
    parts += _x_axis([row.label for row in rows], bottom, right, x_label)
    if len(series) > 1:
        parts += _legend(chart_id, series, height - 6)
    parts.append("</svg>")
    return Markup("".join(parts))


def bars(
    chart_id: str,
    title: str,
    rows: Sequence[BarRow],
    series: Sequence[str],
    *,
    x_label: str,
    maximum: float | None = None,
    palette: str = "plain",
) -> Markup:
    """Horizontal stacked bars, one ``<g class="bar">`` per row, labelled at both ends."""
    left = MARGIN_LEFT + BAR_LABEL_WIDTH - 40
    right = WIDTH - MARGIN_RIGHT - 120
    scale = scale_for([sum(row.parts) for row in rows], right - left, whole=True, maximum=maximum)
    plot_bottom = MARGIN_TOP + BAR_ROW_HEIGHT * max(len(rows), 1)
    height = plot_bottom + 40 + (22 if len(series) > 1 else 0)
    summary = f"{len(rows)} bars" + (
        f" stacked by {', '.join(series)}." if len(series) > 1 else "."
    )
    opening = _opening(chart_id, title, summary, height, "chart bars")
    parts = opening + _patterns(chart_id, len(series), palette)
    for tick in scale.ticks():
        x = left + scale.at(tick)
        parts.append(
            f'<line class="grid" x1="{_number(x)}" x2="{_number(x)}" y1="{MARGIN_TOP}" '
            f'y2="{_number(plot_bottom)}"/><text class="tick" x="{_number(x)}" '
            f'y="{_number(plot_bottom + 14)}" text-anchor="middle">{_ticks_words(tick)}</text>'
        )
    for index, row in enumerate(rows):
        y = MARGIN_TOP + BAR_ROW_HEIGHT * index
        label = row.label if len(row.label) <= 22 else row.label[:21] + "…"
        parts.append(
            f'<g class="bar"><title>{escape(row.label)}: {escape(row.words)}</title>'
            f'<text class="label" x="{left - 6}" y="{_number(y + 17)}" '
            f'text-anchor="end">{escape(label)}</text>'
        )
        x = float(left)
        for part_index, value in enumerate(row.parts):
            if value > 0:
                size = scale.at(value)
                parts.append(
                    f'<rect x="{_number(x)}" y="{_number(y + 4)}" width="{_number(size)}" '
                    f'height="{BAR_ROW_HEIGHT - 8}" fill="url(#{escape(chart_id)}-s{part_index})"/>'
                )
                x += size
        parts.append(
            f'<text class="value" x="{_number(x + 6)}" y="{_number(y + 17)}">'
            f"{escape(row.words)}</text></g>"
        )
    if not rows:
        parts.append(_no_data((left + right) / 2, MARGIN_TOP + 17))
    parts.append(
        f'<line class="axis" x1="{left}" x2="{left}" y1="{MARGIN_TOP}" '
        f'y2="{_number(plot_bottom)}"/>'
        f'<text class="axis-label" x="{_number((left + right) / 2)}" '
        f'y="{_number(plot_bottom + 32)}" text-anchor="middle">{escape(x_label)}</text>'
    )
    if len(series) > 1:
        parts += _legend(chart_id, series, height - 8)
    parts.append("</svg>")
    return Markup("".join(parts))


def line(
    chart_id: str,
    title: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    x_label: str,
    y_label: str,
    words: Callable[[float], str],
) -> Markup:
    """A line through the values, broken where a value is missing, a marked point on each."""
    bottom = COLUMN_HEIGHT - MARGIN_BOTTOM
    right = WIDTH - MARGIN_RIGHT
    known = [value for value in values if value is not None]
    scale = scale_for(known, bottom - MARGIN_TOP)
    summary = f"{len(known)} of {len(labels)} points have a value."
    parts = _opening(chart_id, title, summary, COLUMN_HEIGHT)
    parts += _y_axis(scale, bottom, right, y_label, _ticks_words)
    band = (right - MARGIN_LEFT) / max(len(labels), 1)
    runs: list[list[tuple[float, float]]] = [[]]
    points = []
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        if value is None:
            runs.append([])
            continue
        x, y = MARGIN_LEFT + band * (index + 0.5), bottom - scale.at(value)
        runs[-1].append((x, y))
        points.append(
            f'<circle class="point" cx="{_number(x)}" cy="{_number(y)}" r="3.5">'
            f"<title>{escape(label)}: {escape(words(value))}</title></circle>"
        )
    for run in runs:
        if len(run) > 1:
            coordinates = " ".join(f"{_number(x)},{_number(y)}" for x, y in run)
            parts.append(f'<polyline class="line" points="{coordinates}"/>')
    parts += points
    if not known:
        parts.append(_no_data((MARGIN_LEFT + right) / 2, (MARGIN_TOP + bottom) / 2))
    parts += _x_axis(labels, bottom, right, x_label)
    parts.append("</svg>")
    return Markup("".join(parts))
