"""Thin, idempotent Celery tasks of the accounts area."""

import logging

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from accounts.models import ImportJob

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def import_job_run_task(job_id: int) -> None:
    from accounts.services.imports import import_job_execute, import_job_release

    claimed = ImportJob.objects.filter(id=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now(), processed_rows=0
    )
    if claimed != 1:
        return  # another worker got there first, or it already ran
    try:
        import_job_execute(job_id=job_id)
    except OperationalError:
        # The database hiccuped: queue the job again so the automatic retry can claim it.
        try:
            import_job_release(job_id=job_id)
        except OperationalError:
            logger.exception("Could not release import job %s for a retry", job_id)
        raise
    except Exception:
        ImportJob.objects.filter(id=job_id, status=ImportJob.Status.RUNNING).update(
            status=ImportJob.Status.FAILED,
            message="The import stopped on an unexpected error; see the worker log.",
            finished_at=timezone.now(),
        )
        raise
