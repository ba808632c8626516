"""Reads of companies and their product footprint. Every list is one query, whatever the number of rows."""
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    OrderBy,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce

from accounts.filters import CompanyFilter
from accounts.models import Company, ProductUser, UsageRecord, Workspace, WorkspaceMembership

MONEY = DecimalField(max_digits=14, decimal_places=2)


def subquery_count(model_or_qs, fk: str):
    """Count of rows (of a model, or of a queryset's rows) pointing at the outer company."""
    base = model_or_qs.objects.all() if isinstance(model_or_qs, type) else model_or_qs
    qs = base.filter(**{fk: OuterRef("pk")}).order_by().values(fk).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(qs, output_field=IntegerField()), Value(0))


_subquery_count = subquery_count


def company_with_metrics(qs: QuerySet[Company] | None = None) -> QuerySet[Company]:
    """Companies annotated with their own product footprint (not rolled up).

    mrr / arr: Σ mrr of the company's workspaces (× 12 for ARR); seats, workspace_count,
    user_count: counts of what resolved to this company; penetration: arr ÷ potential_arr
    as a ratio (None when the potential is unknown or zero).
    """
    qs = Company.objects.all() if qs is None else qs
    # mrr, seats and the workspace count come from the trigger-kept CompanyFigures (accounts/services/
    # figures.py): sorting 100,000 companies by ARR joins a narrow table instead of summing workspaces.
    mrr = Coalesce(F("figures__mrr"), Value(Decimal(0)), output_field=MONEY)
    return qs.annotate(
        mrr=mrr,
        arr=ExpressionWrapper(mrr * Value(Decimal(12)), output_field=MONEY),
        seats=Coalesce(F("figures__seats"), Value(0), output_field=IntegerField()),
        workspace_count=Coalesce(F("figures__workspaces"), Value(0), output_field=IntegerField()),
        user_count=_subquery_count(ProductUser, "company"),
    ).annotate(
        # Float division: decimal ÷ decimal truncates to an integer on some backends.
        penetration=Case(
            When(potential_arr__gt=0, then=Cast(F("arr"), FloatField()) / Cast(F("potential_arr"), FloatField())),
            default=None,
            output_field=FloatField(),
        ),
    )


def company_list(*, filters: dict | None = None) -> QuerySet[Company]:
    """Companies, filtered and sorted, with their own figures (joined from the trigger-kept
    `CompanyFigures`, and the user count as a correlated subquery the database computes for the fetched
    rows only; a count ignores it). Page it with
    `revops.pagination.IdsFirstPaginator` (never compute figures for rows an OFFSET skips) and add the
    rolled-up penetration and small-deal flag of the rows shown with `company_attach_penetration`."""
    qs = company_with_metrics(Company.objects.select_related("owner", "parent"))
    return CompanyFilter(filters or {}, queryset=qs).qs


def orders_by_arr_descending(qs: QuerySet[Company]) -> bool:
    """Whether ``qs`` is a company list sorted by ARR, biggest first (``?sort=-arr``: CompanyFilter
    orders by its ``mrr`` annotation, then the primary key)."""
    order = qs.query.order_by
    return (
        len(order) == 2 and order[1] in ("pk", "id") and isinstance(order[0], OrderBy) and order[0].descending
        and isinstance(order[0].expression, F) and order[0].expression.name == "mrr"
    )


def company_ids_by_arr(qs: QuerySet[Company], bottom: int, top: int) -> list[int]:
    """The ids of rows ``bottom`` to ``top`` of a company list sorted by ARR, biggest first, then id.

    The same ids as slicing the list, but without sorting every company on each page: ordered by
    ``COALESCE(figures.mrr, 0)``, PostgreSQL sorted all 100,000 (75-80 ms a page). Companies with MRR come
    first, walked in order through the figures' (mrr DESC, company) index (~3 ms); every other company
    has none (workspace MRR cannot be negative), so they follow by id.
    """
    base = qs.order_by()
    with_mrr = base.filter(figures__mrr__gt=0).order_by("-figures__mrr", "pk")
    ids = list(with_mrr.values_list("pk", flat=True)[bottom:top])
    if len(ids) == top - bottom:
        return ids
    counted = bottom + len(ids) if ids else with_mrr.count()  # the companies with MRR, in all
    rest = base.exclude(figures__mrr__gt=0).order_by("pk")
    start = max(0, bottom - counted)
    return ids + list(rest.values_list("pk", flat=True)[start:start + (top - bottom - len(ids))])


def distinct_values(field: str) -> list[str]:
    """The distinct non-empty values of a company column, sorted, by hopping through its index.

    One index probe per distinct value (a recursive "next value after this one"), where SELECT DISTINCT
    read all 100,000 companies for 16 countries (25–45 ms per dropdown, on every account list).
    """
    table, column = connection.ops.quote_name(Company._meta.db_table), connection.ops.quote_name(
        Company._meta.get_field(field).column)
    sql = (
        f"WITH RECURSIVE hop(value) AS (SELECT MIN({column}) FROM {table} WHERE {column} > '' "
        f"UNION ALL SELECT (SELECT MIN({column}) FROM {table} WHERE {column} > hop.value) FROM hop "
        "WHERE hop.value IS NOT NULL) SELECT value FROM hop WHERE value IS NOT NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [row[0] for row in cursor.fetchall()]


def company_filter_options() -> dict:
    """The values the account list's filter dropdowns offer: what exists in the data, sorted."""
    countries, industries = distinct_values("country"), distinct_values("industry")
    # EXISTS: one index probe per user, where a join with DISTINCT went through every owned company.
    owners = (
        get_user_model()
        .objects.filter(Exists(Company.objects.filter(owner=OuterRef("pk"))))
        .order_by("first_name", "last_name", "username")
    )
    return {"countries": list(countries), "industries": list(industries), "owners": list(owners)}


def company_get(*, pk: int) -> Company:
    return company_with_metrics(Company.objects.select_related("owner", "parent")).get(pk=pk)


def company_children(*, company: Company) -> QuerySet[Company]:
    return company_with_metrics(company.children.select_related("owner")).order_by("name")


def company_workspaces(*, company: Company) -> QuerySet[Workspace]:
    users = _subquery_count(WorkspaceMembership, "workspace")
    return company.workspaces.annotate(user_count=users).order_by("-mrr", "name")


def company_users(*, company: Company) -> QuerySet[ProductUser]:
    return company.product_users.prefetch_related(
        Prefetch("workspaces", queryset=Workspace.objects.only("id", "name", "external_id"))
    ).order_by("-last_active_at", "email")


def company_monthly_usage(*, company: Company, months: int = 24, today: date | None = None) -> list[dict]:
    """Usage amount and quantity per month over the last `months` months, gaps filled with zero.

    Covers the company's workspaces and usage booked on the company directly.
    """
    today = today or date.today()
    end = date(today.year, today.month, 1)
    start_index = end.year * 12 + end.month - 1 - (months - 1)
    start = date(start_index // 12, start_index % 12 + 1, 1)
    # The workspace ids first: "workspace in (ids) or company = X" is two index scans, while
    # "workspace.company = X or company = X" joins every usage row to its workspace (0.7 s at 1.4 M rows).
    workspace_ids = list(Workspace.objects.filter(company=company).values_list("pk", flat=True))
    rows = (
        UsageRecord.objects.filter(period__gte=start, period__lte=end)
        .filter(Q(workspace_id__in=workspace_ids) | Q(company=company))
        .order_by()
        .values("period")
        .annotate(amount=Sum("amount"), quantity=Sum("quantity"))
    )
    totals = {row["period"]: {"amount": row["amount"], "quantity": row["quantity"]} for row in rows}
    series = []
    for i in range(months):
        index = start_index + i
        period = date(index // 12, index % 12 + 1, 1)
        bucket = totals.get(period, {"amount": Decimal(0), "quantity": Decimal(0)})
        series.append({"period": period, **bucket})
    return series
