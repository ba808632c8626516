"""Commit burn-down: how fast a commit contract's balance is consumed and where it lands at term end.

* consumed — usage amounts the contract drew so far (``selectors.revenue.draw_down``: a month partly
  in the term counts by days covered; the current month counts as far as its usage is recorded).
* available — the commit plus the balance rolled over from the contract it renews.
* run-rate — average monthly usage of the company over the last three complete months (fewer when
  the company is newer; the month so far, scaled to a full month, when it has nothing else).
* projection — consumed + run-rate per day × days left in the term; exhaustion is the day the
  projection reaches the available balance (None when it does not within the term).
* at term end — overage (projected usage above the balance: expansion signal, priced at the
  overage price per unit when the contract has one), shortfall (balance left: risk signal);
  a postpaid commit bills the shortfall as the true-up, a prepaid one was paid up front;
  rollover = shortfall × rollover fraction, carried into the renewal.
* burn ratio — consumed ÷ (commit × share of the term elapsed); above 1 expansion, below 1 risk.
"""
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from forecasting.models import Contract
from forecasting.selectors.revenue import (
    METERED_KINDS,
    UsageMonth,
    counted_contracts,
    draw_down,
    monthly_usage,
    with_predecessors,
)
from forecasting.services.recognition import CENT, add_months, month_start, next_month
from revops.errors import ApplicationError

ZERO = Decimal("0")
DAYS_PER_MONTH = Decimal("30.4375")  # 365.25 / 12
RUN_RATE_MONTHS = 3
TOLERANCE = Decimal("0.075")  # a projection within 7.5 % of the balance either way is "on track"


class BurnStatus:
    NOT_STARTED = "not_started"
    ON_TRACK = "on_track"
    OVERAGE = "overage"
    SHORTFALL = "shortfall"
    EXHAUSTED = "exhausted"
    ENDED = "ended"

    LABELS = {
        NOT_STARTED: "Not started",
        ON_TRACK: "On track",
        OVERAGE: "Overage expected",
        SHORTFALL: "Shortfall expected",
        EXHAUSTED: "Commit exhausted",
        ENDED: "Ended",
    }


@dataclass(frozen=True)
class BurnPoint:
    month: date
    consumed: Decimal | None  # cumulative actual at month end (None for future months)
    projected: Decimal | None  # cumulative projection at month end (None for past months)
    expected: Decimal  # commit × share of the term elapsed at month end: the straight burn line
    available: Decimal  # commit + rollover in: the line the burn-down crosses at exhaustion


@dataclass(frozen=True)
class Burndown:
    contract: Contract
    today: date
    committed: Decimal
    rollover_in: Decimal
    available: Decimal
    consumed: Decimal
    remaining: Decimal
    run_rate_monthly: Decimal
    projected_consumption: Decimal  # at term end
    projected_exhaustion: date | None
    projected_overage: Decimal  # revenue above the commit at term end
    projected_shortfall: Decimal  # balance unused at term end
    true_up: Decimal  # postpaid: the shortfall billed at term end
    rollover_amount: Decimal  # shortfall × rollover fraction, into the renewal
    burn_ratio: float | None
    elapsed_share: float  # share of the term elapsed (0–1)
    status: str
    series: list[BurnPoint] = field(default_factory=list)

    @property
    def status_label(self) -> str:
        return BurnStatus.LABELS[self.status]

    @property
    def consumed_share(self) -> float:
        return float(self.consumed / self.available) if self.available else 0.0


def commit_burndown(*, contract: Contract, today: date | None = None) -> Burndown:
    """The burn-down of one commit contract as of ``today`` (default: today). A few queries."""
    if contract.kind != Contract.Kind.COMMIT:
        raise ApplicationError(f"Only commit contracts have a burn-down; {contract.external_id} is "
                               f"{contract.get_kind_display().lower()}.")
    return commit_burndowns(contracts=[contract], today=today)[contract.pk]


def commit_burndowns(*, contracts: Iterable[Contract], today: date | None = None) -> dict[int, Burndown]:
    """{contract id: Burndown} for many commit contracts in a constant number of queries."""
    today = today or date.today()
    targets = [c for c in contracts if c.kind == Contract.Kind.COMMIT]
    if not targets:
        return {}
    company_ids = {c.company_id for c in targets}
    metered = {c.pk: c for c in counted_contracts().filter(company_id__in=company_ids, kind__in=METERED_KINDS)}
    metered.update({c.pk: c for c in targets})  # a draft can be previewed
    everything = with_predecessors(list(metered.values()))
    by_company: dict[int, list[Contract]] = defaultdict(list)
    for c in everything:
        by_company[c.company_id].append(c)

    earliest = min(min(c.start_date for c in everything), add_months(today, -RUN_RATE_MONTHS - 1))
    usage: dict[int, dict[date, UsageMonth]] = defaultdict(dict)
    for (company_id, month), row in monthly_usage(start=earliest, end=today, company_ids=company_ids).items():
        usage[company_id][month] = row

    loaded = {c.pk: c for c in everything}
    out = {}
    for company_id, contracts_of_company in by_company.items():
        if company_id not in company_ids:
            continue
        history = usage.get(company_id, {})
        ledger = draw_down(contracts=contracts_of_company, usage=history)
        for contract in targets:
            if contract.company_id == company_id:
                out[contract.pk] = _burndown(
                    contract, ledger.contracts[contract.pk], history, today, out, loaded.get(contract.renewal_of_id)
                )
    return out


def _burndown(contract: Contract, ledger, history: dict[date, UsageMonth], today: date, done: dict,
              previous: Contract | None) -> Burndown:
    start, end = contract.start_date, contract.end_date
    term_days = (end - start).days + 1
    as_of = min(today, end)
    started, ended = today >= start, today > end

    rollover_in = ledger.rollover_in
    if previous is not None and previous.kind == Contract.Kind.COMMIT and previous.end_date >= today:
        # The renewed term is still running: carry its projected rollover, not today's unused balance.
        rollover_in = (done.get(previous.pk) or commit_burndown(contract=previous, today=today)).rollover_amount
    available = contract.committed_amount + rollover_in
    consumed = sum(ledger.drawn_amount.values(), ZERO).quantize(CENT, rounding=ROUND_HALF_UP) if started else ZERO

    run_rate = _run_rate(history, as_of)
    daily = run_rate / DAYS_PER_MONTH
    days_left = 0 if ended else (end - max(today, start - timedelta(days=1))).days
    projected = (consumed + daily * days_left).quantize(CENT, rounding=ROUND_HALF_UP)

    exhaustion = _exhaustion(ledger.drawn_amount, available, consumed, daily, today, start, end)
    excess = max(ZERO, projected - available)
    overage = (excess * _overage_factor(contract, ledger, history)).quantize(CENT, rounding=ROUND_HALF_UP)
    shortfall = max(ZERO, available - projected).quantize(CENT, rounding=ROUND_HALF_UP)
    true_up = shortfall if contract.billing == Contract.Billing.POSTPAID else ZERO
    rollover = (shortfall * contract.rollover_fraction).quantize(CENT, rounding=ROUND_HALF_UP)

    elapsed_days = (as_of - start).days + 1 if started else 0
    expected_now = contract.committed_amount * elapsed_days / term_days
    burn_ratio = float(consumed / expected_now) if started and expected_now > 0 else None

    if not started:
        status = BurnStatus.NOT_STARTED
    elif ended:
        status = BurnStatus.ENDED
    elif consumed >= available and available > 0:
        status = BurnStatus.EXHAUSTED
    elif excess > available * TOLERANCE:
        status = BurnStatus.OVERAGE
    elif shortfall > available * TOLERANCE:
        status = BurnStatus.SHORTFALL
    else:
        status = BurnStatus.ON_TRACK

    return Burndown(
        contract=contract, today=today, committed=contract.committed_amount, rollover_in=rollover_in,
        available=available, consumed=consumed, remaining=max(ZERO, available - consumed),
        run_rate_monthly=run_rate.quantize(CENT, rounding=ROUND_HALF_UP), projected_consumption=projected, projected_exhaustion=exhaustion,
        projected_overage=overage, projected_shortfall=shortfall, true_up=true_up, rollover_amount=rollover,
        burn_ratio=burn_ratio, elapsed_share=elapsed_days / term_days, status=status,
        series=_series(contract, ledger.drawn_amount, available, consumed, daily, today),
    )


def _run_rate(history: dict[date, UsageMonth], as_of: date) -> Decimal:
    """Average monthly usage over the last complete months before ``as_of``'s month (up to three)."""
    current = month_start(as_of)
    first_seen = min((m for m, row in history.items() if row.amount > 0), default=None)
    if first_seen is None:
        return ZERO
    months = [add_months(current, -k) for k in range(1, RUN_RATE_MONTHS + 1)]
    months = [m for m in months if m >= first_seen]
    if months:
        return sum((history[m].amount for m in months if m in history), ZERO) / len(months)
    so_far = history.get(current)
    if so_far is None:
        return ZERO
    days_in_month = (next_month(current) - current).days
    return so_far.amount * days_in_month / as_of.day  # the month so far, scaled to a full month


def _exhaustion(drawn: dict[date, Decimal], available: Decimal, consumed: Decimal, daily: Decimal,
                today: date, start: date, end: date) -> date | None:
    if available <= 0:
        return None
    if consumed >= available:
        # Already used up: the day within the month the running total crossed the balance.
        running = ZERO
        for month in sorted(drawn):
            before, running = running, running + drawn[month]
            if running >= available and drawn[month] > 0:
                first_day = max(month, start)
                last_day = min(next_month(month) - timedelta(days=1), end)
                span = (last_day - first_day).days + 1
                offset = ((available - before) / drawn[month] * span).to_integral_value(rounding=ROUND_CEILING)
                return first_day + timedelta(days=max(int(offset) - 1, 0))
        return None
    if daily <= 0 or today > end:
        return None
    origin = max(today, start - timedelta(days=1))
    days = int(((available - consumed) / daily).to_integral_value(rounding=ROUND_CEILING))
    day = origin + timedelta(days=days)
    return day if day <= end else None


def _overage_factor(contract: Contract, ledger, history: dict[date, UsageMonth]) -> Decimal:
    """Revenue per unit of usage amount above the commit: the overage price per unit, if set."""
    if contract.overage_price is None:
        return Decimal(1)
    amount = sum((row.amount for row in history.values()), ZERO)
    units = sum((row.units for row in history.values()), ZERO)
    if amount <= 0 or units <= 0:
        return Decimal(1)
    return units / amount * contract.overage_price


def _series(contract: Contract, drawn: dict[date, Decimal], available: Decimal, consumed: Decimal,
            daily: Decimal, today: date) -> list[BurnPoint]:
    """One point per month of the term: cumulative actual, projection from today, straight-line burn."""
    start, end = contract.start_date, contract.end_date
    term_days = (end - start).days + 1
    points: list[BurnPoint] = []
    running = ZERO
    month = month_start(start)
    current = month_start(today)
    while month <= end:
        month_end = min(next_month(month) - timedelta(days=1), end)
        elapsed = (month_end - start).days + 1
        expected = (contract.committed_amount * elapsed / term_days).quantize(CENT, rounding=ROUND_HALF_UP)
        actual = projected = None
        if month <= current and today >= start:
            running += drawn.get(month, ZERO)
            actual = running.quantize(CENT, rounding=ROUND_HALF_UP)
        if month >= current:
            origin = max(today, start - timedelta(days=1))
            projected = (consumed + daily * max((month_end - origin).days, 0)).quantize(CENT, rounding=ROUND_HALF_UP)
        points.append(BurnPoint(month=month, consumed=actual, projected=projected, expected=expected,
                                available=available))
        month = next_month(month)
    return points
