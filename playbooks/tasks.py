"""Thin, idempotent Celery tasks of the playbooks area."""
from celery import shared_task

from playbooks.services.runs import TRANSIENT_ERRORS, playbook_run_execute, playbooks_schedule_check


@shared_task(bind=True, acks_late=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=5)
def playbook_run_task(self, run_id: int) -> None:
    # The service claims the run with a conditional UPDATE: a duplicate delivery does nothing; a
    # redelivery (the worker died holding the message) takes over the run that worker left running.
    redelivered = bool((getattr(self.request, "delivery_info", None) or {}).get("redelivered"))
    playbook_run_execute(run_id=run_id, redelivered=redelivered)


@shared_task(acks_late=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=3)
def playbooks_schedule_check_task() -> int:
    """Run by beat every few minutes: queues the scheduled runs that are due (each due moment once)."""
    return len(playbooks_schedule_check())
