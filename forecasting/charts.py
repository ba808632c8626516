"""The forecast chart: stacked committed / consumption / weighted pipeline per month, with the
consumption forecast's 80 % interval as a whisker. Server-rendered SVG, no JavaScript, no assets.

Months before the current one show actuals (solid consumption); the current and later months are
forecast (lighter). The SVG scales to its container; a compact version (fewer labels) is used on
phones.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from accounts.charts import AXIS, GRID, TEXT, nice_step
from revops.templatetags.revops_tags import money, money_short

COMMITTED = "#3559e0"
CONSUMPTION = "#14a37f"
CONSUMPTION_FORECAST = "#7fd3bb"
PIPELINE = "#f2a93b"
WHISKER = "#0b6b52"
SERIES = (("Committed", COMMITTED), ("Consumption (actual)", CONSUMPTION), ("Consumption (forecast)", CONSUMPTION_FORECAST),
          ("Weighted pipeline", PIPELINE))


def forecast_chart_svg(*, months: list, current: date, width: int = 760, height: int = 300, compact: bool = False,
                       chart_id: str = "forecast") -> SafeString | None:
    """``months`` = [(first day, Figures)]. None when every month is empty."""
    if not months:
        return None
    left, right, top, bottom = (52, 10, 16, 44) if compact else (68, 16, 20, 48)
    plot_w, plot_h = width - left - right, height - top - bottom
    tops = [float(f.committed + max(f.consumption_high, f.consumption) + f.pipeline_weighted) for _, f in months]
    peak = max(tops, default=0.0)
    if peak <= 0:
        return None
    step = nice_step(peak, 4)
    axis_max = step * max(1, -(-peak // step))
    scale = plot_h / axis_max
    slot = plot_w / len(months)
    bar_w = max(2.0, min(36.0, slot * 0.64))
    parts: list[str] = []

    tick = 0.0
    while tick <= axis_max + 1e-9:
        y = top + plot_h - tick * scale
        parts.append(format_html('<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="1"/>',
                                 left, width - right, f"{y:.1f}", f"{y:.1f}", GRID))
        parts.append(format_html('<text x="{}" y="{}" text-anchor="end" font-size="11" fill="{}">{}</text>',
                                 left - 8, f"{y + 4:.1f}", TEXT, money_short(Decimal(str(tick)))))
        tick += step

    every = max(1, round(len(months) / (6 if compact else 12)))
    for index, (month, figures) in enumerate(months):
        x = left + index * slot + (slot - bar_w) / 2
        base = top + plot_h
        forecast = month >= current
        segments = (
            ("Committed", figures.committed, COMMITTED),
            ("Consumption" + (" forecast" if forecast else ""), figures.consumption,
             CONSUMPTION_FORECAST if forecast else CONSUMPTION),
            ("Weighted pipeline", figures.pipeline_weighted, PIPELINE),
        )
        title = f"{month:%b %Y}: " + ", ".join(f"{label} {money(value)}" for label, value, _ in segments)
        if forecast and figures.consumption_high > figures.consumption_low:
            title += f" (consumption 80 % interval {money(figures.consumption_low)} – {money(figures.consumption_high)})"
        rects = []
        for label, value, colour in segments:
            h = float(value) * scale
            if h <= 0:
                continue
            base -= h
            rects.append(format_html('<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>',
                                     f"{x:.1f}", f"{base:.1f}", f"{bar_w:.1f}", f"{h:.1f}", colour))
        whisker = ""
        if forecast and figures.consumption_high > figures.consumption_low:
            floor = top + plot_h - float(figures.committed) * scale
            y_low = floor - float(figures.consumption_low) * scale
            y_high = floor - float(figures.consumption_high) * scale
            cx = x + bar_w / 2
            cap = min(bar_w / 2, 6)
            whisker = format_html(
                '<g class="interval" stroke="{}" stroke-width="1.4"><line x1="{}" x2="{}" y1="{}" y2="{}"/>'
                '<line x1="{}" x2="{}" y1="{}" y2="{}"/><line x1="{}" x2="{}" y1="{}" y2="{}"/></g>',
                WHISKER, f"{cx:.1f}", f"{cx:.1f}", f"{y_low:.1f}", f"{y_high:.1f}",
                f"{cx - cap:.1f}", f"{cx + cap:.1f}", f"{y_high:.1f}", f"{y_high:.1f}",
                f"{cx - cap:.1f}", f"{cx + cap:.1f}", f"{y_low:.1f}", f"{y_low:.1f}",
            )
        parts.append(format_html('<g class="bar"><title>{}</title>{}{}</g>', title, mark_safe("".join(rects)), whisker))
        if index % every == 0:
            label = f"{month:%b}" if month.month != 1 and index else f"{month:%b %y}"
            parts.append(format_html('<text x="{}" y="{}" text-anchor="middle" font-size="11" fill="{}">{}</text>',
                                     f"{x + bar_w / 2:.1f}", height - bottom + 18, TEXT, label))
    if months[0][0] < current <= months[-1][0]:
        index = next(i for i, (m, _) in enumerate(months) if m >= current)
        x = left + index * slot
        parts.append(format_html(
            '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-dasharray="4 3"/>'
            '<text x="{}" y="{}" font-size="10" fill="{}">forecast →</text>',
            f"{x:.1f}", f"{x:.1f}", top, top + plot_h, AXIS, f"{x + 4:.1f}", top + 10, TEXT,
        ))
    parts.append(format_html('<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}"/>', left, width - right,
                             top + plot_h, top + plot_h, AXIS))
    css = "chart chart-compact" if compact else "chart"
    return format_html(
        '<svg class="{}" id="{}" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-title" '
        'preserveAspectRatio="xMidYMid meet"><title id="{}-title">Forecast by month: committed, consumption and '
        'weighted pipeline</title>{}</svg>',
        css, chart_id, width, height, chart_id, chart_id, mark_safe("".join(parts)),
    )


def chart_legend() -> SafeString:
    return format_html_join(
        "", '<span class="legend-item"><span class="legend-swatch" style="background:{}"></span>{}</span>',
        ((colour, label) for label, colour in SERIES),
    )
