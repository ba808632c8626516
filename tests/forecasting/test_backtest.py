"""Rolling-origin backtest: the metrics, the CSV input, and the model beating run-rate on demo data."""
import io
from datetime import date

import numpy as np
import pytest
from django.core.management import call_command

from accounts.services.demo import demo_seed
from forecasting.services.backtest import MODEL, RUN_RATE, SEASONAL_NAIVE, backtest, backtest_installation, \
    history_from_csv
from revops.errors import ApplicationError

TODAY = date(2026, 6, 17)


@pytest.mark.django_db
def test_model_beats_naive_run_rate_on_the_demo_data():
    demo_seed(companies=40, seed=11, today=TODAY)
    result = backtest_installation(horizon=3, origins=6, today=TODAY)
    model, naive = result.score(MODEL), result.score(RUN_RATE)
    assert result.series >= 10 and model.scored >= 30
    assert model.mase < naive.mase


def test_metrics_on_a_hand_computed_case():
    # training 10, 20, 30 → naive scale = mean |Δ| = 10; actual 40; naive forecasts 30 → MASE 1
    values = np.array([[10.0, 20.0, 30.0, 40.0]])
    result = backtest(values, horizon=1, origins=1)
    naive = result.score(RUN_RATE)
    assert naive.mase == pytest.approx(1.0)
    assert naive.smape == pytest.approx(200 * 10 / 70)
    assert result.score(SEASONAL_NAIVE).mase == pytest.approx(1.0)  # no year of history: the run-rate


def test_seasonal_naive_repeats_last_year():
    t = np.arange(40)
    values = (100 + 50 * np.sin(2 * np.pi * t / 12))[None, :]
    result = backtest(values, horizon=3, origins=4)
    assert result.score(SEASONAL_NAIVE).mase == pytest.approx(0.0, abs=1e-9)


def test_not_enough_history_is_refused_with_the_reason():
    with pytest.raises(ApplicationError, match="Not enough history"):
        backtest(np.ones((3, 3)), horizon=3, origins=2)


def test_csv_history_with_gaps_and_late_starts():
    text = "series_id,period,value\nA,2024-01,10\nA,2024-02,12\nA,2024-04,15\nB,2024-03-01,5\nB,2024-04,6\n"
    values = history_from_csv(io.StringIO(text))
    assert values.shape == (2, 4)
    assert np.isnan(values[0, 2]) and np.isnan(values[1, 0])
    with pytest.raises(ApplicationError, match="Line 2"):
        history_from_csv(io.StringIO("series_id,period,value\nA,2024-01,abc\n"))
    with pytest.raises(ApplicationError, match="columns"):
        history_from_csv(io.StringIO("id,month,amount\n"))


def test_backtest_command_on_a_csv(tmp_path):
    rng = np.random.default_rng(2)
    lines = ["series_id,period,value"]
    for series in range(30):
        level = rng.uniform(100, 1000)
        for month in range(24):
            lines.append(f"S{series},{2023 + month // 12}-{month % 12 + 1:02d},{level * 1.03 ** month * rng.normal(1, 0.05):.2f}")
    path = tmp_path / "history.csv"
    path.write_text("\n".join(lines))
    out = io.StringIO()
    call_command("forecast_backtest", csv=str(path), horizon=3, origins=4, stdout=out)
    text = out.getvalue()
    assert "30 series × 24 months" in text
    assert "naive run-rate" in text and "seasonal naive" in text and "MASE" in text
    assert "The model beats naive run-rate" in text
