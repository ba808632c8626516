"""Template helpers of the revenue pages and the account page's forecast panel."""
from datetime import date
from decimal import Decimal

from django import template
from django.db.models import Sum

from forecasting.models import ConsumptionForecast, Contract, ForecastRun
from forecasting.services.burndown import commit_burndowns
from forecasting.services.opportunities import CLOSED_STAGES
from forecasting.services.recognition import add_months, month_start
from forecasting.views import revenue as revenue_views
from forecasting.views.revenue_charts import COMPACT_WIDTH, burndown_chart

register = template.Library()

register.filter("heat_class", revenue_views.heat_class)


@register.filter
def burn_badge(status: str) -> str:
    return revenue_views.BURN_BADGES.get(status, "badge-muted")


@register.filter
def contract_status_badge(status: str) -> str:
    return revenue_views.STATUS_BADGES.get(status, "badge-muted")


def _featured_commit(contracts: list[Contract], today: date) -> Contract | None:
    """The commit to chart: the one in force (latest start), else the latest one that started."""
    commits = [c for c in contracts if c.kind == Contract.Kind.COMMIT and c.status != Contract.Status.CANCELLED]
    in_force = [c for c in commits if c.status == Contract.Status.ACTIVE and c.start_date <= today <= c.end_date]
    pool = in_force or [c for c in commits if c.start_date <= today] or commits
    return max(pool, key=lambda c: (c.start_date, c.pk), default=None)


def latest_forecast(company, today: date) -> dict | None:
    """The company's consumption forecast from the latest succeeded run: next 12 months with its interval."""
    run = ForecastRun.objects.filter(status=ForecastRun.Status.SUCCEEDED).order_by("-created_at", "-pk").first()
    if run is None:
        return None
    start = month_start(today)
    rows = ConsumptionForecast.objects.filter(run=run, company=company, period__gte=start,
                                              period__lt=add_months(start, 12))
    totals = rows.aggregate(value=Sum("value"), low=Sum("low"), high=Sum("high"))
    if totals["value"] is None:
        return None
    method = rows.values_list("method", flat=True).first()
    return {"run": run, "method": method, **totals}


@register.inclusion_tag("forecasting/_account_panel.html", takes_context=True)
def forecast_panel(context, company):
    """Contracts, the commit burn-down, open pipeline and the consumption forecast of one account.

    A fixed handful of queries whatever the number of contracts or opportunities.
    """
    today = date.today()
    contracts = list(company.contracts.select_related("owner").order_by("-start_date", "-pk"))
    featured = _featured_commit(contracts, today)
    burns = commit_burndowns(contracts=[c for c in contracts if c.kind == Contract.Kind.COMMIT
                                        and c.status != Contract.Status.CANCELLED], today=today)
    burn = burns.get(featured.pk) if featured else None
    opportunities = list(company.opportunities.exclude(stage__in=CLOSED_STAGES).select_related("owner")
                         .order_by("close_date", "pk"))
    pipeline = sum((o.amount for o in opportunities), Decimal(0))
    weighted = sum((o.amount * o.probability for o in opportunities), Decimal(0))
    return {
        "request": context.get("request"),
        "company": company, "contracts": contracts, "burns": burns, "burn": burn,
        "chart": burndown_chart(burn, css_class="chart-wide", chart_id="panel-burndown") if burn else None,
        "chart_compact": burndown_chart(burn, width=COMPACT_WIDTH, css_class="chart-compact",
                                        chart_id="panel-burndown-compact") if burn else None,
        "opportunities": opportunities, "pipeline": pipeline, "weighted": weighted,
        "forecast": latest_forecast(company, today), "today": today,
    }


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def kind_short(contract) -> str:
    """"Commit (minimum spend drawn down by usage)" → "Commit": the long label is for forms."""
    return contract.get_kind_display().split(" (")[0]
