"""Demo data step: run the consumption forecast and take this week's snapshot, so the forecast
dashboard shows real figures on a first run (after forecasting.services.demo wrote the contracts)."""
from datetime import date
from time import monotonic

from forecasting.models import ConsumptionForecast, ForecastRun, ForecastSnapshot


def demo_seed(*, seed: int, today: date, progress=None) -> dict[str, int]:
    from forecasting.services.forecast_runs import consumption_forecast_run
    from forecasting.services.snapshots import forecast_snapshot_take

    report = progress or (lambda stage, rows, seconds, done: None)
    started = monotonic()
    run = consumption_forecast_run(as_of=today.replace(day=1))
    report("forecast", run.companies, monotonic() - started, True)
    snapshots = forecast_snapshot_take(today=today)
    return {"forecast companies": run.companies, "forecast snapshots": snapshots}


def demo_summary() -> list[tuple[str, int, str]]:
    run = ForecastRun.objects.filter(status=ForecastRun.Status.SUCCEEDED).order_by("-created_at").first()
    if run is None:
        return [("forecast", 0, "no forecast run yet")]
    points = ConsumptionForecast.objects.filter(run=run).count()
    return [
        ("forecast", run.companies, f"accounts forecast from {run.as_of:%b %Y}, {points:,} monthly points"),
        ("snapshots", ForecastSnapshot.objects.count(), "weekly forecast snapshots"),
    ]
