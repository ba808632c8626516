"""A hand-built forecast example shared by the roll-up, snapshot, API and page tests.

Today is 10 May 2026 (Q2: April – June; the 12 and 36 months start in May 2026).

* Acme (owner: rep): subscription 1,200 for 2026 (365 days); usage 100 in April, 30 so far in May;
  forecast 50 a month (80 %: 40–60) from May.
* Acme Labs (Acme's subsidiary, owner: rep2): commit 600 from 1 April 2026 to 31 March 2027;
  forecast 80 a month. The commit absorbs May–November (7 × 80 = 560) and 40 of December; 40 of
  December and 80 a month from January are overage, and after the term 80 a month is plain usage.
* Deals: on Acme, in negotiation (commit, 80 %), 3,650 a year closing 1 June 2026 (10 a day from
  then), no owner of its own; on Acme Labs, qualify (pipeline, 10 %), 365 whose close date (1 March)
  has passed, owned by rep2 — placed from today (1 a day); a lost deal that never counts.
"""
from datetime import date
from decimal import Decimal

from accounts.models import UsageRecord
from forecasting.models import ConsumptionForecast, Contract, ForecastRun, Opportunity
from forecasting.services.recognition import add_months
from tests.factories import CompanyFactory

TODAY = date(2026, 5, 10)


def build_example(*, rep, rep2) -> dict:
    acme = CompanyFactory(name="Acme", owner=rep)
    labs = CompanyFactory(name="Acme Labs", owner=rep2, parent=acme)
    Contract.objects.create(company=acme, external_id="K-SUB", kind=Contract.Kind.SUBSCRIPTION,
                            start_date=date(2026, 1, 1), end_date=date(2026, 12, 31), committed_amount=Decimal("1200"))
    Contract.objects.create(company=labs, external_id="K-COMMIT", kind=Contract.Kind.COMMIT,
                            start_date=date(2026, 4, 1), end_date=date(2027, 3, 31), committed_amount=Decimal("600"),
                            overage_price=Decimal("1"))
    Contract.objects.create(company=acme, external_id="K-DRAFT", kind=Contract.Kind.SUBSCRIPTION,
                            status=Contract.Status.DRAFT, start_date=date(2026, 1, 1), end_date=date(2026, 12, 31),
                            committed_amount=Decimal("99999"))
    UsageRecord.objects.create(company=acme, period=date(2026, 4, 1), metric="credits", quantity=100, amount=100)
    UsageRecord.objects.create(company=acme, period=date(2026, 5, 1), metric="credits", quantity=30, amount=30)
    run = ForecastRun.objects.create(status=ForecastRun.Status.SUCCEEDED, as_of=date(2026, 5, 1), horizon_months=36,
                                     companies=2)
    points = []
    for k in range(36):
        period = add_months(date(2026, 5, 1), k)
        points.append(ConsumptionForecast(run=run, company=acme, period=period, value=50, low=40, high=60,
                                          method="level (exp. smoothing)"))
        points.append(ConsumptionForecast(run=run, company=labs, period=period, value=80, low=80, high=80,
                                          method="level (exp. smoothing)"))
    ConsumptionForecast.objects.bulk_create(points)
    Opportunity.objects.create(company=acme, external_id="O-1", name="Acme platform", amount=Decimal("3650"),
                               close_date=date(2026, 6, 1), stage=Opportunity.Stage.NEGOTIATION,
                               probability=Decimal("0.8"), forecast_category=Opportunity.Category.COMMIT)
    Opportunity.objects.create(company=labs, external_id="O-2", name="Labs expansion", amount=Decimal("365"),
                               close_date=date(2026, 3, 1), stage=Opportunity.Stage.QUALIFY,
                               probability=Decimal("0.1"), forecast_category=Opportunity.Category.PIPELINE, owner=rep2)
    Opportunity.objects.create(company=labs, external_id="O-3", name="Lost", amount=Decimal("100000"),
                               close_date=date(2026, 6, 1), stage=Opportunity.Stage.CLOSED_LOST,
                               probability=Decimal("0"), forecast_category=Opportunity.Category.CLOSED_LOST, owner=rep2)
    return {"acme": acme, "labs": labs, "run": run}
