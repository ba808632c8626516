"""Opportunity services: stage defaults, the owner's category override, permissions, bad input."""
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from forecasting.models import Opportunity
from forecasting.services.opportunities import (
    opportunity_category_reset,
    opportunity_create,
    opportunity_update,
)
from tests.factories import CompanyFactory
from tests.forecasting.factories import OpportunityFactory

pytestmark = pytest.mark.django_db
D = Decimal
Stage, Category = Opportunity.Stage, Opportunity.Category


def create(company, **fields):
    values = dict(company=company, external_id="O-1", name="More seats", amount=D("40000"), close_date=date(2026, 3, 31))
    values.update(fields)
    return opportunity_create(**values)


@pytest.mark.parametrize("stage, probability, category", [
    (Stage.QUALIFY, "0.10", Category.PIPELINE),
    (Stage.PROPOSAL, "0.60", Category.BEST_CASE),
    (Stage.NEGOTIATION, "0.80", Category.COMMIT),
    (Stage.CLOSED_WON, "1.00", Category.CLOSED_WON),
    (Stage.CLOSED_LOST, "0.00", Category.CLOSED_LOST),
])
def test_probability_and_category_default_from_the_stage(stage, probability, category):
    opportunity = create(CompanyFactory(), stage=stage)
    opportunity.refresh_from_db()
    assert (opportunity.probability, opportunity.forecast_category, opportunity.category_overridden) == (
        D(probability), category, False)


def test_owner_defaults_to_the_account_owner(rep):
    opportunity = create(CompanyFactory(owner=rep), by=rep)
    assert opportunity.owner == rep


def test_owner_override_sticks_through_open_stage_changes_until_close(rep):
    opportunity = create(CompanyFactory(owner=rep), stage=Stage.PROPOSAL, by=rep)
    opportunity_update(opportunity=opportunity, data={"forecast_category": Category.COMMIT}, by=rep)
    opportunity.refresh_from_db()
    assert (opportunity.forecast_category, opportunity.category_overridden) == (Category.COMMIT, True)

    opportunity_update(opportunity=opportunity, data={"stage": Stage.SOLUTION}, by=rep)
    opportunity.refresh_from_db()
    assert (opportunity.probability, opportunity.forecast_category) == (D("0.40"), Category.COMMIT)

    opportunity_update(opportunity=opportunity, data={"stage": Stage.CLOSED_LOST}, by=rep)
    opportunity.refresh_from_db()
    assert (opportunity.forecast_category, opportunity.category_overridden) == (Category.CLOSED_LOST, False)


def test_stage_change_moves_a_non_overridden_category_and_keeps_a_given_probability():
    opportunity = create(CompanyFactory(), stage=Stage.DISCOVERY)
    opportunity_update(opportunity=opportunity, data={"stage": Stage.NEGOTIATION, "probability": D("0.7")})
    opportunity.refresh_from_db()
    assert (opportunity.probability, opportunity.forecast_category) == (D("0.7"), Category.COMMIT)


def test_category_reset_follows_the_stage_again():
    opportunity = create(CompanyFactory(), stage=Stage.PROPOSAL, forecast_category=Category.OMITTED)
    assert opportunity.category_overridden
    opportunity_category_reset(opportunity=opportunity)
    opportunity.refresh_from_db()
    assert (opportunity.forecast_category, opportunity.category_overridden) == (Category.BEST_CASE, False)


@pytest.mark.parametrize("fields, field, reason", [
    ({"amount": D("-5")}, "amount", "negative"),
    ({"probability": D("1.5")}, "probability", "between 0 and 1"),
    ({"stage": Stage.PROPOSAL, "forecast_category": Category.CLOSED_WON}, "forecast_category", "closed"),
    ({"stage": Stage.CLOSED_WON, "forecast_category": Category.PIPELINE}, "forecast_category", "closed won"),
])
def test_bad_input_is_rejected_naming_the_field(fields, field, reason):
    with pytest.raises(ValidationError) as caught:
        create(CompanyFactory(), **fields)
    assert reason in caught.value.message_dict[field][0]
    assert not Opportunity.objects.exists()


def test_only_owner_manager_or_admin_may_change(rep, rep2, manager, other_rep, admin_user):
    company = CompanyFactory(owner=rep)
    with pytest.raises(PermissionDenied):
        create(company, by=other_rep)
    opportunity = create(company, by=rep)
    for user in (rep, manager, admin_user):
        opportunity_update(opportunity=opportunity, data={"amount": D("41000")}, by=user)
    with pytest.raises(PermissionDenied):
        opportunity_update(opportunity=opportunity, data={"amount": D("1")}, by=rep2)
    opportunity.refresh_from_db()
    assert opportunity.amount == D("41000")


def test_factory_opportunity_can_be_updated():
    opportunity = OpportunityFactory(stage=Stage.DISCOVERY)
    opportunity_update(opportunity=opportunity, data={"stage": Stage.CLOSED_WON})
    opportunity.refresh_from_db()
    assert (opportunity.probability, opportunity.forecast_category) == (D("1.00"), Category.CLOSED_WON)
