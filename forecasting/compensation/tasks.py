"""Thin, idempotent Celery tasks: recalculating statements is safe to repeat."""
from celery import shared_task
from django.db import OperationalError

from revops.errors import ApplicationError


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def comp_calculate_task(period: str) -> int:
    """Recalculate one period's open statements (after an adjustment or an import touching it)."""
    from forecasting.compensation.services import statements_calculate

    try:
        return statements_calculate(period=period).calculated
    except ApplicationError:
        return 0  # locked meanwhile: locked statements never change


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def comp_calculate_open_task() -> int:
    """Nightly and after imports: every open period that has started, oldest first."""
    from forecasting.compensation.services import statements_calculate_open

    return sum(report.calculated for report in statements_calculate_open())
