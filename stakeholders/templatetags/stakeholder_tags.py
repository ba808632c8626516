"""Template tags of the stakeholders area: the account page's panel and small display helpers."""
from django import template
from django.utils import timezone

from stakeholders.models import KEY_STAKEHOLDERS, Stakeholder
from stakeholders.selectors.metrics import FLAG_LABELS, FLAGS, freshness

register = template.Library()


@register.inclusion_tag("stakeholders/_panel_tag.html", takes_context=True)
def stakeholder_panel(context, company):
    """`{% stakeholder_panel company %}`: the stakeholder map, recent interactions and the log dialog."""
    from stakeholders.views.accounts import panel_context

    request = context["request"]
    return {**panel_context(request, company), "csrf_token": context.get("csrf_token")}


@register.filter
def days_label(days) -> str:
    """Days since a contact, short: "today", "1 day", "12 days", "never"."""
    if days is None:
        return "never"
    if days <= 0:
        return "today"
    return f"{days} day{'s' if days != 1 else ''}"


@register.filter
def days_short(days) -> str:
    """For dense chips: "today", "12d", "never"."""
    if days is None:
        return "never"
    if days <= 0:
        return "today"
    return f"{days}d"


SENTIMENT_SYMBOLS = {
    Stakeholder.Sentiment.POSITIVE: "▲", Stakeholder.Sentiment.NEUTRAL: "●",
    Stakeholder.Sentiment.NEGATIVE: "▼", Stakeholder.Sentiment.UNKNOWN: "?",
}


@register.filter
def sentiment_symbol(value: str) -> str:
    return SENTIMENT_SYMBOLS.get(value, "?")


@register.filter
def flag_change_class(change) -> str:
    """A flag count going up is bad news, going down good."""
    if change is None or change == 0:
        return "change-none"
    return "change-up" if change > 0 else "change-down"


@register.filter
def get_item(mapping, key):
    return (mapping or {}).get(key)


@register.filter
def days_ago(moment) -> int | None:
    """Calendar days from ``moment`` to today, both in the active (the viewer's) time zone."""
    if moment is None:
        return None
    return (timezone.localdate() - timezone.localtime(moment).date()).days


@register.filter
def freshness_of(days) -> str:
    return freshness(days)


FLAG_BADGES = {
    "few_stakeholders": "badge-warn", "no_buyer_or_sponsor": "badge-bad", "single_threaded": "badge-warn",
    "all_stale": "badge-bad", "overdue_next_steps": "badge-bad",
}


@register.filter
def flag_badge(key: str) -> str:
    return FLAG_BADGES.get(key, "badge-muted")


@register.filter
def missing_of_five(count) -> int:
    return max(0, KEY_STAKEHOLDERS - int(count or 0))


@register.filter
def flag_label(key: str) -> str:
    return FLAG_LABELS.get(key, key)


@register.filter
def flag_help(key: str) -> str:
    return next((help_text for k, _label, help_text in FLAGS if k == key), "")


@register.filter
def absolute(value):
    return abs(value) if value is not None else value
