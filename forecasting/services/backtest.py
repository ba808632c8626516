"""Rolling-origin backtest of the consumption forecast against naive run-rate and seasonal naive.

For each origin (the last ``origins`` possible cut-offs that leave ``horizon`` months to score),
every series is cut at the origin, forecast ``horizon`` months ahead by each method and scored on
the months that followed:

* MASE: mean absolute error over the horizon ÷ the mean absolute one-step change of the series'
  own training history (naive in-sample error); averaged over the (series, origin) pairs whose
  scale is not zero. Below 1 = better than a one-step naive forecast was in-sample.
* sMAPE: 200·|y − ŷ| ÷ (|y| + |ŷ|) per month (0 when both are 0), averaged over all scored months.

Methods: the model (services/consumption.py); naive run-rate (the last observed month, flat);
seasonal naive (the same month a year earlier; the run-rate when there is no year of history).
A series is scored at an origin when it has at least one observed month before it and no
missing month in the scored window.
"""
from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TextIO

import numpy as np

from forecasting.services.consumption import clean, forecast_matrix
from revops.errors import ApplicationError

MODEL, RUN_RATE, SEASONAL_NAIVE = "model", "naive run-rate", "seasonal naive"


@dataclass(frozen=True)
class MethodScore:
    method: str
    mase: float | None
    smape: float | None
    scored: int  # (series, origin) pairs that entered the MASE


@dataclass(frozen=True)
class BacktestResult:
    series: int
    months: int
    horizon: int
    origins: int
    scores: list[MethodScore] = field(default_factory=list)

    def score(self, method: str) -> MethodScore:
        return next(s for s in self.scores if s.method == method)


def _naive(train: np.ndarray, horizon: int) -> np.ndarray:
    y, start = clean(train)
    n, t = y.shape
    last = y[np.arange(n), np.full(n, t - 1)] if t else np.zeros(n)
    return np.repeat(np.nan_to_num(last)[:, None], horizon, axis=1)


def _seasonal_naive(train: np.ndarray, horizon: int) -> np.ndarray:
    y, start = clean(train)
    n, t = y.shape
    out = _naive(train, horizon)
    for step in range(horizon):
        column = t - 12 + (step % 12)
        if column < 0:
            continue
        past = y[:, column]
        has = ~np.isnan(past)
        out[has, step] = past[has]
    return out


def _naive_scale(y: np.ndarray) -> np.ndarray:
    """Mean absolute one-step change of each series' observed history (NaN when there is none)."""
    if y.shape[1] < 2:
        return np.full(y.shape[0], np.nan)
    steps = np.abs(np.diff(y, axis=1))
    counts = (~np.isnan(steps)).sum(axis=1)
    totals = np.nansum(steps, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, totals / np.maximum(counts, 1), np.nan)


def backtest(values: np.ndarray, *, horizon: int = 3, origins: int = 6) -> BacktestResult:
    """Score the model and the two naive methods on ``values`` (series × months, NaN-padded left)."""
    values = np.asarray(values, dtype=float)
    if values.ndim != 2:
        raise ApplicationError("The history must be a matrix of series × months.")
    if horizon < 1 or origins < 1:
        raise ApplicationError("The horizon and the number of origins must be at least 1.")
    n, t = values.shape
    cuts = [t - horizon - k for k in range(origins) if t - horizon - k >= 2]
    if n == 0 or not cuts:
        raise ApplicationError(
            f"Not enough history to backtest: {t} month(s) for a {horizon}-month horizon (need at least {horizon + 2})."
        )
    errors: dict[str, dict[str, list]] = {m: {"mase": [], "smape": []} for m in (MODEL, RUN_RATE, SEASONAL_NAIVE)}
    for cut in sorted(cuts):
        train, actual = values[:, :cut], values[:, cut:cut + horizon]
        y, start = clean(train)
        observed = cut - start
        usable = (observed >= 1) & ~np.isnan(actual).any(axis=1)
        if not usable.any():
            continue
        y, actual = y[usable], actual[usable]
        scale = _naive_scale(y)
        forecasts = {
            MODEL: forecast_matrix(train[usable], horizon).point,
            RUN_RATE: _naive(train[usable], horizon),
            SEASONAL_NAIVE: _seasonal_naive(train[usable], horizon),
        }
        for method, forecast in forecasts.items():
            absolute = np.abs(actual - forecast)
            with np.errstate(invalid="ignore", divide="ignore"):
                mase = absolute.mean(axis=1) / scale
                denominator = np.abs(actual) + np.abs(forecast)
                smape = np.where(denominator > 0, 200.0 * absolute / denominator, 0.0)
            errors[method]["mase"].append(mase[np.isfinite(mase)])
            errors[method]["smape"].append(smape.ravel())
    scores = []
    for method, collected in errors.items():
        mase = np.concatenate(collected["mase"]) if collected["mase"] else np.zeros(0)
        smape = np.concatenate(collected["smape"]) if collected["smape"] else np.zeros(0)
        scores.append(MethodScore(
            method=method,
            mase=float(mase.mean()) if mase.size else None,
            smape=float(smape.mean()) if smape.size else None,
            scored=int(mase.size),
        ))
    return BacktestResult(series=n, months=t, horizon=horizon, origins=len(cuts), scores=scores)


def backtest_installation(*, horizon: int = 3, origins: int = 6, today: date | None = None) -> BacktestResult:
    """Backtest on this installation's usage: every company's complete months (up to 36)."""
    from forecasting.selectors.forecast import usage_history
    from forecasting.services.forecast_runs import default_as_of

    history = usage_history(as_of=default_as_of(today))
    usable = ~np.isnan(history.values).all(axis=1) if history.values.size else np.zeros(0, dtype=bool)
    return backtest(history.values[usable], horizon=horizon, origins=origins)


def _month_key(text: str) -> int:
    text = text.strip()
    if text.lstrip("-").isdigit():  # a plain period number (1, 2, 3 …)
        return int(text)
    try:
        day = date.fromisoformat(text if len(text) > 7 else f"{text}-01")
    except ValueError:
        raise ApplicationError(f"Unreadable period {text!r}: use YYYY-MM, YYYY-MM-DD or a period number.") from None
    return day.year * 12 + day.month - 1


def history_from_csv(handle: TextIO) -> np.ndarray:
    """A series × months matrix from CSV rows ``series_id,period,value`` (header required).

    Periods are months (YYYY-MM or a date) or plain period numbers; months a series lacks
    between its first and last are missing (NaN, carried forward by the model), before its
    first month it has not started.
    """
    reader = csv.DictReader(handle)
    required = {"series_id", "period", "value"}
    if not reader.fieldnames or not required <= {name.strip() for name in reader.fieldnames}:
        raise ApplicationError("The CSV needs the columns series_id, period, value.")
    series: dict[str, dict[int, float]] = {}
    for line, row in enumerate(reader, start=2):
        row = {k.strip(): (v or "") for k, v in row.items() if k}
        try:
            value = float(row["value"]) if row["value"].strip() else float("nan")
        except ValueError:
            raise ApplicationError(f"Line {line}: value {row['value']!r} is not a number.") from None
        series.setdefault(row["series_id"].strip(), {})[_month_key(row["period"])] = value
    return _matrix(series.values())


def _matrix(series: Iterable[dict[int, float]]) -> np.ndarray:
    series = [s for s in series if s]
    if not series:
        return np.zeros((0, 0))
    first = min(min(s) for s in series)
    last = max(max(s) for s in series)
    out = np.full((len(series), last - first + 1), np.nan)
    for row, points in enumerate(series):
        for key, value in points.items():
            out[row, key - first] = value
    return out
