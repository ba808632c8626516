"""The reporting chart: plays surfaced, actioned within 7 days and converted, per week — server-rendered SVG.

Built from numbers we computed and labels we escape (format_html), so it is inlined as-is; no
JavaScript, readable when printed. The colours and geometry follow accounts/charts.py.
"""
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from accounts.charts import nice_step
from playbooks.selectors.reporting import WeekPoint

WIDTH, HEIGHT = 760, 280
LEFT, RIGHT, TOP, BOTTOM = 44, 14, 40, 48
PLOT_H = HEIGHT - TOP - BOTTOM
SERIES = (("surfaced", "Surfaced", "#c7d2fa"), ("actioned_7d", "Actioned ≤ 7 days", "#6f8cf0"),
          ("converted", "Converted", "#11754f"))
GRID, AXIS, TEXT = "#e6e9ef", "#9aa3b2", "#5b6474"


def timeline_svg(*, points: list[WeekPoint], title: str = "Plays per week of surfacing") -> SafeString | None:
    if not points or not any(p.surfaced for p in points):
        return None
    top = max(p.surfaced for p in points)
    step = max(1, int(nice_step(top, 4)))
    axis_max = step * max(1, -(-top // step))
    plot_w = WIDTH - LEFT - RIGHT
    slot = plot_w / len(points)
    bar_w = min(14.0, (slot - 8) / 3)

    def y(value: float) -> float:
        return TOP + PLOT_H - PLOT_H * value / axis_max

    parts = []
    for tick in range(0, axis_max + 1, step):
        parts.append(format_html(
            '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}"/>'
            '<text x="{}" y="{}" text-anchor="end" font-size="11" fill="{}">{}</text>',
            LEFT, WIDTH - RIGHT, f"{y(tick):.1f}", f"{y(tick):.1f}", GRID, LEFT - 6, f"{y(tick) + 4:.1f}", TEXT, tick))
    for index, point in enumerate(points):
        x0 = LEFT + index * slot + (slot - 3 * bar_w - 4) / 2
        bars = []
        for offset, (attr, label, colour) in enumerate(SERIES):
            value = getattr(point, attr)
            height = PLOT_H * value / axis_max
            bars.append(format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" rx="2" fill="{}"><title>{}: {} {}</title></rect>',
                f"{x0 + offset * (bar_w + 2):.1f}", f"{y(value):.1f}", f"{bar_w:.1f}", f"{max(height, 0):.1f}", colour,
                f"Week of {point.week:%b %-d}", value, label.lower()))
        parts.append(format_html('<g class="bar">{}</g>', mark_safe("".join(bars))))
        if index % 2 == 0 or len(points) <= 8:
            parts.append(format_html(
                '<text x="{}" y="{}" text-anchor="middle" font-size="11" fill="{}">{}</text>',
                f"{LEFT + index * slot + slot / 2:.1f}", HEIGHT - BOTTOM + 18, TEXT, f"{point.week:%b %-d}"))
    legend = format_html_join("", '<rect x="{}" y="10" width="10" height="10" rx="2" fill="{}"/>'
                                  '<text x="{}" y="19" font-size="12" fill="{}">{}</text>',
                              ((LEFT + i * 150, colour, LEFT + i * 150 + 15, TEXT, label)
                               for i, (_a, label, colour) in enumerate(SERIES)))
    axis = format_html('<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}"/>', LEFT, WIDTH - RIGHT, TOP + PLOT_H,
                       TOP + PLOT_H, AXIS)
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-labelledby="timeline-title" '
        'xmlns="http://www.w3.org/2000/svg"><title id="timeline-title">{}</title>{}{}{}</svg>',
        WIDTH, HEIGHT, title, legend, mark_safe("".join(parts)), axis)
