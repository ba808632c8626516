"""The consumption forecast: every company's monthly usage amount, forecast from its own history.

The model is vectorised with numpy over all series at once (100,000 companies × 36 months in
seconds), rather than fitting one model object per company:

1. Clean each series: left NaN padding = not a customer yet (leading zeros too, when usage starts
   later); NaN gaps inside the history are carried forward; negative and infinite values are
   treated as missing.
2. Pick a method by the shape of the history:
   * no observations → zero ("no history"); only zeros → zero ("no usage");
   * the latest months are zero, at least ``STOPPED_MIN_MONTHS`` of them and a longer silence than
     any earlier one → zero ("stopped": the customer has gone quiet; a model would keep forecasting
     a little, naive would say zero, and zero is what a silent account pays);
   * fewer than ``MIN_MODEL_MONTHS`` observations → run-rate: the last month, flat, with a wide
     interval (there is too little data to fit anything);
   * at least ``INTERMITTENT_SHARE`` of the observed months are zero → TSB (Teunter–Syntetos–Babai),
     the Croston variant that also decays the demand probability, so a customer who stopped
     using the product fades to zero instead of being forecast at its old average;
   * otherwise damped-trend exponential smoothing (Holt with φ < 1, which includes simple
     exponential smoothing as β = 0). With ``SEASONAL_MIN_MONTHS`` (24) or more observations a
     multiplicative seasonal variant is fitted too (classical ratio-to-moving-average indices by
     month of year, the smoothing run on the deseasonalised series) and kept when it reduces the
     in-sample error by more than ``SEASONAL_GAIN``.
   Smoothing parameters come from a small grid, chosen per series by the in-sample sum of squared
   one-step errors; the whole grid runs as (series × grid) array operations.
3. The 80 % interval comes from the chosen model's in-sample one-step residuals: σ scaled with
   the horizon by the model's own variance growth (for damped trend ETS(A,Ad,N):
   σ²·(1 + Σ_{j<h} (α + αβφ(1−φ^j)/(1−φ))²)), ±1.2816σ; the low end never goes below zero.
4. Forecasts are never negative and never more than ``CAP_MULTIPLE`` × the series' historical
   maximum (a trend extrapolated 36 months out should not run away).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

Z80 = 1.2815515655446004  # two-sided 80 %: the 10th and 90th percentiles of the normal
MIN_MODEL_MONTHS = 4
SEASONAL_MIN_MONTHS = 24
INTERMITTENT_SHARE = 0.3
SEASONAL_GAIN = 0.85  # keep the seasonal fit only when its error is below 85 % of the plain one
CAP_MULTIPLE = 3.0
STOPPED_MIN_MONTHS = 3
RUN_RATE_MIN_SPREAD = 0.25  # σ of a run-rate forecast is at least 25 % of the level
CHUNK = 25_000  # series per block: keeps the (series × grid) arrays in cache-friendly sizes

NO_HISTORY = "no history"
NO_USAGE = "no usage"
RUN_RATE = "run-rate (short history)"
STOPPED = "stopped (no recent usage)"
INTERMITTENT = "intermittent (TSB)"
LEVEL = "level (exp. smoothing)"
DAMPED = "damped trend"
SEASONAL_LEVEL = "seasonal level"
SEASONAL_DAMPED = "seasonal damped trend"
METHODS = (NO_HISTORY, NO_USAGE, STOPPED, RUN_RATE, INTERMITTENT, LEVEL, DAMPED, SEASONAL_LEVEL, SEASONAL_DAMPED)
NOTES = {
    NO_HISTORY: "No usage history: the forecast is zero.",
    NO_USAGE: "Only zero usage so far: the forecast is zero.",
    STOPPED: "No usage for longer than ever before: the forecast is zero until usage resumes.",
    RUN_RATE: "Fewer than four months of usage: the forecast is the recent run-rate.",
    INTERMITTENT: "Usage comes and goes: the forecast is the expected monthly amount.",
}


def _holt_grid() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    alphas = (0.1, 0.25, 0.45, 0.7, 0.95)
    rows = [(a, 0.0, 1.0) for a in alphas]  # simple exponential smoothing
    rows += [(a, b, phi) for a in alphas for b in (0.05, 0.2) for phi in (0.85, 0.95)]
    grid = np.array(rows)
    return grid[:, 0], grid[:, 1], grid[:, 2]


HOLT_ALPHA, HOLT_BETA, HOLT_PHI = _holt_grid()
TSB_GRID = np.array([(ap, az) for ap in (0.05, 0.1, 0.2, 0.35) for az in (0.1, 0.25, 0.5)])


@dataclass(frozen=True)
class Forecast:
    point: np.ndarray  # n × horizon
    low: np.ndarray
    high: np.ndarray
    methods: np.ndarray  # n labels (object array of str)


def forecast_series(values: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(point, low, high, method_labels) for each row of ``values`` (n series × months, oldest first,
    NaN-padded on the left), ``horizon`` months ahead. Never raises on odd data."""
    result = forecast_matrix(values, horizon)
    return result.point, result.low, result.high, result.methods


def forecast_matrix(values: np.ndarray, horizon: int) -> Forecast:
    values = np.asarray(values, dtype=float)
    if values.ndim == 1:
        values = values[None, :]
    n = values.shape[0]
    horizon = max(int(horizon), 0)
    point = np.zeros((n, horizon))
    low = np.zeros((n, horizon))
    high = np.zeros((n, horizon))
    methods = np.empty(n, dtype=object)
    methods[:] = NO_HISTORY
    if n == 0 or values.shape[1] == 0:
        return Forecast(point, low, high, methods)
    for begin in range(0, n, CHUNK):
        block = slice(begin, min(n, begin + CHUNK))
        _forecast_block(values[block], horizon, point[block], low[block], high[block], methods[block])
    return Forecast(point, low, high, methods)


# --- cleaning ---------------------------------------------------------------------------------------


def clean(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(series with NaN before each start and gaps carried forward, first observed column per row).

    A row without any positive value starts at its first non-missing value (all-zero rows stay
    zero); otherwise leading zeros count as "not started yet". Rows with nothing get start = T.
    """
    y = np.array(values, dtype=float, copy=True)
    y[~np.isfinite(y) | (y < 0)] = np.nan
    n, t = y.shape
    present = ~np.isnan(y)
    positive = present & (y > 0)
    cols = np.arange(t)
    first_present = np.where(present.any(axis=1), present.argmax(axis=1), t)
    first_positive = np.where(positive.any(axis=1), positive.argmax(axis=1), t)
    start = np.where(first_positive < t, first_positive, first_present)
    y[cols[None, :] < start[:, None]] = np.nan
    # carry the last observed value forward over gaps inside the history
    index = np.where(np.isnan(y), 0, cols[None, :])
    np.maximum.accumulate(index, axis=1, out=index)
    filled = y[np.arange(n)[:, None], index]
    filled[cols[None, :] < start[:, None]] = np.nan
    return filled, start


# --- the block forecast -------------------------------------------------------------------------------


def _forecast_block(values, horizon, point, low, high, methods) -> None:
    y, start = clean(values)
    n, t = y.shape
    observed = t - start
    with np.errstate(invalid="ignore"):
        zero_share = np.where(observed > 0, np.nansum(y == 0, axis=1) / np.maximum(observed, 1), 0.0)
        history_max = np.where(observed > 0, np.nanmax(np.where(np.isnan(y), -np.inf, y), axis=1), 0.0)
    all_zero = (observed > 0) & (history_max <= 0)

    methods[:] = NO_HISTORY
    methods[all_zero] = NO_USAGE
    stopped = (observed > 0) & ~all_zero & _stopped(y)
    methods[stopped] = STOPPED
    modelled = (observed > 0) & ~all_zero & ~stopped
    short = modelled & (observed < MIN_MODEL_MONTHS)
    intermittent = modelled & (observed >= MIN_MODEL_MONTHS) & (zero_share >= INTERMITTENT_SHARE)
    smooth = modelled & (observed >= MIN_MODEL_MONTHS) & ~intermittent

    if horizon == 0:
        methods[short] = RUN_RATE
        methods[intermittent] = INTERMITTENT
        return
    steps = np.arange(1, horizon + 1)
    if short.any():
        p, lo, hi = _run_rate(y[short], start[short], steps)
        point[short], low[short], high[short] = p, lo, hi
        methods[short] = RUN_RATE
    if intermittent.any():
        p, lo, hi = _tsb(y[intermittent], start[intermittent], steps)
        point[intermittent], low[intermittent], high[intermittent] = p, lo, hi
        methods[intermittent] = INTERMITTENT
    if smooth.any():
        p, lo, hi, labels = _smooth(y[smooth], start[smooth], steps)
        point[smooth], low[smooth], high[smooth] = p, lo, hi
        methods[smooth] = labels

    cap = CAP_MULTIPLE * np.maximum(history_max, 0.0)[:, None]
    np.minimum(point, cap, out=point)
    np.minimum(high, np.maximum(cap * 1.5, point), out=high)
    np.clip(point, 0.0, None, out=point)
    np.clip(low, 0.0, None, out=low)
    np.minimum(low, point, out=low)
    np.maximum(high, point, out=high)
    for array in (point, low, high):  # anything odd left over (overflow) becomes zero, not NaN
        array[~np.isfinite(array)] = 0.0


def _stopped(y: np.ndarray) -> np.ndarray:
    """Rows whose trailing run of zero months is at least STOPPED_MIN_MONTHS long and longer than
    any earlier run of zeros."""
    zero = y == 0  # NaN (not started) is not zero
    count = np.cumsum(zero, axis=1)
    last_reset = np.maximum.accumulate(np.where(~zero, count, 0), axis=1)
    run = count - last_reset  # length of the zero run ending at each month
    trailing = run[:, -1]
    t = y.shape[1]
    before = np.arange(t)[None, :] < (t - trailing)[:, None]
    longest_before = np.where(before, run, 0).max(axis=1)
    return (trailing >= STOPPED_MIN_MONTHS) & (trailing > longest_before)


def _run_rate(y, start, steps):
    """The last month, flat; σ from the spread of the (one to three) observed months, at least
    a quarter of the level. On the demo data the last month beats the mean of the last three."""
    n, t = y.shape
    level = y[:, t - 1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        spread = np.nan_to_num(np.nanstd(y, axis=1))
    sigma = np.maximum(spread, RUN_RATE_MIN_SPREAD * level)
    scale = sigma[:, None] * np.sqrt(steps)[None, :]
    point = np.repeat(level[:, None], len(steps), axis=1)
    return point, point - Z80 * scale, point + Z80 * scale


def _fill_left(y, start):
    """The left padding replaced by each row's first value: the recursions then idle until the start."""
    n, t = y.shape
    first = y[np.arange(n), np.minimum(start, t - 1)]
    return np.where(np.isnan(y), first[:, None], y)


def _holt(y, counted):
    """Damped-trend smoothing over the whole grid. y: n × t without NaN (padding = first value).

    Returns (level, trend, sse) as n × grid arrays; ``counted`` (n × t bool) marks the steps whose
    one-step error counts (observed months after the first)."""
    n, t = y.shape
    alpha, beta, phi = HOLT_ALPHA[None, :], HOLT_BETA[None, :], HOLT_PHI[None, :]
    alpha_beta = alpha * beta
    level = np.repeat(y[:, :1], len(HOLT_ALPHA), axis=1)
    trend = np.zeros_like(level)
    sse = np.zeros_like(level)
    error = np.empty_like(level)
    for step in range(1, t):
        trend *= phi
        level += trend  # level is now the one-step forecast
        np.subtract(y[:, step:step + 1], level, out=error)
        error *= counted[:, step:step + 1]
        sse += error * error
        level += alpha * error
        trend += alpha_beta * error
    return level, trend, sse


def _holt_seasonal(y, s_cols, counted):
    """As _holt on y ÷ seasonal index, errors measured on the original scale."""
    n, t = y.shape
    alpha, beta, phi = HOLT_ALPHA[None, :], HOLT_BETA[None, :], HOLT_PHI[None, :]
    alpha_beta = alpha * beta
    d = y / s_cols
    level = np.repeat(d[:, :1], len(HOLT_ALPHA), axis=1)
    trend = np.zeros_like(level)
    sse = np.zeros_like(level)
    error = np.empty_like(level)
    scaled = np.empty_like(level)
    for step in range(1, t):
        trend *= phi
        level += trend
        np.subtract(d[:, step:step + 1], level, out=error)
        error *= counted[:, step:step + 1]
        np.multiply(error, s_cols[:, step:step + 1], out=scaled)
        sse += scaled * scaled
        level += alpha * error
        trend += alpha_beta * error
    return level, trend, sse


def seasonal_indices(y: np.ndarray) -> np.ndarray:
    """n × 12 multiplicative indices by phase (column index mod 12), mean 1; 1 where unknown.

    Ratio to the centred 2×12 moving average, averaged per phase; NaN (padding) propagates, so
    only full windows of real history count."""
    n, t = y.shape
    if t < 13:
        return np.ones((n, 12))
    kernel = np.r_[0.5, np.ones(11), 0.5] / 12.0
    moving = np.full((n, t), np.nan)
    for offset, weight in enumerate(kernel):  # 13 shifted adds, vectorised over the series
        part = weight * y[:, offset:t - 12 + offset]
        if offset == 0:
            moving[:, 6:t - 6] = part
        else:
            moving[:, 6:t - 6] += part
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(moving > 0, y / moving, np.nan)
    phases = np.arange(t) % 12
    index = np.full((n, 12), np.nan)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for phase in range(12):
            index[:, phase] = np.nanmean(ratio[:, phases == phase], axis=1)
        mean = np.nanmean(index, axis=1, keepdims=True)
    index = index / mean
    index[~np.isfinite(index)] = 1.0
    return np.clip(index, 0.3, 3.0)


def _damped_sums(phi, steps):
    """Σ_{i=1..h} φ^i for each grid φ (rows) and step h (columns)."""
    powers = phi[:, None] ** steps[None, :]
    return np.cumsum(powers, axis=1)


def _holt_sigma_scale(alpha, beta, phi, steps):
    """√(1 + Σ_{j<h} c_j²) with c_j = α + αβ·Σ_{i=1..j} φ^i — ETS(A,Ad,N)'s variance growth."""
    horizon = len(steps)
    j = np.arange(1, horizon)
    sums = np.cumsum(phi[:, None] ** j[None, :], axis=1) if horizon > 1 else np.zeros((len(alpha), 0))
    c = alpha[:, None] + alpha[:, None] * beta[:, None] * sums
    var = np.concatenate([np.ones((len(alpha), 1)), 1 + np.cumsum(c * c, axis=1)], axis=1)
    return np.sqrt(var)


def _smooth(y, start, steps):
    n, t = y.shape
    cols = np.arange(t)
    counted = (cols[None, :] > start[:, None]).astype(float)
    filled = _fill_left(y, start)
    rows = np.arange(n)
    level, trend, sse = _holt(filled, counted)
    best = sse.argmin(axis=1)
    best_sse = sse[rows, best]
    chosen_level, chosen_trend = level[rows, best], trend[rows, best]
    seasonal = np.zeros(n, dtype=bool)
    phase_index = np.ones((n, len(steps)))

    eligible = (t - start) >= SEASONAL_MIN_MONTHS
    if eligible.any():
        ys = y[eligible]
        index = seasonal_indices(ys)
        phases = cols % 12
        s_cols = index[:, phases]
        s_level, s_trend, s_sse = _holt_seasonal(filled[eligible], s_cols, counted[eligible])
        s_rows = np.arange(ys.shape[0])
        s_best = s_sse.argmin(axis=1)
        s_best_sse = s_sse[s_rows, s_best]
        wins = s_best_sse < SEASONAL_GAIN * best_sse[eligible]
        which = np.flatnonzero(eligible)[wins]
        seasonal[which] = True
        best[which] = s_best[wins]
        best_sse[which] = s_best_sse[wins]
        chosen_level[which] = s_level[s_rows, s_best][wins]
        chosen_trend[which] = s_trend[s_rows, s_best][wins]
        future_phases = (t - 1 + steps) % 12
        phase_index[which] = index[wins][:, future_phases]

    phi, alpha, beta = HOLT_PHI[best], HOLT_ALPHA[best], HOLT_BETA[best]
    damped = _damped_sums(HOLT_PHI, steps)[best]  # n × h
    point = (chosen_level[:, None] + chosen_trend[:, None] * damped) * phase_index
    errors = np.maximum(t - start - 1, 1)
    sigma = np.sqrt(best_sse / errors)
    scale = _holt_sigma_scale(HOLT_ALPHA, HOLT_BETA, HOLT_PHI, steps)[best] * phase_index
    half = Z80 * sigma[:, None] * scale
    trended = beta > 0
    labels = np.where(seasonal, np.where(trended, SEASONAL_DAMPED, SEASONAL_LEVEL), np.where(trended, DAMPED, LEVEL))
    return point, point - half, point + half, labels.astype(object)


def _tsb(y, start, steps):
    """TSB over the grid of (α_p, α_z); forecast = probability × size, flat."""
    n, t = y.shape
    cols = np.arange(t)
    observed = ~np.isnan(y)
    active = cols[None, :] > start[:, None]
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        size0 = np.nanmean(np.where(observed & (y > 0), y, np.nan), axis=1)
        prob0 = np.nanmean(np.where(observed, (y > 0).astype(float), np.nan), axis=1)
    size0 = np.nan_to_num(size0)
    prob0 = np.nan_to_num(prob0)
    a_p, a_z = TSB_GRID[None, :, 0], TSB_GRID[None, :, 1]
    g = TSB_GRID.shape[0]
    prob = np.repeat(prob0[:, None], g, axis=1)
    size = np.repeat(size0[:, None], g, axis=1)
    sse = np.zeros((n, g))
    y0 = np.nan_to_num(y)
    for step in range(t):
        on = active[:, step:step + 1]
        value = y0[:, step:step + 1]
        error = (value - prob * size) * on
        sse += error * error
        demand = (value > 0) & on
        prob += a_p * (demand.astype(float) - prob) * on
        size += a_z * (value - size) * demand
    rows = np.arange(n)
    best = sse.argmin(axis=1)
    level = prob[rows, best] * size[rows, best]
    errors = np.maximum(active.sum(axis=1), 1)
    sigma = np.sqrt(sse[rows, best] / errors)
    growth = np.maximum(TSB_GRID[best, 0], TSB_GRID[best, 1])
    scale = np.sqrt(1 + (steps[None, :] - 1) * (growth[:, None] ** 2))
    point = np.repeat(level[:, None], len(steps), axis=1)
    half = Z80 * sigma[:, None] * scale
    return point, point - half, point + half


def consumption_forecast_run(*, as_of=None, horizon: int = 36, prune: bool = True):
    """Forecast every company with usage and store the run (see services/forecast_runs.py)."""
    from forecasting.services.forecast_runs import consumption_forecast_run as run

    return run(as_of=as_of, horizon=horizon, prune=prune)
