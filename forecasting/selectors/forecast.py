"""Reads for the consumption forecast: usage history as a matrix, the latest forecast, runs.

The history and forecast loaders return numpy arrays (one row per company, one column per month)
because the model and the roll-up work on all companies at once; on PostgreSQL the server packs
the rows into a few binary blobs (``float8send`` …) that numpy reads in one call, instead of
building millions of Python tuples.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np
import psycopg
from django.db import connection
from django.db.models import QuerySet

from accounts.models import Company, UsageRecord, Workspace
from forecasting.models import ConsumptionForecast, ForecastRun
from forecasting.services.recognition import add_months, month_start

_q = connection.ops.quote_name
USAGE_TABLE = _q(UsageRecord._meta.db_table)
WORKSPACE_TABLE = _q(Workspace._meta.db_table)
COMPANY_TABLE = _q(Company._meta.db_table)
FORECAST_TABLE = _q(ConsumptionForecast._meta.db_table)
HISTORY_MONTHS = 36


def month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


@dataclass(frozen=True)
class MonthMatrix:
    """Per-company monthly figures: ``values[i, j]`` is company ``ids[i]`` in month ``first + j``."""

    ids: np.ndarray  # int64, sorted
    first: date
    values: np.ndarray  # float, len(ids) × months

    @property
    def months(self) -> list[date]:
        return [add_months(self.first, j) for j in range(self.values.shape[1])]

    def rows(self, company_ids) -> np.ndarray:
        """Row positions of ``company_ids`` (−1 when absent)."""
        company_ids = np.asarray(company_ids, dtype=np.int64)
        if len(self.ids) == 0:
            return np.full(len(company_ids), -1)
        pos = np.searchsorted(self.ids, company_ids)
        pos = np.minimum(pos, len(self.ids) - 1)
        return np.where(self.ids[pos] == company_ids, pos, -1)


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


_GROUPS = 16  # server-side chunks: each a few MB of packed binary, not millions of row messages


def _fetch_packed(select: str, params: tuple, columns: list[tuple[str, str]]) -> dict[str, np.ndarray]:
    """Rows of ``select`` (its columns aliased c0, c1 …, ints as bigint/int, floats as float8) packed
    server-side into a few bytea blobs of big-endian fixed-width records and unpacked with numpy —
    millions of rows without a Python object per row. ``columns`` = [(name, "i8"|"i4"|"f8")]."""
    send = {"i8": "int8send", "i4": "int4send", "f8": "float8send"}
    packed = " || ".join(f"{send[kind]}(r.c{k})" for k, (_, kind) in enumerate(columns))
    sql = f"SELECT string_agg({packed}, ''::bytea) FROM ({select}) r GROUP BY mod(r.c0, {_GROUPS})"
    connection.ensure_connection()
    # Django's cursors bind parameters client-side, which rules out binary results; a plain psycopg
    # cursor on the same connection (same transaction) gets the blobs without hex encoding.
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params, binary=True)
        blobs = [bytes(row[0]) for row in cursor.fetchall() if row[0] is not None]
    dtype = np.dtype([(name, f">{kind}") for name, kind in columns])
    records = np.frombuffer(b"".join(blobs), dtype=dtype)
    return {name: records[name].astype(np.int64 if kind != "f8" else float) for name, kind in columns}


def _company_month_filter(company_ids) -> tuple[str, list]:
    if company_ids is None:
        return "", []
    ids = [int(i) for i in company_ids]
    if not ids:
        return " AND 1 = 0", []
    return f" AND COALESCE(u.company_id, w.company_id) IN ({', '.join(['%s'] * len(ids))})", ids


def usage_matrix(*, first: date, months: int, company_ids=None, companies_sql: tuple[str, list] | None = None
                 ) -> MonthMatrix:
    """Σ usage amount per company and month for ``months`` months from ``first``.

    Usage booked on a workspace counts for the workspace's company; usage booked on the company
    directly counts too; workspaces without a company are left out. Months without usage are 0.
    ``companies_sql`` = (a SELECT of company ids, its parameters) limits the companies set-based.
    """
    first = month_start(first)
    end = add_months(first, months)
    where, extra = _company_month_filter(company_ids)
    if companies_sql is not None:
        where += f" AND COALESCE(u.company_id, w.company_id) IN ({companies_sql[0]})"
        extra = [*extra, *companies_sql[1]]
    rows_sql = (
        f"FROM {USAGE_TABLE} u LEFT JOIN {WORKSPACE_TABLE} w ON w.id = u.workspace_id "
        f"WHERE u.period >= %s AND u.period < %s AND COALESCE(u.company_id, w.company_id) IS NOT NULL{where}"
    )
    params = (first, end, *extra)
    if _is_postgres():
        # Raw rows, summed by numpy (np.add.at): cheaper than a GROUP BY over millions of groups.
        sql = (
            "SELECT COALESCE(u.company_id, w.company_id)::bigint AS c0, (u.period - DATE '2000-01-01') AS c1, "
            f"u.amount::float8 AS c2 {rows_sql}"
        )
        data = _fetch_packed(sql, params, [("company", "i8"), ("day", "i4"), ("amount", "f8")])
        company, index, amount = data["company"], _day_to_month(data["day"]), data["amount"]
    else:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(u.company_id, w.company_id), u.period, u.amount {rows_sql}", params)
            rows = cursor.fetchall()
        company = np.array([r[0] for r in rows], dtype=np.int64)
        index = np.array([_period_index(r[1]) for r in rows], dtype=np.int64)
        amount = np.array([float(r[2] or 0) for r in rows], dtype=float)
    return _to_matrix(company, index - month_index(first), amount, first=first, months=months)


def _day_to_month(days: np.ndarray) -> np.ndarray:
    """Days since 2000-01-01 → month index (year × 12 + month − 1)."""
    months = (np.datetime64("2000-01-01", "D") + days.astype("timedelta64[D]")).astype("datetime64[M]").astype(np.int64)
    return months + 1970 * 12


def _period_index(value) -> int:
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return month_index(value)


def _to_matrix(company: np.ndarray, column: np.ndarray, amount: np.ndarray, *, first: date, months: int) -> MonthMatrix:
    ids, rows = np.unique(company, return_inverse=True)
    values = np.zeros((len(ids), months))
    np.add.at(values, (rows, column), amount)
    return MonthMatrix(ids=ids, first=first, values=values)


def usage_history(*, as_of: date, months: int = HISTORY_MONTHS, company_ids=None) -> MonthMatrix:
    """Complete months before ``as_of`` (the month being forecast first), NaN before each company's
    first month with usage — the shape the model expects."""
    first = add_months(month_start(as_of), -months)
    matrix = usage_matrix(first=first, months=months, company_ids=company_ids)
    values = matrix.values
    if values.size:
        present = values != 0
        started = np.maximum.accumulate(present, axis=1)
        values[~started] = np.nan
    return matrix


# --- the stored forecast --------------------------------------------------------------------------------


def latest_forecast_run() -> ForecastRun | None:
    return ForecastRun.objects.filter(status=ForecastRun.Status.SUCCEEDED).order_by("-created_at", "-id").first()


def forecast_runs() -> QuerySet[ForecastRun]:
    return ForecastRun.objects.order_by("-created_at", "-id")


@dataclass(frozen=True)
class ForecastArrays:
    run: ForecastRun | None
    ids: np.ndarray
    first: date | None
    value: np.ndarray
    low: np.ndarray
    high: np.ndarray

    def as_matrix(self, which: str = "value") -> MonthMatrix:
        return MonthMatrix(ids=self.ids, first=self.first, values=getattr(self, which))


def forecast_arrays(*, run: ForecastRun | None = None, company_ids=None) -> ForecastArrays:
    """The stored forecast of ``run`` (default: the latest that succeeded) as company × month arrays."""
    run = run or latest_forecast_run()
    if run is None:
        empty = np.zeros((0, 0))
        return ForecastArrays(None, np.zeros(0, dtype=np.int64), None, empty, empty, empty)
    months = run.horizon_months
    first = run.as_of
    filters, params = f"run_id = %s AND period >= %s AND period < %s", [run.pk, first, add_months(first, months)]
    if company_ids is not None:
        ids = [int(i) for i in company_ids] or [-1]
        filters += f" AND company_id IN ({', '.join(['%s'] * len(ids))})"
        params += ids
    if _is_postgres():
        sql = (
            "SELECT company_id::bigint AS c0, (period - DATE '2000-01-01') AS c1, "
            f"value::float8 AS c2, low::float8 AS c3, high::float8 AS c4 FROM {FORECAST_TABLE} WHERE {filters}"
        )
        data = _fetch_packed(sql, tuple(params), [("company", "i8"), ("day", "i4"), ("value", "f8"), ("low", "f8"),
                                                  ("high", "f8")])
        company, index = data["company"], _day_to_month(data["day"])
        value, low, high = data["value"], data["low"], data["high"]
    else:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT company_id, period, value, low, high FROM {FORECAST_TABLE} WHERE {filters}", params)
            rows = cursor.fetchall()
        company = np.array([r[0] for r in rows], dtype=np.int64)
        index = np.array([_period_index(r[1]) for r in rows], dtype=np.int64)
        value, low, high = (np.array([float(r[k]) for r in rows], dtype=float) for k in (2, 3, 4))
    ids, rows_ = np.unique(company, return_inverse=True)
    column = index - month_index(first)
    out = []
    for data_ in (value, low, high):
        matrix = np.zeros((len(ids), months))
        matrix[rows_, column] = data_
        out.append(matrix)
    return ForecastArrays(run, ids, first, *out)


def latest_consumption_forecast(*, company_ids=None) -> dict[tuple[int, date], tuple[Decimal, Decimal, Decimal]]:
    """{(company id, month): (value, low, high)} of the latest succeeded run; empty before any run."""
    run = latest_forecast_run()
    if run is None:
        return {}
    qs = ConsumptionForecast.objects.filter(run=run)
    if company_ids is not None:
        qs = qs.filter(company_id__in=list(company_ids))
    return {
        (company, period): (value, low, high)
        for company, period, value, low, high in qs.values_list("company_id", "period", "value", "low", "high")
    }


def company_forecast_series(*, company: Company, run: ForecastRun | None = None) -> list[ConsumptionForecast]:
    run = run or latest_forecast_run()
    if run is None:
        return []
    return list(ConsumptionForecast.objects.filter(run=run, company=company).order_by("period"))
