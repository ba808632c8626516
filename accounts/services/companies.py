"""Writes of CRM companies, workspaces, product users and usage, shared by the API and the admin.

Every function is keyword-only, runs in one transaction and validates (full_clean) before it
saves, so a bad value becomes a ValidationError naming the field instead of a database error.
"""
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.domains import registered_domain
from accounts.models import (
    Company,
    CompanyDomain,
    MatchFields,
    ProductUser,
    UsageRecord,
    Workspace,
    WorkspaceMembership,
)
from revops.errors import ApplicationError

# Deeper than any real corporate tree; only a corrupt (already cyclic) chain gets near it.
MAX_HIERARCHY_DEPTH = 1000
# Key of the PostgreSQL advisory lock that serialises hierarchy changes (see _lock_hierarchy).
HIERARCHY_LOCK_KEY = 73_110_001

COMPANY_FIELDS = (
    "external_id",
    "name",
    "parent",
    "industry",
    "employee_count",
    "annual_revenue",
    "potential_arr",
    "owner",
    "tier",
    "country",
)
WORKSPACE_FIELDS = ("external_id", "name", "plan", "seats", "mrr", "status", "created_at", "company")
PRODUCT_USER_FIELDS = (
    "external_id",
    "email",
    "name",
    "company_name",
    "title",
    "signed_up_at",
    "last_active_at",
    "company",
)
USAGE_FIELDS = ("workspace", "company", "period", "metric", "quantity", "amount")


def _unknown_fields(data: dict, allowed: Iterable[str]) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        # A programming error in a caller, not user input: fail loudly.
        raise TypeError(f"Unknown field(s): {', '.join(sorted(unknown))}")


def _save(instance) -> None:
    """Save in a savepoint; a unique value taken by a concurrent request since full_clean()
    becomes the same ValidationError full_clean() would have raised, not a database error."""
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError:
        instance.full_clean()  # now sees the other row and names the field
        raise


# --- companies ------------------------------------------------------------------------------


def _lock_hierarchy() -> None:
    """Serialise parent changes so two concurrent edits (A→B, B→A) cannot together form a cycle.

    Each check alone would pass; one transaction-scoped lock makes the second see the first.
    SQLite already serialises writers, so only PostgreSQL needs it.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [HIERARCHY_LOCK_KEY])


def company_parent_check(*, company: Company, parent: Company | None) -> None:
    """Raise ValidationError on `parent` if making it the parent of `company` would form a cycle."""
    if parent is None or company.pk is None:
        return  # a company that does not exist yet cannot be anyone's ancestor
    if parent.pk == company.pk:
        raise ValidationError({"parent": "A company cannot be its own parent."})
    seen: set[int] = set()
    ancestor_id: int | None = parent.pk
    while ancestor_id is not None and len(seen) < MAX_HIERARCHY_DEPTH:
        if ancestor_id == company.pk:
            raise ValidationError(
                {"parent": f"{parent} is below {company} in the hierarchy; this would make a cycle."}
            )
        if ancestor_id in seen:
            break  # an existing corrupt cycle above; it does not pass through company
        seen.add(ancestor_id)
        ancestor_id = Company.objects.filter(pk=ancestor_id).values_list("parent_id", flat=True).first()


def company_domains_normalise(*, domains: Iterable[str]) -> list[str]:
    """Registered domains (acme.co.uk) for what the user typed (https://www.Acme.co.uk/x), de-duplicated.

    Raises ValidationError on `domains` naming every value that is not a domain.
    """
    result: list[str] = []
    invalid: list[str] = []
    for raw in domains:
        value = registered_domain(str(raw or "").strip())
        if value is None:
            invalid.append(str(raw))
        elif value not in result:
            result.append(value)
    if invalid:
        raise ValidationError({"domains": [f"“{value}” is not a valid domain." for value in invalid]})
    return result


def _company_domains_set(*, company: Company, domains: Iterable[str]) -> None:
    wanted = company_domains_normalise(domains=domains)
    taken = (
        CompanyDomain.objects.filter(domain__in=wanted)
        .exclude(company=company)
        .select_related("company")
        .order_by("domain")
    )
    conflicts = [f"{d.domain} already belongs to {d.company} ({d.company.external_id})." for d in taken]
    if conflicts:
        raise ValidationError({"domains": conflicts})
    company.domains.exclude(domain__in=wanted).delete()
    existing = set(company.domains.values_list("domain", flat=True))
    new = [CompanyDomain(company=company, domain=domain) for domain in wanted if domain not in existing]
    for row in new:
        row.full_clean(exclude=["company"], validate_unique=False)
    try:
        with transaction.atomic():
            CompanyDomain.objects.bulk_create(new)
    except IntegrityError:
        # Another company claimed one of these domains since the check above.
        raise ValidationError({"domains": "A domain was just claimed by another company; please retry."})


@transaction.atomic
def company_create(
    *,
    external_id: str,
    name: str,
    parent: Company | None = None,
    industry: str = "",
    employee_count: int | None = None,
    annual_revenue: Decimal | None = None,
    potential_arr: Decimal | None = None,
    owner: AbstractBaseUser | None = None,
    tier: str = Company.Tier.UNTIERED,
    country: str = "",
    domains: Iterable[str] = (),
) -> Company:
    company = Company(
        external_id=external_id.strip(),
        name=name.strip(),
        parent=parent,
        industry=industry.strip(),
        employee_count=employee_count,
        annual_revenue=annual_revenue,
        potential_arr=potential_arr,
        owner=owner,
        tier=tier,
        country=country.strip(),
    )
    company.full_clean()
    _save(company)
    _company_domains_set(company=company, domains=domains)
    return company


@transaction.atomic
def company_update(*, company: Company, data: dict[str, Any]) -> Company:
    """Change the given fields; `domains`, when given, replaces the company's whole set of domains."""
    _unknown_fields(data, (*COMPANY_FIELDS, "domains"))
    fields = {key: value for key, value in data.items() if key != "domains"}
    if "parent" in fields and fields["parent"] != company.parent:
        _lock_hierarchy()
        company_parent_check(company=company, parent=fields["parent"])
    for key, value in fields.items():
        setattr(company, key, value.strip() if isinstance(value, str) else value)
    company.full_clean()
    _save(company)
    if "domains" in data:
        _company_domains_set(company=company, domains=data["domains"])
    return company


def company_delete_blockers(*, company: Company) -> list[str]:
    """Why deleting this company would lose or orphan data, as sentences; empty when it is safe.

    Deleting would silently turn subsidiaries into top-level companies, unlink resolved
    workspaces and users (they would look never-matched) and drop usage booked on the company.
    """
    counts = (
        ("subsidiary", "subsidiaries", company.children.count()),
        ("workspace", "workspaces", company.workspaces.count()),
        ("product user", "product users", company.product_users.count()),
        ("usage record", "usage records", company.usage_records.count()),
    )
    return [f"{n} {one if n == 1 else many}" for one, many, n in counts if n]


@transaction.atomic
def company_delete(*, company: Company) -> None:
    blockers = company_delete_blockers(company=company)
    if blockers:
        raise ApplicationError(
            f"{company} still has {', '.join(blockers)}. Move or delete them first, then delete the company."
        )
    company.delete()


# --- manual matches -------------------------------------------------------------------------


def record_mark_manual_match(*, record: MatchFields, by: AbstractBaseUser | None) -> None:
    """Record that a person, not account resolution, decided the record's company.

    Resolution leaves manual decisions alone, so an admin's correction survives the next run.
    Sets the fields only; the caller saves.
    """
    record.match_method = MatchFields.Method.MANUAL
    record.match_status = MatchFields.Status.CONFIRMED if record.company_id else MatchFields.Status.UNMATCHED
    record.match_confidence = 1.0 if record.company_id else None
    record.match_reason = f"Set by {by.get_username()}" if by is not None else "Set manually"
    record.matched_at = timezone.now()
    record.matched_by = by


# --- workspaces -----------------------------------------------------------------------------


@transaction.atomic
def workspace_create(
    *,
    external_id: str,
    name: str,
    plan: str = "",
    seats: int = 0,
    mrr: Decimal = Decimal("0"),
    status: str = Workspace.Status.ACTIVE,
    created_at: datetime | None = None,
    company: Company | None = None,
    by: AbstractBaseUser | None = None,
) -> Workspace:
    workspace = Workspace(
        external_id=external_id.strip(),
        name=name.strip(),
        plan=plan.strip(),
        seats=seats,
        mrr=mrr,
        status=status,
        created_at=created_at,
        company=company,
    )
    if company is not None:
        record_mark_manual_match(record=workspace, by=by)
    workspace.full_clean()
    _save(workspace)
    return workspace


@transaction.atomic
def workspace_update(
    *, workspace: Workspace, data: dict[str, Any], by: AbstractBaseUser | None = None
) -> Workspace:
    _unknown_fields(data, WORKSPACE_FIELDS)
    company_changed = "company" in data and data["company"] != workspace.company
    for key, value in data.items():
        setattr(workspace, key, value.strip() if isinstance(value, str) else value)
    if company_changed:
        record_mark_manual_match(record=workspace, by=by)
    workspace.full_clean()
    _save(workspace)
    return workspace


@transaction.atomic
def workspace_delete(*, workspace: Workspace) -> None:
    """Delete a workspace with its memberships and usage (e.g. a duplicate from a bad import)."""
    workspace.delete()


# --- product users --------------------------------------------------------------------------


def _email_normalise(value: str) -> str:
    return (value or "").strip().lower()


def _memberships_set(*, user: ProductUser, memberships: Iterable[tuple[Workspace, str]]) -> None:
    """Replace the user's memberships with exactly these (workspace, role) pairs."""
    wanted: dict[int, tuple[Workspace, str]] = {}
    for workspace, role in memberships:
        if role not in WorkspaceMembership.Role.values:
            raise ValidationError({"workspaces": f"“{role}” is not a role (use admin or member)."})
        if workspace.pk in wanted:
            raise ValidationError({"workspaces": f"{workspace.external_id} is listed twice."})
        wanted[workspace.pk] = (workspace, role)
    user.memberships.exclude(workspace_id__in=wanted).delete()
    current = {m.workspace_id: m for m in user.memberships.all()}
    to_create, to_update = [], []
    for workspace_id, (workspace, role) in wanted.items():
        membership = current.get(workspace_id)
        if membership is None:
            to_create.append(WorkspaceMembership(user=user, workspace=workspace, role=role))
        elif membership.role != role:
            membership.role = role
            to_update.append(membership)
    WorkspaceMembership.objects.bulk_create(to_create)
    WorkspaceMembership.objects.bulk_update(to_update, ["role"])


@transaction.atomic
def product_user_create(
    *,
    external_id: str,
    email: str,
    name: str = "",
    company_name: str = "",
    title: str = "",
    signed_up_at: datetime | None = None,
    last_active_at: datetime | None = None,
    company: Company | None = None,
    memberships: Iterable[tuple[Workspace, str]] = (),
    by: AbstractBaseUser | None = None,
) -> ProductUser:
    user = ProductUser(
        external_id=external_id.strip(),
        email=_email_normalise(email),
        name=name.strip(),
        company_name=company_name.strip(),
        title=title.strip(),
        signed_up_at=signed_up_at,
        last_active_at=last_active_at,
        company=company,
    )
    if company is not None:
        record_mark_manual_match(record=user, by=by)
    user.full_clean()
    _save(user)
    _memberships_set(user=user, memberships=memberships)
    return user


@transaction.atomic
def product_user_update(
    *, user: ProductUser, data: dict[str, Any], by: AbstractBaseUser | None = None
) -> ProductUser:
    """Change the given fields; `memberships` ([(workspace, role)]), when given, replaces them all."""
    _unknown_fields(data, (*PRODUCT_USER_FIELDS, "memberships"))
    fields = {key: value for key, value in data.items() if key != "memberships"}
    if "email" in fields:
        fields["email"] = _email_normalise(fields["email"])
    company_changed = "company" in fields and fields["company"] != user.company
    for key, value in fields.items():
        setattr(user, key, value.strip() if isinstance(value, str) else value)
    if company_changed:
        record_mark_manual_match(record=user, by=by)
    user.full_clean()
    _save(user)
    if "memberships" in data:
        _memberships_set(user=user, memberships=data["memberships"])
    return user


@transaction.atomic
def product_user_delete(*, user: ProductUser) -> None:
    user.delete()


# --- usage ----------------------------------------------------------------------------------


def usage_period(value: date) -> date:
    """The first day of the month `value` falls in: usage is booked per calendar month."""
    return date(value.year, value.month, 1)


def _usage_target_check(workspace: Workspace | None, company: Company | None) -> None:
    if workspace is not None and company is not None:
        message = "Give either a workspace or a company, not both."
        raise ValidationError({"workspace": message, "company": message})
    if workspace is None and company is None:
        message = "Give a workspace or a company."
        raise ValidationError({"workspace": message, "company": message})


def _usage_duplicate_check(record: UsageRecord) -> None:
    duplicate = UsageRecord.objects.filter(
        workspace=record.workspace, company=record.company, period=record.period, metric=record.metric
    ).exclude(pk=record.pk)
    if duplicate.exists():
        raise ValidationError(
            {"metric": f"{record.metric} for {record.period:%Y-%m} is already recorded for this target."}
        )


@transaction.atomic
def usage_record_upsert(
    *,
    period: date,
    metric: str,
    quantity: Decimal = Decimal("0"),
    amount: Decimal = Decimal("0"),
    workspace: Workspace | None = None,
    company: Company | None = None,
) -> tuple[UsageRecord, bool]:
    """Set the usage of `metric` in `period`'s month for one target. Returns (record, created).

    Idempotent, so a usage feed can resend a month; the row is locked while it is changed.
    """
    _usage_target_check(workspace, company)
    period = usage_period(period)
    metric = metric.strip()
    target = {"workspace": workspace, "company": company, "period": period, "metric": metric}
    record = UsageRecord.objects.select_for_update().filter(**target).first()
    created = record is None
    if created:
        record = UsageRecord(**target)
    record.quantity, record.amount = quantity, amount
    record.full_clean()
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        if not created:
            raise
        # Another request inserted the same month and metric since we looked: update theirs.
        record = UsageRecord.objects.select_for_update().get(**target)
        record.quantity, record.amount, created = quantity, amount, False
        record.save(update_fields=["quantity", "amount"])
    return record, created


@transaction.atomic
def usage_record_update(*, record: UsageRecord, data: dict[str, Any]) -> UsageRecord:
    """Change the given fields. Giving one target (workspace or company) moves the record to it."""
    _unknown_fields(data, USAGE_FIELDS)
    data = dict(data)
    if "workspace" in data and "company" not in data and data["workspace"] is not None:
        data["company"] = None
    elif "company" in data and "workspace" not in data and data["company"] is not None:
        data["workspace"] = None
    if "period" in data:
        data["period"] = usage_period(data["period"])
    if "metric" in data:
        data["metric"] = data["metric"].strip()
    for key, value in data.items():
        setattr(record, key, value)
    _usage_target_check(record.workspace, record.company)
    _usage_duplicate_check(record)
    record.full_clean()
    _save(record)
    return record


@transaction.atomic
def usage_record_delete(*, record: UsageRecord) -> None:
    record.delete()
