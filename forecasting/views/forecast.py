"""The forecast dashboard: three horizons of committed, consumption and weighted pipeline."""
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from forecasting.charts import chart_legend, forecast_chart_svg
from forecasting.models import ForecastRun, ForecastSnapshot
from forecasting.selectors.forecast import forecast_runs, latest_forecast_run
from forecasting.services.forecast_runs import forecast_run_create
from forecasting.services.recognition import month_start
from forecasting.services.rollup import forecast_rollup_cached
from revops.errors import ApplicationError
from revops.roles import is_revops_admin

PAGE_ACCOUNTS = 25
HORIZONS = [value for value, _ in ForecastSnapshot.Horizon.choices]
SORTS = {"name", "committed", "consumption", "pipeline", "forecast", "commit", "best_case"}
_SORT_KEYS = {
    "name": lambda line: line.name.lower(),
    "committed": lambda line: line.figures.committed,
    "consumption": lambda line: line.figures.consumption,
    "pipeline": lambda line: line.figures.pipeline_weighted,
    "forecast": lambda line: line.figures.forecast,
    "commit": lambda line: line.figures.call_commit,
    "best_case": lambda line: line.figures.call_best_case,
}


def _sorted(lines, sort: str):
    key = sort.lstrip("-")
    if key not in _SORT_KEYS:
        return lines
    return sorted(lines, key=_SORT_KEYS[key], reverse=sort.startswith("-"))


def _share(part: Decimal, whole: Decimal) -> float:
    return float(part / whole) if whole else 0.0


@require_GET
def index(request):
    horizon_key = request.GET.get("horizon") or ForecastSnapshot.Horizon.QUARTER
    if horizon_key not in HORIZONS:
        horizon_key = ForecastSnapshot.Horizon.QUARTER
    sort = request.GET.get("sort") or "-forecast"
    if sort.lstrip("-") not in SORTS:
        sort = "-forecast"
    today = timezone.localdate()
    run = latest_forecast_run()
    active = ForecastRun.objects.filter(status__in=[ForecastRun.Status.QUEUED, ForecastRun.Status.RUNNING]).first()
    context = {
        "active_nav": "forecast",
        "run": run,
        "active_run": active,
        "can_run": is_revops_admin(request.user),
        "horizon_key": horizon_key,
        "horizon_choices": ForecastSnapshot.Horizon.choices,
        "sort": sort,
        "recent_runs": list(forecast_runs()[:5]),
    }
    if run is None:
        return render(request, "forecasting/forecast/dashboard.html", context)
    rollup = forecast_rollup_cached(today=today)
    view = rollup.horizons[horizon_key]
    total = view.total
    current = month_start(today)
    context.update(
        rollup=rollup,
        view=view,
        total=total,
        chart=forecast_chart_svg(months=view.months, current=current, chart_id="forecast-chart"),
        chart_compact=forecast_chart_svg(months=view.months, current=current, width=400, height=260, compact=True,
                                         chart_id="forecast-chart-compact"),
        legend=chart_legend(),
        calls=[
            ("Commit", total.call_commit, "Committed + consumption + deals in commit"),
            ("Best case", total.call_best_case, "Commit + deals in best case"),
            ("Pipeline", total.call_pipeline, "Best case + deals in pipeline"),
        ],
        call_max=max(total.call_pipeline, Decimal(1)),
        mix=[
            ("Committed", total.committed, _share(total.committed, total.forecast), "committed"),
            ("Consumption", total.consumption, _share(total.consumption, total.forecast), "consumption"),
            ("Weighted pipeline", total.pipeline_weighted, _share(total.pipeline_weighted, total.forecast), "pipeline"),
        ],
        by_rep=_sorted(view.by_rep, sort),
        by_team=_sorted(view.by_team, sort),
        top_accounts=_sorted(view.top_accounts[:PAGE_ACCOUNTS], sort),
        month_rows=view.months,
        current=current,
    )
    return render(request, "forecasting/forecast/dashboard.html", context)


@require_POST
def run_create(request):
    if not is_revops_admin(request.user):
        raise PermissionDenied("Only RevOps admins can run the forecast.")
    from forecasting.tasks import forecast_run_task

    if ForecastRun.objects.filter(status__in=[ForecastRun.Status.QUEUED, ForecastRun.Status.RUNNING]).exists():
        messages.info(request, "A forecast run is already under way.")
        return redirect("forecasting:index")
    try:
        run = forecast_run_create()
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("forecasting:index")
    transaction.on_commit(lambda: forecast_run_task.delay(run.pk))  # eager locally: done when this returns
    if request.htmx:
        run.refresh_from_db()
        return _progress(request, run)
    messages.success(request, "The forecast run has started.")
    return redirect("forecasting:index")


@require_GET
def run_progress(request, pk: int):
    return _progress(request, get_object_or_404(ForecastRun, pk=pk))


def _progress(request, run: ForecastRun):
    done = run.status in (ForecastRun.Status.SUCCEEDED, ForecastRun.Status.FAILED)
    response = render(request, "forecasting/forecast/_run_progress.html", {"progress_run": run, "polling": not done})
    if done and run.status == ForecastRun.Status.SUCCEEDED and request.htmx:
        response["HX-Refresh"] = "true"  # the whole dashboard changes with a new run
    return response


urlpatterns = [
    path("forecast/", index, name="index"),
    path("forecast/runs/", run_create, name="forecast_run_create"),
    path("forecast/runs/<int:pk>/progress/", run_progress, name="forecast_run_progress"),
]
