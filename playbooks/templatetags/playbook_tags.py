"""The account page's playbooks panel and the why formatting used by every play card."""
from django import template

from playbooks.selectors import company_plays

register = template.Library()

STATUS_BADGES = {"open": "badge-info", "in_progress": "badge-warn", "done": "badge-ok", "converted": "badge-ok",
                 "disqualified": "badge-muted"}


@register.filter
def play_badge(status: str) -> str:
    return STATUS_BADGES.get(status or "", "badge-muted")


@register.filter
def why_sentence(why) -> str:
    """The why as one line: "4 workspaces · 312 seats · $8.1K MRR"."""
    if not isinstance(why, list):
        return ""
    return " · ".join(item.get("text", "") for item in why if item.get("text"))


@register.inclusion_tag("playbooks/_account_panel.html", takes_context=True)
def playbook_panel(context, company):
    """Open plays of the account (and the last closed ones): two queries."""
    open_plays, closed = company_plays(company=company)
    return {"company": company, "open_plays": open_plays, "closed_plays": closed, "request": context.get("request")}
