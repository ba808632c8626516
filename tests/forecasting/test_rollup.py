"""The three-horizon roll-up on a hand-built example (see forecast_example.py for the story)."""
from datetime import date
from decimal import Decimal

import numpy as np
import pytest

from forecasting.models import ConsumptionForecast, ForecastRun
from forecasting.services.recognition import ratable_split
from forecasting.services.rollup import forecast_horizons, forecast_rollup, ratable_matrix

from .forecast_example import TODAY, build_example

D = Decimal


def money(value) -> Decimal:
    return D(value).quantize(D("0.01"))


@pytest.fixture
def example(db, rep, rep2):
    return build_example(rep=rep, rep2=rep2)


def test_horizons_are_the_quarter_and_twelve_and_thirty_six_months_from_this_month():
    quarter, year, three = forecast_horizons(date(2026, 5, 10))
    assert (quarter.start, quarter.end) == (date(2026, 4, 1), date(2026, 6, 30))
    assert (year.start, year.end) == (date(2026, 5, 1), date(2027, 4, 30))
    assert (three.start, three.end) == (date(2026, 5, 1), date(2029, 4, 30))
    assert len(three.months) == 36


def test_ratable_matrix_matches_the_recognition_rule():
    # 120 from 15 June over 120 days → 16/31/31/30/12
    start, end = date(2026, 6, 15), date(2026, 10, 12)
    epoch = date(1970, 1, 1)
    months = [date(2026, m, 1) for m in range(6, 12)]
    days = np.array([(m - epoch).days for m in months])
    shares = ratable_matrix(np.array([(start - epoch).days]), np.array([(end - epoch).days]), days) * 120
    assert np.allclose(shares[0], [16, 31, 31, 30, 12])
    assert [float(v) for _, v in ratable_split(D(120), start, end)] == [16, 31, 31, 30, 12]


def test_quarter_splits_committed_consumption_and_pipeline(example, rep, rep2):
    rollup = forecast_rollup(today=TODAY)
    quarter = rollup.horizons["quarter"].total
    assert money(quarter.committed) == money(D(1200) * 91 / 365 + D(600) * 91 / 365)  # the draft never counts
    # Acme: April actual 100, May max(30 so far, 50) = 50, June 50; Acme Labs: all inside its commit
    assert quarter.consumption == D("200.00")
    assert quarter.consumption_low == D("180.00")  # 100 + max(30, 40) + 40
    assert quarter.consumption_high == D("220.00")
    # the commit deal: 10 a day × 30 June days × 80 %; the slipped deal: 1 a day from 10 May × 10 %
    assert quarter.pipeline_weighted == D("245.20")
    assert (quarter.category_commit, quarter.category_best_case, quarter.category_pipeline) == (
        D("300.00"), D("0.00"), D("52.00"))
    assert quarter.call_commit == quarter.committed + D("200.00") + D("300.00")
    assert quarter.call_pipeline == quarter.call_commit + D("52.00")


def test_twelve_months_count_the_commit_only_once_and_its_overage(example):
    year = forecast_rollup(today=TODAY).horizons["12m"].total
    assert money(year.committed) == money(D(1200) * 245 / 365 + D(600) * 335 / 365)
    # Acme 12 × 50; Acme Labs: 40 overage in December + 3 × 80 overage + 80 in April after the term
    assert year.consumption == D("600.00") + D("360.00")
    assert year.pipeline_weighted == D("3340") * D("0.8") + D("356") * D("0.1")  # 10 May 2026 – 30 April 2027 = 356 days


def test_by_rep_and_team_and_hierarchy(example, rep, rep2, team):
    quarter = forecast_rollup(today=TODAY).horizons["quarter"]
    reps = {line.id: line.figures for line in quarter.by_rep}
    assert money(reps[rep.pk].committed) == money(D(1200) * 91 / 365)
    assert reps[rep.pk].consumption == D("200.00")
    assert reps[rep.pk].pipeline_weighted == D("240.00")  # the deal without an owner is the account owner's
    assert reps[rep2.pk].pipeline_weighted == D("5.20")
    teams = {line.id: line.figures for line in quarter.by_team}
    assert teams[team.pk].forecast == quarter.total.forecast
    (account,) = quarter.top_accounts  # Acme Labs rolls up into Acme
    assert account.id == example["acme"].pk and account.extra["companies"] == 2
    assert account.figures.forecast == quarter.total.forecast


def test_only_the_latest_succeeded_run_counts(example):
    newer_failed = ForecastRun.objects.create(status=ForecastRun.Status.FAILED, as_of=date(2026, 5, 1))
    ConsumptionForecast.objects.create(run=newer_failed, company=example["acme"], period=date(2026, 6, 1), value=9999,
                                       low=9999, high=9999, method="level (exp. smoothing)")
    assert forecast_rollup(today=TODAY).horizons["quarter"].total.consumption == D("200.00")


@pytest.mark.django_db
def test_empty_installation_has_zero_figures():
    rollup = forecast_rollup(today=TODAY)
    assert rollup.run_id is None
    assert rollup.horizons["36m"].total.forecast == 0
    assert rollup.horizons["36m"].by_rep == [] and rollup.horizons["36m"].top_accounts == []


def test_query_count_does_not_grow_with_companies(example, rep, django_assert_max_num_queries):
    from tests.factories import CompanyFactory

    for _ in range(20):
        CompanyFactory(owner=rep)
    with django_assert_max_num_queries(16):
        forecast_rollup(today=TODAY)
