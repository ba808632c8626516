"""`export_data forecast`: the latest consumption forecast, one row per company and month.

Registered with the accounts export registry when this module is imported (forecasting's
AppConfig.ready() imports it).
"""
from collections.abc import Iterator

from accounts.services.exports import CHUNK, ExportKind, register_export_kind
from forecasting.models import ConsumptionForecast
from forecasting.selectors.forecast import latest_forecast_run

HEADER = ("company_external_id", "company_name", "period", "value", "low", "high", "method", "run_id", "as_of")


def _forecast_rows() -> Iterator[list]:
    run = latest_forecast_run()
    if run is None:
        return
    points = (
        ConsumptionForecast.objects.filter(run=run)
        .order_by("company_id", "period")
        .values_list("company__external_id", "company__name", "period", "value", "low", "high", "method")
    )
    for external_id, name, period, value, low, high, method in points.iterator(chunk_size=CHUNK):
        yield [external_id, name, f"{period:%Y-%m}", value, low, high, method, run.pk, f"{run.as_of:%Y-%m}"]


register_export_kind(ExportKind("forecast", HEADER, _forecast_rows))
