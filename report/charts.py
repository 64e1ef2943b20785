"""Charts as inline SVG, drawn in Python: the page needs no chart library and no network."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from html import escape

from markupsafe import Markup

from expectations.catalog import SEVERITIES

SEVERITY_COLORS = dict(zip(SEVERITIES, ("#a8b3c1", "#f0b429", "#e0712c", "#b42318"), strict=True))  # lowest first
LINE_COLOR = "#1d4e89"
GRID_COLOR = "#e4e7ec"
TEXT_COLOR = "#667085"
WIDTH, HEIGHT = 560, 210
NARROW = 320  # drawn again this wide for phones, so 11-unit labels still render at 10 px or more
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 26


def nice_ticks(top: float, count: int = 4) -> list[float]:
    """Round y-axis ticks from 0 covering `top`: 0, 50, 100, 150, 200."""
    if top <= 0:
        return [0, 1]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if step < 1:
        step = 1
    return [step * i for i in range(math.ceil(top / step) + 1)]


def _svg(body: list[str], label: str, width: int = WIDTH, height: int = HEIGHT) -> Markup:
    kind = "narrow" if width < WIDTH else "wide"
    return Markup(
        f'<svg class="chart chart-{kind}" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg" font-size="11" fill="{TEXT_COLOR}">'
        + "".join(body)
        + "</svg>"
    )


def _y_axis(
    ticks: list[float], y: Callable[[float], float], number: Callable[[float], str], width: int
) -> list[str]:
    parts = []
    for tick in ticks:
        parts.append(
            f'<line x1="{LEFT}" x2="{width - RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="{GRID_COLOR}"/>'
            f'<text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{escape(number(tick))}</text>'
        )
    return parts


def _time_axis(
    start: datetime, end: datetime, ticks: Sequence[tuple[datetime, str]], width: int
) -> tuple[Callable, list[str]]:
    span = (end - start).total_seconds()

    def x(t: datetime) -> float:
        return LEFT + (width - LEFT - RIGHT) * (t - start).total_seconds() / span

    def anchor(position: float) -> str:  # labels at the edges stay inside the chart
        if position > width - RIGHT - 16:
            return "end"
        return "start" if position < LEFT + 16 else "middle"

    parts = [
        f'<text x="{x(t):.1f}" y="{HEIGHT - 8}" text-anchor="{anchor(x(t))}">{escape(text)}</text>'
        for t, text in ticks
    ]
    return x, parts


def _axes(
    end: datetime, hours: int, ticks: Sequence[tuple[datetime, str]], top: float, number: Callable[[float], str],
    width: int,
) -> tuple[Callable[[datetime], float], Callable[[float], float], list[str]]:
    """The x and y scales of a chart over the `hours` ending at `end`, up to `top`, and its drawn axes."""
    y_ticks = nice_ticks(top)
    plot_height = HEIGHT - TOP - BOTTOM

    def y(value: float) -> float:
        return TOP + plot_height * (1 - value / y_ticks[-1])

    x, x_labels = _time_axis(end - timedelta(hours=hours), end, ticks, width)
    return x, y, _y_axis(y_ticks, y, number, width) + x_labels


def severity_columns(
    points: Sequence[tuple[datetime, dict[str, int], str]],
    end: datetime,
    hours: int,
    ticks: Sequence[tuple[datetime, str]],
    number: Callable[[float], str],
    label: str,
    width: int = WIDTH,
) -> Markup:
    """Stacked columns of open exceptions by severity, one per run, on a time axis ending at `end`."""
    top = max((sum(counts.values()) for _, counts, _ in points), default=0)
    x, y, body = _axes(end, hours, ticks, top, number, width)
    column = (width - LEFT - RIGHT) / hours * 0.72
    for as_of, counts, tooltip in points:
        base = 0
        left = x(as_of) - column  # a run's column ends at its as_of, the end of its window
        body.append(f"<g><title>{escape(tooltip)}</title>")
        for severity in SEVERITIES:
            value = counts.get(severity, 0)
            if value:
                body.append(
                    f'<rect x="{left:.1f}" y="{y(base + value):.1f}" width="{column:.1f}" '
                    f'height="{y(base) - y(base + value):.1f}" fill="{SEVERITY_COLORS[severity]}"/>'
                )
            base += value
        body.append("</g>")
    return _svg(body, label, width)


def line(
    points: Sequence[tuple[datetime, float, str]],
    end: datetime,
    hours: int,
    ticks: Sequence[tuple[datetime, str]],
    number: Callable[[float], str],
    label: str,
    width: int = WIDTH,
) -> Markup:
    """A line with a light area under it, one point per run, on a time axis ending at `end`."""
    x, y, body = _axes(end, hours, ticks, max((value for _, value, _ in points), default=0), number, width)
    coordinates = [(x(t), y(value)) for t, value, _ in points]
    if len(coordinates) > 1:
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in coordinates)
        first, last = coordinates[0][0], coordinates[-1][0]
        body.append(
            f'<polygon points="{first:.1f},{y(0):.1f} {path} {last:.1f},{y(0):.1f}" fill="{LINE_COLOR}" '
            'fill-opacity="0.08"/>'
            f'<polyline points="{path}" fill="none" stroke="{LINE_COLOR}" stroke-width="2" '
            'stroke-linejoin="round"/>'
        )
    for (px, py), (_, _, tooltip) in zip(coordinates, points, strict=True):
        body.append(
            f'<circle cx="{px:.1f}" cy="{py:.1f}" r="{3 if len(points) < 40 else 1.6}" fill="{LINE_COLOR}">'
            f"<title>{escape(tooltip)}</title></circle>"
        )
    return _svg(body, label, width)


def severity_bars(
    rows: Sequence[tuple[str, dict[str, int]]], number: Callable[[float], str], label: str, width: int = WIDTH
) -> Markup:
    """Horizontal stacked bars by severity, one per row (the aging buckets), with the total at the end."""
    row_height, label_width = 34, 64
    height = row_height * len(rows) + 8
    top = max((sum(counts.values()) for _, counts in rows), default=0) or 1
    scale = (width - label_width - 56) / top
    body = []
    for index, (name, counts) in enumerate(rows):
        y = 4 + index * row_height
        body.append(f'<text x="0" y="{y + 20}" fill="#344054">{escape(name)}</text>')
        body.append(
            f'<rect x="{label_width}" y="{y + 6}" width="{width - label_width - 56}" height="20" fill="#f2f4f7"/>'
        )
        offset = label_width
        for severity in reversed(SEVERITIES):  # worst first
            value = counts.get(severity, 0)
            if value:
                body.append(
                    f'<rect x="{offset:.1f}" y="{y + 6}" width="{value * scale:.1f}" height="20" '
                    f'fill="{SEVERITY_COLORS[severity]}"><title>{escape(number(value))}</title></rect>'
                )
                offset += value * scale
        total = sum(counts.values())
        body.append(
            f'<text x="{offset + 6:.1f}" y="{y + 20}" fill="#101828" font-weight="600">{escape(number(total))}</text>'
        )
    return _svg(body, label, width=width, height=height)


def sparkline(
    points: Sequence[tuple[datetime, int, str]], end: datetime, hours: int, label: str, width: int = 120,
    height: int = 26,
) -> Markup:
    """One small line of counts over the `hours` ending at `end`, no axes; each point's tooltip on hover."""
    top = max((value for _, value, _ in points), default=0) or 1
    start = end - timedelta(hours=hours)

    def x(t: datetime) -> float:
        return 1 + (width - 2) * (t - start).total_seconds() / (hours * 3600)

    def y(value: float) -> float:
        return height - 2 - (height - 4) * value / top

    body = [f'<line x1="0" x2="{width}" y1="{y(0):.1f}" y2="{y(0):.1f}" stroke="{GRID_COLOR}"/>']
    coordinates = [(x(t), y(value)) for t, value, _ in points]
    if len(coordinates) > 1:
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in coordinates)
        body.append(f'<polyline points="{path}" fill="none" stroke="{LINE_COLOR}" stroke-width="1.5" '
                    'stroke-linejoin="round"/>')
    if coordinates:
        body.append(f'<circle cx="{coordinates[-1][0]:.1f}" cy="{coordinates[-1][1]:.1f}" r="2" fill="{LINE_COLOR}"/>')
    # a transparent band per run, so hovering anywhere near a point names it
    edges = [0.0, *((a[0] + b[0]) / 2 for a, b in zip(coordinates, coordinates[1:], strict=False)), float(width)]
    for (_, _, tooltip), left, right in zip(points, edges, edges[1:], strict=False):
        body.append(f'<rect x="{left:.1f}" y="0" width="{max(right - left, 0.5):.1f}" height="{height}" '
                    f'fill="transparent"><title>{escape(tooltip)}</title></rect>')
    return Markup(
        f'<svg class="sparkline" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">' + "".join(body) + "</svg>"
    )
