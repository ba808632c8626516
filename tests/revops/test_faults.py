"""Faults on PostgreSQL and Redis: a worker killed mid-task, a database connection dropped mid-import,
and the same file imported twice at once. Each ends in the state an undisturbed run gives.

The worker tests start real Celery workers (separate processes) whose Redis transport returns an
unacknowledged message to its queue after two seconds (a production broker waits an hour), pause
the first worker at a chosen point of the task, SIGKILL it there, and let a second worker take
the redelivered message.
"""

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from django.core.files.base import ContentFile
from django.db import OperationalError, connection
from kombu import Exchange, Queue

from accounts.models import Company, CompanyDomain, ImportJob, ProductUser, ResolutionRun, Workspace
from accounts.services.imports import runner
from accounts.services.resolution import Selection, context_load, resolution_run_create, users_resolve, \
    workspaces_resolve
from accounts.tasks import import_job_run_task, resolution_run_task
from playbooks.models import Play, PlaybookRun, PlayStep
from playbooks.services import playbook_run_create, playbook_run_execute
from playbooks.tasks import playbook_run_task
from revops.celery import app as celery_app
from tests.accounts.scenario_resolution import build, snapshot
from tests.accounts.test_celery_worker import database_url
from tests.accounts.test_resolution_worker import RESET
from tests.concurrency import run_at_once
from tests.factories import CompanyFactory, UserFactory, WorkspaceFactory
from tests.playbooks.factories import PlaybookFactory, PlaybookStepFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 45
VISIBILITY_SECONDS = 2

# The worker process: the project's Celery app with a short visibility timeout, and optionally one
# function replaced by a version that writes a marker file and then waits to be killed — before the
# original runs ("before") or after it returned ("after").
WORKER = """
import importlib, os, time
from pathlib import Path
from revops.celery import app
app.conf.broker_transport_options = {
    "visibility_timeout": float(os.environ["FAULT_VISIBILITY"]),
    "unacked_restore_interval": 1, "unacked_restore_throttle": 1,
}
pause = os.environ.get("FAULT_PAUSE")
if pause:
    import django
    django.setup()
    module_name, name, when = pause.split(":")
    module = importlib.import_module(module_name)
    original = getattr(module, name)
    def paused(*args, **kwargs):
        result = original(*args, **kwargs) if when == "after" else None
        Path(os.environ["FAULT_MARKER"]).write_text(str(os.getpid()))
        time.sleep(600)
        return result
    setattr(module, name, paused)
app.worker_main(["worker", "--pool=solo", "--concurrency=1", "-Q", os.environ["FAULT_QUEUE"], "--loglevel=INFO",
                 "--without-gossip", "--without-mingle", "--without-heartbeat",
                 "--hostname", os.environ["FAULT_QUEUE"] + "-" + os.environ["FAULT_NAME"] + "@%h"])
"""


class Workers:
    """Real Celery workers on one fresh queue; every one still alive is stopped at the end."""

    def __init__(self, broker: str, media_root: Path, tmp_path: Path):
        self.broker, self.media_root, self.tmp_path = broker, media_root, tmp_path
        self.queue = f"revops-test-faults-{uuid.uuid4().hex[:10]}"
        self.marker = tmp_path / "paused"
        self.started: list[tuple[subprocess.Popen, Path]] = []

    def start(self, name: str, pause: str = "") -> subprocess.Popen:
        env = {k: v for k, v in os.environ.items() if k not in {"CELERY_TASK_ALWAYS_EAGER", "SECRET_KEY"}}
        env.update(DATABASE_URL=database_url(), CELERY_BROKER_URL=self.broker, DEBUG="1",
                   DJANGO_SETTINGS_MODULE="revops.settings.base", MEDIA_ROOT=str(self.media_root),
                   FAULT_VISIBILITY=str(VISIBILITY_SECONDS), FAULT_QUEUE=self.queue, FAULT_NAME=name,
                   FAULT_PAUSE=pause, FAULT_MARKER=str(self.marker))
        log = self.tmp_path / f"{name}.log"
        process = subprocess.Popen([sys.executable, "-c", WORKER], cwd=ROOT, env=env, stdout=log.open("w"),
                                   stderr=subprocess.STDOUT)
        self.started.append((process, log))
        return process

    def logs(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text()}" for _, log in self.started)

    def send(self, task, *args) -> None:
        with celery_app.connection_for_write(self.broker) as conn:
            Queue(self.queue, Exchange(self.queue, type="direct"), routing_key=self.queue)(conn).declare()
            task.apply_async(args=list(args), queue=self.queue, connection=conn)

    def wait_paused(self, process: subprocess.Popen) -> None:
        deadline = time.monotonic() + TIMEOUT
        while not self.marker.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the first worker never reached the pause:\n{self.logs()}")
            time.sleep(0.2)

    def wait_for(self, done) -> None:
        deadline = time.monotonic() + TIMEOUT
        while not done():
            if time.monotonic() > deadline:
                pytest.fail(f"the task did not finish after the redelivery:\n{self.logs()}")
            time.sleep(0.3)

    def stop(self) -> None:
        for process, _ in self.started:
            if process.poll() is None:
                process.terminate()
        for process, _ in self.started:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def workers(require_postgres, require_redis, settings, tmp_path):
    pool = Workers(require_redis, Path(settings.MEDIA_ROOT), tmp_path)
    eager, broker_url = celery_app.conf.task_always_eager, celery_app.conf.broker_url
    celery_app.conf.task_always_eager, celery_app.conf.broker_url = False, require_redis
    try:
        yield pool
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.broker_url = eager, broker_url
        pool.stop()


# --- (a) a worker killed mid-task ---------------------------------------------------------------------


@pytest.mark.redis
def test_a_resolution_run_whose_worker_is_killed_is_redelivered_and_ends_as_an_undisturbed_run(workers):
    build(workspaces=24, people=6)
    users, spaces = ProductUser.objects.count(), Workspace.objects.count()
    ctx = context_load()  # the reference: an undisturbed run in this process
    users_resolve(ctx=ctx, selection=Selection())
    workspaces_resolve(ctx=ctx, selection=Selection())
    reference = snapshot()
    ProductUser.objects.update(**RESET)
    Workspace.objects.update(**RESET)

    # the first worker stops after the users' outcomes are committed, before the workspaces
    first = workers.start("first", pause="accounts.services.resolution.runs:workspaces_resolve:before")
    run = resolution_run_create(mode=ResolutionRun.Mode.FULL, trigger=ResolutionRun.Trigger.MANUAL)
    workers.send(resolution_run_task, run.pk)
    workers.wait_paused(first)
    run.refresh_from_db()
    assert run.status == ResolutionRun.Status.RUNNING
    assert ProductUser.objects.exclude(match_status="").exists()  # half done: users written …
    assert not Workspace.objects.exclude(match_status="").exists()  # … workspaces not yet
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)

    workers.start("second")
    workers.wait_for(lambda: ResolutionRun.objects.get(pk=run.pk).status != ResolutionRun.Status.RUNNING)
    run.refresh_from_db()
    assert run.status == ResolutionRun.Status.DONE, (run.error, workers.logs())
    assert snapshot() == reference
    assert (ProductUser.objects.count(), Workspace.objects.count(), ResolutionRun.objects.count()) == (
        users, spaces, 1)
    assert run.counts["users"]["auto"] == sum(1 for row in reference["users"].values() if row[4] == "auto")
    assert "resolution_run_task" in workers.logs().split("--- second.log", 1)[1]


def playbook_with_matches(companies: int = 30):
    playbook = PlaybookFactory(context_metrics=["mrr"])
    PlaybookStepFactory(playbook=playbook, position=1, title="Research", due_after_days=3)
    PlaybookStepFactory(playbook=playbook, position=2, title="Pitch", due_after_days=10)
    return playbook


def plays_of(playbook) -> dict:
    """Each play of the playbook as what it says (company, assignee, status, value, why, checklist)."""
    steps: dict[int, list] = {}
    for play_id, position, title in PlayStep.objects.filter(play__playbook=playbook).order_by(
            "play_id", "position").values_list("play_id", "position", "title"):
        steps.setdefault(play_id, []).append((position, title))
    return {
        play.company_id: (play.assignee_id, play.status, play.value, play.why, steps.get(play.pk, []))
        for play in Play.objects.filter(playbook=playbook).order_by("id")
    }


@pytest.mark.redis
def test_a_playbook_run_whose_worker_is_killed_is_redelivered_and_ends_as_an_undisturbed_run(workers):
    owner = UserFactory(username="fault.owner")
    for n in range(30):
        company = CompanyFactory(owner=owner, potential_arr=Decimal("100000"))
        for _ in range(2 if n % 3 else 1):  # two thirds match (two workspaces or more)
            WorkspaceFactory(company=company, mrr=Decimal("100"))
    reference_playbook, playbook = playbook_with_matches(), playbook_with_matches()
    reference_run = playbook_run_execute(
        run_id=playbook_run_create(playbook=reference_playbook, trigger=PlaybookRun.Trigger.MANUAL).pk)
    reference = plays_of(reference_playbook)
    assert len(reference) == 20 and all(len(row[4]) == 2 for row in reference.values())

    # the first worker stops after the plays and their checklists are committed, before the run is
    # marked succeeded: the redelivered task must neither stop at the claim nor copy steps twice
    first = workers.start("first", pause="playbooks.services.runs:_execute:after")
    run = playbook_run_create(playbook=playbook, trigger=PlaybookRun.Trigger.MANUAL)
    workers.send(playbook_run_task, run.pk)
    workers.wait_paused(first)
    run.refresh_from_db()
    assert run.status == PlaybookRun.Status.RUNNING
    assert Play.objects.filter(run=run).count() == 20
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)

    workers.start("second")
    workers.wait_for(lambda: PlaybookRun.objects.get(pk=run.pk).status != PlaybookRun.Status.RUNNING)
    run.refresh_from_db()
    assert run.status == PlaybookRun.Status.SUCCEEDED, (run.error, workers.logs())
    assert plays_of(playbook) == reference
    assert Play.objects.filter(playbook=playbook, status__in=Play.OPEN_STATES).count() == 20
    assert PlayStep.objects.filter(play__playbook=playbook).count() == 40
    assert (run.matched, run.new_plays, run.skipped_open, run.skipped_cooldown) == (
        reference_run.matched, reference_run.new_plays, reference_run.skipped_open, reference_run.skipped_cooldown)


# --- (b) a dropped database connection during an import ----------------------------------------------

ROWS = 3000


def companies_csv() -> bytes:
    """Companies with domains and parents (each tenth row the parent of the next nine)."""
    lines = ["external_id,name,domains,parent_external_id,industry,employee_count"]
    for n in range(ROWS):
        parent = f"F-{n - n % 10:05d}" if n % 10 else ""
        lines.append(f"F-{n:05d},Fault Company {n},fault{n}.com;www.fault{n}.org,{parent},Software,{n + 1}")
    return ("\n".join(lines) + "\n").encode()


def import_job(name: str = "companies.csv") -> ImportJob:
    job = ImportJob(kind="companies", original_name=name)
    job.file.save(name, ContentFile(companies_csv()), save=True)
    return job


def tables() -> dict:
    """What the companies import wrote, without ids and timestamps."""
    parents = dict(Company.objects.values_list("id", "external_id"))
    return {
        "companies": sorted(
            (external_id, name, parents.get(parent_id), industry, employees)
            for external_id, name, parent_id, industry, employees in Company.objects.values_list(
                "external_id", "name", "parent_id", "industry", "employee_count")
        ),
        "domains": sorted(CompanyDomain.objects.values_list("company__external_id", "domain")),
    }


def other_connection() -> psycopg.Connection:
    db = connection.settings_dict
    return psycopg.connect(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, dbname=db["NAME"],
                           user=db["USER"], password=db["PASSWORD"] or None, autocommit=True)


def terminate_when_writing(pid: int, armed: threading.Event, done: list) -> None:
    """From another connection: block the import's first domain INSERT with a table lock, wait until
    the import's transaction has written companies and waits for that lock, then kill its backend."""
    with other_connection() as killer:
        killer.autocommit = False
        with killer.cursor() as cursor:
            cursor.execute("LOCK TABLE accounts_companydomain IN SHARE ROW EXCLUSIVE MODE")
            armed.set()
            deadline = time.monotonic() + TIMEOUT
            while time.monotonic() < deadline:
                cursor.execute(
                    "SELECT a.wait_event_type = 'Lock' AND EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid "
                    "AND l.relation = 'accounts_company'::regclass AND l.mode = 'RowExclusiveLock' AND l.granted) "
                    "FROM pg_stat_activity a WHERE a.pid = %s", [pid])
                row = cursor.fetchone()
                if row and row[0]:
                    cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
                    done.append("terminated while writing")
                    break
                time.sleep(0.05)
        killer.rollback()


@pytest.mark.parametrize("phase", ["reading", "writing"])
def test_a_connection_dropped_during_an_import_loads_nothing_and_the_retry_loads_everything(
    require_postgres, monkeypatch, phase
):
    job = import_job()
    original = runner.import_csv
    events: list[str] = []
    threads: list[threading.Thread] = []

    def import_csv(**kwargs):
        progress = kwargs.pop("progress")

        def on_progress(step):
            progress(step)
            if events or step.phase != phase:
                return
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pid = cursor.fetchone()[0]
            if phase == "reading":  # mid-file: half the rows are in the staging tables
                assert 0 < step.rows < ROWS
                with other_connection() as killer:
                    killer.execute("SELECT pg_terminate_backend(%s)", [pid])
                events.append("terminated while reading")
            else:  # the write transaction starts right after this: kill it once it wrote companies
                armed = threading.Event()
                thread = threading.Thread(target=terminate_when_writing, args=(pid, armed, events))
                thread.start()
                threads.append(thread)
                assert armed.wait(TIMEOUT)

        return original(progress=on_progress, **kwargs)

    monkeypatch.setattr(runner, "import_csv", import_csv)
    with pytest.raises(OperationalError):
        import_job_run_task(job.pk)  # called directly, the automatic retry re-raises instead
    for thread in threads:
        thread.join(TIMEOUT)
    assert events == [f"terminated while {phase}"]

    connection.close()  # this connection was the one killed
    assert tables() == {"companies": [], "domains": []}  # not one row of the batch
    job.refresh_from_db()
    assert (job.status, job.processed_rows, job.created_count) == (ImportJob.Status.QUEUED, 0, 0)

    monkeypatch.setattr(runner, "import_csv", original)
    import_job_run_task(job.pk)  # the retry
    job.refresh_from_db()
    assert (job.status, job.created_count, job.error_count) == (ImportJob.Status.DONE, ROWS, 0), job.message
    assert len(tables()["companies"]) == ROWS and len(tables()["domains"]) == 2 * ROWS


@pytest.mark.redis
def test_an_import_job_whose_worker_is_killed_is_redelivered_and_loads_the_file_once(workers):
    job = import_job()
    # the first worker stops after the import's transaction committed, before the job records it
    first = workers.start("first", pause="accounts.services.imports.runner:import_csv:after")
    workers.send(import_job_run_task, job.pk)
    workers.wait_paused(first)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.RUNNING and len(tables()["companies"]) == ROWS
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)

    workers.start("second")
    workers.wait_for(lambda: ImportJob.objects.get(pk=job.pk).is_finished)
    job.refresh_from_db()
    assert (job.status, job.error_count) == (ImportJob.Status.DONE, 0), (job.message, workers.logs())
    assert job.unchanged_count == ROWS  # the redone import found every row already there
    loaded = tables()
    assert len(loaded["companies"]) == ROWS and len(loaded["domains"]) == 2 * ROWS
    assert loaded["companies"][1] == ("F-00001", "Fault Company 1", "F-00000", "Software", 2)


# --- (c) the same file imported twice at once ------------------------------------------------------------


def test_two_imports_of_the_same_file_at_once_end_as_one(require_postgres, monkeypatch):
    once = import_job("once.csv")
    import_job_run_task(once.pk)
    once.refresh_from_db()
    assert once.status == ImportJob.Status.DONE, once.message
    reference = tables()
    assert len(reference["companies"]) == ROWS
    CompanyDomain.objects.all().delete()
    Company.objects.update(parent=None)
    Company.objects.all().delete()

    jobs = [import_job(f"twice-{n}.csv") for n in range(2)]
    original, spans = runner.import_csv, []

    def import_csv(**kwargs):  # records when each import ran, to show they overlapped
        started = time.monotonic()
        try:
            return original(**kwargs)
        finally:
            spans.append((started, time.monotonic()))

    monkeypatch.setattr(runner, "import_csv", import_csv)
    run_at_once(*(lambda job_id=job.pk: import_job_run_task(job_id) for job in jobs), timeout=TIMEOUT)
    assert max(start for start, _ in spans) < min(end for _, end in spans)  # both at once
    for job in jobs:
        job.refresh_from_db()
        assert job.status == ImportJob.Status.DONE, job.message
    assert tables() == reference
    assert sorted(job.created_count + job.updated_count + job.unchanged_count for job in jobs) == [ROWS, ROWS]


# --- a dropped connection during a resolution or playbook run: released for the retry ---------------------


def terminate_own_connection() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    with other_connection() as killer:
        killer.execute("SELECT pg_terminate_backend(%s)", [pid])


def dropping_once(original):
    """``original``, after the connection it is about to use was ended by the server — the first time only."""
    calls = []

    def wrapped(*args, **kwargs):
        if not calls:
            calls.append(1)
            terminate_own_connection()
        return original(*args, **kwargs)

    return wrapped


def test_a_connection_dropped_during_a_resolution_run_releases_it_for_the_retry(require_postgres, monkeypatch):
    from accounts.services.resolution import runs

    build(workspaces=8, people=4)
    ctx = context_load()
    users_resolve(ctx=ctx, selection=Selection())
    workspaces_resolve(ctx=ctx, selection=Selection())
    reference = snapshot()
    ProductUser.objects.update(**RESET)
    Workspace.objects.update(**RESET)
    run = resolution_run_create(mode=ResolutionRun.Mode.FULL, trigger=ResolutionRun.Trigger.MANUAL)
    monkeypatch.setattr(runs, "workspaces_resolve", dropping_once(runs.workspaces_resolve))
    with pytest.raises(OperationalError):
        resolution_run_task(run.pk)  # called directly, the automatic retry re-raises instead
    connection.close()  # as the worker does after a task that broke its connection
    run.refresh_from_db()
    assert run.status == ResolutionRun.Status.QUEUED  # released: the retry can claim it
    resolution_run_task(run.pk)  # the retry
    run.refresh_from_db()
    assert run.status == ResolutionRun.Status.DONE, run.error
    assert snapshot() == reference


def test_a_connection_dropped_during_a_playbook_run_releases_it_for_the_retry(require_postgres, monkeypatch):
    from playbooks.services import runs

    for n in range(6):
        company = CompanyFactory(potential_arr=Decimal("100000"))
        for _ in range(2 if n % 2 else 1):
            WorkspaceFactory(company=company, mrr=Decimal("100"))
    playbook = playbook_with_matches()
    run = playbook_run_create(playbook=playbook, trigger=PlaybookRun.Trigger.MANUAL)
    monkeypatch.setattr(runs, "signal_evaluate", dropping_once(runs.signal_evaluate))
    with pytest.raises(OperationalError):
        playbook_run_task(run.pk)
    connection.close()
    run.refresh_from_db()
    assert run.status == PlaybookRun.Status.FAILED and run.error.startswith(runs.TRANSIENT_PREFIX)
    playbook_run_task(run.pk)  # the retry
    run.refresh_from_db()
    assert (run.status, run.new_plays) == (PlaybookRun.Status.SUCCEEDED, 3), run.error
    assert PlayStep.objects.filter(play__playbook=playbook).count() == 6
