"""Builders for compensation tests: plans as in the issue's examples, assignments, won deals, usage."""
from datetime import date
from decimal import Decimal as D

from forecasting.compensation import calculator as calc
from forecasting.compensation import services
from forecasting.models import CompPlan, Opportunity, PlanComponent
from tests.factories import CompanyFactory
from tests.forecasting.factories import OpportunityFactory, book_usage

ACCELERATED = [calc.Tier(D(0), D(1), D(1)), calc.Tier(D(1), None, D(2))]
RATE_TABLE = [calc.Tier(D(0), D(10000), D("0.01")), calc.Tier(D(10000), D(50000), D("0.02")),
              calc.Tier(D(50000), None, D("0.03"))]
Q3 = "2026-Q3"


def hybrid_plan(name: str = "Hybrid 50:50", *, consumption_extra: dict | None = None, plan_cap=None,
                scope: str = CompPlan.CreditScope.OWN) -> CompPlan:
    return services.plan_save(
        data={"name": name, "period_type": "quarter", "effective_from": date(2026, 1, 1), "cap_multiple": plan_cap,
              "credit_scope": scope},
        components=[
            {"name": "Bookings", "measure": PlanComponent.Measure.COMMITTED_BOOKINGS, "weight": D("0.5"),
             "method": "payout_curve", "mode": "step", "tiers": ACCELERATED, "cap_multiple": D(2)},
            {"name": "Consumption", "measure": PlanComponent.Measure.CONSUMPTION_REVENUE, "weight": D("0.5"),
             "method": "payout_curve", "mode": "step", "tiers": ACCELERATED, "cap_multiple": D(2),
             **(consumption_extra or {})},
        ])


def rate_plan(mode: str, name: str = "Bookings table") -> CompPlan:
    return services.plan_save(
        data={"name": name, "period_type": "quarter", "effective_from": date(2026, 1, 1)},
        components=[{"name": "Bookings", "measure": PlanComponent.Measure.COMMITTED_BOOKINGS, "weight": D(1),
                     "method": "rate_table", "mode": mode, "tiers": RATE_TABLE}])


def assign(rep, plan: CompPlan, period: str = Q3, *, target=D(100000), quotas=None, draw_type="none", draw=D(0)):
    components = list(plan.components.all())
    quotas = quotas or {}
    return services.assignment_save(
        rep=rep, plan=plan, period=period, target_incentive=target, draw_type=draw_type, draw_amount=draw,
        quotas={c.pk: D(quotas.get(c.measure, 100000)) for c in components})


def won(owner, amount, on: date = date(2026, 8, 15), **extra) -> Opportunity:
    return OpportunityFactory(owner=owner, amount=D(amount), close_date=on, stage=Opportunity.Stage.CLOSED_WON,
                              probability=D(1), forecast_category=Opportunity.Category.CLOSED_WON, **extra)


def open_deal(owner, amount, on: date = date(2026, 9, 20), **extra) -> Opportunity:
    return OpportunityFactory(owner=owner, amount=D(amount), close_date=on, stage=Opportunity.Stage.NEGOTIATION,
                              probability=D("0.8"), forecast_category=Opportunity.Category.COMMIT, **extra)


def consumption(owner, amount, months=(date(2026, 7, 1), date(2026, 8, 1), date(2026, 9, 1)), company=None):
    """Spread ``amount`` of usage revenue evenly over the months for a company the rep owns."""
    company = company or CompanyFactory(owner=owner)
    share = (D(amount) / len(months)).quantize(D("0.01"))
    for i, month in enumerate(months):  # the last month takes the rounding remainder: the total is exact
        book_usage(company, month, share if i < len(months) - 1 else D(amount) - share * (len(months) - 1))
    return company
