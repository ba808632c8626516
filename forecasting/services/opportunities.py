"""Opportunities (the expansion pipeline): stage-driven defaults and the owner's category override.

* probability and forecast category default from the stage (Opportunity.STAGE_DEFAULTS);
* an explicit probability is kept until the stage changes (a new stage brings its own default
  unless a probability is given with it);
* the owner may override the forecast category of an open opportunity (e.g. call a proposal
  "commit"); an overridden category no longer follows stage changes, until the deal closes: a closed
  opportunity's category is always closed won / closed lost;
* who may write: RevOps admins, the account owner or the opportunity owner, and their managers.
"""
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from accounts.models import Company, Profile, Team
from forecasting.models import Opportunity
from revops.roles import is_manager, is_revops_admin

CLOSED_STAGES = (Opportunity.Stage.CLOSED_WON, Opportunity.Stage.CLOSED_LOST)
CLOSED_CATEGORIES = (Opportunity.Category.CLOSED_WON, Opportunity.Category.CLOSED_LOST)
OPPORTUNITY_FIELDS = (
    "company", "external_id", "name", "type", "use_case", "use_case_category", "amount", "close_date", "stage",
    "probability", "forecast_category", "owner",
)


def stage_defaults(stage: str) -> tuple[Decimal, str]:
    return Opportunity.STAGE_DEFAULTS[Opportunity.Stage(stage)]


def category_problem(*, stage: str, category: str) -> str | None:
    if stage in CLOSED_STAGES and category != stage_defaults(stage)[1]:
        return f"A {Opportunity.Stage(stage).label.lower()} opportunity's category is " \
               f"{Opportunity.Category(stage_defaults(stage)[1]).label.lower()}."
    if stage not in CLOSED_STAGES and category in CLOSED_CATEGORIES:
        return "Only a closed opportunity is closed won or closed lost: move the stage instead."
    return None


def _user_ids_managed_by(user) -> set[int]:
    if not is_manager(user):
        return set()
    teams = Team.objects.filter(manager=user)
    return set(Profile.objects.filter(team__in=teams).values_list("user_id", flat=True)) | {user.pk}


def can_change_pipeline(user, *, company: Company, opportunity: Opportunity | None = None) -> bool:
    if not (user and user.is_authenticated):
        return False
    if is_revops_admin(user):
        return True
    people = {company.owner_id, opportunity.owner_id if opportunity else None} - {None}
    if user.pk in people:
        return True
    return bool(people & _user_ids_managed_by(user))


def _check_permission(by, company: Company, opportunity: Opportunity | None = None) -> None:
    if by is not None and not can_change_pipeline(by, company=company, opportunity=opportunity):
        raise PermissionDenied("Only the account's owner, the opportunity's owner, their manager or a RevOps admin "
                               "may change this pipeline.")


def _validate(opportunity: Opportunity) -> None:
    problems: dict[str, list[str]] = {}
    if opportunity.amount is not None and opportunity.amount < 0:
        problems["amount"] = ["The amount cannot be negative."]
    if opportunity.probability is not None and not 0 <= opportunity.probability <= 1:
        problems["probability"] = ["The probability is a share between 0 and 1 (e.g. 0.4)."]
    problem = category_problem(stage=opportunity.stage, category=opportunity.forecast_category)
    if problem:
        problems["forecast_category"] = [problem]
    if problems:
        raise ValidationError(problems)
    opportunity.full_clean()


def _save(opportunity: Opportunity) -> None:
    try:
        with transaction.atomic():
            opportunity.save()
    except IntegrityError:
        opportunity.full_clean()
        raise


@transaction.atomic
def opportunity_create(
    *, company: Company, external_id: str, name: str, amount: Decimal, close_date: date,
    type: str = Opportunity.Type.EXPANSION, stage: str = Opportunity.Stage.QUALIFY,
    probability: Decimal | None = None, forecast_category: str | None = None, use_case: str = "",
    use_case_category: str = "", owner=None, by=None,
) -> Opportunity:
    """A new opportunity; probability and category come from the stage unless given (a category that
    differs from the stage's is the owner's override). The owner defaults to the account owner."""
    _check_permission(by, company)
    default_probability, default_category = stage_defaults(stage)
    category = forecast_category or default_category
    opportunity = Opportunity(
        company=company, external_id=external_id.strip(), name=name.strip(), type=type, stage=stage,
        amount=amount, close_date=close_date, use_case=use_case.strip(), use_case_category=use_case_category,
        probability=default_probability if probability is None else probability,
        forecast_category=category, category_overridden=category != default_category,
        owner=owner if owner is not None else company.owner,
    )
    _validate(opportunity)
    _save(opportunity)
    return opportunity


def opportunity_apply(*, opportunity: Opportunity, data: dict[str, Any]) -> Opportunity:
    """Set the given fields on the (unsaved) opportunity and validate. A stage change brings the stage's
    probability (unless one is given) and category (unless the owner overrode it and the deal is open)."""
    unknown = set(data) - set(OPPORTUNITY_FIELDS)
    if unknown:
        raise TypeError(f"Unknown field(s): {', '.join(sorted(unknown))}")  # a caller's bug, not user input
    stage_changed = "stage" in data and data["stage"] != opportunity.stage
    for key, value in data.items():
        if key in ("probability", "forecast_category"):
            continue
        setattr(opportunity, key, value.strip() if isinstance(value, str) and key in ("name", "external_id") else value)
    default_probability, default_category = stage_defaults(opportunity.stage)
    if data.get("probability") is not None:
        opportunity.probability = data["probability"]
    elif stage_changed:
        opportunity.probability = default_probability
    if data.get("forecast_category"):
        opportunity.forecast_category = data["forecast_category"]
        opportunity.category_overridden = data["forecast_category"] != default_category
    elif stage_changed and (opportunity.stage in CLOSED_STAGES or not opportunity.category_overridden):
        opportunity.forecast_category = default_category
        opportunity.category_overridden = False
    _validate(opportunity)
    return opportunity


@transaction.atomic
def opportunity_update(*, opportunity: Opportunity, data: dict[str, Any], by=None) -> Opportunity:
    """Change the given fields (see opportunity_apply) as ``by``, who must be allowed to."""
    _check_permission(by, opportunity.company, opportunity)
    if "company" in data and data["company"] != opportunity.company:
        _check_permission(by, data["company"])
    opportunity_apply(opportunity=opportunity, data=data)
    _save(opportunity)
    return opportunity


@transaction.atomic
def opportunity_category_reset(*, opportunity: Opportunity, by=None) -> Opportunity:
    """Drop the owner's override: the category follows the stage again."""
    _check_permission(by, opportunity.company, opportunity)
    opportunity.forecast_category = stage_defaults(opportunity.stage)[1]
    opportunity.category_overridden = False
    opportunity.save(update_fields=["forecast_category", "category_overridden", "updated_at"])
    return opportunity


@transaction.atomic
def opportunity_delete(*, opportunity: Opportunity, by=None) -> None:
    _check_permission(by, opportunity.company, opportunity)
    opportunity.delete()
