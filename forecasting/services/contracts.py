"""Contracts: create, update, cancel, expire — with the rules every entry path shares (API, admin, import).

The rules, each naming its field:
* the term ends on or after the day it starts;
* no negative amounts (commit, overage price, included units); rollover is a share from 0 to 1;
* a consumption contract has no committed amount; a commit contract has one; a hybrid includes units;
  only hybrid contracts include units and only commit contracts roll over;
* a renewal renews a contract of the same company that started before it;
* no overlapping duplicate: a second contract of the same company and kind with an overlapping term and
  the same committed amount is almost always the same deal entered twice (a CRM re-export with new ids).
"""
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Company
from forecasting.models import Contract
from revops.errors import ApplicationError

ZERO = Decimal("0")
CONTRACT_FIELDS = (
    "company", "external_id", "name", "kind", "status", "start_date", "end_date", "committed_amount", "billing",
    "included_units", "overage_price", "rollover_fraction", "renewal_of", "owner", "booked_on",
)


def contract_problems(
    *, kind: str, start_date: date | None, end_date: date | None, committed_amount: Decimal | None,
    included_units: Decimal | None = None, overage_price: Decimal | None = None,
    rollover_fraction: Decimal | None = ZERO,
) -> dict[str, str]:
    """{field: reason} for the rules that need no database; empty when the values are consistent."""
    problems: dict[str, str] = {}
    committed = committed_amount if committed_amount is not None else ZERO
    if start_date and end_date and end_date < start_date:
        problems["end_date"] = f"The term ends ({end_date:%Y-%m-%d}) before it starts ({start_date:%Y-%m-%d})."
    if committed < 0:
        problems["committed_amount"] = "The committed amount cannot be negative."
    elif kind == Contract.Kind.CONSUMPTION and committed > 0:
        problems["committed_amount"] = "A consumption (pay as you go) contract has no committed amount."
    elif kind == Contract.Kind.COMMIT and committed == 0:
        problems["committed_amount"] = "A commit contract needs its minimum spend."
    if overage_price is not None and overage_price < 0:
        problems["overage_price"] = "The overage price cannot be negative."
    if included_units is not None and included_units < 0:
        problems["included_units"] = "Included units cannot be negative."
    elif kind == Contract.Kind.HYBRID and included_units is None:
        problems["included_units"] = "A hybrid contract states the usage units its fee includes."
    elif kind != Contract.Kind.HYBRID and included_units:
        problems["included_units"] = "Only hybrid contracts include usage units."
    fraction = rollover_fraction if rollover_fraction is not None else ZERO
    if not ZERO <= fraction <= 1:
        problems["rollover_fraction"] = "The rollover fraction is a share between 0 and 1."
    elif fraction and kind != Contract.Kind.COMMIT:
        problems["rollover_fraction"] = "Only commit contracts roll an unused balance over."
    return problems


def contract_overlapping_duplicate(
    *, company_id: int, kind: str, start_date: date, end_date: date, committed_amount: Decimal,
    exclude_id: int | None = None,
) -> Contract | None:
    """A non-cancelled contract of the same company and kind, same amount, whose term overlaps."""
    qs: QuerySet[Contract] = Contract.objects.filter(
        company_id=company_id, kind=kind, committed_amount=committed_amount,
        start_date__lte=end_date, end_date__gte=start_date,
    ).exclude(status=Contract.Status.CANCELLED)
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    return qs.order_by("start_date", "pk").first()


def duplicate_message(other: Contract) -> str:
    return (
        f"Overlaps contract {other.external_id} of the same company: same kind ({other.get_kind_display().lower()}), "
        f"same committed amount ({other.committed_amount:,.2f}), term {other.start_date:%Y-%m-%d} – "
        f"{other.end_date:%Y-%m-%d}. Change the term or amount, or update that contract instead."
    )


def renewal_problem(*, contract_company_id: int, start_date: date | None, renewal_of: Contract | None,
                    contract_id: int | None = None) -> str | None:
    if renewal_of is None:
        return None
    if contract_id and renewal_of.pk == contract_id:
        return "A contract cannot renew itself."
    if renewal_of.company_id != contract_company_id:
        return f"Contract {renewal_of.external_id} belongs to another company."
    if start_date and renewal_of.start_date >= start_date:
        return f"The renewal must start after the contract it renews ({renewal_of.external_id} starts " \
               f"{renewal_of.start_date:%Y-%m-%d})."
    return None


def contract_validate(contract: Contract) -> None:
    """Every rule, on the unsaved contract: ValidationError naming the field, ApplicationError for a duplicate."""
    problems = contract_problems(
        kind=contract.kind, start_date=contract.start_date, end_date=contract.end_date,
        committed_amount=contract.committed_amount, included_units=contract.included_units,
        overage_price=contract.overage_price, rollover_fraction=contract.rollover_fraction,
    )
    renewal = renewal_problem(contract_company_id=contract.company_id, start_date=contract.start_date,
                              renewal_of=contract.renewal_of, contract_id=contract.pk)
    if renewal:
        problems["renewal_of"] = renewal
    if problems:
        raise ValidationError({field: [message] for field, message in problems.items()})
    contract.full_clean()
    if contract.status != Contract.Status.CANCELLED:
        other = contract_overlapping_duplicate(
            company_id=contract.company_id, kind=contract.kind, start_date=contract.start_date,
            end_date=contract.end_date, committed_amount=contract.committed_amount, exclude_id=contract.pk,
        )
        if other is not None:
            raise ApplicationError(duplicate_message(other), {"duplicate_of": other.external_id})


def _save(contract: Contract) -> None:
    try:
        with transaction.atomic():
            contract.save()
    except IntegrityError:
        contract.full_clean()  # a concurrent insert of the same external id: name the field
        raise


@transaction.atomic
def contract_create(
    *, company: Company, external_id: str, kind: str, start_date: date, end_date: date,
    committed_amount: Decimal = ZERO, name: str = "", status: str = Contract.Status.ACTIVE,
    billing: str = Contract.Billing.PREPAID, included_units: Decimal | None = None,
    overage_price: Decimal | None = None, rollover_fraction: Decimal = ZERO, renewal_of: Contract | None = None,
    owner=None, booked_on: date | None = None,
) -> Contract:
    """A new contract; the owner defaults to the account owner (the rep credited with the booking)."""
    contract = Contract(
        company=company, external_id=external_id.strip(), name=name.strip(), kind=kind, status=status,
        start_date=start_date, end_date=end_date, committed_amount=committed_amount, billing=billing,
        included_units=included_units, overage_price=overage_price, rollover_fraction=rollover_fraction,
        renewal_of=renewal_of, owner=owner if owner is not None else company.owner, booked_on=booked_on,
    )
    contract_validate(contract)
    _save(contract)
    return contract


@transaction.atomic
def contract_update(*, contract: Contract, data: dict[str, Any]) -> Contract:
    unknown = set(data) - set(CONTRACT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown field(s): {', '.join(sorted(unknown))}")  # a caller's bug, not user input
    for key, value in data.items():
        setattr(contract, key, value.strip() if isinstance(value, str) and key in ("external_id", "name") else value)
    contract_validate(contract)
    _save(contract)
    return contract


@transaction.atomic
def contract_cancel(*, contract: Contract) -> Contract:
    if contract.status == Contract.Status.CANCELLED:
        raise ApplicationError(f"Contract {contract.external_id} is already cancelled.")
    contract.status = Contract.Status.CANCELLED
    contract.save(update_fields=["status", "updated_at"])
    return contract


def contract_expire_due(*, today: date | None = None) -> int:
    """Mark active contracts whose term is over as expired; one UPDATE, safe to run any number of times."""
    today = today or date.today()
    return Contract.objects.filter(status=Contract.Status.ACTIVE, end_date__lt=today).update(
        status=Contract.Status.EXPIRED, updated_at=timezone.now()
    )


def contract_delete(*, contract: Contract) -> None:
    if contract.renewals.exists():
        raise ApplicationError(
            f"Contract {contract.external_id} is renewed by {', '.join(contract.renewals.values_list('external_id', flat=True))}: "
            f"cancel it instead, so the renewal keeps its rollover."
        )
    contract.delete()
