"""A real Celery worker (separate process, Redis broker, PostgreSQL) runs an import job end to end."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from kombu import Exchange, Queue

from accounts.models import ImportJob, ProductUser, Workspace, WorkspaceMembership
from accounts.tasks import import_job_run_task
from revops.celery import app as celery_app
from tests.accounts.test_import_helpers import FIXTURES
from tests.factories import UserFactory, WorkspaceFactory

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60


def database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker(queue: str, broker: str, media_root: Path, log_path: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in {"CELERY_TASK_ALWAYS_EAGER", "SECRET_KEY"}}
    env.update(
        DATABASE_URL=database_url(),  # the test database, which this test commits to
        CELERY_BROKER_URL=broker,
        DEBUG="1",
        DJANGO_SETTINGS_MODULE="revops.settings.base",
        MEDIA_ROOT=str(media_root),
    )
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "revops",
        "worker",
        "--pool=solo",
        "--concurrency=1",
        "-Q",
        queue,
        "--loglevel=INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--hostname",
        f"{queue}@%h",
    ]
    log = log_path.open("w")
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


@pytest.mark.redis
def test_a_real_worker_runs_an_import_job(require_postgres, require_redis, transactional_db, settings, tmp_path):
    broker = require_redis
    queue = f"revops-test-imports-{uuid.uuid4().hex[:10]}"
    # No role groups here: a transactional test may run after another one flushed the
    # groups the data migration created.
    uploader = UserFactory(username="worker.test.uploader")
    for key in ("W-1", "W-2", "W-3"):
        WorkspaceFactory(external_id=key)
    job = ImportJob(kind="users", original_name="users.csv", created_by=uploader)
    job.file.save("users.csv", ContentFile((FIXTURES / "users.csv").read_bytes()), save=True)
    log_path = tmp_path / "worker.log"
    worker = start_worker(queue, broker, Path(settings.MEDIA_ROOT), log_path)
    eager, broker_url = celery_app.conf.task_always_eager, celery_app.conf.broker_url
    try:
        celery_app.conf.task_always_eager = False
        celery_app.conf.broker_url = broker
        with celery_app.connection_for_write(broker) as conn:
            # Declared here too, so the message waits in Redis even if the worker is still starting.
            Queue(queue, Exchange(queue, type="direct"), routing_key=queue)(conn).declare()
            import_job_run_task.apply_async(args=[job.pk], queue=queue, connection=conn)

        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.is_finished:
                break
            if worker.poll() is not None:
                pytest.fail(f"the worker exited early:\n{log_path.read_text()}")
            time.sleep(0.5)
        else:
            pytest.fail(f"the job did not finish within {TIMEOUT} s:\n{log_path.read_text()}")
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.broker_url = eager, broker_url
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()

    assert job.status == ImportJob.Status.DONE, (job.message, log_path.read_text())
    assert (job.created_count, job.total_rows, job.processed_rows, job.error_count) == (4, 4, 4, 0)
    assert job.started_at and job.finished_at
    assert set(ProductUser.objects.values_list("external_id", flat=True)) == {"U-1", "U-2", "U-3", "U-4"}
    assert WorkspaceMembership.objects.count() == 5
    assert Workspace.objects.count() == 3
    assert "import_job_run_task" in log_path.read_text()
