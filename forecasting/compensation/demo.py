"""Demo compensation: a 50:50 hybrid plan for Enterprise East, a bookings-only plan for Mid-market West,
every demo rep assigned for the previous and the current quarter, one split deal, two draws, the previous
quarter calculated and locked and the current one calculated — so a new user sees real statements at once.

Runs after the accounts and forecasting demo data (settings.REVOPS_DEMO_EXTENSIONS, after
"forecasting.services.demo"); deterministic for a seed and a day; replaces only its own rows.
"""
import random
from datetime import date
from decimal import Decimal
from time import monotonic

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Q, Sum

from accounts.services.demo.specs import COMMERCIAL_REPS, ENTERPRISE_REPS
from forecasting.compensation import calculator as calc
from forecasting.compensation import services
from forecasting.compensation.periods import QUARTER, period_containing
from forecasting.compensation.selectors import Scope, account_credits, deal_credits
from forecasting.models import (
    Assignment,
    CompPlan,
    CreditSplit,
    Opportunity,
    PeriodLock,
    PlanComponent,
    Statement,
)

HYBRID = "Enterprise hybrid 50:50"
BOOKINGS = "Commercial bookings"
DEMO_PLANS = (HYBRID, BOOKINGS)
ACCELERATED = [calc.Tier(Decimal(0), Decimal(1), Decimal(1)), calc.Tier(Decimal(1), None, Decimal(2))]
BOOKINGS_TABLE = [calc.Tier(Decimal(0), Decimal(50000), Decimal("0.04")),
                  calc.Tier(Decimal(50000), Decimal(150000), Decimal("0.06")),
                  calc.Tier(Decimal(150000), None, Decimal("0.08"))]
TARGETS = {HYBRID: Decimal(30000), BOOKINGS: Decimal(18000)}
DRAWS = {"lena": (Assignment.DrawType.RECOVERABLE, Decimal(8000)),
         "chloe": (Assignment.DrawType.NON_RECOVERABLE, Decimal(6000))}


def _round_quota(value: Decimal) -> Decimal:
    step = Decimal(1000) if value < 100000 else Decimal(5000)
    return max(Decimal(5000), (value / step).quantize(Decimal(1)) * step)


def _clear(reps: list) -> None:
    demo_periods = set(Statement.objects.filter(rep__in=reps).values_list("period", flat=True))
    Statement.objects.filter(Q(rep__in=reps) | Q(assignment__plan__name__in=DEMO_PLANS)).delete()
    Assignment.objects.filter(Q(rep__in=reps) | Q(plan__name__in=DEMO_PLANS)).delete()
    CompPlan.objects.filter(name__in=DEMO_PLANS).delete()
    # Locks the demo took, unless real statements were paid in those periods since.
    for period in demo_periods:
        if not Statement.objects.filter(period=period).exists():
            PeriodLock.objects.filter(period=period).delete()


def _plans(effective_from: date) -> dict[str, CompPlan]:
    hybrid = services.plan_save(
        data={"name": HYBRID, "period_type": CompPlan.PeriodType.QUARTER, "effective_from": effective_from,
              "cap_multiple": Decimal(2),
              "description": "Half on committed bookings, half on the consumption of the rep's accounts; "
                             "factor = attainment up to 100 %, 2× above; decelerated below 50 % until reached."},
        components=[
            {"name": "Committed bookings", "measure": PlanComponent.Measure.COMMITTED_BOOKINGS, "weight": Decimal("0.5"),
             "method": PlanComponent.Method.PAYOUT_CURVE, "mode": PlanComponent.Mode.STEP, "tiers": ACCELERATED,
             "cap_multiple": Decimal(2)},
            {"name": "Consumption revenue", "measure": PlanComponent.Measure.CONSUMPTION_REVENUE,
             "weight": Decimal("0.5"), "method": PlanComponent.Method.PAYOUT_CURVE, "mode": PlanComponent.Mode.STEP,
             "tiers": ACCELERATED, "cap_multiple": Decimal(2), "decelerator_threshold": Decimal("0.5"),
             "decelerator_rate": Decimal("0.5"), "retroactive_unlock": True},
        ])
    bookings = services.plan_save(
        data={"name": BOOKINGS, "period_type": CompPlan.PeriodType.QUARTER, "effective_from": effective_from,
              "description": "Commission on committed bookings, stepped: 4 % to 50k, 6 % to 150k, 8 % above."},
        components=[
            {"name": "Committed bookings", "measure": PlanComponent.Measure.COMMITTED_BOOKINGS, "weight": Decimal(1),
             "method": PlanComponent.Method.RATE_TABLE, "mode": PlanComponent.Mode.STEP, "tiers": BOOKINGS_TABLE,
             "cap_multiple": Decimal(3)},
        ])
    return {HYBRID: hybrid, BOOKINGS: bookings}


def _split_one_deal(reps_by_name: dict, current) -> int:
    """The largest won Enterprise deal of the quarter is split 60/40 between its owner and a teammate."""
    team = [reps_by_name[u] for u in ENTERPRISE_REPS if u in reps_by_name]
    deal = (Opportunity.objects.filter(owner__in=team, stage=Opportunity.Stage.CLOSED_WON,
                                       close_date__gte=current.start, close_date__lte=current.end)
            .order_by("-amount", "pk").first())
    if deal is None:
        return 0
    partner = next(u for u in team if u.pk != deal.owner_id)
    services.credit_splits_set(opportunity=deal, splits=[(deal.owner, CreditSplit.Kind.SPLIT, Decimal(60)),
                                                         (partner, CreditSplit.Kind.SPLIT, Decimal(40))])
    return 2


@transaction.atomic
def demo_seed(*, seed: int, today: date, progress) -> dict[str, int]:
    started = monotonic()
    rng = random.Random(f"{seed}-compensation")
    User = get_user_model()
    usernames = (*ENTERPRISE_REPS, *COMMERCIAL_REPS)
    reps_by_name = {u.username: u for u in User.objects.filter(username__in=usernames)}
    _clear(list(reps_by_name.values()))
    current = period_containing(QUARTER, today)
    previous = current.previous()
    plans = _plans(date(previous.start.year, 1, 1))
    splits = _split_one_deal(reps_by_name, current)
    assignments = 0
    for period in (previous, current):
        # Quotas sized from what each rep is credited with, so attainment spreads realistically around 100 %.
        scopes = [Scope(u.pk) for u in reps_by_name.values()]
        deals = deal_credits(scopes=scopes, start=period.start, end=period.end)
        accounts = account_credits(scopes=scopes, start=period.start, end=period.end)
        # The current quarter is under way: size its quotas on the pace so far, not on a partial total.
        elapsed = min((today - period.start).days + 1, (period.end - period.start).days + 1)
        pace = Decimal((period.end - period.start).days + 1) / Decimal(max(elapsed, 1))
        for username in usernames:
            rep = reps_by_name.get(username)
            if rep is None:
                continue
            plan = plans[HYBRID if username in ENTERPRISE_REPS else BOOKINGS]
            booked = sum((d.credited for d in deals.get(rep.pk, [])), Decimal(0))
            consumed = sum((a.amount for a in accounts.get(rep.pk, [])), Decimal(0))
            quotas = {}
            for component in plan.components.all():
                actual = (booked if component.measure == PlanComponent.Measure.COMMITTED_BOOKINGS else consumed) * pace
                target_attainment = Decimal(str(round(rng.uniform(0.7, 1.35), 2)))
                quotas[component.pk] = _round_quota(actual / target_attainment if actual else Decimal(rng.randint(40, 120) * 1000))
            draw_type, draw_amount = DRAWS.get(username, (Assignment.DrawType.NONE, Decimal(0)))
            services.assignment_save(rep=rep, plan=plan, period=period.key, target_incentive=TARGETS[plan.name],
                                     draw_type=draw_type, draw_amount=draw_amount, quotas=quotas)
            assignments += 1
    services.statements_calculate(period=previous.key)
    services.period_lock(period=previous.key)
    report = services.statements_calculate(period=current.key)
    progress("compensation", assignments, monotonic() - started, True)
    return {"compensation plans": len(plans), "comp assignments": assignments, "credit splits": splits,
            "statements": assignments, "statements calculated now": report.calculated}


def demo_summary() -> list[tuple[str, int, str]]:
    plans = CompPlan.objects.filter(name__in=DEMO_PLANS).annotate(n=Count("assignments"))
    statements = Statement.objects.filter(assignment__plan__name__in=DEMO_PLANS).aggregate(
        total=Count("id"), locked=Count("id", filter=Q(status=Statement.Status.LOCKED)), payable=Sum("payable"))
    return [
        ("compensation plans", plans.count(), ", ".join(f"{p.name} ({p.n} assignments)" for p in plans)),
        ("statements", statements["total"],
         f"{statements['locked']} locked, {statements['payable'] or 0:,.0f} payable in all"),
    ]
