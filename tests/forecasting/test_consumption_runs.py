"""Forecast runs against the database: history loading, stored points, pruning, the command."""
import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command

from accounts.models import UsageRecord
from forecasting.models import ConsumptionForecast, ForecastRun
from forecasting.selectors.forecast import latest_consumption_forecast, usage_history
from forecasting.services import consumption as model
from forecasting.services.consumption import consumption_forecast_run
from forecasting.services.forecast_runs import forecast_run_create, forecast_run_execute
from revops.errors import ApplicationError
from tests.factories import CompanyFactory, UsageRecordFactory, WorkspaceFactory

AS_OF = date(2026, 5, 1)


def _months(start_index: int, count: int):
    for k in range(count):
        i = 2026 * 12 + 4 - start_index + k
        yield date(i // 12, i % 12 + 1, 1)


@pytest.fixture
def usage(db):
    steady = CompanyFactory(name="Steady")
    workspace = WorkspaceFactory(company=steady)
    for period in _months(12, 12):  # May 2025 – April 2026 on its workspace, plus a bit on the company
        UsageRecordFactory(workspace=workspace, company=None, period=period, metric="credits", amount=Decimal("100"),
                           quantity=100)
    UsageRecord.objects.create(company=steady, period=date(2026, 4, 1), metric="seats", amount=Decimal("20"), quantity=1)
    UsageRecord.objects.create(company=steady, period=AS_OF, metric="seats", amount=Decimal("5"), quantity=1)  # so far
    newcomer = CompanyFactory(name="Newcomer")
    UsageRecord.objects.create(company=newcomer, period=date(2026, 4, 1), metric="credits", amount=Decimal("300"),
                               quantity=3)
    quiet = CompanyFactory(name="No usage")
    return {"steady": steady, "newcomer": newcomer, "quiet": quiet}


def test_history_sums_workspaces_and_company_usage_and_leaves_out_the_current_month(usage):
    history = usage_history(as_of=AS_OF, months=36)
    row = {int(cid): i for i, cid in enumerate(history.ids)}
    steady = history.values[row[usage["steady"].pk]]
    assert steady[-1] == 120 and steady[-12] == 100
    assert all(v != v for v in steady[:-12])  # NaN before its first month
    assert usage["quiet"].pk not in row


def test_run_stores_every_company_with_usage_and_its_method(usage):
    run = consumption_forecast_run(as_of=AS_OF, horizon=6)
    assert run.status == ForecastRun.Status.SUCCEEDED and run.companies == 2 and run.horizon_months == 6
    points = latest_consumption_forecast()
    assert len(points) == 12
    value, low, high = points[(usage["newcomer"].pk, AS_OF)]
    assert value == Decimal("300.00") and low <= value <= high
    assert ConsumptionForecast.objects.filter(company=usage["newcomer"]).first().method == model.RUN_RATE
    steady_may = points[(usage["steady"].pk, AS_OF)][0]
    assert Decimal("95") < steady_may < Decimal("125")


def test_only_the_latest_runs_are_kept(usage):
    runs = [consumption_forecast_run(as_of=AS_OF, horizon=3) for _ in range(5)]
    kept = set(ForecastRun.objects.values_list("id", flat=True))
    assert kept == {run.pk for run in runs[-3:]}
    assert set(ConsumptionForecast.objects.values_list("run_id", flat=True)) == kept


def test_a_claimed_run_is_not_run_twice(usage):
    run = forecast_run_create(as_of=AS_OF, horizon=3)
    assert forecast_run_execute(run_id=run.pk) is not None
    assert forecast_run_execute(run_id=run.pk) is None
    assert ConsumptionForecast.objects.filter(run=run).count() == 6


def test_bad_horizon_is_refused_and_nothing_is_written(db):
    with pytest.raises(ApplicationError):
        forecast_run_create(horizon=0)
    assert not ForecastRun.objects.exists()


def test_run_with_no_usage_at_all_succeeds_empty(db):
    run = consumption_forecast_run(as_of=AS_OF)
    assert run.status == ForecastRun.Status.SUCCEEDED and run.companies == 0


def test_forecast_run_command_prints_the_run_and_takes_a_snapshot(usage):
    out = io.StringIO()
    call_command("forecast_run", "--horizon", "12", "--as-of", "2026-05", stdout=out)
    assert "2 companies from May 2026, 12 months" in out.getvalue()
    assert "weekly snapshot" in out.getvalue()
    assert ConsumptionForecast.objects.count() == 24


def test_export_forecast_rows(usage):
    from accounts.services.exports import export_csv

    consumption_forecast_run(as_of=AS_OF, horizon=2)
    out = io.StringIO()
    assert export_csv(kind="forecast", out=out) == 4
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("company_external_id,company_name,period,value,low,high,method")
    assert any(",2026-05,300.00," in line for line in lines)
