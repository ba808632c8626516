"""Weekly snapshots: one set of rows per week, replaced when taken again."""
from datetime import date
from decimal import Decimal

import pytest

from forecasting.models import ForecastSnapshot
from forecasting.services.snapshots import forecast_snapshot_take, week_start

from .forecast_example import TODAY, build_example


@pytest.fixture
def example(db, rep, rep2):
    return build_example(rep=rep, rep2=rep2)


def test_snapshot_stores_total_teams_and_reps_for_each_horizon(example, rep, rep2, team):
    rows = forecast_snapshot_take(today=TODAY)
    week = date(2026, 5, 4)  # the Monday of 10 May 2026
    assert week_start(TODAY) == week
    assert rows == ForecastSnapshot.objects.filter(week_start=week).count() == 3 * (1 + 1 + 2)
    total = ForecastSnapshot.objects.get(week_start=week, scope="total", horizon="quarter")
    assert (total.period_start, total.period_end) == (date(2026, 4, 1), date(2026, 6, 30))
    assert total.consumption == Decimal("200.00") and total.pipeline_weighted == Decimal("245.20")
    assert total.category_commit == Decimal("300.00") and total.category_pipeline == Decimal("52.00")
    assert ForecastSnapshot.objects.get(week_start=week, scope="rep", scope_id=rep2.pk, horizon="quarter") \
        .pipeline_weighted == Decimal("5.20")
    assert ForecastSnapshot.objects.filter(week_start=week, scope="team", scope_id=team.pk).count() == 3


def test_taking_it_again_in_the_same_week_replaces_it(example):
    forecast_snapshot_take(today=TODAY)
    first = ForecastSnapshot.objects.count()
    example["run"].points.filter(company=example["acme"]).update(value=70, high=80)
    forecast_snapshot_take(today=date(2026, 5, 8))  # Friday of the same week
    assert ForecastSnapshot.objects.count() == first
    total = ForecastSnapshot.objects.get(scope="total", horizon="quarter")
    assert total.consumption == Decimal("240.00")  # 100 + 70 + 70


def test_a_new_week_keeps_the_old_one(example):
    forecast_snapshot_take(today=TODAY)
    forecast_snapshot_take(today=date(2026, 5, 12))
    assert set(ForecastSnapshot.objects.values_list("week_start", flat=True)) == {date(2026, 5, 4), date(2026, 5, 11)}


def test_snapshot_task_runs_for_this_week(example, django_capture_on_commit_callbacks):
    from forecasting.tasks import forecast_snapshot_task

    rows = forecast_snapshot_task.delay().get()
    assert rows > 0 and ForecastSnapshot.objects.filter(scope="total").count() == 3
