"""Thin, idempotent Celery tasks of this area."""
from celery import shared_task
from django.db import OperationalError


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def weekly_digest_task() -> dict:
    """Monday morning (beat): the managers' flags and the reps' stale stakeholders, once per week."""
    from stakeholders.services.digest import weekly_digest_send

    result = weekly_digest_send()
    return {"week_start": result.week_start.isoformat(), "managers": result.manager_emails,
            "reps": result.rep_emails, "skipped": result.skipped}


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def last_contact_refresh_task(stakeholder_ids: list[int] | None = None) -> int:
    """Recompute last contact (all stakeholders when no ids): a repair after bulk SQL outside the services."""
    from stakeholders.services import last_contact_refresh

    return last_contact_refresh(stakeholder_ids=stakeholder_ids)
