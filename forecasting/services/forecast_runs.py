"""Forecast runs: load every company's usage history, run the model, store the points.

1. ``forecast_run_create`` queues a run (the page's "run forecast now" and the weekly beat).
2. ``forecast_run_execute`` claims it (QUEUED → RUNNING, a conditional UPDATE), loads the usage
   history matrix, forecasts, writes the ConsumptionForecast rows in bulk (binary COPY on
   PostgreSQL: 3.6 million rows in seconds), marks it SUCCEEDED and keeps the latest few runs.
3. ``consumption_forecast_run`` does both at once, synchronously (commands, tests, the benchmark).
"""
from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal
from time import monotonic

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from forecasting.models import ConsumptionForecast, ForecastRun
from forecasting.selectors.forecast import FORECAST_TABLE, HISTORY_MONTHS, usage_history
from forecasting.services.consumption import METHODS, forecast_matrix
from forecasting.services.recognition import add_months, month_start
from revops.errors import ApplicationError

logger = logging.getLogger(__name__)

KEEP_RUNS = 3
MAX_HORIZON = 60
MAX_MONEY = 10**13  # below the column's 14 integer digits, whatever a runaway series does
_PG_EPOCH = date(2000, 1, 1)


def default_as_of(today: date | None = None) -> date:
    """The first month forecast: the current (incomplete) month, so history = complete months."""
    return month_start(today or timezone.localdate())


def forecast_run_create(*, as_of: date | None = None, horizon: int = 36) -> ForecastRun:
    if not 1 <= horizon <= MAX_HORIZON:
        raise ApplicationError(f"The horizon must be between 1 and {MAX_HORIZON} months.")
    return ForecastRun.objects.create(
        status=ForecastRun.Status.QUEUED, as_of=month_start(as_of or default_as_of()), horizon_months=horizon
    )


def forecast_run_execute(*, run_id: int) -> ForecastRun | None:
    """Run a queued forecast. Returns None when another worker claimed it first."""
    claimed = ForecastRun.objects.filter(id=run_id, status=ForecastRun.Status.QUEUED).update(
        status=ForecastRun.Status.RUNNING, message="Loading usage history…"
    )
    if claimed != 1:
        return None
    run = ForecastRun.objects.get(pk=run_id)
    started = monotonic()
    try:
        history = usage_history(as_of=run.as_of, months=HISTORY_MONTHS)
        ForecastRun.objects.filter(pk=run.pk).update(message=f"Forecasting {len(history.ids):,} companies…")
        result = forecast_matrix(history.values, run.horizon_months)
        ForecastRun.objects.filter(pk=run.pk).update(message="Saving the forecast…")
        with transaction.atomic():
            forecast_points_write(run=run, ids=history.ids, point=result.point, low=result.low, high=result.high,
                                  methods=result.methods)
            ForecastRun.objects.filter(pk=run.pk).update(
                status=ForecastRun.Status.SUCCEEDED,
                companies=len(history.ids),
                seconds=round(monotonic() - started, 2),
                finished_at=timezone.now(),
                message=_summary(result.methods),
            )
    except Exception as exc:  # recorded on the run for the page, then re-raised for the worker's log
        logger.exception("Forecast run %s failed", run.pk)
        ForecastRun.objects.filter(pk=run.pk).update(
            status=ForecastRun.Status.FAILED, finished_at=timezone.now(), seconds=round(monotonic() - started, 2),
            message=f"Failed: {exc}"[:500],
        )
        raise
    run.refresh_from_db()
    return run


def consumption_forecast_run(*, as_of: date | None = None, horizon: int = 36, prune: bool = True) -> ForecastRun:
    """Create and execute a run now; keeps the latest ``KEEP_RUNS`` succeeded runs."""
    run = forecast_run_create(as_of=as_of, horizon=horizon)
    forecast_run_execute(run_id=run.pk)
    if prune:
        forecast_runs_prune()
    run.refresh_from_db()
    return run


def forecast_runs_prune(*, keep: int = KEEP_RUNS) -> int:
    """Delete the points and rows of all but the newest ``keep`` succeeded runs (and old failures)."""
    keep_ids = list(
        ForecastRun.objects.filter(status=ForecastRun.Status.SUCCEEDED).order_by("-created_at", "-id")
        .values_list("id", flat=True)[:keep]
    )
    if not keep_ids:
        return 0
    newest_kept = min(keep_ids)
    old = ForecastRun.objects.exclude(id__in=keep_ids).filter(
        status__in=[ForecastRun.Status.SUCCEEDED, ForecastRun.Status.FAILED], id__lt=newest_kept
    )
    old_ids = list(old.values_list("id", flat=True))
    if not old_ids:
        return 0
    with transaction.atomic():
        ConsumptionForecast.objects.filter(run_id__in=old_ids)._raw_delete(using="default")
        ForecastRun.objects.filter(id__in=old_ids).delete()
    return len(old_ids)


def _summary(methods: np.ndarray) -> str:
    labels, counts = np.unique(methods.astype(str), return_counts=True) if len(methods) else ([], [])
    parts = sorted(zip(counts, labels), reverse=True)
    return "; ".join(f"{label}: {int(count):,}" for count, label in parts)[:500]


# --- writing the points ----------------------------------------------------------------------------


def _cents(values: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(np.nan_to_num(values) * 100), 0, MAX_MONEY * 100).astype(np.int64)


def forecast_points_write(*, run: ForecastRun, ids, point, low, high, methods) -> int:
    """Store every company's points (cents, low ≤ value ≤ high kept after rounding)."""
    n, horizon = point.shape if point.ndim == 2 else (0, 0)
    if n == 0 or horizon == 0:
        return 0
    value_c, low_c, high_c = _cents(point), _cents(low), _cents(high)
    np.minimum(low_c, value_c, out=low_c)
    np.maximum(high_c, value_c, out=high_c)
    periods = [add_months(run.as_of, k) for k in range(horizon)]
    if connection.vendor == "postgresql":
        return _copy_points(run.pk, np.asarray(ids, dtype=np.int64), periods, value_c, low_c, high_c, methods)
    objects = []
    for i, company in enumerate(ids):
        method = str(methods[i])
        for k, period in enumerate(periods):
            objects.append(ConsumptionForecast(
                run_id=run.pk, company_id=int(company), period=period, method=method,
                value=Decimal(int(value_c[i, k])).scaleb(-2), low=Decimal(int(low_c[i, k])).scaleb(-2),
                high=Decimal(int(high_c[i, k])).scaleb(-2),
            ))
    ConsumptionForecast.objects.bulk_create(objects, batch_size=2000)
    return len(objects)


_NUMERIC = [("len", ">i4"), ("ndigits", ">i2"), ("weight", ">i2"), ("sign", ">u2"), ("dscale", ">i2"),
            ("d", ">i2", (5,))]


def _numeric_fields(prefix: str) -> list:
    return [(f"{prefix}_{name}", *rest) for name, *rest in _NUMERIC]


def _fill_numeric(records: np.ndarray, prefix: str, cents: np.ndarray) -> None:
    """PostgreSQL's binary NUMERIC with a fixed layout: five base-10000 digits, weight 3 (so up to
    10^16), scale 2; the server strips the leading zero digits."""
    whole, fraction = np.divmod(cents, 100)
    records[f"{prefix}_len"] = 8 + 2 * 5
    records[f"{prefix}_ndigits"] = 5
    records[f"{prefix}_weight"] = 3
    records[f"{prefix}_sign"] = 0
    records[f"{prefix}_dscale"] = 2
    digits = np.stack([whole // 10**12 % 10**4, whole // 10**8 % 10**4, whole // 10**4 % 10**4, whole % 10**4,
                       fraction * 100], axis=-1)
    records[f"{prefix}_d"] = digits


def _copy_points(run_id: int, ids: np.ndarray, periods: list[date], value_c, low_c, high_c, methods) -> int:
    """One binary COPY; rows are fixed-width per method label, so each group is one numpy buffer."""
    n, horizon = value_c.shape
    days = np.array([(p - _PG_EPOCH).days for p in periods], dtype=np.int64)
    labels = methods.astype(str)
    statement = (
        f"COPY {FORECAST_TABLE} (run_id, company_id, period, value, low, high, method) FROM STDIN (FORMAT binary)"
    )
    written = 0
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        copy.write(b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big"))
        for label in np.unique(labels):
            encoded = label.encode()
            if label not in METHODS:
                raise ValueError(f"Unknown method label {label!r}")
            rows = np.flatnonzero(labels == label)
            dtype = np.dtype(
                [("fields", ">i2"), ("run_len", ">i4"), ("run", ">i8"), ("company_len", ">i4"), ("company", ">i8"),
                 ("period_len", ">i4"), ("period", ">i4"), *_numeric_fields("value"), *_numeric_fields("low"),
                 *_numeric_fields("high"), ("method_len", ">i4"), ("method", f"S{len(encoded)}")]
            )
            records = np.zeros((len(rows), horizon), dtype=dtype)
            records["fields"] = 7
            records["run_len"], records["run"] = 8, run_id
            records["company_len"], records["company"] = 8, ids[rows][:, None]
            records["period_len"], records["period"] = 4, days[None, :]
            _fill_numeric(records, "value", value_c[rows])
            _fill_numeric(records, "low", low_c[rows])
            _fill_numeric(records, "high", high_c[rows])
            records["method_len"], records["method"] = len(encoded), encoded
            copy.write(records.tobytes())
            written += records.size
        copy.write((-1).to_bytes(2, "big", signed=True))
    return written


def run_progress(run: ForecastRun) -> dict:
    """What the page's progress indicator shows."""
    elapsed = None
    if run.status == ForecastRun.Status.RUNNING:
        elapsed = (timezone.now() - run.created_at).total_seconds()
    return {"status": run.status, "message": run.message, "elapsed": elapsed,
            "done": run.status in (ForecastRun.Status.SUCCEEDED, ForecastRun.Status.FAILED)}


