"""A chunked full resolution run on two real Celery workers (separate processes, Redis broker,
PostgreSQL) gives the same result as one process."""

import time
import uuid
from pathlib import Path

import pytest
from kombu import Exchange, Queue

from accounts.models import ProductUser, ResolutionRun, Workspace
from accounts.services.resolution import (
    Selection,
    context_load,
    resolution_run_create,
    users_resolve,
    workspaces_resolve,
)
from accounts.tasks import resolution_run_task
from revops.celery import app as celery_app
from tests.accounts.scenario_resolution import build, snapshot
from tests.accounts.test_celery_worker import start_worker

TIMEOUT = 120
RESET = dict(company=None, suggested_company=None, match_method="", match_status="", match_confidence=None,
             match_reason="", matched_at=None)


def wait_ready(workers, logs, deadline):
    while time.monotonic() < deadline:
        if all("ready." in log.read_text() for log in logs):
            return
        for worker, log in zip(workers, logs):
            if worker.poll() is not None:
                pytest.fail(f"a worker exited early:\n{log.read_text()}")
        time.sleep(0.3)
    pytest.fail("the workers did not start:\n" + "\n".join(log.read_text() for log in logs))


@pytest.mark.redis
def test_a_chunked_run_on_two_workers_gives_the_result_of_one_process(
    require_postgres, require_redis, transactional_db, settings, tmp_path
):
    broker = require_redis
    queue = f"revops-test-resolution-{uuid.uuid4().hex[:10]}"
    build(workspaces=24, people=6)

    # the reference: one process, everything at once
    ctx = context_load()
    users_resolve(ctx=ctx, selection=Selection())
    workspaces_resolve(ctx=ctx, selection=Selection())
    reference = snapshot()
    assert {status for _, _, _, _, status, _, _ in reference["users"].values()} >= {"auto", "review", "unmatched"}
    ProductUser.objects.update(**RESET)
    Workspace.objects.update(**RESET)

    logs = [tmp_path / f"worker{n}.log" for n in range(2)]
    workers = [start_worker(queue, broker, Path(settings.MEDIA_ROOT), log) for log in logs]
    eager, broker_url = celery_app.conf.task_always_eager, celery_app.conf.broker_url
    try:
        deadline = time.monotonic() + TIMEOUT
        wait_ready(workers, logs, deadline)
        celery_app.conf.task_always_eager = False
        celery_app.conf.broker_url = broker
        run = resolution_run_create(mode=ResolutionRun.Mode.FULL, trigger=ResolutionRun.Trigger.MANUAL,
                                    chunk_size=25)
        with celery_app.connection_for_write(broker) as conn:
            Queue(queue, Exchange(queue, type="direct"), routing_key=queue)(conn).declare()
            # an explicit connection: the app's producer pool may still point at the in-memory broker
            resolution_run_task.apply_async(args=[run.pk], queue=queue, connection=conn)
        while time.monotonic() < deadline:
            run.refresh_from_db()
            if run.status in (ResolutionRun.Status.DONE, ResolutionRun.Status.FAILED):
                break
            time.sleep(0.5)
        else:
            pytest.fail("the run did not finish:\n" + "\n".join(log.read_text() for log in logs))
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.broker_url = eager, broker_url
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=15)
            except Exception:
                worker.kill()
                worker.wait()

    texts = [log.read_text() for log in logs]
    assert run.status == ResolutionRun.Status.DONE, (run.error, texts)
    assert run.total_chunks == run.done_chunks >= 4
    assert sorted(run.counts["done"]) == list(range(run.total_chunks))
    chunk_tasks = [text.count("resolution_chunk_task[") // 2 for text in texts]  # "received" + "succeeded"
    assert sum(chunk_tasks) >= run.total_chunks
    assert all(n > 0 for n in chunk_tasks), "both workers should have resolved chunks"
    assert snapshot() == reference
    assert run.counts["users"]["auto"] == sum(1 for row in reference["users"].values() if row[4] == "auto")


def test_the_command_resolves_in_several_processes_as_in_one(require_postgres, transactional_db):
    from io import StringIO

    from django.core.management import call_command

    build(workspaces=12, people=5)
    call_command("resolve_accounts", "--full", stdout=StringIO())
    reference = snapshot()
    ProductUser.objects.update(**RESET)
    Workspace.objects.update(**RESET)
    out = StringIO()
    call_command("resolve_accounts", "--full", "--jobs", "3", stdout=out)
    run = ResolutionRun.objects.order_by("-id").first()
    assert (run.status, run.counts["jobs"]) == ("done", 3), run.error
    assert snapshot() == reference
    assert "Users: auto" in out.getvalue()


def test_several_processes_keep_decisions_and_give_what_one_gives(require_postgres, transactional_db):
    """In forked processes, people's decisions stay as they are and anchor their colleagues in the
    other processes' id ranges too, and every other record ends as one process leaves it."""
    from io import StringIO

    from django.core.management import call_command

    from accounts.models import MatchFields
    from tests.accounts.scenario_resolution import decide_manually

    data = build(workspaces=12, people=5)
    acme, globex = data["companies"][:2]
    free = ProductUser.objects.filter(email__contains="mail.com").order_by("id")
    decide_manually(free[0], company=globex, status=MatchFields.Status.CONFIRMED)
    decide_manually(free[1], company=None, status=MatchFields.Status.REJECTED)
    decide_manually(ProductUser.objects.filter(email__endswith="@acme.com").order_by("id")[0], company=globex,
                    status=MatchFields.Status.CONFIRMED)
    decide_manually(data["workspaces"][3], company=acme, status=MatchFields.Status.CONFIRMED)
    call_command("resolve_accounts", "--full", stdout=StringIO())
    reference = snapshot()
    unlocked = dict(match_method__in=["", "domain", "name", "workspace", "colleagues", "members"],
                    match_status__in=["", "auto", "review", "unmatched"])
    ProductUser.objects.filter(**unlocked).update(**RESET)
    Workspace.objects.filter(**unlocked).update(**RESET)
    call_command("resolve_accounts", "--full", "--jobs", "2", stdout=StringIO())
    run = ResolutionRun.objects.order_by("-id").first()
    assert (run.status, run.counts["jobs"], run.counts["users"]["locked"]) == ("done", 2, 3), run.error
    assert run.counts["workspaces"]["locked"] == 1
    assert snapshot() == reference
