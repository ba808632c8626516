"""The consumption forecast model on hand-made series: shapes, fallbacks and odd input."""
import math

import numpy as np
import pytest

from forecasting.services import consumption as model
from forecasting.services.consumption import forecast_series


def _check(point, low, high):
    assert np.isfinite(point).all() and np.isfinite(low).all() and np.isfinite(high).all()
    assert (low >= 0).all()
    assert (low <= point + 1e-9).all() and (point <= high + 1e-9).all()


def test_growing_series_forecast_keeps_growing_but_damped():
    t = np.arange(30)
    series = 1000 * 1.04 ** t
    point, low, high, methods = forecast_series(series[None, :], 12)
    _check(point, low, high)
    assert methods[0] in (model.DAMPED, model.SEASONAL_DAMPED)
    assert point[0, 0] > series[-1]  # the trend continues
    assert point[0, -1] < series[-1] * 1.04 ** 12  # but damped, below the undamped extrapolation
    assert (np.diff(point[0]) >= 0).all()


def test_flat_noisy_series_is_forecast_at_its_level():
    rng = np.random.default_rng(3)
    series = 500 + rng.normal(0, 20, 20)
    point, low, high, methods = forecast_series(series[None, :], 6)
    _check(point, low, high)
    assert abs(point[0, 0] - 500) < 40
    assert (high[0] - low[0] > 0).all()


def test_seasonal_series_with_two_years_follows_the_season():
    t = np.arange(36)
    series = 1000 * (1 + 0.5 * np.sin(2 * np.pi * t / 12))
    point, low, high, methods = forecast_series(series[None, :], 12)
    _check(point, low, high)
    assert methods[0] in (model.SEASONAL_LEVEL, model.SEASONAL_DAMPED)
    expected = 1000 * (1 + 0.5 * np.sin(2 * np.pi * np.arange(36, 48) / 12))
    assert np.abs(point[0] - expected).max() < 120
    assert point[0].argmax() == expected.argmax()


def test_seasonality_needs_24_months():
    t = np.arange(20)
    series = 1000 * (1 + 0.5 * np.sin(2 * np.pi * t / 12))
    _, _, _, methods = forecast_series(series[None, :], 6)
    assert methods[0] not in (model.SEASONAL_LEVEL, model.SEASONAL_DAMPED)


def test_intermittent_usage_uses_tsb_and_forecasts_the_expected_amount():
    series = np.array([0, 100, 0, 0, 120, 0, 80, 0, 0, 100, 0, 110, 0, 0, 90, 0, 100, 0, 0, 100], dtype=float)
    point, low, high, methods = forecast_series(series[None, :], 6)
    _check(point, low, high)
    assert methods[0] == model.INTERMITTENT
    # about 40 % of months × about 100 when used
    assert 20 < point[0, 0] < 70
    assert low[0, 0] == 0


def test_usage_that_stopped_fades_to_zero():
    series = np.array([100.0] * 12 + [0.0] * 10)
    point, low, high, methods = forecast_series(series[None, :], 6)
    _check(point, low, high)
    assert point[0, 0] < 30


@pytest.mark.parametrize("history", [[250.0], [200.0, 240.0], [100.0, 120.0, 150.0]])
def test_short_history_falls_back_to_the_run_rate(history):
    series = np.array([np.nan] * 10 + history)
    point, low, high, methods = forecast_series(series[None, :], 4)
    _check(point, low, high)
    assert methods[0] == model.RUN_RATE
    assert point[0, 0] == pytest.approx(history[-1])
    assert (high[0] > point[0]).all()  # an honest, wide interval
    assert (np.diff(high[0]) > 0).all()


def test_no_history_and_all_zero_are_zero_with_their_method():
    values = np.array([[np.nan] * 12, [0.0] * 12])
    point, low, high, methods = forecast_series(values, 3)
    assert (point == 0).all() and (low == 0).all() and (high == 0).all()
    assert list(methods) == [model.NO_HISTORY, model.NO_USAGE]
    assert model.NOTES[model.NO_HISTORY].startswith("No usage history")


def test_odd_input_never_crashes():
    values = np.array([
        [np.nan, 5, np.nan, np.nan, 7, 8, np.nan, 9, 10, 11, np.nan, 12],  # gaps
        [np.inf, -5, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],  # infinite and negative
        [1e12, 1e12, 1e12, 1e12, 1e12, 1e12, 0, 1e12, 1e12, 1e12, 1e12, 1e12],  # huge
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],  # usage only just started
        [np.nan] * 11 + [0],
        [1e-9] * 12,
    ])
    point, low, high, methods = forecast_series(values, 36)
    _check(point, low, high)
    assert point.shape == (6, 36) and len(methods) == 6
    assert methods[3] == model.RUN_RATE


def test_shapes_without_rows_or_months_or_horizon():
    for values, horizon in ((np.zeros((0, 12)), 6), (np.zeros((3, 0)), 6), (np.ones((2, 12)), 0)):
        point, low, high, methods = forecast_series(values, horizon)
        assert point.shape == (values.shape[0], horizon) and len(methods) == values.shape[0]
    point, _, _, _ = forecast_series(np.arange(1, 13, dtype=float), 2)  # one series as a 1-d array
    assert point.shape == (1, 2)


def test_forecast_is_capped_against_runaway_trends():
    series = np.array([10.0, 10, 10, 10, 10, 10, 10, 10, 1000, 5000])
    point, low, high, _ = forecast_series(series[None, :], 36)
    _check(point, low, high)
    assert point.max() <= model.CAP_MULTIPLE * 5000 + 1e-6


def test_interval_widens_with_the_horizon():
    rng = np.random.default_rng(5)
    series = 1000 + np.cumsum(rng.normal(0, 30, 30))
    point, low, high, _ = forecast_series(series[None, :], 12)
    width = high[0] - low[0]
    assert width[-1] > width[0]


def test_every_row_is_forecast_independently_in_one_call():
    t = np.arange(30)
    one = 1000 * 1.03 ** t
    two = np.full(30, 400.0)
    together, *_ = forecast_series(np.vstack([one, two]), 3)
    alone_one, *_ = forecast_series(one[None, :], 3)
    alone_two, *_ = forecast_series(two[None, :], 3)
    assert np.allclose(together[0], alone_one[0]) and np.allclose(together[1], alone_two[0])
    assert math.isclose(together[1, 0], 400.0, rel_tol=1e-6)
