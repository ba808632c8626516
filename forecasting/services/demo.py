"""Demo contracts and pipeline for the demo companies (seed_demo extension).

Contracts of every kind and status, sized from each company's own demo usage so the burn-downs tell
different stories: commits running ahead (overage, exhausted), on track and lagging (shortfall, true-up);
renewals that roll part of the unused balance over; hybrids whose usage crosses the included units; draft
renewals and a few cancelled deals. Opportunities in every stage and type, owned like their accounts.
The usage shapes (growing, flat, shrinking, seasonal, intermittent) come from the accounts demo.

Deterministic for a seed and a day; replaces only rows whose external id starts with "DEMO-".
"""
import random
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from time import monotonic

from django.db import transaction
from django.db.models import Count, Q, Sum

from accounts.models import Company
from accounts.selectors import company_with_metrics
from accounts.services.demo.specs import DEMO_PREFIX
from forecasting.models import Contract, Opportunity
from forecasting.selectors.revenue import monthly_usage
from forecasting.services.recognition import add_months, month_start

CENT = Decimal("0.01")
BATCH = 2000
Kind, Status, Billing = Contract.Kind, Contract.Status, Contract.Billing
Stage, Type, UseCase = Opportunity.Stage, Opportunity.Type, Opportunity.UseCase
OPPORTUNITY_NAMES = {
    Type.LAND: ("New logo: {brand} platform", "{brand} enterprise agreement"),
    Type.EXPANSION: ("{brand}: more seats for {team}", "{brand}: higher commit", "{brand}: {team} rollout"),
    Type.CROSS_SELL: ("{brand}: analytics add-on", "{brand}: security & compliance pack", "{brand}: API platform"),
    Type.RENEWAL: ("{brand} renewal", "{brand} renewal with uplift"),
}
TEAMS = ("Data", "Engineering", "Marketing", "Finance", "Support", "EMEA", "APAC", "Product")
USE_CASE_TEXT = {
    UseCase.NEW_TEAM: "A second department wants its own workspace under the agreement.",
    UseCase.NEW_PRODUCT: "Adopting the new product line alongside the core platform.",
    UseCase.CONSOLIDATION: "Bring the scattered self-serve workspaces under one enterprise agreement.",
    UseCase.MIGRATION: "Replacing a competitor whose contract ends this year.",
    UseCase.PLATFORM: "Building internal tools on the API; usage-based.",
    UseCase.OTHER: "",
}


def _money(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


def _round_to(value: Decimal, step: int) -> Decimal:
    return max(Decimal(step), (value / step).quantize(Decimal(1)) * step)


def _brand(name: str) -> str:
    return name.split(" ")[0].rstrip(",")


def _clear() -> int:
    deleted = Opportunity.objects.filter(external_id__startswith=DEMO_PREFIX).delete()[0]
    # Renewals first: they point at the contracts they renew.
    Contract.objects.filter(external_id__startswith=DEMO_PREFIX).update(renewal_of=None)
    return deleted + Contract.objects.filter(external_id__startswith=DEMO_PREFIX).delete()[0]


class _Builder:
    def __init__(self, *, seed: int, today: date):
        self.seed, self.today = seed, today
        self.contracts: list[Contract] = []
        self.renewals: list[tuple[str, str]] = []  # (renewal external id, renewed external id)
        self.opportunities: list[Opportunity] = []
        self.kind_turn = 0

    def contract(self, company, *, key: str, **fields) -> Contract:
        contract = Contract(company_id=company["id"], owner_id=company["owner_id"], external_id=f"DEMO-K-{key}",
                            **fields)
        self.contracts.append(contract)
        return contract

    def for_company(self, company: dict, usage: dict[date, tuple[Decimal, Decimal]]) -> None:
        rng = random.Random(f"{self.seed}:contracts:{company['external_id']}")
        key = company["external_id"].removeprefix(DEMO_PREFIX)
        brand = _brand(company["name"])
        current = month_start(self.today)
        full = [add_months(current, -k) for k in range(1, 4)]
        monthly = sum((usage.get(m, (Decimal(0), Decimal(0)))[0] for m in full), Decimal(0)) / 3
        units = sum((usage.get(m, (Decimal(0), Decimal(0)))[1] for m in full), Decimal(0)) / 3
        has_usage = monthly > 0

        # Every kind shows up early in the list (the first demo companies are the showcase accounts),
        # then a mix weighted by what suits the account's usage.
        if self.kind_turn < 8:
            kind = (Kind.COMMIT, Kind.HYBRID, Kind.SUBSCRIPTION, Kind.CONSUMPTION)[self.kind_turn % 4]
            self.kind_turn += 1
        elif has_usage:
            kind = rng.choices((Kind.COMMIT, Kind.HYBRID, Kind.SUBSCRIPTION, Kind.CONSUMPTION, None),
                               (34, 16, 18, 17, 15))[0]
        else:
            kind = rng.choices((Kind.SUBSCRIPTION, None), (45, 55))[0]
        if kind is None:
            return
        if not has_usage:
            monthly = _money((company["potential"] or Decimal(60000)) / 12 * Decimal(rng.uniform(0.05, 0.2)))
            units = monthly * 10
        # A customer since some day in the last two and a half years, renewing yearly: the earlier terms are
        # expired (and give NRR/GRR a history), the current one is active, ~10 % churned at their last renewal.
        since = self.today - timedelta(days=rng.randint(40, 900))
        terms = [since]
        while True:
            following = date(terms[-1].year + 1, terms[-1].month, min(terms[-1].day, 28))
            if following > self.today:
                break
            terms.append(following)
        churned = len(terms) > 1 and rng.random() < 0.14
        if churned:
            terms.pop()
        factors = [Decimal(str(rng.choice((0.7, 0.85, 1.0, 1.0, 1.05, 1.1, 1.2, 1.3)))) for _ in terms]

        billing = rng.choice((Billing.PREPAID, Billing.POSTPAID))
        rollover = Decimal(rng.choice(("0", "0.25", "0.5"))) if rng.random() < 0.6 else Decimal(0)
        overage_price = Decimal("0.0200") if rng.random() < 0.3 else None
        if kind == Kind.COMMIT:
            # Commit sized between 60 % and 150 % of the run-rate: burn-downs in every state.
            amount = _round_to(monthly * 12 * Decimal(str(rng.choice((0.6, 0.75, 0.9, 1.0, 1.1, 1.3, 1.5)))), 1000)
        elif kind == Kind.HYBRID:
            amount = _round_to(monthly * 12 * Decimal("0.8"), 500)
            included = _round_to(units * 12 * Decimal(str(rng.choice((0.7, 0.9, 1.1, 1.3)))), 1000)
            unit_price = (monthly / units) if units else Decimal("0.01")
            hybrid_price = (unit_price * Decimal("1.2")).quantize(Decimal("0.0001"))
        elif kind == Kind.SUBSCRIPTION:
            floor = Decimal(company["potential"] or 60000) * Decimal(str(rng.uniform(0.04, 0.15)))
            amount = _round_to(max(Decimal(company["arr"] or 0), floor), 500)
        else:
            amount = Decimal(0)
            terms = [terms[0]]  # pay as you go: one open-ended-looking two-year agreement
        amounts = [amount]
        for factor in reversed(factors[1:len(terms)]):
            amounts.insert(0, _round_to(amounts[0] / factor, 500) if amount else Decimal(0))

        previous = None
        for number, (start, committed) in enumerate(zip(terms, amounts)):
            length = 2 if kind == Kind.CONSUMPTION else 1
            end = date(start.year + length, start.month, min(start.day, 28)) - timedelta(days=1)
            if number + 1 < len(terms):
                end = terms[number + 1] - timedelta(days=1)
            fields = dict(
                name=f"{brand} {Kind(kind).label.split(' (')[0].lower()} {start:%Y}", kind=kind,
                status=Status.ACTIVE if end >= self.today else Status.EXPIRED, start_date=start, end_date=end,
                committed_amount=committed, booked_on=start - timedelta(days=rng.randint(3, 30)),
            )
            if kind == Kind.COMMIT:
                fields.update(billing=billing, rollover_fraction=rollover, overage_price=overage_price)
            elif kind == Kind.HYBRID:
                fields.update(included_units=included, overage_price=hybrid_price)
            elif kind == Kind.CONSUMPTION:
                fields.update(billing=Billing.POSTPAID, name=f"{brand} pay as you go")
            contract = self.contract(company, key=f"{key}-{number}", **fields)
            if previous is not None:
                self.renewals.append((contract.external_id, previous.external_id))
            previous = contract
        if kind == Kind.SUBSCRIPTION and rng.random() < 0.1:  # an upgrade that fell through
            self.contract(company, key=f"{key}-X", name=f"{brand} upgrade (cancelled)", kind=Kind.SUBSCRIPTION,
                          status=Status.CANCELLED, start_date=terms[-1] + timedelta(days=30),
                          end_date=previous.end_date, committed_amount=_round_to(amount * 2, 500))
        if churned:
            return
        if contract.end_date < self.today:
            contract.status = Status.EXPIRED
        # Renewals being negotiated: a draft for the next term when this one ends within five months.
        if contract.kind != Kind.CONSUMPTION and (contract.end_date - self.today).days < 150 and rng.random() < 0.7:
            draft_start = contract.end_date + timedelta(days=1)
            draft = self.contract(
                company, key=f"{key}-R", name=f"{brand} renewal {draft_start:%Y}", kind=contract.kind,
                status=Status.DRAFT, start_date=draft_start,
                end_date=date(draft_start.year + 1, draft_start.month, min(draft_start.day, 28)) - timedelta(days=1),
                committed_amount=_round_to(contract.committed_amount * Decimal("1.1") + 1, 500),
                billing=contract.billing, included_units=contract.included_units,
                overage_price=contract.overage_price, rollover_fraction=contract.rollover_fraction,
            )
            self.renewals.append((draft.external_id, contract.external_id))

    def pipeline(self, company: dict, index: int) -> None:
        rng = random.Random(f"{self.seed}:pipeline:{company['external_id']}")
        key = company["external_id"].removeprefix(DEMO_PREFIX)
        brand = _brand(company["name"])
        potential = company["potential"] or Decimal(rng.randint(20, 400) * 1000)
        count = 3 if index < 14 else rng.choices((0, 1, 2, 3), (30, 35, 25, 10))[0]
        stages, types, use_cases = list(Stage), list(Type), list(UseCase)
        for n in range(count):
            turn = index * 3 + n
            stage = stages[turn % len(stages)] if index < 14 else rng.choices(stages, (16, 16, 14, 12, 10, 20, 12))[0]
            kind = types[turn % len(types)] if index < 14 else rng.choices(types, (10, 50, 25, 15))[0]
            if stage in (Stage.CLOSED_WON, Stage.CLOSED_LOST):
                close = self.today - timedelta(days=rng.randint(1, 200))
            else:
                close = self.today + timedelta(days=rng.randint(5, 330))
            probability, category = Opportunity.STAGE_DEFAULTS[stage]
            overridden = False
            if stage not in (Stage.CLOSED_WON, Stage.CLOSED_LOST) and rng.random() < 0.15:
                # The owner's call differs from the stage: sandbagging or a strong feeling.
                category = rng.choice([c for c in (Opportunity.Category.COMMIT, Opportunity.Category.BEST_CASE,
                                                    Opportunity.Category.OMITTED) if c != category])
                overridden = True
            use_case = use_cases[turn % len(use_cases)]
            amount = _round_to(Decimal(potential) * Decimal(str(rng.uniform(0.04, 0.3))), 1000)
            self.opportunities.append(Opportunity(
                company_id=company["id"], owner_id=company["owner_id"], external_id=f"DEMO-O-{key}-{n}",
                name=rng.choice(OPPORTUNITY_NAMES[kind]).format(brand=brand, team=rng.choice(TEAMS)),
                type=kind, stage=stage, amount=amount, close_date=close, probability=probability,
                forecast_category=category, category_overridden=overridden, use_case_category=use_case,
                use_case=USE_CASE_TEXT[use_case],
            ))


@transaction.atomic
def demo_seed(*, seed: int, today: date, progress=None) -> dict[str, int]:
    """Contracts and opportunities for the owned demo companies; replaces the previous demo rows."""
    report = progress or (lambda stage, rows, seconds, done: None)
    started = monotonic()
    _clear()
    companies = list(
        company_with_metrics(Company.objects.filter(external_id__startswith=DEMO_PREFIX, owner__isnull=False))
        .order_by("pk").values("id", "external_id", "name", "owner_id", "potential_arr", "arr")
    )
    for row in companies:
        row["potential"] = row.pop("potential_arr")
    usage: dict[int, dict[date, tuple[Decimal, Decimal]]] = defaultdict(dict)
    for (company_id, month), row in monthly_usage(start=add_months(month_start(today), -4), end=today).items():
        usage[company_id][month] = (row.amount, row.units)

    builder = _Builder(seed=seed, today=today)
    for index, company in enumerate(companies):
        builder.for_company(company, usage.get(company["id"], {}))
        builder.pipeline(company, index)
    Contract.objects.bulk_create(builder.contracts, batch_size=BATCH)
    if builder.renewals:
        ids = dict(Contract.objects.filter(external_id__startswith=DEMO_PREFIX).values_list("external_id", "id"))
        by_renewal = defaultdict(list)
        for renewal, renewed in builder.renewals:
            by_renewal[ids[renewed]].append(ids[renewal])
        for renewed_id, renewal_ids in by_renewal.items():
            Contract.objects.filter(pk__in=renewal_ids).update(renewal_of_id=renewed_id)
    Opportunity.objects.bulk_create(builder.opportunities, batch_size=BATCH)
    report("contracts and pipeline", len(builder.contracts) + len(builder.opportunities), monotonic() - started, True)
    return {"contracts": len(builder.contracts), "opportunities": len(builder.opportunities)}


def demo_summary() -> list[tuple[str, int, str]]:
    demo = Q(external_id__startswith=DEMO_PREFIX)
    kinds = dict(Contract.objects.filter(demo).order_by().values_list("kind").annotate(n=Count("id")))
    statuses = dict(Contract.objects.filter(demo).order_by().values_list("status").annotate(n=Count("id")))
    opportunities = Opportunity.objects.filter(demo).aggregate(
        total=Count("id"), open=Count("id", filter=~Q(stage__in=(Stage.CLOSED_WON, Stage.CLOSED_LOST))),
        pipeline=Sum("amount", filter=~Q(stage__in=(Stage.CLOSED_WON, Stage.CLOSED_LOST))),
    )
    return [
        ("contracts", sum(kinds.values()),
         ", ".join(f"{kinds.get(k, 0)} {k}" for k in Kind.values) + " · "
         + ", ".join(f"{statuses.get(s, 0)} {s}" for s in Status.values)),
        ("opportunities", opportunities["total"] or 0,
         f"{opportunities['open'] or 0:,} open, ${opportunities['pipeline'] or 0:,.0f} pipeline"),
    ]
