"""Server-rendered SVG line charts of the revenue pages: NRR/GRR over time and the commit burn-down.

Same conventions as accounts/charts.py: no JavaScript, numbers we computed and labels we escape,
a <title>/<desc> for screen readers, and a compact variant for phones.
"""
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from accounts.charts import AXIS, GRID, TEXT, TITLE, nice_step
from revops.templatetags.revops_tags import money, money_short, percent

WIDTH, HEIGHT = 760, 300
COMPACT_WIDTH = 420
LEFT, RIGHT, TOP, BOTTOM = 62, 30, 40, 40

BLUE = "#3559e0"
TEAL = "#0f8a6a"
ORANGE = "#d97706"
RED = "#b42d24"
SLATE = "#8d96a7"


@dataclass(frozen=True)
class Line:
    label: str
    values: Sequence[float | None]
    color: str
    dash: str = ""  # SVG stroke-dasharray
    width: float = 2.5
    dots: bool = True


@dataclass(frozen=True)
class Rule:
    """A horizontal reference line (e.g. 100 %, the commit)."""

    value: float
    label: str
    color: str = SLATE
    dash: str = "4 4"


def line_chart_svg(
    *, months: Sequence[date], lines: Sequence[Line], title: str, description: str, chart_id: str,
    fmt: Callable[[float], str], rules: Sequence[Rule] = (), marker: tuple[int, str] | None = None,
    width: int = WIDTH, floor: float | None = 0.0, css_class: str = "", show_title: bool = False,
) -> SafeString | None:
    """A line per series over the months; None when there is nothing to draw."""
    values = [v for line in lines for v in line.values if v is not None] + [rule.value for rule in rules]
    if not months or not any(v is not None for line in lines for v in line.values):
        return None
    high, low = max(values), min(values)
    if floor is not None:
        low = min(floor, low)
    step = nice_step(max(high - low, 1e-9))
    top = step * math.ceil(high / step)
    bottom = step * math.floor(low / step)
    if top == bottom:
        top += step
    plot_w, plot_h = width - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(months) - 1, 1)

    def x_of(index: float) -> float:
        return LEFT + (index * slot if len(months) > 1 else plot_w / 2)

    def y_of(value: float) -> float:
        return TOP + plot_h - (value - bottom) / (top - bottom) * plot_h

    parts = [format_html(
        '<svg class="chart{}" viewBox="0 0 {} {}" width="100%" role="img" aria-labelledby="{}-title {}-desc" '
        'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet" '
        'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>',
        f" {css_class}" if css_class else "", width, HEIGHT, chart_id, chart_id, chart_id, title, chart_id,
        description,
    )]
    if show_title:  # the card around the chart usually names it already
        parts.append(format_html('<text x="{}" y="20" font-size="14" font-weight="600" fill="{}">{}</text>',
                                 LEFT, TITLE, title))
    # Legend, right-aligned on the title row.
    legend_x = width - RIGHT
    for line in reversed(lines):
        text_width = 6.8 * len(line.label)
        legend_x -= text_width
        parts.append(format_html(
            '<text x="{}" y="20" font-size="12" fill="{}">{}</text>'
            '<line x1="{}" x2="{}" y1="16" y2="16" stroke="{}" stroke-width="3" stroke-dasharray="{}"/>',
            f"{legend_x:.1f}", TEXT, line.label, f"{legend_x - 24:.1f}", f"{legend_x - 6:.1f}", line.color,
            line.dash or "none",
        ))
        legend_x -= 40
    ticks = int(round((top - bottom) / step))
    for i in range(ticks + 1):
        value = bottom + step * i
        y = y_of(value)
        parts.append(format_html(
            '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}"/>'
            '<text x="{}" y="{}" font-size="12" text-anchor="end" fill="{}">{}</text>',
            LEFT, width - RIGHT, f"{y:.1f}", f"{y:.1f}", AXIS if i == 0 else GRID, LEFT - 8, f"{y + 4:.1f}", TEXT,
            fmt(value),
        ))
    every = max(1, math.ceil(len(months) / (6 if width < WIDTH else 12)))
    offset = (len(months) - 1) % every
    for index, month in enumerate(months):
        if index % every == offset:
            parts.append(format_html(
                '<text x="{}" y="{}" font-size="12" text-anchor="middle" fill="{}">{}</text>',
                f"{x_of(index):.1f}", HEIGHT - BOTTOM + 18, TEXT, f"{month:%b %y}",
            ))
    for rule in rules:
        y = y_of(rule.value)
        parts.append(format_html(
            '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="1.5" stroke-dasharray="{}"/>'
            '<text x="{}" y="{}" font-size="11" text-anchor="end" fill="{}">{}</text>',
            LEFT, width - RIGHT, f"{y:.1f}", f"{y:.1f}", rule.color, rule.dash, width - RIGHT - 4, f"{y - 5:.1f}",
            rule.color, rule.label,
        ))
    if marker is not None:
        index, label = marker
        x = x_of(index)
        parts.append(format_html(
            '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="1" stroke-dasharray="2 3"/>'
            '<text x="{}" y="{}" font-size="11" text-anchor="middle" fill="{}">{}</text>',
            f"{x:.1f}", f"{x:.1f}", TOP - 6, TOP + plot_h, AXIS, f"{x:.1f}", TOP - 10, TEXT, label,
        ))
    for line in lines:
        segments: list[list[tuple[float, float, float, int]]] = [[]]
        for index, value in enumerate(line.values):
            if value is None:
                if segments[-1]:
                    segments.append([])
                continue
            segments[-1].append((x_of(index), y_of(value), value, index))
        for segment in segments:
            if len(segment) > 1:
                points = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in segment)
                parts.append(format_html(
                    '<polyline points="{}" fill="none" stroke="{}" stroke-width="{}" stroke-dasharray="{}" '
                    'stroke-linejoin="round" stroke-linecap="round"/>',
                    points, line.color, line.width, line.dash or "none",
                ))
            if line.dots or len(segment) == 1:
                parts.append(format_html_join("", '<circle cx="{}" cy="{}" r="3.2" fill="{}"><title>{}</title></circle>', (
                    (f"{x:.1f}", f"{y:.1f}", line.color, f"{line.label} {months[i]:%B %Y}: {fmt(v)}")
                    for x, y, v, i in segment
                )))
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))


def _pct(value: float) -> str:
    return percent(Decimal(str(round(value, 4))))


def retention_chart(report, *, width: int = WIDTH, css_class: str = "", chart_id: str = "retention") -> SafeString | None:
    months = [month for month, _ in report.series]
    nrr = [figures.nrr for _, figures in report.series]
    grr = [figures.grr for _, figures in report.series]
    latest = report.latest
    description = (
        f"Net and gross revenue retention per month from {months[0]:%B %Y} to {months[-1]:%B %Y}"
        + (f"; latest NRR {_pct(latest.nrr)}, GRR {_pct(latest.grr)}." if latest and latest.nrr is not None else ".")
    ) if months else ""
    return line_chart_svg(
        months=months, chart_id=chart_id, width=width, css_class=css_class, floor=None,
        title="Revenue retention, trailing twelve months", description=description, fmt=_pct,
        lines=[Line("NRR", nrr, BLUE), Line("GRR", grr, TEAL)],
        rules=[Rule(1.0, "100 %")],
    )


def burndown_chart(burn, *, width: int = WIDTH, css_class: str = "", chart_id: str = "burndown") -> SafeString | None:
    points = burn.series
    if not points:
        return None
    months = [point.month for point in points]
    current = next((i for i, point in enumerate(points) if point.month.year == burn.today.year
                    and point.month.month == burn.today.month), None)
    marker = (current, "Today") if current is not None else None
    description = (
        f"Commit burn-down of {burn.contract.external_id}: {money(burn.consumed)} consumed of {money(burn.available)} "
        f"by {burn.today:%d %B %Y}; projected {money(burn.projected_consumption)} at term end"
        + (f", exhausted around {burn.projected_exhaustion:%d %B %Y}" if burn.projected_exhaustion else "") + "."
    )
    return line_chart_svg(
        months=months, chart_id=chart_id, width=width, css_class=css_class, marker=marker,
        title="Commit burn-down", description=description, fmt=lambda v: money_short(Decimal(str(v))),
        lines=[
            Line("Straight-line", [float(p.expected) for p in points], SLATE, dash="2 4", width=1.5, dots=False),
            Line("Consumed", [float(p.consumed) if p.consumed is not None else None for p in points], BLUE),
            Line("Projected", [float(p.projected) if p.projected is not None else None for p in points], ORANGE,
                 dash="6 4", dots=False),
        ],
        rules=[Rule(float(burn.available), f"Commit {money_short(burn.available)}", RED, "5 3")],
    )
