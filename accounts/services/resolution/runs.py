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

What makes it cheap: the seeds come from indexed lookups (migration 0006: ``updated_at``, and
partial indexes holding the unsettled and the decided records), not from a scan of a million users;
the members of the workspaces involved are read once, with the columns the users step needs
(``Neighbourhood``: the users are not read again), and a member outside the scope — neither new nor
changed — counts as a colleague by its stored outcome (it is what its email domain gives it now, or
the run would have turned full). On PostgreSQL, outside a transaction, the run also works on other
connections and threads: the context loads while the seeds are read; the names the new and changed
users typed, then those their colleagues typed, are decided (a name never seen loads the name index)
while the neighbourhood is read, in two halves at once; the workspaces' rows are read while the
users are resolved; the domain step's outcomes are written while the other users are resolved, and
theirs while the workspaces are. Outcomes are written in key order (an UPDATE that visits the table
and its indexes in order costs PostgreSQL a third less than one in the order they were found).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, connections, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.domains import registered_domain
from accounts.models import (
    DECIDED_Q,
    UNSETTLED_Q,
    CompanyDomain,
    ProductUser,
    ResolutionRun,
    Workspace,
    WorkspaceMembership,
)
from revops.collector import no_gc

from .context import ResolutionContext, _digest, context_load
from .engine import LOCKED, Neighbourhood, Selection, batch_size, id_filter, users_resolve, workspaces_resolve
from .writes import outcomes_write
from .evidence import Method, Status

logger = logging.getLogger(__name__)

DEFAULT_CHUNK_SIZE = 250_000  # users per chunk task of a full run on a broker
Progress = Callable[[str, int], None]

# the partial indexes of migration 0006 hold exactly these rows: keep the predicates identical
_LOCKED_Q = DECIDED_Q
_STALE_Q = UNSETTLED_Q


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


def resolution_run_claim(*, run_id: int, redelivered: bool = False) -> bool:
    """Move a queued run to running; False if another worker got there first or it already ran.

    ``redelivered``: the broker handed the task out again because the worker that had it died
    before acknowledging it (acks_late); the run it left "running" is claimed again and redone
    from the start (every step writes idempotently, so the end state is an undisturbed run's)."""
    claimable = [ResolutionRun.Status.QUEUED]
    if redelivered:
        claimable.append(ResolutionRun.Status.RUNNING)
    return ResolutionRun.objects.filter(id=run_id, status__in=claimable).update(
        status=ResolutionRun.Status.RUNNING, started_at=timezone.now()
    ) == 1


def resolution_run_fail(*, run_id: int, error: str) -> None:
    ResolutionRun.objects.filter(id=run_id, status=ResolutionRun.Status.RUNNING).update(
        status=ResolutionRun.Status.FAILED, error=error[:5000], finished_at=timezone.now()
    )


def resolution_run_release(*, run_id: int) -> None:
    """Queue a running run again so the task's automatic retry can claim it (the database hiccuped)."""
    from accounts.tasks import drop_broken_connection

    try:
        drop_broken_connection()  # the server may have ended it: write the release on a new one
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
    """Execute a claimed (running) run (see ``_execute``), with the cycle collector paused (``no_gc``)."""
    with no_gc():
        return _execute(run_id=run_id, progress=progress, queue=queue, jobs=jobs)


def _execute(*, run_id: int, progress: Progress | None, queue: str | None, jobs: int) -> ResolutionRun:
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
    phases = _Phases()
    # an incremental run's threads (PostgreSQL, outside a transaction): the context and the names'
    # decisions, the neighbourhood's two halves, the workspaces' rows and the users' writes
    pool = ThreadPoolExecutor(3) if run.mode == ResolutionRun.Mode.INCREMENTAL and _overlap_possible() else None
    try:
        mode = run.mode
        since = None
        scope = None
        escalated = ""
        warming = None
        if mode == ResolutionRun.Mode.INCREMENTAL:
            last = last_successful_run(before=run)
            if last is not None and (last.counts or {}).get("state") and pool is not None:
                # the context (mostly Python) loads in a thread while this one waits for the
                # database's answer to the scope queries; discarded if the run turns full
                loading = pool.submit(_own_connection(_context_warm))
                scope = _seed_scope(since=last.started_at)
                ctx = loading.result()
            else:
                ctx = context_load()
            escalated = _escalation(ctx, last)
            if escalated:
                mode = ResolutionRun.Mode.FULL
                if pool is not None:  # no thread may be alive when a full run forks its workers
                    pool.shutdown(wait=True)
                    pool = None
            else:
                since = last.started_at
                if scope is not None:
                    # the names the new and changed users typed are decided (a name not seen before
                    # loads the name index: CPU) while the scope's members are read (waiting)
                    warming = pool.submit(ctx.decide_many, scope.texts)
        else:
            ctx = context_load()
        counts = dict(run.counts or {})
        counts["state"] = ctx.state
        if escalated:
            counts["escalated"] = escalated
        phases.lap("context")
        if mode == ResolutionRun.Mode.FULL:
            chunk_size = counts.get("chunk_size") or chunk_size_default()
            if not _eager():
                ranges = _user_ranges(chunk_size)
                if len(ranges) > 1:
                    return _chunks_dispatch(run, ctx, counts, ranges, queue=queue)
            if jobs > 1:
                users = _in_processes(ctx, jobs, "users")
                counts["jobs"] = jobs
            else:
                users = users_resolve(ctx=ctx, selection=Selection(), progress=progress)
            phases.lap("users")
            if progress:
                progress("workspaces", 0)
            if jobs > 1:
                workspaces = _in_processes(ctx, jobs, "workspaces")
            else:
                workspaces = workspaces_resolve(ctx=ctx, selection=Selection())
            phases.lap("workspaces")
            counts["scope"] = "all users and workspaces"
        else:
            submit = (lambda fn: pool.submit(_own_connection(fn))) if pool is not None else None
            found = None
            if warming is not None:
                # the names the colleagues typed are decided (mostly rankings kept by earlier runs)
                # while the other workspaces of those colleagues are read
                def found(evidence_users: set[int], neighbourhood: Neighbourhood) -> None:
                    nonlocal warming
                    rows = neighbourhood.rows
                    texts = {rows[u][2] for u in evidence_users if u in rows} - {""}
                    first = warming
                    warming = pool.submit(lambda: (first.result(), ctx.decide_many(texts)))

            user_ids, workspace_ids, neighbourhood = incremental_scope(ctx=ctx, since=since, seeds=scope,
                                                                       submit=submit, found=found)
            phases.lap("scope")
            writing = []
            writer = None
            neighbourhood.prefetch_workspaces(workspace_ids, submit=submit)
            if pool is not None:
                # the users' outcomes are written in threads (the domain step's while the others
                # are resolved) while the workspaces, which read their members' outcomes from the
                # neighbourhood, are resolved here
                def writer(rows: list[tuple]) -> int:
                    writing.append(pool.submit(_own_connection(lambda: outcomes_write(ProductUser, rows))))
                    return 0

            if warming is not None:
                warming.result()
            users = users_resolve(ctx=ctx, selection=Selection(ids=tuple(user_ids)), progress=progress,
                                  neighbourhood=neighbourhood, writer=writer)
            phases.lap("users")
            workspaces = workspaces_resolve(ctx=ctx, selection=Selection(ids=tuple(workspace_ids)),
                                            neighbourhood=neighbourhood)
            for future in writing:
                users["changed"] += future.result()
            phases.lap("workspaces")
            counts["scope"] = f"{len(user_ids)} users and {len(workspace_ids)} workspaces changed or affected"
        counts.update(users=dict(users), workspaces=dict(workspaces), seconds=round(time.monotonic() - clock, 2),
                      phases=phases.seconds)
        ResolutionRun.objects.filter(pk=run_id, status=ResolutionRun.Status.RUNNING).update(
            mode=mode, counts=counts, status=ResolutionRun.Status.DONE, finished_at=timezone.now()
        )
    except Exception as exc:
        if _retryable(exc):
            resolution_run_release(run_id=run_id)
        else:
            resolution_run_fail(run_id=run_id, error=f"{type(exc).__name__}: {exc}")
        raise
    finally:
        if pool is not None:
            pool.shutdown(wait=True)
    return ResolutionRun.objects.get(pk=run_id)


def _context_warm() -> ResolutionContext:
    """The context, with the public-suffix list parsed (the first lookup of an unknown email domain
    builds its trie), while the other thread waits for the database."""
    ctx = context_load()
    registered_domain("example.com")
    return ctx


def _overlap_possible() -> bool:
    """Whether work may run on a second database connection at the same time: on PostgreSQL, and
    outside a transaction (another connection could not see the transaction's rows: tests)."""
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def _own_connection(fn: Callable):
    """``fn`` for a worker thread: it uses the thread's own connection and closes it afterwards."""

    def run():
        try:
            return fn()
        finally:
            connections.close_all()  # this thread's connections only

    return run


class _Phases:
    """Seconds per phase of a run, wall clock and this process's CPU (the difference is waiting:
    for the database, for forked workers, or for the cores when other processes compete)."""

    def __init__(self) -> None:
        self.seconds: dict[str, list[float]] = {}
        self._wall, self._cpu = time.monotonic(), time.process_time()

    def lap(self, phase: str) -> None:
        wall, cpu = time.monotonic(), time.process_time()
        self.seconds[phase] = [round(wall - self._wall, 2), round(cpu - self._cpu, 2)]
        self._wall, self._cpu = wall, cpu


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
    if seen.get("format") != ctx.state.get("format"):
        return "the last run recorded its state in an older format (an upgrade)"
    if seen.get("settings") != ctx.state["settings"]:
        return "the resolution thresholds changed"
    if seen.get("rules") != ctx.state["rules"]:
        return "the email-domain rules changed"
    if seen.get("names") != ctx.state["names"]:
        return "company names changed (new, renamed or deleted companies)"
    if seen.get("domains") == ctx.state["domains"]:
        return ""  # no domain added, removed or moved
    old = CompanyDomain.objects.filter(Q(created_at__lte=last.started_at) | Q(created_at__isnull=True))
    if _digest(old.order_by("id").values_list("domain", "company_id")) != seen.get("domains"):
        return "domains were removed or moved to another company"
    return ""


def _rows_of(qs, columns: tuple[str, ...]):
    return qs.order_by().values_list(*columns).iterator(chunk_size=50_000)


def _ids(qs) -> set[int]:
    return set(qs.order_by().values_list("id", flat=True).iterator(chunk_size=50_000))


def _workspaces_of(user_ids: set[int]) -> set[int]:
    found: set[int] = set()
    for batch in _batches(user_ids):
        memberships = WorkspaceMembership.objects.filter(id_filter("user_id", batch))
        found.update(memberships.values_list("workspace_id", flat=True))
    return found


def _batches(ids):
    ids = sorted(ids)
    size = batch_size()
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _closure(*, users: set[int], anchors_changed: set[int], workspaces: set[int], submit: Callable | None = None,
             found: Callable[[set[int], Neighbourhood], None] | None = None
             ) -> tuple[set[int], set[int], Neighbourhood]:
    """Add what depends on the seed records (see the module docstring). The members of every
    workspace involved are read once, into the neighbourhood the run then resolves from.
    ``found`` is told the users whose evidence changed as soon as they are known."""
    affected = workspaces | _workspaces_of(users | anchors_changed)
    neighbourhood = Neighbourhood()
    neighbourhood.load(affected, submit)
    people = neighbourhood.people
    evidence_users: set[int] = set()
    for workspace_id in affected:
        for user_id, _ in neighbourhood.members[workspace_id]:
            _, method, status, _ = people[user_id]
            if status in LOCKED or method == Method.MANUAL or (method == Method.DOMAIN and status == Status.AUTO):
                continue
            evidence_users.add(user_id)
    if found is not None:
        found(evidence_users, neighbourhood)
    users = users | evidence_users
    # the other workspaces of the evidence users are resolved again too; the neighbourhood then
    # holds every workspace of every user resolved (the seeds' are all in ``affected``)
    more = _workspaces_of(evidence_users) - affected
    neighbourhood.load(more, submit)
    return users, affected | more, neighbourhood


@dataclass
class _Seeds:
    users: set[int]  # changed since, never resolved, or whose company is gone
    decided: set[int]  # a person decided on them since: their colleagues' evidence changed
    workspaces: set[int]  # changed since or never resolved
    texts: set[str]  # the company names the users typed (decided while the scope is read)


def _seed_scope(*, since) -> _Seeds:
    """The records an incremental run starts from, without the context. Indexed lookups (migration
    0006), not a scan of the tables."""
    seeds = _Seeds(set(), set(), set(), set())
    users, decided, texts = seeds.users, seeds.decided, seeds.texts
    for user_id, method, status, typed in _rows_of(ProductUser.objects.filter(updated_at__gt=since),
                                                   ("id", "match_method", "match_status", "company_name")):
        if status in LOCKED or method == Method.MANUAL:
            decided.add(user_id)
        else:
            users.add(user_id)
            if typed:
                texts.add(typed)
    for user_id, typed in _rows_of(ProductUser.objects.filter(_STALE_Q).exclude(_LOCKED_Q), ("id", "company_name")):
        users.add(user_id)
        if typed:
            texts.add(typed)
    decided.update(_ids(ProductUser.objects.filter(_LOCKED_Q, matched_at__gt=since)))
    seeds.workspaces.update(_ids(Workspace.objects.filter(updated_at__gt=since)))
    seeds.workspaces.update(_ids(Workspace.objects.filter(_STALE_Q).exclude(_LOCKED_Q)))
    return seeds


def _new_domain_users(*, ctx: ResolutionContext, since) -> set[int]:
    """Users whose email domain was registered to a company since the last run."""
    new_domains = set(CompanyDomain.objects.filter(created_at__gt=since).values_list("domain", flat=True))
    found: set[int] = set()
    if new_domains:
        candidates = ProductUser.objects.exclude(_LOCKED_Q).exclude(match_method=Method.DOMAIN,
                                                                     match_status=Status.AUTO)
        for user_id, email in candidates.order_by().values_list("id", "email").iterator(chunk_size=50_000):
            host = email.rsplit("@", 1)[-1].strip().lower()
            if ctx.host_info(host)[0] in new_domains:
                found.add(user_id)
    return found


def incremental_scope(*, ctx: ResolutionContext, since, seeds: _Seeds | None = None,
                      submit: Callable | None = None, found: Callable | None = None
                      ) -> tuple[set[int], set[int], Neighbourhood]:
    """The users and workspaces an incremental run re-resolves (the rule in the module docstring),
    and the neighbourhood they are resolved from. ``seeds``: ``_seed_scope`` already read;
    ``submit``: run reads on other connections (see ``Neighbourhood.load``); ``found``: see
    ``_closure``."""
    seeds = seeds if seeds is not None else _seed_scope(since=since)
    return _closure(users=seeds.users | _new_domain_users(ctx=ctx, since=since), anchors_changed=seeds.decided,
                    workspaces=seeds.workspaces, submit=submit, found=found)


def product_users_resolve(*, user_ids: list[int]) -> dict[str, dict]:
    """Resolve these users now (e.g. after product events) and everything that depends on them:
    the workspaces they belong to and their colleagues' colleague evidence. No run is recorded;
    the next incremental run sees them as changed anyway."""
    with no_gc():
        return _product_users_resolve(user_ids)


def _product_users_resolve(user_ids: list[int]) -> dict[str, dict]:
    ctx = context_load()
    seeds = set(user_ids)
    users, workspaces, neighbourhood = _closure(users=seeds, anchors_changed=seeds, workspaces=set())
    return {
        "users": dict(users_resolve(ctx=ctx, selection=Selection(ids=tuple(users)), neighbourhood=neighbourhood)),
        "workspaces": dict(workspaces_resolve(ctx=ctx, selection=Selection(ids=tuple(workspaces)),
                                              neighbourhood=neighbourhood)),
    }


# --- chunks -----------------------------------------------------------------------------------------

_FORKED_CONTEXT: ResolutionContext | None = None  # what forked children resolve with (copy-on-write)


def _resolve_range(task: tuple[str, int, int]) -> Counter:
    step, lo, hi = task
    resolve = users_resolve if step == "users" else workspaces_resolve
    return resolve(ctx=_FORKED_CONTEXT, selection=Selection(lo=lo, hi=hi))


def _in_processes(ctx: ResolutionContext, jobs: int, step: str) -> Counter:
    """Resolve every user (``step`` "users") or every workspace ("workspaces") in ``jobs`` id-range
    chunks in forked processes, each with its own database connection; the name index is loaded
    once, before the fork, and shared."""
    global _FORKED_CONTEXT
    import multiprocessing

    from django.db import connections

    model = ProductUser if step == "users" else Workspace
    total = model.objects.count()
    ranges = _id_ranges(model, max(1, -(-total // jobs)))
    if len(ranges) < 2:
        resolve = users_resolve if step == "users" else workspaces_resolve
        return resolve(ctx=ctx, selection=Selection())
    if ctx.company_names:
        ctx.index  # noqa: B018 - loaded here, shared by the children
    _FORKED_CONTEXT = ctx
    connections.close_all()  # a child must never use (or close) the parent's connection
    try:
        with multiprocessing.get_context("fork").Pool(len(ranges)) as pool:
            results = pool.map(_resolve_range, [(step, lo, hi) for lo, hi in ranges])
    finally:
        _FORKED_CONTEXT = None
    return sum(results, Counter())


# --- chunks over Celery ---------------------------------------------------------------------------------------


def _user_ranges(chunk_size: int) -> list[tuple[int, int]]:
    """Id ranges of about ``chunk_size`` users each, covering every user id."""
    return _id_ranges(ProductUser, chunk_size)


def _id_ranges(model, chunk_size: int) -> list[tuple[int, int]]:
    """Id ranges of about ``chunk_size`` rows of ``model`` each, covering every id."""
    ids = model.objects.order_by("id").values_list("id", flat=True)
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
        with no_gc():
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
        with no_gc():
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
