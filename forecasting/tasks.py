"""Thin, idempotent Celery tasks of this area.

Beat (the lead adds these to CELERY_BEAT_SCHEDULE):
    "forecast-run-weekly": {"task": "forecasting.tasks.forecast_run_scheduled_task",
                            "schedule": crontab(day_of_week="mon", hour=4, minute=0)},
    "forecast-snapshot-weekly": {"task": "forecasting.tasks.forecast_snapshot_task",
                                 "schedule": crontab(day_of_week="mon", hour=6, minute=0)},
"""
import logging

from celery import shared_task
from django.db import OperationalError

from forecasting.models import ForecastRun

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def forecast_run_task(run_id: int) -> None:
    """Execute a queued run (the claim inside makes a duplicate delivery a no-op), then prune old
    runs and take this week's snapshot with the new figures."""
    from forecasting.services.forecast_runs import forecast_run_execute, forecast_runs_prune

    run = forecast_run_execute(run_id=run_id)
    if run is None or run.status != ForecastRun.Status.SUCCEEDED:
        return
    forecast_runs_prune()
    forecast_snapshot_task.delay()


@shared_task(acks_late=True)
def forecast_run_scheduled_task() -> None:
    """The weekly run: queue one unless a run is already queued or running."""
    from forecasting.services.forecast_runs import forecast_run_create

    if ForecastRun.objects.filter(status__in=[ForecastRun.Status.QUEUED, ForecastRun.Status.RUNNING]).exists():
        return
    run = forecast_run_create()
    forecast_run_task.delay(run.pk)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def forecast_snapshot_task() -> int:
    """This week's snapshot; re-running in the same week replaces it."""
    from forecasting.services.snapshots import forecast_snapshot_take

    return forecast_snapshot_take()
