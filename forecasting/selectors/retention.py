"""Net and gross revenue retention, trailing twelve months, computed for every month.

For a month M the cohort is every customer (company) with revenue in M − 12. Then:
* NRR = Σ their revenue in M ÷ Σ their revenue in M − 12 — expansion counts, churned customers count as
  zero, customers new since M − 12 are not in the cohort;
* GRR = Σ min(revenue in M, revenue in M − 12) ÷ Σ revenue in M − 12 — never above 100 %.
Comparing the same calendar month a year apart cancels seasonality and month length.

Two bases: ``arr`` — committed recurring revenue (contract fees recognised in the month, annualised by
days) — and ``total`` — committed + consumption (``selectors.revenue.monthly_revenue``). Breakdowns by
segment (company tier), rep (account owner) and signup cohort (year of the company's first revenue),
plus a heat map of NRR by signup cohort and month. The month in progress is left out: its usage is
incomplete. One ``monthly_revenue`` call and a few queries, whatever the number of companies.
"""
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Min

from accounts.models import Company, UsageRecord
from forecasting.selectors.revenue import FEE_KINDS, MAX_IN_LIST, counted_contracts, monthly_revenue
from forecasting.services.recognition import add_months, month_start

ZERO = Decimal("0")
BASES = {"total": "Total revenue (committed + consumption)", "arr": "ARR (committed recurring)"}
DIMENSIONS = {"segment": "Segment", "rep": "Rep", "cohort": "Signup cohort"}


@dataclass
class Retention:
    """Figures of one cohort at one month: revenue then and now, and how it moved."""

    customers: int = 0
    start: Decimal = ZERO  # their revenue twelve months earlier
    now: Decimal = ZERO
    expansion: Decimal = ZERO
    contraction: Decimal = ZERO
    churn: Decimal = ZERO
    churned_customers: int = 0
    kept: Decimal = ZERO  # Σ min(now, then)

    def add(self, then: Decimal, now: Decimal) -> None:
        self.customers += 1
        self.start += then
        self.now += now
        self.kept += min(then, now)
        if now <= 0:
            self.churn += then
            self.churned_customers += 1
        elif now < then:
            self.contraction += then - now
        else:
            self.expansion += now - then

    @property
    def nrr(self) -> float | None:
        return float(self.now / self.start) if self.start > 0 else None

    @property
    def grr(self) -> float | None:
        return float(self.kept / self.start) if self.start > 0 else None


@dataclass
class BreakdownRow:
    key: str
    label: str
    figures: Retention


@dataclass
class RetentionReport:
    basis: str
    months: list[date]  # the months measured, oldest first
    series: list[tuple[date, Retention]]
    breakdowns: dict[str, list[BreakdownRow]] = field(default_factory=dict)  # dimension → rows at the last month
    heatmap_cohorts: list[str] = field(default_factory=list)
    heatmap: dict[tuple[str, date], Retention] = field(default_factory=dict)

    @property
    def latest(self) -> Retention | None:
        return self.series[-1][1] if self.series else None

    @property
    def as_of(self) -> date | None:
        return self.months[-1] if self.months else None


def last_complete_month(today: date | None = None) -> date:
    return add_months(month_start(today or date.today()), -1)


def annualised(amount: Decimal, month: date) -> Decimal:
    """A month's recognised fees as an annual run-rate: × days in the year ÷ days in the month, so a
    28-day February and a 31-day March of the same contract read the same ARR."""
    days_in_month = (add_months(month, 1) - month).days
    days_in_year = (date(month.year + 1, 1, 1) - date(month.year, 1, 1)).days
    return (amount * days_in_year / days_in_month).quantize(Decimal("0.01"))


def customer_revenue(*, start: date, end: date, basis: str) -> dict[int, dict[date, Decimal]]:
    """{company id: {month: revenue on the basis}} for the months start..end; only non-zero months."""
    if basis not in BASES:
        raise ValueError(f"Unknown basis {basis!r}")
    out: dict[int, dict[date, Decimal]] = defaultdict(dict)
    for (company_id, month), (committed, consumption) in monthly_revenue(start=start, end=end).items():
        value = annualised(committed, month) if basis == "arr" else committed + consumption
        if value > 0:
            out[company_id][month] = value
    return out


def first_revenue_months(company_ids) -> dict[int, date]:
    """The month each company first had revenue: its first counted fee contract or its first usage."""
    ids = set(company_ids)
    firsts: dict[int, date] = {}

    def keep(company_id, day):
        if company_id in ids and day is not None:
            day = month_start(day)
            if company_id not in firsts or day < firsts[company_id]:
                firsts[company_id] = day

    contracts = counted_contracts().filter(kind__in=FEE_KINDS, committed_amount__gt=0)
    for company_id, first in contracts.order_by().values_list("company_id").annotate(first=Min("start_date")):
        keep(company_id, first)
    for company_field in ("workspace__company_id", "company_id"):
        rows = (
            UsageRecord.objects.filter(amount__gt=0, **{f"{company_field}__isnull": False})
            .order_by().values_list(company_field).annotate(first=Min("period"))
        )
        for company_id, first in rows:
            keep(company_id, first)
    return firsts


def retention_report(*, basis: str = "total", months: int = 12, as_of: date | None = None,
                     dimensions: tuple[str, ...] = tuple(DIMENSIONS)) -> RetentionReport:
    """NRR/GRR for each of the ``months`` months ending with ``as_of`` (default: the last complete month),
    with the breakdowns at the last month and the cohort heat map over all of them."""
    last = month_start(as_of) if as_of else last_complete_month()
    measured = [add_months(last, -k) for k in range(months - 1, -1, -1)]
    revenue = customer_revenue(start=add_months(measured[0], -12), end=last, basis=basis)

    series = []
    for month in measured:
        figures = Retention()
        earlier = add_months(month, -12)
        for by_month in revenue.values():
            then = by_month.get(earlier)
            if then:
                figures.add(then, by_month.get(month, ZERO))
        series.append((month, figures))
    report = RetentionReport(basis=basis, months=measured, series=series)

    customers = list(revenue)
    company_rows = Company.objects.values("id", "tier", "owner_id")
    if len(customers) <= MAX_IN_LIST:
        company_rows = company_rows.filter(id__in=customers)
    companies = {row["id"]: row for row in company_rows}
    firsts = first_revenue_months(customers)
    cohort_of = {cid: str(firsts[cid].year) if cid in firsts else "Unknown" for cid in customers}

    labels: dict[str, Callable[[int], tuple[str, str]]] = {}
    if "segment" in dimensions:
        tiers = dict(Company.Tier.choices)
        labels["segment"] = lambda cid: (companies.get(cid, {}).get("tier") or "", tiers.get(
            companies.get(cid, {}).get("tier") or "", "Untiered") or "Untiered")
    if "rep" in dimensions:
        owner_ids = {row["owner_id"] for row in companies.values() if row["owner_id"]}
        names = {user.pk: user.get_full_name() or user.get_username()
                 for user in get_user_model().objects.filter(pk__in=owner_ids)}

        def rep_label(cid):
            owner = companies.get(cid, {}).get("owner_id")
            return (str(owner), names[owner]) if owner in names else ("", "No owner")
        labels["rep"] = rep_label
    if "cohort" in dimensions:
        labels["cohort"] = lambda cid: (cohort_of[cid], cohort_of[cid])

    earlier = add_months(last, -12)
    for dimension, label_of in labels.items():
        groups: dict[str, BreakdownRow] = {}
        for cid, by_month in revenue.items():
            then = by_month.get(earlier)
            if not then:
                continue
            key, label = label_of(cid)
            row = groups.setdefault(key, BreakdownRow(key=key, label=label, figures=Retention()))
            row.figures.add(then, by_month.get(last, ZERO))
        report.breakdowns[dimension] = sorted(groups.values(), key=lambda row: (-row.figures.start, row.label))

    heat: dict[tuple[str, date], Retention] = defaultdict(Retention)
    for cid, by_month in revenue.items():
        for month in measured:
            then = by_month.get(add_months(month, -12))
            if then:
                heat[(cohort_of[cid], month)].add(then, by_month.get(month, ZERO))
    report.heatmap = dict(heat)
    report.heatmap_cohorts = sorted({cohort for cohort, _ in heat})
    return report
