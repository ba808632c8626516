"""Burn ratio per company, set-based, so lists and playbook signals can filter and sort on it.

burn_ratio = usage consumed since the start of the company's active commit contracts ÷ the share of
their commits that elapsed time predicts (commit × days elapsed ÷ days in the term). Above 1 usage runs
ahead of the commit (expansion coming); below 1 adoption lags (risk). None when the company has no
commit contract in force. The month the commit starts counts by the share of its days in the term,
exactly like ``services.burndown.commit_burndown``, so both give the same ratio. A company with several
commit contracts in force gets one ratio over all of them: usage since the earliest start against the
sum of their expected shares.
"""
from datetime import date

from django.db.models import (
    Case,
    F,
    FloatField,
    Func,
    Min,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, ExtractDay, TruncMonth

from accounts.models import Company, UsageRecord
from forecasting.models import Contract
from forecasting.services.recognition import month_start

EPOCH = date(1970, 1, 1)


class DayNumber(Func):
    """Days since 1970-01-01 of a date, as a float, on SQLite and PostgreSQL alike."""

    output_field = FloatField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="(julianday(%(expressions)s) - 2440587.5)", **extra)

    def as_sql(self, compiler, connection, **extra):
        extra.setdefault("template", "CAST((CAST(%(expressions)s AS date) - DATE '1970-01-01') AS double precision)")
        return super().as_sql(compiler, connection, **extra)


class DaysInMonth(Func):
    """Number of days in the calendar month of a date."""

    output_field = FloatField()

    def as_sqlite(self, compiler, connection, **extra):
        template = "CAST(strftime('%%%%d', %(expressions)s, 'start of month', '+1 month', '-1 day') AS REAL)"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_sql(self, compiler, connection, **extra):
        extra.setdefault(
            "template",
            "CAST(EXTRACT(DAY FROM (date_trunc('month', CAST(%(expressions)s AS date)) + interval '1 month' "
            "- interval '1 day')) AS double precision)",
        )
        return super().as_sql(compiler, connection, **extra)


def commits_in_force(*, today: date) -> QuerySet[Contract]:
    return Contract.objects.filter(
        kind=Contract.Kind.COMMIT, status=Contract.Status.ACTIVE, start_date__lte=today, end_date__gte=today
    )


def company_with_burn_ratio(qs: QuerySet[Company] | None = None, *, today: date | None = None) -> QuerySet[Company]:
    """Companies annotated with burn_ratio (float or None), commit_in_force (Σ commit) and commit_consumed.

    Correlated subqueries: one query for the whole list, computed only for the rows fetched.
    """
    qs = Company.objects.all() if qs is None else qs
    today = today or date.today()
    today_number = Value(float((today - EPOCH).days), output_field=FloatField())
    contracts = commits_in_force(today=today).filter(company=OuterRef("pk")).order_by().values("company")
    expected = (
        Cast("committed_amount", FloatField())
        * (today_number - DayNumber("start_date") + Value(1.0))
        / (DayNumber("end_date") - DayNumber("start_date") + Value(1.0))
    )
    qs = qs.annotate(
        commit_in_force=Subquery(contracts.annotate(s=Sum("committed_amount")).values("s")),
        _burn_expected=Subquery(contracts.annotate(s=Sum(expected)).values("s"), output_field=FloatField()),
        _burn_start=Subquery(contracts.annotate(m=Min("start_date")).values("m")),
    ).annotate(
        _burn_month=TruncMonth("_burn_start"),
        # Share of the first month that lies in the term: (days in month − start day + 1) ÷ days in month.
        _burn_first_share=(DaysInMonth("_burn_start") - Cast(ExtractDay("_burn_start"), FloatField()) + Value(1.0))
        / DaysInMonth("_burn_start"),
    )
    current = month_start(today)

    def consumed_via(company_field: str):
        weighted = Case(
            When(period=OuterRef("_burn_month"), then=Cast("amount", FloatField()) * OuterRef("_burn_first_share")),
            default=Cast("amount", FloatField()),
            output_field=FloatField(),
        )
        usage = (
            UsageRecord.objects.filter(
                **{company_field: OuterRef("pk")}, period__gte=OuterRef("_burn_month"), period__lte=current
            )
            .order_by()
            .values(company_field)
            .annotate(total=Sum(weighted))
            .values("total")
        )
        return Coalesce(Subquery(usage, output_field=FloatField()), Value(0.0))

    return qs.annotate(
        commit_consumed=Case(
            When(_burn_start__isnull=True, then=Value(None, output_field=FloatField())),
            default=consumed_via("workspace__company") + consumed_via("company"),
            output_field=FloatField(),
        ),
    ).annotate(
        burn_ratio=Case(
            When(_burn_expected__gt=0, then=F("commit_consumed") / F("_burn_expected")),
            default=None,
            output_field=FloatField(),
        ),
    )
