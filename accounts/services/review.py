"""The review queue: people decide the matches account resolution was not sure about.

Writes (keyword-only, one transaction each): confirm the proposed company, reject it, or
reassign the record to another company — one record at a time or in bulk (set-based). Every
decision records who and when (matched_by, matched_at); a decided record leaves the queue and
resolution never touches it again (status confirmed/rejected, or method manual).

Reads (the queue itself): workspaces and product users in review, sorted by the value at stake —
a workspace by its MRR then seats, a user by Σ MRR then Σ seats of the workspaces they belong to —
computed in the database, one query per page.

Who decides: RevOps admins and managers (`can_decide_matches`). Reps and users without a role
may look at the queue but not change it: a wrong company moves revenue between accounts and
owners, which is a call for the people accountable for territories, not for the rep it benefits.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeVar

import django_filters
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Length
from django.utils import timezone

from accounts.filters import IntegerFilter
from accounts.models import Company, MatchFields, ProductUser, Workspace, WorkspaceMembership
from revops import history
from revops.roles import is_manager, is_revops_admin

Record = TypeVar("Record", Workspace, ProductUser)

REVIEW = MatchFields.Status.REVIEW
CONFIRMED = MatchFields.Status.CONFIRMED
REJECTED = MatchFields.Status.REJECTED
# A bulk request decides at most this many records (a page of the queue is far smaller).
BULK_MAX = 500
KINDS = {"workspaces": Workspace, "users": ProductUser}
MONEY = DecimalField(max_digits=14, decimal_places=2)
# The fields a decision sets: validated before saving (other fields are not the decision's business).
DECISION_FIELDS = ("match_status", "match_method", "match_confidence", "match_reason")


def can_decide_matches(user) -> bool:
    """RevOps admins and managers decide matches; everyone else only reads the queue."""
    return is_revops_admin(user) or is_manager(user)


def kind_of(record: Workspace | ProductUser) -> str:
    return "workspaces" if isinstance(record, Workspace) else "users"


def user_resolution_queue(*, user_ids: Iterable[int]) -> None:
    """After commit, re-resolve these users incrementally, and the workspaces they belong to."""
    ids = sorted(set(user_ids))
    if not ids:
        return

    def send() -> None:
        # Imported late: the tasks module imports the services, and tests patch the task.
        from accounts.tasks import resolve_product_users_task

        resolve_product_users_task.delay(ids)

    transaction.on_commit(send)


# --- single decisions ----------------------------------------------------------------------------


def _locked_in_review(record: Record) -> Record:
    """The record re-read under a row lock; refuses one somebody else decided in the meantime."""
    locked = (
        type(record)
        .objects.select_for_update(of=("self",))
        .select_related("suggested_company", "matched_by")
        .get(pk=record.pk)
    )
    if locked.match_status != REVIEW:
        who = f" by {locked.matched_by.get_username()}" if locked.matched_by_id else ""
        state = locked.get_match_status_display().lower() if locked.match_status else "not yet resolved"
        raise ValidationError({"match_status": f"“{locked}” is not in review: it is {state}{who}. Nothing changed."})
    return locked


def _decide(record: Record, *, status: str, company: Company | None, by: AbstractBaseUser) -> None:
    record._history_user = by  # the author of the history row, also outside a request (admin actions, API)
    record._change_reason = f"Review queue: {status}"
    record.match_status = status
    record.company = company
    record.matched_by = by
    record.matched_at = timezone.now()
    record.clean_fields(exclude=[f.name for f in record._meta.fields if f.name not in DECISION_FIELDS])
    record.save(
        update_fields=[
            "match_status",
            "match_method",
            "match_confidence",
            "match_reason",
            "company",
            "matched_by",
            "matched_at",
            "updated_at",
        ]
    )


@transaction.atomic
def match_confirm(*, record: Record, by: AbstractBaseUser) -> Record:
    """Accept the proposed company: company = suggested_company, status confirmed.

    Method, confidence and reason stay: they are the evidence the person agreed with.
    suggested_company stays too, as the record of what was proposed.
    """
    locked = _locked_in_review(record)
    if locked.suggested_company_id is None:
        raise ValidationError(
            {"suggested_company": "The proposed company no longer exists; reassign or reject instead."}
        )
    _decide(locked, status=CONFIRMED, company=locked.suggested_company, by=by)
    if isinstance(locked, ProductUser):
        # The user's company is evidence for their workspaces (and free-mail colleagues).
        user_resolution_queue(user_ids=[locked.pk])
    return locked


@transaction.atomic
def match_reject(*, record: Record, by: AbstractBaseUser) -> Record:
    """Refuse the proposed company: company stays empty, status rejected (never proposed again by a run)."""
    locked = _locked_in_review(record)
    _decide(locked, status=REJECTED, company=None, by=by)
    return locked


@transaction.atomic
def match_reassign(*, record: Record, company: Company, by: AbstractBaseUser) -> Record:
    """Tie the record to another company: status confirmed, method manual, confidence 1."""
    locked = _locked_in_review(record)
    if not Company.objects.filter(pk=company.pk).exists():
        raise ValidationError({"company": "This company no longer exists."})
    proposed = locked.suggested_company.name if locked.suggested_company_id else "nothing"
    locked.match_method = MatchFields.Method.MANUAL
    locked.match_confidence = 1.0
    locked.match_reason = f"Reassigned to {company.name} by {by.get_username()} (proposed: {proposed})"[:500]
    _decide(locked, status=CONFIRMED, company=company, by=by)
    if isinstance(locked, ProductUser):
        user_resolution_queue(user_ids=[locked.pk])
    return locked


# --- bulk decisions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BulkOutcome:
    decided: list[int] = field(default_factory=list)
    # Ids that were not (or no longer) in review, or had no proposed company to confirm.
    skipped: list[int] = field(default_factory=list)


def _bulk_ids(ids: Iterable[int]) -> set[int]:
    wanted = {int(pk) for pk in ids}
    if len(wanted) > BULK_MAX:
        raise ValidationError({"ids": f"At most {BULK_MAX} records per request ({len(wanted)} given)."})
    return wanted


def _bulk_decide(
    *, model: type[Record], ids: Iterable[int], by: AbstractBaseUser, eligible: Q, changes: dict, reason: str
) -> BulkOutcome:
    wanted = _bulk_ids(ids)
    # Lock the rows first, so a concurrent single decision cannot be overwritten half-way.
    decided = list(
        model.objects.select_for_update()
        .filter(eligible, pk__in=wanted, match_status=REVIEW)
        .values_list("pk", flat=True)
    )
    if decided:
        now = timezone.now()
        history.baseline_bulk(model, decided)
        model.objects.filter(pk__in=decided).update(**changes, matched_by=by, matched_at=now, updated_at=now)
        history.record_bulk(model, decided, by=by, reason=reason)
    return BulkOutcome(decided=sorted(decided), skipped=sorted(wanted - set(decided)))


@transaction.atomic
def match_bulk_confirm(*, model: type[Record], ids: Iterable[int], by: AbstractBaseUser) -> BulkOutcome:
    """Confirm the proposed company of every listed record still in review, in one UPDATE."""
    outcome = _bulk_decide(
        model=model,
        ids=ids,
        by=by,
        eligible=Q(suggested_company__isnull=False),
        changes={"company": F("suggested_company"), "match_status": CONFIRMED},
        reason="Review queue: confirmed in bulk",
    )
    if model is ProductUser:
        user_resolution_queue(user_ids=outcome.decided)
    return outcome


@transaction.atomic
def match_bulk_reject(*, model: type[Record], ids: Iterable[int], by: AbstractBaseUser) -> BulkOutcome:
    """Reject the proposal of every listed record still in review, in one UPDATE."""
    return _bulk_decide(model=model, ids=ids, by=by, eligible=Q(), changes={"company": None, "match_status": REJECTED},
                        reason="Review queue: rejected in bulk")


# --- reads: the queue ------------------------------------------------------------------------------


class _ReviewFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Search")
    method = django_filters.ChoiceFilter(
        field_name="match_method", choices=[choice for choice in MatchFields.Method.choices if choice[0]]
    )
    confidence_min = django_filters.NumberFilter(
        field_name="match_confidence", lookup_expr="gte", label="Confidence at least (0–1)"
    )
    confidence_max = django_filters.NumberFilter(
        field_name="match_confidence", lookup_expr="lte", label="Confidence at most (0–1)"
    )
    # A whole number (django-filter's NumberFilter takes 0.5): the API answers 400 naming `company`.
    company = IntegerFilter(field_name="suggested_company_id", label="Proposed company (id)")

    search_fields: tuple[str, ...] = ()

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        condition = Q(external_id__iexact=value) | Q(suggested_company__name__icontains=value)
        for field_name in self.search_fields:
            condition |= Q(**{f"{field_name}__icontains": value})
        return queryset.filter(condition)


class ReviewWorkspaceFilter(_ReviewFilter):
    search_fields = ("name",)

    class Meta:
        model = Workspace
        fields = ["q", "method", "confidence_min", "confidence_max", "company"]


class ReviewUserFilter(_ReviewFilter):
    search_fields = ("email", "name", "company_name")

    class Meta:
        model = ProductUser
        fields = ["q", "method", "confidence_min", "confidence_max", "company"]


def _member_count():
    members = (
        WorkspaceMembership.objects.filter(workspace=OuterRef("pk"))
        .order_by()
        .values("workspace")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(members, output_field=IntegerField()), Value(0))


def review_workspaces(*, filters: dict | None = None, queue_only: bool = True) -> QuerySet[Workspace]:
    """Workspaces in review, most valuable first (MRR, then seats), with their member count."""
    qs = Workspace.objects.select_related("suggested_company", "company", "matched_by").annotate(
        member_count=_member_count()
    )
    if queue_only:
        qs = qs.filter(match_status=REVIEW)
    qs = ReviewWorkspaceFilter(filters or {}, queryset=qs).qs
    return qs.order_by(F("mrr").desc(), F("seats").desc(), "pk")


def review_users(*, filters: dict | None = None, queue_only: bool = True) -> QuerySet[ProductUser]:
    """Product users in review, sorted by the value at stake: Σ MRR, then Σ seats of their workspaces.

    One join over memberships → workspaces with GROUP BY (each membership row has one workspace,
    so the sums never double count); the page's workspaces come with one prefetch query.
    """
    memberships = WorkspaceMembership.objects.select_related("workspace").order_by("-workspace__mrr", "pk")
    qs = ProductUser.objects.select_related("suggested_company", "company", "matched_by")
    if queue_only:
        qs = qs.filter(match_status=REVIEW)
    qs = ReviewUserFilter(filters or {}, queryset=qs).qs
    return (
        qs.annotate(
            stake_mrr=Coalesce(Sum("memberships__workspace__mrr"), Value(0), output_field=MONEY),
            stake_seats=Coalesce(Sum("memberships__workspace__seats"), Value(0), output_field=IntegerField()),
            workspace_count=Count("memberships"),
        )
        .prefetch_related(Prefetch("memberships", queryset=memberships))
        .order_by(F("stake_mrr").desc(), F("stake_seats").desc(), "pk")
    )


def review_queue(*, kind: str, filters: dict | None = None) -> QuerySet:
    if kind not in KINDS:
        raise ValidationError({"kind": f"Choose one of: {', '.join(KINDS)}."})
    return review_workspaces(filters=filters) if kind == "workspaces" else review_users(filters=filters)


def review_counts(*, filters: dict | None = None) -> dict[str, int]:
    """How many records of each kind wait in review under the same filters (for the tabs)."""
    return {
        "workspaces": ReviewWorkspaceFilter(filters or {}, queryset=Workspace.objects.filter(match_status=REVIEW))
        .qs.order_by()
        .count(),
        "users": ReviewUserFilter(filters or {}, queryset=ProductUser.objects.filter(match_status=REVIEW))
        .qs.order_by()
        .count(),
    }


def review_record_get(*, kind: str, pk: int) -> Workspace | ProductUser:
    """One record with the same annotations as a queue row (whatever its status), for re-rendering it."""
    qs = review_workspaces(queue_only=False) if kind == "workspaces" else review_users(queue_only=False)
    return qs.get(pk=pk)


def company_search(*, query: str, limit: int = 8) -> list[Company]:
    """Companies whose name or one of whose domains contains `query` (the reassign box), names first."""
    query = query.strip()
    if len(query) < 2:
        return []
    domain_hit = Q(domains__domain__icontains=query.lower())
    name_hit = Q(name__icontains=query)
    ids = (
        Company.objects.filter(name_hit | domain_hit | Q(external_id__iexact=query))
        .order_by()
        .values_list("pk", flat=True)
        .distinct()
    )
    companies = Company.objects.filter(pk__in=Subquery(ids)).prefetch_related("domains").select_related("parent")
    # Prefix matches of the name first, then other name hits, then domain-only hits; shorter names first.
    return list(
        companies.annotate(
            rank=Case(
                When(name__istartswith=query, then=Value(0)),
                When(name__icontains=query, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            ),
            name_length=Length("name"),
        ).order_by("rank", "name_length", "name", "pk")[:limit]
    )
