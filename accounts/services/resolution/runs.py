"""Resolution runs: full or incremental, in one process or split into chunks over Celery workers.

Incremental rule — a record is re-resolved when its outcome could differ from the last run's:

* users and workspaces updated since the last successful run started, never resolved, or whose
  (suggested) company was deleted;
* users whose email domain was registered to a company since then;
* the closure: the workspaces of those users and of users a person decided on since then (their
  members' evidence changed), the non-domain members of those workspaces (their colleague and
  workspace-name evidence changed), and the workspaces of every user re-resolved.

Changes that can touch anyone — thresholds, email-domain rules, company names (a new, renamed or
deleted company changes name matching for every free-mail user), domains removed or moved — turn
the incremental run into a full one, which says why. So incremental gives what full would.
Membership removals leave no trace an incremental run could see; the nightly run is full.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import CompanyDomain, ProductUser, ResolutionRun, Workspace, WorkspaceMembership

from .context import ResolutionContext, _digest, context_load
from .engine import LOCKED, Selection, batch_size, id_in, users_resolve, workspaces_resolve
from .evidence import Method, Status

logger = logging.getLogger(__name__)

DEFAULT_CHUNK_SIZE = 250_000  # users per chunk task of a full run on a broker
Progress = Callable[[str, int], None]

_LOCKED_Q = Q(match_status__in=LOCKED) | Q(match_method=Method.MANUAL)
_STALE_Q = (
    Q(match_status=Status.UNRESOLVED)
    | Q(match_status=Status.AUTO, company__isnull=True)
    | Q(match_status=Status.REVIEW, suggested_company__isnull=True)
)


def chunk_size_default() -> int:
    return int(getattr(settings, "RESOLUTION_CHUNK_SIZE", DEFAULT_CHUNK_SIZE))


# --- starting and claiming ------------------------------------------------------------------------


@transaction.atomic
def resolution_run_create(
    *, mode: str, trigger: str, by: AbstractBaseUser | None = None, chunk_size: int | None = None
) -> ResolutionRun:
    counts = {"chunk_size": chunk_size} if chunk_size else {}
    return ResolutionRun.objects.create(mode=mode, trigger=trigger, created_by=by, counts=counts)


@transaction.atomic
def resolution_run_start(
    *,
    mode: str,
    trigger: str,
    by: AbstractBaseUser | None = None,
    chunk_size: int | None = None,
    queue: str | None = None,
) -> ResolutionRun:
    """Create a run and queue it. An incremental run that is still queued already covers a new
    request for one (imports in a row queue one run, not many)."""
    from accounts.tasks import resolution_run_task

    if mode == ResolutionRun.Mode.INCREMENTAL:
        queued = ResolutionRun.objects.filter(mode=mode, status=ResolutionRun.Status.QUEUED).order_by("id").first()
        if queued is not None:
            return queued
    run = resolution_run_create(mode=mode, trigger=trigger, by=by, chunk_size=chunk_size)
    options = {"queue": queue} if queue else {}
    transaction.on_commit(lambda: resolution_run_task.apply_async(args=[run.pk], **options))
    return run


def resolution_run_claim(*, run_id: int) -> bool:
    """Move a queued run to running; False if another worker got there first or it already ran."""
    return ResolutionRun.objects.filter(id=run_id, status=ResolutionRun.Status.QUEUED).update(
        status=ResolutionRun.Status.RUNNING, started_at=timezone.now()
    ) == 1


def resolution_run_fail(*, run_id: int, error: str) -> None:
    ResolutionRun.objects.filter(id=run_id, status=ResolutionRun.Status.RUNNING).update(
        status=ResolutionRun.Status.FAILED, error=error[:5000], finished_at=timezone.now()
    )


def resolution_run_release(*, run_id: int) -> None:
    """Queue a running run again so the task's automatic retry can claim it (the database hiccuped)."""
    try:
        ResolutionRun.objects.filter(id=run_id, status=ResolutionRun.Status.RUNNING).update(
            status=ResolutionRun.Status.QUEUED
        )
    except Exception:  # the database is still away: the run stays "running"; the log says why
        logger.exception("Could not release resolution run %s for a retry", run_id)


def last_successful_run(*, before: ResolutionRun) -> ResolutionRun | None:
    return (
        ResolutionRun.objects.filter(status=ResolutionRun.Status.DONE, started_at__isnull=False)
        .exclude(pk=before.pk)
        .order_by("-started_at")
        .first()
    )


# --- executing ------------------------------------------------------------------------------------


def resolution_run_execute(
    *, run_id: int, progress: Progress | None = None, queue: str | None = None, jobs: int = 1
) -> ResolutionRun:
    """Execute a claimed (running) run.

    1. Load the context (settings, rules, domains, company names) and, for an incremental run,
       decide whether something global changed since the last successful run (→ full).
    2. Full: every user, then every workspace — in this process, or, on a broker with more users
       than a chunk, in id-range chunks on the workers (the last chunk queues the workspace step).
       With ``jobs`` > 1 (the command's --jobs), the users' chunks run in that many forked processes.
       Incremental: the users and workspaces of the incremental rule.
    3. Record the counts per status and method, the time, and what the run saw (for the next one).
    """
    run = ResolutionRun.objects.get(pk=run_id)
    clock = time.monotonic()
    try:
        ctx = context_load()
        counts = dict(run.counts or {})
        counts["state"] = ctx.state
        mode = run.mode
        since = None
        if mode == ResolutionRun.Mode.INCREMENTAL:
            last = last_successful_run(before=run)
            why = _escalation(ctx, last)
            if why:
                mode = ResolutionRun.Mode.FULL
                counts["escalated"] = why
            else:
                since = last.started_at
        if mode == ResolutionRun.Mode.FULL:
            chunk_size = counts.get("chunk_size") or chunk_size_default()
            if not _eager():
                ranges = _user_ranges(chunk_size)
                if len(ranges) > 1:
                    return _chunks_dispatch(run, ctx, counts, ranges, queue=queue)
            if jobs > 1:
                users = _users_in_processes(ctx, jobs)
                counts["jobs"] = jobs
            else:
                users = users_resolve(ctx=ctx, selection=Selection(), progress=progress)
            if progress:
                progress("workspaces", 0)
            workspaces = workspaces_resolve(ctx=ctx, selection=Selection())
            counts["scope"] = "all users and workspaces"
        else:
            user_ids, workspace_ids = incremental_scope(ctx=ctx, since=since)
            users = users_resolve(ctx=ctx, selection=Selection(ids=tuple(user_ids)), progress=progress)
            workspaces = workspaces_resolve(ctx=ctx, selection=Selection(ids=tuple(workspace_ids)))
            counts["scope"] = f"{len(user_ids)} users and {len(workspace_ids)} workspaces changed or affected"
        counts.update(users=dict(users), workspaces=dict(workspaces), seconds=round(time.monotonic() - clock, 2))
        ResolutionRun.objects.filter(pk=run_id, status=ResolutionRun.Status.RUNNING).update(
            mode=mode, counts=counts, status=ResolutionRun.Status.DONE, finished_at=timezone.now()
        )
    except Exception as exc:
        if _retryable(exc):
            resolution_run_release(run_id=run_id)
        else:
            resolution_run_fail(run_id=run_id, error=f"{type(exc).__name__}: {exc}")
        raise
    return ResolutionRun.objects.get(pk=run_id)


def _eager() -> bool:
    from revops.celery import app

    return bool(app.conf.task_always_eager)


def _escalation(ctx: ResolutionContext, last: ResolutionRun | None) -> str:
    """Why an incremental run must look at everything, or "" if it need not."""
    if last is None:
        return "no earlier successful run"
    seen = (last.counts or {}).get("state") or {}
    if not seen:
        return "the last run recorded no state"
    if seen.get("settings") != ctx.state["settings"]:
        return "the resolution thresholds changed"
    if seen.get("rules") != ctx.state["rules"]:
        return "the email-domain rules changed"
    if seen.get("names") != ctx.state["names"]:
        return "company names changed (new, renamed or deleted companies)"
    old = CompanyDomain.objects.filter(Q(created_at__lte=last.started_at) | Q(created_at__isnull=True))
    if _digest(old.order_by("domain").values_list("domain", "company_id")) != seen.get("domains"):
        return "domains were removed or moved to another company"
    return ""


def _ids(qs) -> set[int]:
    return set(qs.order_by().values_list("id", flat=True).iterator(chunk_size=50_000))


def _workspaces_of(user_ids: set[int]) -> set[int]:
    found: set[int] = set()
    for batch in _batches(user_ids):
        memberships = WorkspaceMembership.objects.filter(user_id__in=id_in(batch))
        found.update(memberships.values_list("workspace_id", flat=True))
    return found


def _batches(ids):
    ids = sorted(ids)
    size = batch_size()
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _closure(*, users: set[int], anchors_changed: set[int], workspaces: set[int]) -> tuple[set[int], set[int]]:
    """Add what depends on the seed records (see the module docstring)."""
    affected = workspaces | _workspaces_of(users | anchors_changed)
    evidence_users: set[int] = set()
    for batch in _batches(affected):
        evidence_users.update(
            WorkspaceMembership.objects.filter(workspace_id__in=id_in(batch))
            .exclude(user__match_status__in=LOCKED)
            .exclude(user__match_method=Method.MANUAL)
            .exclude(user__match_method=Method.DOMAIN, user__match_status=Status.AUTO)
            .values_list("user_id", flat=True)
        )
    users = users | evidence_users
    return users, affected | _workspaces_of(evidence_users)


def incremental_scope(*, ctx: ResolutionContext, since) -> tuple[set[int], set[int]]:
    """The users and workspaces an incremental run re-resolves (the rule in the module docstring)."""
    users = _ids(ProductUser.objects.exclude(_LOCKED_Q).filter(Q(updated_at__gt=since) | _STALE_Q))
    new_domains = set(CompanyDomain.objects.filter(created_at__gt=since).values_list("domain", flat=True))
    if new_domains:
        candidates = ProductUser.objects.exclude(_LOCKED_Q).exclude(match_method=Method.DOMAIN,
                                                                     match_status=Status.AUTO)
        for user_id, email in candidates.order_by().values_list("id", "email").iterator(chunk_size=50_000):
            host = email.rsplit("@", 1)[-1].strip().lower()
            if ctx.host_info(host)[0] in new_domains:
                users.add(user_id)
    decided = _ids(ProductUser.objects.filter(_LOCKED_Q, Q(matched_at__gt=since) | Q(updated_at__gt=since)))
    workspaces = _ids(Workspace.objects.filter(Q(updated_at__gt=since) | (~_LOCKED_Q & _STALE_Q)))
    return _closure(users=users, anchors_changed=decided, workspaces=workspaces)


def product_users_resolve(*, user_ids: list[int]) -> dict[str, dict]:
    """Resolve these users now (e.g. after product events) and everything that depends on them:
    the workspaces they belong to and their colleagues' colleague evidence. No run is recorded;
    the next incremental run sees them as changed anyway."""
    ctx = context_load()
    seeds = set(user_ids)
    users, workspaces = _closure(users=seeds, anchors_changed=seeds, workspaces=set())
    return {
        "users": dict(users_resolve(ctx=ctx, selection=Selection(ids=tuple(users)))),
        "workspaces": dict(workspaces_resolve(ctx=ctx, selection=Selection(ids=tuple(workspaces)))),
    }


# --- chunks -----------------------------------------------------------------------------------------

_FORKED_CONTEXT: ResolutionContext | None = None  # what forked children resolve with (copy-on-write)


def _resolve_range(bounds: tuple[int, int]) -> Counter:
    lo, hi = bounds
    return users_resolve(ctx=_FORKED_CONTEXT, selection=Selection(lo=lo, hi=hi))


def _users_in_processes(ctx: ResolutionContext, jobs: int) -> Counter:
    """Resolve the users in ``jobs`` id-range chunks in forked processes, each with its own database
    connection; the name index is built once, before the fork, and shared."""
    global _FORKED_CONTEXT
    import multiprocessing

    from django.db import connections

    total = ProductUser.objects.count()
    ranges = _user_ranges(max(1, -(-total // jobs)))
    if len(ranges) < 2:
        return users_resolve(ctx=ctx, selection=Selection())
    if ctx.company_names:
        ctx.index  # noqa: B018 - built here, shared by the children
    _FORKED_CONTEXT = ctx
    connections.close_all()  # a child must never use (or close) the parent's connection
    try:
        with multiprocessing.get_context("fork").Pool(len(ranges)) as pool:
            results = pool.map(_resolve_range, ranges)
    finally:
        _FORKED_CONTEXT = None
    return sum(results, Counter())


# --- chunks over Celery ---------------------------------------------------------------------------------------


def _user_ranges(chunk_size: int) -> list[tuple[int, int]]:
    """Id ranges of about ``chunk_size`` users each, covering every user id."""
    ids = ProductUser.objects.order_by("id").values_list("id", flat=True)
    total = ids.count()
    if total <= chunk_size:
        return [(0, 2**62)]
    starts = [ids[position] for position in range(0, total, chunk_size)]
    ranges = [(start, nxt - 1) for start, nxt in zip(starts, starts[1:])]
    ranges.append((starts[-1], 2**62))
    ranges[0] = (0, ranges[0][1])
    return ranges


def _chunks_dispatch(run: ResolutionRun, ctx: ResolutionContext, counts: dict, ranges, *, queue: str | None):
    """The prepare step: record the chunks, build the shared name index once (workers on this
    machine load it from the cache), and queue one task per chunk."""
    from celery import group

    from accounts.tasks import resolution_chunk_task

    if ctx.company_names:
        ctx.index  # noqa: B018 - builds and caches it for the chunk tasks
    counts.update(chunks=[list(r) for r in ranges], done=[], users={}, scope="all users and workspaces, chunked")
    ResolutionRun.objects.filter(pk=run.pk).update(mode=ResolutionRun.Mode.FULL, counts=counts,
                                                   total_chunks=len(ranges), done_chunks=0)
    options = {"queue": queue} if queue else {}
    transaction.on_commit(
        lambda: group(resolution_chunk_task.s(run.pk, n) for n in range(len(ranges))).apply_async(**options)
    )
    return ResolutionRun.objects.get(pk=run.pk)


def resolution_chunk_execute(*, run_id: int, chunk: int, queue: str | None = None) -> None:
    """Resolve one chunk's users; the chunk that completes the set queues the workspace step."""
    run = ResolutionRun.objects.get(pk=run_id)
    if run.status != ResolutionRun.Status.RUNNING or chunk in run.counts.get("done", []):
        return  # failed meanwhile, or a redelivered chunk that already counted
    lo, hi = run.counts["chunks"][chunk]
    try:
        counts = users_resolve(ctx=context_load(), selection=Selection(lo=lo, hi=hi))
        with transaction.atomic():
            run = ResolutionRun.objects.select_for_update().get(pk=run_id)
            if chunk in run.counts.get("done", []):
                return
            run.counts["done"].append(chunk)
            run.counts["users"] = dict(Counter(run.counts.get("users", {})) + counts)
            run.done_chunks += 1
            run.save(update_fields=["counts", "done_chunks"])
            if run.done_chunks == run.total_chunks:
                from accounts.tasks import resolution_finish_task

                options = {"queue": queue} if queue else {}
                transaction.on_commit(lambda: resolution_finish_task.apply_async(args=[run_id], **options))
    except Exception as exc:
        if not _retryable(exc):
            resolution_run_fail(run_id=run_id, error=f"chunk {chunk}: {type(exc).__name__}: {exc}")
        raise


def resolution_finish_execute(*, run_id: int) -> None:
    """The last step of a chunked run: workspaces from their members, then the totals."""
    run = ResolutionRun.objects.get(pk=run_id)
    if run.status != ResolutionRun.Status.RUNNING:
        return
    try:
        workspaces = workspaces_resolve(ctx=context_load(), selection=Selection())
    except Exception as exc:
        if not _retryable(exc):
            resolution_run_fail(run_id=run_id, error=f"workspaces: {type(exc).__name__}: {exc}")
        raise
    counts = dict(run.counts)
    counts["workspaces"] = dict(workspaces)
    counts["seconds"] = round((timezone.now() - run.started_at).total_seconds(), 2)
    ResolutionRun.objects.filter(pk=run_id, status=ResolutionRun.Status.RUNNING).update(
        counts=counts, status=ResolutionRun.Status.DONE, finished_at=timezone.now()
    )


def _retryable(exc: Exception) -> bool:
    from django.db import OperationalError

    return isinstance(exc, OperationalError)
