"""Runs: evaluate a playbook's signal and surface each new match as an assigned play.

A run issues the same handful of queries whatever the number of companies: the signal is one
query (plus at most one aggregate for percentile/average thresholds and one for size-band
ranks), open plays and cooldowns one, assignment three, the plays one INSERT, their checklists
one INSERT … SELECT per playbook step.

Duplicates: the database allows one open play per playbook and company
(``play_one_open_per_playbook_company``); plays are inserted with ON CONFLICT DO NOTHING, so two
runs at once — or a run racing a rep who reopens a play — never create a second open play; the
run counts what it could not insert as "already open".
"""
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from playbooks.models import Play, Playbook, PlaybookRun, PlayStep
from playbooks.services.assignment import Assigner
from playbooks.signals import signal_evaluate, signal_validate
from revops.errors import ApplicationError

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS = (OperationalError, InterfaceError)
TRANSIENT_PREFIX = "Transient error, retrying: "


def playbook_run_create(*, playbook: Playbook, trigger: str, by=None) -> PlaybookRun:
    """A queued run with a snapshot of the signal; refuses an invalid signal before anything is queued."""
    try:
        signal = signal_validate(playbook.signal)
    except Exception as exc:  # ValidationError: name every broken condition
        messages = getattr(exc, "messages", [str(exc)])
        raise ApplicationError(f"{playbook.name}: the signal is invalid. {' '.join(messages)}") from exc
    return PlaybookRun.objects.create(playbook=playbook, trigger=trigger, signal=signal, created_by=by)


def playbook_run_request(*, playbook: Playbook, trigger: str, by=None) -> PlaybookRun:
    """Queue a run and hand it to a worker once the transaction commits."""
    from playbooks.tasks import playbook_run_task

    run = playbook_run_create(playbook=playbook, trigger=trigger, by=by)
    transaction.on_commit(lambda: playbook_run_task.delay(run.pk))
    return run


class _QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def playbook_run_execute(*, run_id: int, now: datetime | None = None, redelivered: bool = False
                         ) -> PlaybookRun | None:
    """Claim a queued run and carry it out. Returns None when another worker already has it.

    Transient database errors mark the run failed with the error and propagate, so the Celery task
    retries (the retry may claim a run that failed that way); any other error marks it failed for good.
    ``redelivered``: the broker handed the task out again because its worker died (acks_late); the
    run that worker left running is claimed again and redone — plays it already committed count as
    this run's, and their checklists are not copied twice.
    """
    claimable = Q(status=PlaybookRun.Status.QUEUED) | Q(
        status=PlaybookRun.Status.FAILED, error__startswith=TRANSIENT_PREFIX
    )
    if redelivered:
        claimable |= Q(status=PlaybookRun.Status.RUNNING)
    started = now or timezone.now()
    claimed = PlaybookRun.objects.filter(claimable, pk=run_id).update(
        status=PlaybookRun.Status.RUNNING, started_at=started, error=""
    )
    if claimed != 1:
        return None  # another worker got there first, or it already ran
    run = PlaybookRun.objects.select_related("playbook").get(pk=run_id)
    counter = _QueryCounter()
    clock = time.monotonic()
    try:
        with connection.execute_wrapper(counter):
            _execute(run, now=started)
    except TRANSIENT_ERRORS as exc:
        _drop_broken_connection()  # the server may have ended it: record the failure on a new one
        _fail(run, f"{TRANSIENT_PREFIX}{exc}")
        raise
    except Exception as exc:  # recorded on the run; the page and the API show it
        logger.exception("Playbook run %s failed", run_id)
        _fail(run, f"{type(exc).__name__}: {exc}")
        return run
    run.status = PlaybookRun.Status.SUCCEEDED
    run.finished_at = timezone.now()
    run.seconds = time.monotonic() - clock
    run.queries = counter.count
    run.save(update_fields=[
        "status", "finished_at", "seconds", "queries", "matched", "new_plays", "skipped_open",
        "skipped_cooldown", "unassigned",
    ])
    return run


def _drop_broken_connection() -> None:
    """Close this thread's connection if the server ended it, so the next query opens a new one."""
    if connection.connection is not None and not connection.in_atomic_block and not connection.is_usable():
        connection.close()


def _fail(run: PlaybookRun, message: str) -> None:
    PlaybookRun.objects.filter(pk=run.pk).update(
        status=PlaybookRun.Status.FAILED, error=message[:5000], finished_at=timezone.now()
    )
    run.status, run.error = PlaybookRun.Status.FAILED, message


def _execute(run: PlaybookRun, *, now: datetime) -> None:
    """1. evaluate the signal; 2. drop matches with an open play or in cooldown; 3. assign;
    4. insert the plays (conflicts ignored); 5. copy the steps as each new play's checklist."""
    playbook = run.playbook
    evaluation = signal_evaluate(run.signal, now=now, context_metrics=playbook.context_metrics)
    rows = evaluation.rows()
    run.matched = len(rows)

    cooldown_start = now - timedelta(days=playbook.cooldown_days)
    blocked = Play.objects.filter(playbook=playbook).filter(
        Q(status__in=Play.OPEN_STATES) | Q(closed_at__gte=cooldown_start)
    ).values_list("company_id", "status")
    open_ids, cooling_ids = set(), set()
    for company_id, status in blocked:
        (open_ids if status in Play.OPEN_STATES else cooling_ids).add(company_id)
    cooling_ids -= open_ids
    candidates = [row for row in rows if row["pk"] not in open_ids and row["pk"] not in cooling_ids]
    run.skipped_cooldown = sum(1 for row in rows if row["pk"] in cooling_ids)
    candidates.sort(key=lambda row: (-(row["m_value"] or 0), row["pk"]))  # most valuable first when rooms run out

    assigner = Assigner(playbook=playbook, owner_ids={row["owner_id"] for row in candidates})
    names = evaluation.why_names(candidates)
    plays = [
        Play(
            playbook=playbook, company_id=row["pk"], run=run, assignee_id=assigner.assign(row["owner_id"]),
            status=Play.Status.OPEN, why=evaluation.why(row, names=names), value=row["m_value"] or 0,
            surfaced_at=now,
        )
        for row in candidates
    ]
    with transaction.atomic():
        Play.objects.bulk_create(plays, ignore_conflicts=True)
        created = Play.objects.filter(run=run).values_list("assignee_id", flat=True)
        assignees = list(created)
        run.new_plays = len(assignees)
        run.unassigned = sum(1 for a in assignees if a is None)
        run.skipped_open = run.matched - run.skipped_cooldown - run.new_plays
        _copy_steps(run=run, today=now.astimezone(UTC).date())
        if assigner.last_round_robin != playbook.round_robin_last_id:
            Playbook.objects.filter(pk=playbook.pk).update(round_robin_last=assigner.last_round_robin)


def _copy_steps(*, run: PlaybookRun, today) -> None:
    """Each new play of the run gets the playbook's steps, due N days after surfacing: one INSERT … SELECT per step.
    A play that has the step already (its run was redone after a worker died) keeps it."""
    play_table = connection.ops.quote_name(Play._meta.db_table)
    step_table = connection.ops.quote_name(PlayStep._meta.db_table)
    for step in run.playbook.steps.all():
        due = today + timedelta(days=step.due_after_days)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {step_table} (play_id, step_id, position, title, role, due_date) "
                f"SELECT p.id, %s, %s, %s, %s, %s FROM {play_table} p WHERE p.run_id = %s AND NOT EXISTS "
                f"(SELECT 1 FROM {step_table} s WHERE s.play_id = p.id AND s.position = %s)",
                [step.pk, step.position, step.title, step.role, due, run.pk, step.position],
            )


# --- scheduling ------------------------------------------------------------------------------------------


def schedule_due_moment(playbook: Playbook, *, now: datetime) -> datetime | None:
    """The latest moment at or before ``now`` when the playbook's schedule wanted a run (UTC)."""
    if playbook.schedule == Playbook.Schedule.MANUAL:
        return None
    now = now.astimezone(UTC)
    at = now.replace(hour=playbook.schedule_hour, minute=0, second=0, microsecond=0)
    if playbook.schedule == Playbook.Schedule.DAILY:
        return at if at <= now else at - timedelta(days=1)
    at -= timedelta(days=(now.weekday() - playbook.schedule_weekday) % 7)
    return at if at <= now else at - timedelta(days=7)


def playbooks_schedule_check(*, now: datetime | None = None,
                             dispatch: Callable[..., PlaybookRun] = playbook_run_request) -> list[PlaybookRun]:
    """Queue a scheduled run for each active playbook whose due moment has no run yet.

    Safe to call every few minutes from several beat processes: each due moment is claimed with a
    conditional UPDATE of ``last_scheduled_for``, so only one caller queues its run.
    """
    now = now or timezone.now()
    runs = []
    for playbook in Playbook.objects.filter(is_active=True).exclude(schedule=Playbook.Schedule.MANUAL):
        due = schedule_due_moment(playbook, now=now)
        if due is None or (playbook.last_scheduled_for and playbook.last_scheduled_for >= due):
            continue
        claimed = Playbook.objects.filter(pk=playbook.pk).filter(
            Q(last_scheduled_for__isnull=True) | Q(last_scheduled_for__lt=due)
        ).update(last_scheduled_for=due)
        if claimed == 1:
            try:
                runs.append(dispatch(playbook=playbook, trigger=PlaybookRun.Trigger.SCHEDULE))
            except ApplicationError as exc:
                logger.warning("Scheduled run of %s skipped: %s", playbook, exc.message)
    return runs
