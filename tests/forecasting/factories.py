"""Factories of the forecasting area (contracts, opportunities) and a helper that books usage."""
from datetime import date
from decimal import Decimal

import factory

from accounts.models import UsageRecord
from forecasting.models import Contract, Opportunity
from tests.factories import CompanyFactory


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contract

    company = factory.SubFactory(CompanyFactory)
    external_id = factory.Sequence(lambda n: f"K{n:05d}")
    name = factory.Sequence(lambda n: f"Contract {n}")
    kind = Contract.Kind.SUBSCRIPTION
    status = Contract.Status.ACTIVE
    start_date = date(2025, 1, 1)
    end_date = date(2025, 12, 31)
    committed_amount = Decimal("12000.00")


class OpportunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Opportunity

    company = factory.SubFactory(CompanyFactory)
    external_id = factory.Sequence(lambda n: f"O{n:05d}")
    name = factory.Sequence(lambda n: f"Expansion {n}")
    type = Opportunity.Type.EXPANSION
    amount = Decimal("50000.00")
    close_date = date(2026, 3, 31)
    stage = Opportunity.Stage.DISCOVERY
    probability = Decimal("0.20")
    forecast_category = Opportunity.Category.PIPELINE


def book_usage(company, period: date, amount, *, quantity=None, metric: str = "compute_credits") -> UsageRecord:
    """Usage booked on the company directly (no workspace) for one month."""
    amount = Decimal(str(amount))
    return UsageRecord.objects.create(
        company=company, period=period, metric=metric, amount=amount,
        quantity=Decimal(str(quantity)) if quantity is not None else amount,
    )
