"""Server-rendered SVG of a team's attainment: one row per rep, one bar per component, a 100 % line."""
from decimal import Decimal

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from revops.templatetags.revops_tags import percent

COLOURS = ("#3559e0", "#11a37f", "#d98a00", "#9c4dd8")
WIDTH, LEFT, RIGHT, TOP = 980, 150, 56, 34
BAR_H, GAP, ROW_GAP = 11, 3, 16
GRID, AXIS, TEXT, TITLE = "#e6e9ef", "#9aa3b2", "#5b6474", "#1d2433"


def attainment_chart(rows: list[dict], components: list[str]) -> SafeString:
    """rows: {"name": str, "attainment": {component name: Decimal | None}} — grouped horizontal bars."""
    if not rows or not components:
        return mark_safe("")
    peak = max([Decimal("1.2")] + [a for r in rows for a in r["attainment"].values() if a is not None])
    scale_max = float(min(max(peak * Decimal("1.1"), Decimal("1.2")), Decimal(4)))
    plot_w = WIDTH - LEFT - RIGHT
    group_h = len(components) * (BAR_H + GAP) - GAP
    height = TOP + len(rows) * (group_h + ROW_GAP) + 24

    def x(ratio: float) -> float:
        return LEFT + plot_w * min(max(ratio, 0.0), scale_max) / scale_max

    parts = [format_html(
        '<svg class="chart comp-chart" viewBox="0 0 {} {}" role="img" aria-labelledby="comp-chart-title comp-chart-desc" '
        'xmlns="http://www.w3.org/2000/svg"><title id="comp-chart-title">Attainment per rep and component</title>'
        '<desc id="comp-chart-desc">Horizontal bars: attainment of each component against quota; the dashed line marks 100 %.</desc>',
        WIDTH, height)]
    for i, name in enumerate(components):  # legend
        lx = LEFT + i * 170
        parts.append(format_html('<rect x="{}" y="8" width="12" height="12" rx="2" fill="{}"/>'
                                 '<text x="{}" y="18" font-size="12" fill="{}">{}</text>',
                                 lx, COLOURS[i % len(COLOURS)], lx + 18, TEXT, name))
    step = 0.5 if scale_max <= 2.5 else 1.0
    tick = 0.0
    bottom = height - 20
    while tick <= scale_max + 1e-9:
        tx = x(tick)
        dash = ' stroke-dasharray="4 3"' if abs(tick - 1.0) < 1e-9 else ""
        colour = AXIS if abs(tick - 1.0) < 1e-9 else GRID
        parts.append(format_html('<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"' + dash + '/>'
                                 '<text x="{}" y="{}" font-size="11" fill="{}" text-anchor="middle">{}</text>',
                                 f"{tx:.1f}", TOP - 6, f"{tx:.1f}", bottom, colour, f"{tx:.1f}", bottom + 14, TEXT,
                                 f"{tick * 100:.0f}%"))
        tick += step
    y = TOP
    for row in rows:
        parts.append(format_html('<text x="{}" y="{}" font-size="12.5" fill="{}" text-anchor="end">{}</text>',
                                 LEFT - 10, f"{y + group_h / 2 + 4:.1f}", TITLE, row["name"]))
        for i, name in enumerate(components):
            value = row["attainment"].get(name)
            by = y + i * (BAR_H + GAP)
            if value is None:
                continue
            end = x(float(value))
            parts.append(format_html(
                '<g class="bar"><rect x="{}" y="{}" width="{}" height="{}" rx="2" fill="{}">'
                '<title>{}: {} — {}</title></rect>'
                '<text x="{}" y="{}" font-size="10.5" fill="{}">{}</text></g>',
                LEFT, by, f"{max(end - LEFT, 1.5):.1f}", BAR_H, COLOURS[i % len(COLOURS)], row["name"], name,
                percent(value), f"{end + 4:.1f}", by + BAR_H - 1, TEXT, percent(value)))
        y += group_h + ROW_GAP
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(str(p) for p in parts))



