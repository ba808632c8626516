"""Contracts, pipeline and retention (NRR/GRR) pages.

/forecast/retention/ — NRR and GRR per month on ARR or total revenue, breakdowns, cohort heat map.
/forecast/contracts/ — every contract with its commit burn-down status; /forecast/contracts/<id>/ one contract.
"""
from collections import Counter
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Sum
from django.shortcuts import get_object_or_404, render
from django.urls import path

from forecasting.models import Contract
from forecasting.selectors.contracts import contract_list as select_contracts
from forecasting.selectors.retention import BASES, DIMENSIONS, last_complete_month, retention_report
from forecasting.selectors.revenue import FEE_KINDS, active_contracts
from forecasting.services.burndown import BurnStatus, commit_burndown, commit_burndowns
from forecasting.services.recognition import add_months, ratable_split
from forecasting.views.revenue_charts import COMPACT_WIDTH, burndown_chart, retention_chart
from revops.roles import is_revops_admin

PAGE_SIZE = 50
CONTRACT_FILTERS = ("q", "kind", "status", "owner", "burn")
BREAKDOWN_SORTS = {
    "label": lambda row: row.label.lower(), "customers": lambda row: row.figures.customers,
    "start": lambda row: row.figures.start, "now": lambda row: row.figures.now,
    "nrr": lambda row: row.figures.nrr if row.figures.nrr is not None else -1,
    "grr": lambda row: row.figures.grr if row.figures.grr is not None else -1,
}
BURN_BADGES = {
    BurnStatus.ON_TRACK: "badge-ok", BurnStatus.OVERAGE: "badge-info", BurnStatus.EXHAUSTED: "badge-info",
    BurnStatus.SHORTFALL: "badge-warn", BurnStatus.NOT_STARTED: "badge-muted", BurnStatus.ENDED: "badge-muted",
}
STATUS_BADGES = {"active": "badge-ok", "draft": "badge-muted", "expired": "badge-muted", "cancelled": "badge-bad"}


def _month_param(value: str | None) -> date | None:
    try:
        year, month = (int(part) for part in (value or "").split("-")[:2])
        return date(year, month, 1)
    except ValueError:
        return None


def heat_class(nrr) -> str:
    """A colour band for an NRR cell: red below 80 %, through neutral at 100 %, to green above 120 %."""
    if not isinstance(nrr, (int, float)):
        return "heat-none"  # no cohort that month (the template passes "" for a missing cell)
    for threshold, name in ((0.8, "heat-1"), (0.9, "heat-2"), (0.98, "heat-3"), (1.02, "heat-4"), (1.1, "heat-5"),
                            (1.2, "heat-6")):
        if nrr < threshold:
            return name
    return "heat-7"


@login_required
def retention(request):
    basis = request.GET.get("basis") if request.GET.get("basis") in BASES else "total"
    months = 24 if request.GET.get("months") == "24" else 12
    latest_month = last_complete_month()
    as_of = _month_param(request.GET.get("as_of"))
    if as_of is None or as_of > latest_month:
        as_of = latest_month
    report = retention_report(basis=basis, months=months, as_of=as_of)
    sort = request.GET.get("sort", "-start")
    key = BREAKDOWN_SORTS.get(sort.lstrip("-"), BREAKDOWN_SORTS["start"])
    breakdowns = [
        (dimension, DIMENSIONS[dimension], sorted(rows, key=key, reverse=sort.startswith("-")))
        for dimension, rows in report.breakdowns.items()
    ]
    heat_rows = [
        (cohort, [(month, report.heatmap.get((cohort, month))) for month in report.months])
        for cohort in report.heatmap_cohorts
    ]
    previous = report.series[-13][1] if len(report.series) >= 13 else None
    context = {
        "report": report, "basis": basis, "basis_label": BASES[basis], "bases": BASES, "months": months,
        "latest": report.latest, "previous_year": previous,
        "chart": retention_chart(report, css_class="chart-wide"),
        "chart_compact": retention_chart(report, width=COMPACT_WIDTH, css_class="chart-compact",
                                         chart_id="retention-compact"),
        "breakdowns": breakdowns, "heat_rows": heat_rows, "heat_months": report.months, "sort": sort,
        "month_options": [add_months(latest_month, -k) for k in range(0, 24)],
        "has_data": any(figures.customers for _, figures in report.series),
    }
    return render(request, "forecasting/revenue/retention.html", context)


@login_required
def contract_list(request):
    filters = {key: request.GET[key] for key in ("q", "kind", "status", "owner", "sort") if request.GET.get(key)}
    contracts = select_contracts(filters=filters)
    burn = request.GET.get("burn", "")
    today = date.today()
    if burn in BurnStatus.LABELS:
        commits = list(contracts.filter(kind=Contract.Kind.COMMIT))
        wanted = [pk for pk, b in commit_burndowns(contracts=commits, today=today).items() if b.status == burn]
        contracts = contracts.filter(pk__in=wanted)
    paginator = Paginator(contracts, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    rows = list(page.object_list)
    burns = commit_burndowns(contracts=rows, today=today)

    in_force = active_contracts(on=today)
    fee_in_force = in_force.filter(kind__in=FEE_KINDS).aggregate(total=Sum("committed_amount"))["total"] or Decimal(0)
    commit_burns = commit_burndowns(contracts=list(in_force.filter(kind=Contract.Kind.COMMIT)), today=today)
    statuses = Counter(b.status for b in commit_burns.values())
    User = get_user_model()
    context = {
        "page": page, "paginator": paginator, "rows": [(c, burns.get(c.pk)) for c in rows],
        "page_range": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "params": request.GET, "sort": request.GET.get("sort", ""),
        "filtered": any(request.GET.get(key) for key in CONTRACT_FILTERS),
        "kinds": Contract.Kind.choices, "statuses": Contract.Status.choices, "burn_statuses": BurnStatus.LABELS,
        "owners": User.objects.filter(contracts__isnull=False).distinct().order_by("first_name", "last_name"),
        "in_force_count": in_force.count(), "fee_in_force": fee_in_force,
        "overage": statuses[BurnStatus.OVERAGE] + statuses[BurnStatus.EXHAUSTED],
        "shortfall": statuses[BurnStatus.SHORTFALL],
        "shortfall_amount": sum((b.projected_shortfall for b in commit_burns.values()
                                 if b.status == BurnStatus.SHORTFALL), Decimal(0)),
        "overage_amount": sum((b.projected_overage for b in commit_burns.values()), Decimal(0)),
        "burn_badges": BURN_BADGES, "status_badges": STATUS_BADGES, "can_admin": is_revops_admin(request.user),
    }
    return render(request, "forecasting/revenue/contract_list.html", context)


@login_required
def contract_detail(request, pk: int):
    contract = get_object_or_404(Contract.objects.select_related("company", "owner", "renewal_of"), pk=pk)
    burn = commit_burndown(contract=contract) if contract.kind == Contract.Kind.COMMIT else None
    schedule = ratable_split(contract.committed_amount, contract.start_date, contract.end_date) \
        if contract.kind in FEE_KINDS and contract.committed_amount else []
    context = {
        "contract": contract, "burn": burn, "schedule": schedule,
        "renewals": list(contract.renewals.order_by("start_date")),
        "chart": burndown_chart(burn, css_class="chart-wide") if burn else None,
        "chart_compact": burndown_chart(burn, width=COMPACT_WIDTH, css_class="chart-compact",
                                        chart_id="burndown-compact") if burn else None,
        "burn_badges": BURN_BADGES, "status_badges": STATUS_BADGES, "can_admin": is_revops_admin(request.user),
        "today": date.today(),
    }
    return render(request, "forecasting/revenue/contract_detail.html", context)


urlpatterns: list = [
    path("forecast/retention/", retention, name="retention"),
    path("forecast/contracts/", contract_list, name="contract_list"),
    path("forecast/contracts/<int:pk>/", contract_detail, name="contract_detail"),
]
