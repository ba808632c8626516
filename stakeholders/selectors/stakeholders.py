"""Reads of one account's stakeholders and interactions, for the account page and the API."""
from django.db.models import F, Prefetch, QuerySet

from accounts.models import Company
from stakeholders.models import Interaction, InteractionParticipant, Stakeholder


def company_stakeholders(*, company: Company, include_inactive: bool = True) -> QuerySet[Stakeholder]:
    """The company's stakeholders: key stakeholders first (by rank), then active before departed, by name."""
    qs = Stakeholder.objects.filter(company=company).select_related(
        "reports_to", "last_contacted_by", "product_user"
    )
    if not include_inactive:
        qs = qs.filter(is_active=True)
    return qs.order_by(F("key_rank").asc(nulls_last=True), "-is_active", "name", "pk")


def interaction_participants_prefetch(*, stakeholders: bool = True) -> Prefetch:
    """The participants of interactions, by name; ``stakeholders=False`` when only their ids and the
    names kept on them are shown (the API), not the people themselves."""
    participants = InteractionParticipant.objects.order_by("stakeholder_name", "pk")
    return Prefetch("participants", queryset=participants.select_related("stakeholder") if stakeholders
                    else participants)


def company_interactions(*, company: Company, limit: int | None = None) -> QuerySet[Interaction]:
    """The company's interactions, newest first, with their participants and logger (three queries)."""
    qs = (
        Interaction.objects.filter(company=company)
        .select_related("logged_by")
        .prefetch_related(interaction_participants_prefetch())
        .order_by("-occurred_at", "-id")
    )
    return qs[:limit] if limit is not None else qs


def company_last_contact(*, company: Company) -> Interaction | None:
    """The company's latest interaction (when and by whom it was last contacted), or None."""
    return (
        Interaction.objects.filter(company=company).select_related("logged_by").order_by("-occurred_at", "-id").first()
    )


def interaction_list(*, filters: dict | None = None, user=None) -> QuerySet[Interaction]:
    """Interactions for the API list, filtered by the InteractionFilter (company, owner, stakeholder, since …)."""
    from stakeholders.filters import InteractionFilter

    qs = (
        Interaction.objects.select_related("company", "logged_by")
        .prefetch_related(interaction_participants_prefetch())
        .order_by("-occurred_at", "-id")
    )
    return InteractionFilter(filters or {}, queryset=qs).qs


def stakeholder_list(*, filters: dict | None = None) -> QuerySet[Stakeholder]:
    """Stakeholders for the API list, filtered by the StakeholderFilter (company, owner, role, stale since …)."""
    from stakeholders.filters import StakeholderFilter

    qs = Stakeholder.objects.select_related("company", "reports_to", "last_contacted_by").order_by("company_id", F(
        "key_rank").asc(nulls_last=True), "name", "pk")
    return StakeholderFilter(filters or {}, queryset=qs).qs
