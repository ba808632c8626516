"""Formatting and link helpers shared by every page: money, percentages, sortable headers."""
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.conf import settings
from django.utils.html import format_html

register = template.Library()

EMPTY = "—"


def _currency() -> str:
    return getattr(settings, "REVOPS_CURRENCY_SYMBOL", "$")


def _round(value: Decimal, places: int) -> Decimal:
    """Commercial rounding (half up): 2.5 → 3, as people expect money and percentages to round."""
    return value.quantize(Decimal(1).scaleb(-int(places)), rounding=ROUND_HALF_UP)


def _to_decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None


@register.filter
def money(value, places: int = 0) -> str:
    """12345.6 → "$12,346"; money:2 keeps cents. None → "—"."""
    amount = _to_decimal(value)
    if amount is None:
        return EMPTY
    sign = "-" if amount < 0 else ""
    return f"{sign}{_currency()}{_round(abs(amount), places):,.{int(places)}f}"


@register.filter
def money_short(value) -> str:
    """Compact money for dense places: $950, $12.3K, $4.5M, $1.2B."""
    amount = _to_decimal(value)
    if amount is None:
        return EMPTY
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    for threshold, suffix in ((Decimal(10) ** 9, "B"), (Decimal(10) ** 6, "M"), (Decimal(10) ** 3, "K")):
        if amount >= threshold:
            scaled = amount / threshold
            text = f"{_round(scaled, 0):,.0f}" if scaled >= 100 else f"{_round(scaled, 1):,.1f}".removesuffix(".0")
            return f"{sign}{_currency()}{text}{suffix}"
    return f"{sign}{_currency()}{_round(amount, 0):,.0f}"


@register.filter
def percent(ratio, places: int | None = None) -> str:
    """A ratio as a percentage: 0.123 → "12%", 0.004 → "0.4%". None → "—"."""
    value = _to_decimal(ratio)
    if value is None:
        return EMPTY
    pct = value * 100
    if 0 < pct < Decimal("0.1") and places is None:
        return "<0.1%"  # some usage: "0%" would read as none
    if places is None:
        places = 1 if 0 < abs(pct) < 10 else 0
    text = f"{_round(pct, places):,.{int(places)}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


@register.filter
def bar_width(ratio) -> str:
    """A ratio clamped to 0–100 for a progress bar's inline width."""
    value = _to_decimal(ratio)
    if value is None:
        return "0"
    return f"{max(Decimal(0), min(Decimal(100), value * 100)):.1f}"


_TIER_BADGES = {"enterprise": "badge-info", "mid_market": "badge-ok", "smb": "badge-muted"}
_STATUS_BADGES = {"active": "badge-ok", "trial": "badge-info", "suspended": "badge-warn", "churned": "badge-bad"}


@register.filter
def tier_badge(tier: str) -> str:
    return _TIER_BADGES.get(tier or "", "badge-muted")


@register.filter
def status_badge(status: str) -> str:
    return _STATUS_BADGES.get(status or "", "badge-muted")


def _query_with(request, **changes) -> str:
    """The current query string with some parameters replaced (None removes one)."""
    params = request.GET.copy()
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag(takes_context=True)
def sort_header(context, key: str, label: str, numeric: bool = False, default: str = "name") -> str:
    """A <th> whose link sorts by `key`, toggling direction; numbers sort largest first on the first click.

    The page number is dropped: a new order starts on page one. `default` is the order in
    effect when the URL names none, so its header shows the arrow.
    """
    request = context["request"]
    current = request.GET.get("sort") or default
    if current == key:
        state, next_sort, arrow = "ascending", f"-{key}", "▲"
    elif current == f"-{key}":
        state, next_sort, arrow = "descending", key, "▼"
    else:
        state, next_sort, arrow = "none", (f"-{key}" if numeric else key), ""
    direction = "descending" if next_sort.startswith("-") else "ascending"
    return format_html(
        '<th scope="col"{}{}><a class="sort{}" href="{}" title="Sort by {} ({})">{}<span class="sort-arrow" aria-hidden="true">{}</span></a></th>',
        format_html(' class="{}"', "num") if numeric else "",
        format_html(' aria-sort="{}"', state) if state != "none" else "",
        " sorted" if state != "none" else "",
        _query_with(request, sort=next_sort, page=None),
        label.lower(),
        direction,
        label,
        arrow,
    )


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """`{% query_with page=2 %}` → "?q=acme&tier=smb&page=2". Pass an empty string to drop a key."""
    cleaned = {key: (None if value in ("", None) else str(value)) for key, value in changes.items()}
    return _query_with(context["request"], **cleaned)
