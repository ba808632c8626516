"""Actual revenue per company and month: committed fees recognised from contracts plus consumption.

Recognition per contract kind (contracts in draft or cancelled never count):

* subscription, commit, hybrid — the committed amount is recognised ratably by day over the term
  (``services.recognition.ratable_split``): that is the *committed* revenue.
* consumption (pay as you go) — no committed amount; the usage amounts are the revenue.
* commit — usage *draws down* the commit (in money, at the usage's own amounts). Only usage beyond
  the commit plus any balance rolled over from the contract it renews is extra revenue (overage),
  priced at the contract's overage price per unit when it has one, otherwise at the usage's amounts.
* hybrid — priced usage units draw down the included units; units above them are billed at the
  overage price (at the usage's own unit price when the contract has none).

Usage on days no commit/hybrid contract covers is pay-as-you-go *consumption* revenue at its amounts,
so a commit customer's usage is never counted twice (once as the ratable commit, once as usage).
Usage records are monthly: a month partly covered by a contract (a mid-month start or end) is split by
the days covered. When two commit/hybrid contracts cover the same day, the one that started last takes
that day's usage. "Units" are the quantities of priced usage (records with an amount above zero):
free metrics such as API calls are not metered against included units.
"""
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from accounts.models import UsageRecord
from forecasting.models import Contract
from forecasting.services.recognition import CENT, month_start, next_month, recognised_by_month

ZERO = Decimal("0")
COUNTED = (Contract.Status.ACTIVE, Contract.Status.EXPIRED)
FEE_KINDS = (Contract.Kind.SUBSCRIPTION, Contract.Kind.COMMIT, Contract.Kind.HYBRID)
METERED_KINDS = (Contract.Kind.COMMIT, Contract.Kind.HYBRID)

Month = date
RevenueMap = dict[tuple[int, Month], tuple[Decimal, Decimal]]
# Longer id lists are filtered in Python: SQLite caps the parameters of one statement.
MAX_IN_LIST = 900


def _for_companies(qs: QuerySet, ids: set[int] | None, field: str = "company_id") -> QuerySet:
    if ids is None or len(ids) > MAX_IN_LIST:
        return qs
    return qs.filter(**{f"{field}__in": ids})


def active_contracts(*, on: date | None = None) -> QuerySet[Contract]:
    """Contracts in force on ``on`` (default today): status active and the day within the term."""
    on = on or date.today()
    return Contract.objects.filter(
        status=Contract.Status.ACTIVE, start_date__lte=on, end_date__gte=on
    ).select_related("company", "owner")


def counted_contracts() -> QuerySet[Contract]:
    """Contracts whose revenue counts: neither draft nor cancelled."""
    return Contract.objects.filter(status__in=COUNTED)


def monthly_revenue(*, start: date, end: date, company_ids: Iterable[int] | None = None) -> RevenueMap:
    """{(company_id, first day of month): (committed, consumption)} for the months from ``start`` to ``end``.

    Whole calendar months: the months of ``start`` and ``end`` count in full. Company-months with
    neither committed nor consumption revenue are left out. A handful of queries, whatever the
    number of companies; the draw-down of commit/hybrid contracts runs in Python per company.
    """
    first, last = month_start(start), month_start(end)
    window_end = next_month(last) - timedelta(days=1)
    ids = None if company_ids is None else set(company_ids)

    fees = _for_companies(
        counted_contracts().filter(kind__in=FEE_KINDS, start_date__lte=window_end, end_date__gte=first), ids
    )
    metered = _for_companies(
        counted_contracts().filter(kind__in=METERED_KINDS, start_date__lte=window_end, end_date__gte=first), ids
    )
    fee_terms = fees.values_list("company_id", "start_date", "end_date", "committed_amount").order_by()
    if ids is not None and len(ids) > MAX_IN_LIST:
        fee_terms = (row for row in fee_terms if row[0] in ids)
    committed = recognised_by_month(fee_terms, window_start=first, window_end=window_end)

    metered_list = list(metered.order_by())
    if ids is not None and len(ids) > MAX_IN_LIST:
        metered_list = [c for c in metered_list if c.company_id in ids]
    metered_contracts = with_predecessors(metered_list)
    by_company: dict[int, list[Contract]] = defaultdict(list)
    for contract in metered_contracts:
        by_company[contract.company_id].append(contract)

    usage = monthly_usage(start=first, end=last, company_ids=ids)
    earliest = min((c.start_date for c in metered_contracts), default=first)
    if by_company and month_start(earliest) < first:
        usage.update(monthly_usage(start=earliest, end=first - timedelta(days=1), company_ids=list(by_company)))

    consumption: dict[tuple[int, Month], Decimal] = defaultdict(Decimal)
    metered_usage: dict[int, dict[Month, UsageMonth]] = defaultdict(dict)
    for (company_id, month), row in usage.items():
        if company_id in by_company:
            metered_usage[company_id][month] = row
        elif first <= month <= last:
            consumption[(company_id, month)] += row.amount
    for company_id, contracts in by_company.items():
        ledger = draw_down(contracts=contracts, usage=metered_usage.get(company_id, {}))
        for month, amount in ledger.consumption.items():
            if first <= month <= last:
                consumption[(company_id, month)] += amount

    out: RevenueMap = {}
    for key in set(committed) | set(consumption):
        fee, used = committed.get(key, ZERO), consumption.get(key, ZERO).quantize(CENT, rounding=ROUND_HALF_UP)
        if fee or used:
            out[key] = (fee, used)
    return out


# --- usage --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UsageMonth:
    amount: Decimal  # Σ amount of every metric
    units: Decimal  # Σ quantity of priced records (amount > 0)


def monthly_usage(*, start: date, end: date, company_ids: Iterable[int] | None = None) -> dict[tuple[int, Month], UsageMonth]:
    """{(company_id, month): UsageMonth} of usage booked on a company or its workspaces, months start..end.

    Two grouped queries (workspace usage, company usage), so each uses its own index.
    """
    first, last = month_start(start), month_start(end)
    out: dict[tuple[int, Month], UsageMonth] = {}
    ids = None if company_ids is None else set(company_ids)
    for company_field in ("workspace__company_id", "company_id"):
        qs = UsageRecord.objects.filter(period__gte=first, period__lte=last).filter(
            **{f"{company_field}__isnull": False}
        )
        qs = _for_companies(qs, ids, company_field)
        rows = (
            qs.order_by()
            .values_list(company_field, "period")
            .annotate(
                total_amount=Coalesce(Sum("amount"), ZERO),
                priced_units=Coalesce(Sum("quantity", filter=Q(amount__gt=0)), ZERO),
            )
        )
        for company_id, period, amount, units in rows:
            if ids is not None and company_id not in ids:
                continue
            key = (company_id, period)
            previous = out.get(key)
            if previous:
                amount, units = amount + previous.amount, units + previous.units
            out[key] = UsageMonth(Decimal(amount), Decimal(units))
    return out


# --- draw-down of commit and hybrid contracts ---------------------------------------------------


@dataclass
class ContractLedger:
    """What one commit/hybrid contract absorbed: per month the usage it drew and the overage billed."""

    contract: Contract
    available: Decimal  # commit + rollover in (commit, money) or included units (hybrid, units)
    rollover_in: Decimal = ZERO
    drawn_amount: dict[Month, Decimal] = field(default_factory=dict)  # usage amounts in the term
    drawn_units: dict[Month, Decimal] = field(default_factory=dict)
    overage: dict[Month, Decimal] = field(default_factory=dict)  # revenue billed above the commit
    consumed: Decimal = ZERO  # commit: money drawn; hybrid: units drawn

    @property
    def unused(self) -> Decimal:
        return max(ZERO, self.available - self.consumed)


@dataclass
class CompanyLedger:
    contracts: dict[int, ContractLedger]
    consumption: dict[Month, Decimal]  # pay-as-you-go usage plus overage, per month


def with_predecessors(contracts: list[Contract]) -> list[Contract]:
    """The contracts plus every commit contract they renew (transitively): rollover needs them."""
    loaded = {c.pk: c for c in contracts}
    wanted = {c.renewal_of_id for c in contracts if c.renewal_of_id and c.renewal_of_id not in loaded}
    while wanted:
        found = list(counted_contracts().filter(pk__in=wanted, kind=Contract.Kind.COMMIT))
        loaded.update({c.pk: c for c in found})
        wanted = {c.renewal_of_id for c in found if c.renewal_of_id and c.renewal_of_id not in loaded}
    return list(loaded.values())


def coverage(contracts: list[Contract], month: Month) -> tuple[dict[int, int], int]:
    """({contract id: days of ``month`` it takes}, days in the month); a day goes to the latest start."""
    last = next_month(month) - timedelta(days=1)
    overlapping = [c for c in contracts if c.start_date <= last and c.end_date >= month]
    days_in_month = last.day
    if not overlapping:
        return {}, days_in_month
    if len(overlapping) == 1:
        c = overlapping[0]
        return {c.pk: (min(c.end_date, last) - max(c.start_date, month)).days + 1}, days_in_month
    overlapping.sort(key=lambda c: (c.start_date, c.pk), reverse=True)
    days: dict[int, int] = defaultdict(int)
    for offset in range(days_in_month):
        day = month + timedelta(days=offset)
        for c in overlapping:
            if c.start_date <= day <= c.end_date:
                days[c.pk] += 1
                break
    return dict(days), days_in_month


def draw_down(*, contracts: list[Contract], usage: dict[Month, UsageMonth]) -> CompanyLedger:
    """Run one company's monthly usage through its commit/hybrid contracts, oldest month first.

    1. Each month's usage is split by the days each contract covers; the uncovered share is
       pay-as-you-go consumption.
    2. A commit draws the covered amount; what goes beyond commit + rollover in is overage.
       A hybrid draws the covered units; units beyond the included ones are overage.
    3. A renewal's rollover in is the unused balance of the contract it renews × that contract's
       rollover fraction, fixed when the renewal first draws (the renewed term is over by then).
    """
    metered = [c for c in contracts if c.kind in METERED_KINDS]
    by_id = {c.pk: c for c in contracts}
    ledgers: dict[int, ContractLedger] = {}
    consumption: dict[Month, Decimal] = defaultdict(Decimal)
    opening: set[int] = set()

    def ledger_for(contract: Contract) -> ContractLedger:
        if contract.pk not in ledgers:
            if contract.kind == Contract.Kind.COMMIT:
                previous = by_id.get(contract.renewal_of_id) if contract.renewal_of_id else None
                rollover = ZERO
                if previous is not None and previous.kind == Contract.Kind.COMMIT and previous.pk not in opening:
                    opening.add(contract.pk)  # a renewal cycle in bad data must not recurse forever
                    rollover = (ledger_for(previous).unused * previous.rollover_fraction).quantize(CENT, rounding=ROUND_HALF_UP)
                ledgers[contract.pk] = ContractLedger(
                    contract, available=contract.committed_amount + rollover, rollover_in=rollover
                )
            else:
                ledgers[contract.pk] = ContractLedger(contract, available=contract.included_units or ZERO)
        return ledgers[contract.pk]

    for month in sorted(usage):
        row = usage[month]
        taken, days_in_month = coverage(metered, month)
        covered_days = sum(taken.values())
        if covered_days < days_in_month:
            consumption[month] += row.amount * (days_in_month - covered_days) / days_in_month
        for contract_id, days in sorted(taken.items(), key=lambda item: (by_id[item[0]].start_date, item[0])):
            share = Decimal(days) / days_in_month
            amount, units = row.amount * share, row.units * share
            ledger = ledger_for(by_id[contract_id])
            ledger.drawn_amount[month] = ledger.drawn_amount.get(month, ZERO) + amount
            ledger.drawn_units[month] = ledger.drawn_units.get(month, ZERO) + units
            billed = _overage(ledger, amount, units)
            if billed:
                ledger.overage[month] = ledger.overage.get(month, ZERO) + billed
                consumption[month] += billed
    for contract in sorted(metered, key=lambda c: (c.start_date, c.pk)):
        ledger_for(contract)  # contracts without usage yet, after their predecessors' draw is known
    return CompanyLedger(contracts=ledgers, consumption=dict(consumption))


def _overage(ledger: ContractLedger, amount: Decimal, units: Decimal) -> Decimal:
    """Draw this month's share into the ledger; return the revenue billed above the allowance."""
    contract = ledger.contract
    before = ledger.consumed
    drawn = amount if contract.kind == Contract.Kind.COMMIT else units
    ledger.consumed = before + drawn
    excess = max(ZERO, ledger.consumed - ledger.available) - max(ZERO, before - ledger.available)
    if excess <= 0 or drawn <= 0:
        return ZERO
    if contract.kind == Contract.Kind.COMMIT:
        if contract.overage_price is None or units <= 0:
            return excess
        return excess * (units / amount) * contract.overage_price  # the excess money's units, repriced
    if contract.overage_price is not None:
        return excess * contract.overage_price
    return excess * (amount / units) if units > 0 else ZERO
