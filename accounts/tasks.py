"""Thin, idempotent Celery tasks of the accounts area."""

import logging

from celery import shared_task
from celery.signals import worker_init, worker_process_init
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from accounts.models import ImportJob, ResolutionRun

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def import_job_run_task(self, job_id: int) -> None:
    from accounts.services.imports import import_job_execute, import_job_release

    claimable = [ImportJob.Status.QUEUED]
    if _redelivered(self):  # its worker died holding it: redo the job it left running (imports are upserts)
        claimable.append(ImportJob.Status.RUNNING)
    claimed = ImportJob.objects.filter(id=job_id, status__in=claimable).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now(), processed_rows=0
    )
    if claimed != 1:
        return  # another worker got there first, or it already ran
    try:
        import_job_execute(job_id=job_id)
    except OperationalError:
        # The database hiccuped: queue the job again so the automatic retry can claim it.
        drop_broken_connection()
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
    kind, status = ImportJob.objects.values_list("kind", "status").get(id=job_id)
    if status in {ImportJob.Status.DONE, ImportJob.Status.DONE_WITH_ERRORS}:
        after_import(kind=kind, queue=_queue_of(self))


def drop_broken_connection() -> None:
    """Close this thread's database connection if it is dead (the server ended it), so the next
    query opens a new one; Django only notices between requests, a worker would keep failing on it."""
    if connection.connection is not None and not connection.in_atomic_block and not connection.is_usable():
        connection.close()


# What an import of each kind changes downstream: new or changed companies, domains, workspaces or
# users need account resolution; deals, contracts, usage and account ownership move commissions.
RESOLVE_AFTER_KINDS = frozenset({"companies", "workspaces", "users"})
RECALCULATE_COMMISSIONS_AFTER_KINDS = frozenset({"companies", "usage", "contracts", "opportunities"})


def after_import(*, kind: str, queue: str | None = None, resolve: bool = True):
    """Queue what a finished import of ``kind`` makes stale; returns the resolution run, if one started."""
    run = None
    if resolve and kind in RESOLVE_AFTER_KINDS:
        from accounts.services.resolution import resolution_run_start

        run = resolution_run_start(mode=ResolutionRun.Mode.INCREMENTAL, trigger=ResolutionRun.Trigger.IMPORT,
                                   queue=queue)
    if kind in RECALCULATE_COMMISSIONS_AFTER_KINDS:
        from forecasting.compensation.tasks import comp_calculate_open_task

        transaction.on_commit(comp_calculate_open_task.delay)
    return run


def _redelivered(task) -> bool:
    """Whether the broker delivers this message again after its worker died holding it (acks_late)."""
    info = getattr(task.request, "delivery_info", None) or {}
    return bool(info.get("redelivered"))


def _queue_of(task) -> str | None:
    """The queue this task came from, so the steps it queues go to the same workers."""
    info = getattr(task.request, "delivery_info", None) or {}
    return info.get("routing_key") or None


@worker_init.connect(dispatch_uid="accounts.resolution_context_keep")
@worker_process_init.connect(dispatch_uid="accounts.resolution_context_keep_child")
def resolution_context_keep(**kwargs) -> None:
    """A worker lives long and serves run after run (after imports, product events, nightly): it
    keeps the resolution context — company names and domains, the name index, the decisions made —
    between them, and reuses it while the database says it is still right (see
    ``accounts.services.resolution.context``). Each pool process keeps its own."""
    from accounts.services.resolution.context import context_keep

    context_keep(True)


@shared_task(bind=True, acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def resolution_run_task(self, run_id: int) -> None:
    """Run a queued resolution run (full runs on a broker fan out into chunk tasks)."""
    from accounts.services.resolution import resolution_run_claim, resolution_run_execute

    if not resolution_run_claim(run_id=run_id, redelivered=_redelivered(self)):
        return  # another worker got there first, or it already ran
    resolution_run_execute(run_id=run_id, queue=_queue_of(self))


@shared_task(bind=True, acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def resolution_chunk_task(self, run_id: int, chunk: int) -> None:
    """Resolve one id range of users of a chunked full run (idempotent: a chunk counts once)."""
    from accounts.services.resolution import resolution_chunk_execute

    resolution_chunk_execute(run_id=run_id, chunk=chunk, queue=_queue_of(self))


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def resolution_finish_task(run_id: int) -> None:
    """The last step of a chunked run: workspaces, then the totals."""
    from accounts.services.resolution import resolution_finish_execute

    resolution_finish_execute(run_id=run_id)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def resolve_product_users_task(user_ids: list[int]) -> None:
    """Resolve these users (e.g. after product events) and the workspaces and colleagues they affect."""
    from accounts.services.resolution import product_users_resolve

    product_users_resolve(user_ids=user_ids)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def resolution_nightly_task() -> None:
    """The scheduled run: full, so it also catches what leaves no timestamp (a membership removed)."""
    from accounts.services.resolution import resolution_run_start

    resolution_run_start(mode=ResolutionRun.Mode.FULL, trigger=ResolutionRun.Trigger.SCHEDULE)
