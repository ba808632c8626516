"""The import pages through real URLs: upload (RevOps admins only), the job running eagerly, progress and report."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Company, ImportJob, ResolutionRun, Workspace
from accounts.services.imports import import_job_execute
from tests.accounts.test_import_helpers import FIXTURES

pytestmark = pytest.mark.django_db
LIST = "/imports/"


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def post(client, kind: str, content: bytes, preset: str = "native", name: str = "data.csv"):
    return client.post(LIST, {"kind": kind, "preset": preset, "file": upload(name, content)})


@pytest.mark.parametrize("url", ["/imports/", "/imports/1/", "/imports/1/progress/"])
def test_reps_and_managers_get_403(rep_client, manager_client, url):
    ImportJob.objects.create(kind="companies", file="imports/x.csv", original_name="x.csv")
    assert rep_client.get(url).status_code == 403
    assert manager_client.get(url).status_code == 403


def test_a_rep_cannot_upload(rep_client):
    response = post(rep_client, "companies", (FIXTURES / "companies.csv").read_bytes())

    assert response.status_code == 403
    assert not ImportJob.objects.exists()
    assert not Company.objects.exists()


def test_upload_form_lists_kinds_presets_and_recent_jobs(admin_client, admin_user):
    ImportJob.objects.create(
        kind="workspaces",
        file="imports/w.csv",
        original_name="workspaces-march.csv",
        created_by=admin_user,
        status=ImportJob.Status.DONE_WITH_ERRORS,
        created_count=12,
        error_count=2,
    )

    response = admin_client.get(LIST)

    html = response.content.decode()
    assert response.status_code == 200
    assert '<select name="kind"' in html and '<select name="preset"' in html and 'type="file"' in html
    assert "Salesforce Account export" in html and "HubSpot companies export" in html
    assert "workspaces-march.csv" in html
    assert "Done with row errors" in html and "badge-warn" in html


def test_admin_upload_runs_the_import_and_shows_the_report(
    admin_client, admin_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post(admin_client, "workspaces", (FIXTURES / "workspaces.csv").read_bytes(), name="workspaces.csv")

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/imports/{job.pk}/"
    # The import is queued after commit; when it finishes it queues an incremental resolution run.
    assert len(callbacks) == 2
    assert ResolutionRun.objects.get().trigger == ResolutionRun.Trigger.IMPORT
    assert (job.status, job.kind, job.created_by, job.original_name) == (
        ImportJob.Status.DONE,
        "workspaces",
        admin_user,
        "workspaces.csv",
    )
    assert (job.created_count, job.updated_count, job.unchanged_count, job.error_count) == (4, 0, 0, 0)
    assert (job.total_rows, job.processed_rows, job.progress_percent) == (4, 4, 100)
    assert job.started_at and job.finished_at
    assert Workspace.objects.count() == 4
    page = admin_client.get(response["Location"]).content.decode()
    assert "Done" in page and "badge-ok" in page
    assert 'hx-trigger="every 1s"' not in page  # finished: no more polling


def test_row_errors_show_a_line_numbered_report_and_a_csv_download(admin_client, django_capture_on_commit_callbacks):
    content = b"external_id,name,seats\nW1,One,3\nW2,,4\nW3,Three,many\n"
    with django_capture_on_commit_callbacks(execute=True):
        post(admin_client, "workspaces", content)
    job = ImportJob.objects.get()

    page = admin_client.get(f"/imports/{job.pk}/").content.decode()
    report = admin_client.get(f"/imports/{job.pk}/?format=csv")

    assert job.status == ImportJob.Status.DONE_WITH_ERRORS
    assert (job.created_count, job.error_count) == (1, 2)
    assert job.errors == [
        {"level": "error", "line": 3, "message": "name is required"},
        {"level": "error", "line": 4, "message": "seats 'many' is not a whole number"},
    ]
    assert '<td class="num">3</td>' in page and "name is required" in page
    assert '<td class="num">4</td>' in page and "seats &#x27;many&#x27; is not a whole number" in page
    assert report["Content-Type"].startswith("text/csv")
    assert report.content.decode().splitlines() == [
        "line,level,message",
        "3,error,name is required",
        "4,error,seats 'many' is not a whole number",
    ]
    assert list(Workspace.objects.values_list("external_id", flat=True)) == ["W1"]


def test_a_file_level_error_fails_the_job_with_its_reason(admin_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post(admin_client, "companies", b"\x89PNG\r\n\x1a\n\x00\x00binary", name="logo.csv")
    job = ImportJob.objects.get()

    page = admin_client.get(f"/imports/{job.pk}/progress/").content.decode()

    assert (job.status, job.message) == (ImportJob.Status.FAILED, "This is a binary file, not CSV text.")
    assert "This is a binary file, not CSV text." in page and "Nothing was loaded." in page


def test_preset_that_does_not_fit_the_kind_is_refused_by_the_form(admin_client):
    response = post(admin_client, "users", b"external_id,email\n", preset="hubspot")

    assert response.status_code == 400
    assert "The hubspot preset does not apply to users imports" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_missing_file_is_a_form_error(admin_client):
    response = admin_client.post(LIST, {"kind": "companies", "preset": "native"})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_salesforce_upload_through_the_web(admin_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post(admin_client, "companies", (FIXTURES / "salesforce_accounts.csv").read_bytes(), preset="salesforce")

    job = ImportJob.objects.get()
    page = admin_client.get(f"/imports/{job.pk}/").content.decode()
    assert (job.status, job.created_count) == (ImportJob.Status.DONE, 3)
    assert "Warning" in page and "matches no revops user" in page
    assert Company.objects.get(external_id="0015g00000AbCdFAAV").parent.name == "Initech Holdings"


def test_a_running_job_polls_every_second(admin_client, admin_user):
    job = ImportJob.objects.create(
        kind="users",
        file="imports/u.csv",
        original_name="u.csv",
        created_by=admin_user,
        status=ImportJob.Status.RUNNING,
        total_rows=1000,
        processed_rows=250,
    )

    detail = admin_client.get(f"/imports/{job.pk}/").content.decode()
    partial = admin_client.get(f"/imports/{job.pk}/progress/", HTTP_HX_REQUEST="true").content.decode()

    for html in (detail, partial):
        assert f'hx-get="/imports/{job.pk}/progress/"' in html
        assert 'hx-trigger="every 1s"' in html
        assert 'style="width: 25%"' in html
        assert "Checked 250 of 1,000 rows" in html
    assert "<html" not in partial  # a fragment, not a page


@pytest.mark.django_db(transaction=True)
def test_progress_is_committed_while_the_file_is_read(monkeypatch):
    """Progress goes out in short autocommitted writes while the file is read — not inside the
    import's transaction, where the progress page (another connection) could not see it."""
    from django.core.files.base import ContentFile
    from django.db import connection

    from accounts.services.imports import runner

    monkeypatch.setattr(runner, "PROGRESS_EVERY_ROWS", 100)
    monkeypatch.setattr(runner, "PROGRESS_MIN_SECONDS", 0)
    writes = []
    real_progress = runner._job_progress

    def recording_progress(job_id, rows):
        writes.append((rows, connection.in_atomic_block))
        real_progress(job_id, rows)

    monkeypatch.setattr(runner, "_job_progress", recording_progress)
    content = "external_id,name\n" + "".join(f"W{i},Workspace {i}\n" for i in range(450))
    job = ImportJob(kind="workspaces", original_name="w.csv", status=ImportJob.Status.RUNNING)
    job.file.save("w.csv", ContentFile(content.encode()), save=True)

    job = import_job_execute(job_id=job.pk)

    assert writes[:4] == [(100, False), (200, False), (300, False), (400, False)]
    assert writes[-1] == (450, False)  # "all read, now writing" — still before the transaction
    assert (job.status, job.total_rows, job.processed_rows, job.created_count) == (ImportJob.Status.DONE, 450, 450, 450)


def test_the_task_claims_a_job_once(admin_user):
    from django.core.files.base import ContentFile

    from accounts.tasks import import_job_run_task

    job = ImportJob(kind="workspaces", original_name="w.csv", created_by=admin_user)
    job.file.save("w.csv", ContentFile(b"external_id,name\nW1,One\n"), save=True)

    import_job_run_task(job.pk)
    Workspace.objects.all().delete()
    import_job_run_task(job.pk)  # a redelivery (acks_late) finds the job no longer QUEUED

    job.refresh_from_db()
    assert (job.status, job.created_count) == (ImportJob.Status.DONE, 1)
    assert not Workspace.objects.exists()  # it did not run a second time
