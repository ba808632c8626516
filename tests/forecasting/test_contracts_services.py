"""Contract services: every rule rejects with a reason naming the field, and nothing is written."""
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from forecasting.models import Contract
from forecasting.services.contracts import (
    contract_cancel,
    contract_create,
    contract_delete,
    contract_expire_due,
    contract_update,
)
from revops.errors import ApplicationError
from tests.factories import CompanyFactory, UserFactory
from tests.forecasting.factories import ContractFactory

pytestmark = pytest.mark.django_db
D = Decimal


def create(company, **fields):
    values = dict(company=company, external_id="K-1", kind=Contract.Kind.SUBSCRIPTION, start_date=date(2025, 1, 1),
                  end_date=date(2025, 12, 31), committed_amount=D("12000"))
    values.update(fields)
    return contract_create(**values)


def rejected(company, field: str, **fields) -> str:
    with pytest.raises(ValidationError) as caught:
        create(company, **fields)
    assert not Contract.objects.exists()
    assert field in caught.value.message_dict, caught.value.message_dict
    return caught.value.message_dict[field][0]


def test_create_credits_the_account_owner_by_default():
    owner = UserFactory()
    company = CompanyFactory(owner=owner)
    contract = create(company, external_id="  K-9 ", name=" Platform ")
    contract.refresh_from_db()
    assert (contract.external_id, contract.name, contract.owner) == ("K-9", "Platform", owner)


def test_end_before_start_is_rejected():
    message = rejected(CompanyFactory(), "end_date", start_date=date(2025, 6, 1), end_date=date(2025, 5, 31))
    assert "2025-05-31" in message and "before it starts" in message


@pytest.mark.parametrize("field", ["committed_amount", "overage_price"])
def test_negative_amounts_are_rejected(field):
    assert "negative" in rejected(CompanyFactory(), field, **{field: D("-1")})


def test_negative_included_units_are_rejected():
    assert "negative" in rejected(CompanyFactory(), "included_units", kind=Contract.Kind.HYBRID,
                                  included_units=D("-5"))


def test_kind_rules_name_their_field():
    company = CompanyFactory()
    assert "no committed amount" in rejected(company, "committed_amount", kind=Contract.Kind.CONSUMPTION)
    assert "minimum spend" in rejected(company, "committed_amount", kind=Contract.Kind.COMMIT,
                                       committed_amount=D("0"))
    assert "units its fee includes" in rejected(company, "included_units", kind=Contract.Kind.HYBRID)
    assert "Only commit" in rejected(company, "rollover_fraction", rollover_fraction=D("0.5"))
    assert "between 0 and 1" in rejected(company, "rollover_fraction", kind=Contract.Kind.COMMIT,
                                         rollover_fraction=D("1.5"))


def test_overlapping_duplicate_is_rejected_with_the_other_contract_named():
    company = CompanyFactory()
    ContractFactory(company=company, external_id="K-OLD", kind=Contract.Kind.COMMIT, committed_amount=D("50000"),
                    start_date=date(2025, 1, 1), end_date=date(2025, 12, 31))
    with pytest.raises(ApplicationError) as caught:
        create(company, kind=Contract.Kind.COMMIT, committed_amount=D("50000"), start_date=date(2025, 7, 1),
               end_date=date(2026, 6, 30))
    assert "K-OLD" in caught.value.message and "Overlaps" in caught.value.message
    assert caught.value.extra == {"duplicate_of": "K-OLD"}
    assert Contract.objects.count() == 1


def test_non_duplicates_are_accepted():
    company = CompanyFactory()
    ContractFactory(company=company, kind=Contract.Kind.COMMIT, committed_amount=D("50000"))
    ContractFactory(company=company, kind=Contract.Kind.COMMIT, committed_amount=D("9000"),
                    status=Contract.Status.CANCELLED, external_id="K-CAN")
    create(company, external_id="K-2", kind=Contract.Kind.COMMIT, committed_amount=D("60000"))  # other amount
    create(company, external_id="K-3", kind=Contract.Kind.SUBSCRIPTION, committed_amount=D("50000"))  # other kind
    create(company, external_id="K-4", kind=Contract.Kind.COMMIT, committed_amount=D("50000"),
           start_date=date(2026, 1, 1), end_date=date(2026, 12, 31))  # the renewal term
    create(company, external_id="K-5", kind=Contract.Kind.COMMIT, committed_amount=D("9000"))  # the other was cancelled
    assert Contract.objects.filter(company=company).count() == 6


def test_update_revalidates_and_keeps_the_row_on_failure():
    contract = ContractFactory(start_date=date(2025, 1, 1), end_date=date(2025, 12, 31))
    with pytest.raises(ValidationError) as caught:
        contract_update(contract=contract, data={"end_date": date(2024, 12, 1)})
    assert "end_date" in caught.value.message_dict
    contract.refresh_from_db()
    assert contract.end_date == date(2025, 12, 31)
    contract_update(contract=contract, data={"committed_amount": D("15000")})
    contract.refresh_from_db()
    assert contract.committed_amount == D("15000")


def test_an_update_is_not_a_duplicate_of_itself():
    contract = ContractFactory(kind=Contract.Kind.COMMIT, committed_amount=D("1000"))
    contract_update(contract=contract, data={"name": "Renamed"})
    assert Contract.objects.get().name == "Renamed"


def test_renewal_rules():
    company = CompanyFactory()
    first = ContractFactory(company=company, kind=Contract.Kind.COMMIT, committed_amount=D("1000"))
    elsewhere = ContractFactory(kind=Contract.Kind.COMMIT, committed_amount=D("1000"))
    with pytest.raises(ValidationError) as caught:
        create(company, kind=Contract.Kind.COMMIT, committed_amount=D("1000"), renewal_of=elsewhere,
               start_date=date(2026, 1, 1), end_date=date(2026, 12, 31))
    assert "another company" in caught.value.message_dict["renewal_of"][0]
    with pytest.raises(ValidationError) as caught:
        create(company, kind=Contract.Kind.COMMIT, committed_amount=D("2000"), renewal_of=first,
               start_date=date(2024, 1, 1), end_date=date(2024, 12, 31))
    assert "must start after" in caught.value.message_dict["renewal_of"][0]
    renewal = create(company, kind=Contract.Kind.COMMIT, committed_amount=D("1000"), renewal_of=first,
                     start_date=date(2026, 1, 1), end_date=date(2026, 12, 31))
    assert renewal.renewal_of == first
    with pytest.raises(ApplicationError, match="renewed by"):
        contract_delete(contract=first)


def test_cancel_and_expire():
    live = ContractFactory(end_date=date(2030, 1, 1))
    due = ContractFactory(start_date=date(2024, 1, 1), end_date=date(2024, 12, 31))
    assert contract_expire_due(today=date(2025, 1, 1)) == 1
    assert contract_expire_due(today=date(2025, 1, 1)) == 0
    due.refresh_from_db()
    assert due.status == Contract.Status.EXPIRED
    contract_cancel(contract=live)
    live.refresh_from_db()
    assert live.status == Contract.Status.CANCELLED
    with pytest.raises(ApplicationError, match="already cancelled"):
        contract_cancel(contract=live)
