"""Server-rendered SVG charts: no JavaScript, no external assets, readable when printed.

The markup is built from numbers we computed and labels we escape, so it can be inlined
into a page as-is.
"""
import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from revops.templatetags.revops_tags import money, money_short

# Geometry of the usage chart, in viewBox units; the SVG scales to its container's width.
WIDTH, HEIGHT = 760, 320
COMPACT_WIDTH = 400  # the phone version: fewer months, so the text stays legible when scaled down
LEFT, RIGHT, TOP, BOTTOM = 64, 14, 44, 58
PLOT_H = HEIGHT - TOP - BOTTOM

BAR = "#3559e0"
BAR_PARTIAL = "#a9b9f3"
GRID = "#e6e9ef"
AXIS = "#9aa3b2"
TEXT = "#5b6474"
TITLE = "#1d2433"


@dataclass(frozen=True)
class ChartSummary:
    total: Decimal
    peak: Decimal
    peak_period: date | None
    last_full: Decimal
    previous_full: Decimal

    @property
    def change(self) -> float | None:
        """Last full month against the one before, as a ratio (None when there is nothing to compare)."""
        if not self.previous_full:
            return None
        return float((self.last_full - self.previous_full) / self.previous_full)


def nice_step(maximum: float, ticks: int = 4) -> float:
    """A round axis step (1, 2, 2.5 or 5 × 10ⁿ) so that `ticks` steps cover `maximum`."""
    if maximum <= 0:
        return 1.0
    raw = maximum / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def usage_summary(series: list[dict], *, today: date | None = None) -> ChartSummary:
    today = today or date.today()
    amounts = [Decimal(row["amount"] or 0) for row in series]
    full = [row for row in series if row["period"] < date(today.year, today.month, 1)]
    peak_row = max(series, key=lambda row: row["amount"] or 0, default=None)
    return ChartSummary(
        total=sum(amounts, Decimal(0)),
        peak=Decimal(peak_row["amount"] or 0) if peak_row else Decimal(0),
        peak_period=peak_row["period"] if peak_row and peak_row["amount"] else None,
        last_full=Decimal(full[-1]["amount"] or 0) if full else Decimal(0),
        previous_full=Decimal(full[-2]["amount"] or 0) if len(full) > 1 else Decimal(0),
    )


def usage_chart_svg(
    *,
    series: list[dict],
    today: date | None = None,
    title: str = "Monthly usage amount",
    width: int = WIDTH,
    chart_id: str = "usage",
    css_class: str = "",
) -> SafeString | None:
    """A bar chart of `amount` per month (rows from company_monthly_usage), or None without usage.

    The current month is drawn lighter: it is still filling up, and a short bar there is
    not a drop in usage.
    """
    if not series or not any(row["amount"] for row in series):
        return None
    today = today or date.today()
    plot_w = width - LEFT - RIGHT
    this_month = date(today.year, today.month, 1)
    maximum = float(max(row["amount"] for row in series))
    step = nice_step(maximum)
    top = step * math.ceil(maximum / step)

    def y_of(value: float) -> float:
        return TOP + PLOT_H - (value / top) * PLOT_H

    parts: list[str] = []
    first, last = series[0]["period"], series[-1]["period"]
    summary = usage_summary(series, today=today)
    description = (
        f"Usage amount per month from {first:%B %Y} to {last:%B %Y}: "
        f"total {money(summary.total)}, peak {money(summary.peak)}"
        + (f" in {summary.peak_period:%B %Y}" if summary.peak_period else "")
        + "."
    )
    parts.append(
        format_html(
            '<svg class="chart{}" viewBox="0 0 {} {}" width="100%" role="img" aria-labelledby="{}-title {}-desc" '
            'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet" '
            'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif">'
            '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>',
            f" {css_class}" if css_class else "",
            width,
            HEIGHT,
            chart_id,
            chart_id,
            chart_id,
            title,
            chart_id,
            description,
        )
    )
    parts.append(
        format_html(
            '<text class="chart-title" x="{}" y="22" font-size="14" font-weight="600" fill="{}">{}</text>',
            LEFT,
            TITLE,
            title,
        )
    )

    # Horizontal grid lines with their money labels.
    ticks = int(round(top / step))
    for i in range(ticks + 1):
        value = step * i
        y = y_of(value)
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="1"/>'
                '<text x="{}" y="{}" font-size="12" text-anchor="end" fill="{}">{}</text>',
                LEFT,
                width - RIGHT,
                f"{y:.1f}",
                f"{y:.1f}",
                AXIS if i == 0 else GRID,
                LEFT - 8,
                f"{y + 4:.1f}",
                TEXT,
                money_short(Decimal(str(value))),
            )
        )

    # One bar per month; every third month is labelled, ending on the latest one.
    slot = plot_w / len(series)
    bar_width = slot * 0.66
    label_offset = (len(series) - 1) % 3
    labelled_year = None
    for index, row in enumerate(series):
        period: date = row["period"]
        amount = float(row["amount"] or 0)
        x = LEFT + index * slot + (slot - bar_width) / 2
        partial = period >= this_month
        tooltip = f"{period:%B %Y}: {money(row['amount'])}" + (" (month to date)" if partial else "")
        if amount > 0:
            height = max(1.0, (amount / top) * PLOT_H)
            parts.append(
                format_html(
                    '<g class="bar{}"><title>{}</title><rect x="{}" y="{}" width="{}" height="{}" rx="2" fill="{}"/></g>',
                    " bar-partial" if partial else "",
                    tooltip,
                    f"{x:.1f}",
                    f"{TOP + PLOT_H - height:.1f}",
                    f"{bar_width:.1f}",
                    f"{height:.1f}",
                    BAR_PARTIAL if partial else BAR,
                )
            )
        if index % 3 == label_offset:
            cx = LEFT + index * slot + slot / 2
            parts.append(
                format_html(
                    '<text x="{}" y="{}" font-size="12" text-anchor="middle" fill="{}">{}</text>',
                    f"{cx:.1f}",
                    TOP + PLOT_H + 16,
                    TEXT,
                    f"{period:%b}",
                )
            )
            if period.year != labelled_year:  # the year under its first labelled month only
                labelled_year = period.year
                parts.append(
                    format_html(
                        '<text x="{}" y="{}" font-size="10" text-anchor="middle" fill="{}">{}</text>',
                        f"{cx:.1f}",
                        TOP + PLOT_H + 29,
                        AXIS,
                        f"{period:%Y}",
                    )
                )

    # Axis titles.
    parts.append(
        format_html(
            '<text x="{}" y="{}" font-size="12" text-anchor="middle" fill="{}">Month</text>'
            '<text transform="translate(14 {}) rotate(-90)" font-size="12" text-anchor="middle" fill="{}">'
            "Usage amount</text>",
            f"{LEFT + plot_w / 2:.1f}",
            HEIGHT - 6,
            TEXT,
            f"{TOP + PLOT_H / 2:.1f}",
            TEXT,
        )
    )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))


def usage_table_rows(series: list[dict]) -> SafeString:
    """The chart's numbers as table rows, for screen readers and for anyone who wants the figures."""
    return format_html_join(
        "",
        '<tr><th scope="row">{}</th><td class="num">{}</td><td class="num">{}</td></tr>',
        ((f"{row['period']:%b %Y}", money(row["amount"]), f"{row['quantity']:,.0f}") for row in reversed(series)),
    )
