"""`python manage.py resolve_accounts [--full]`: output, exit codes, the run record, and the
incremental run queued by `import_data`."""

import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import ProductUser, ResolutionRun, Workspace
from accounts.services import resolution
from tests.accounts.scenario_resolution import build
from tests.factories import CompanyDomainFactory, CompanyFactory, ProductUserFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def command(*args: str) -> str:
    out = StringIO()
    call_command("resolve_accounts", *args, stdout=out)
    return out.getvalue()


def test_full_prints_counts_per_status_and_method_and_the_time():
    acme = CompanyFactory(name="Acme Corporation")
    CompanyDomainFactory(company=acme, domain="acme.com")
    ProductUserFactory(email="a@acme.com")
    ProductUserFactory(email="b@acme.com")
    ProductUserFactory(email="c@gmail.com", company_name="Acme Corp")
    ProductUserFactory(email="d@gmail.com", company_name="n/a")
    output = command("--full")
    lines = output.splitlines()
    assert lines[0] == "Scope: all users and workspaces."
    assert lines[1] == ("Users: auto 3, review 0, unmatched 1, locked 0; changed 4; "
                        "by method: domain 2, name 1, none 1")
    assert lines[2].startswith("Workspaces: auto 0, review 0, unmatched 0, locked 0; changed 0")
    run = ResolutionRun.objects.get()
    assert lines[3] == f"Resolution run {run.pk} (full) done in {run.counts['seconds']:.1f} s."
    assert (run.mode, run.trigger, run.status) == ("full", "command", "done")
    assert run.started_at and run.finished_at
    assert run.counts["users"]["auto"] == 3


def test_default_is_incremental_and_says_when_it_ran_in_full():
    build(workspaces=3)
    first = command()
    assert first.startswith("Ran in full: no earlier successful run.\n")
    assert ResolutionRun.objects.get().mode == "full"

    ProductUser.objects.create(external_id="late", email="late@acme.com")
    second = command()
    assert "Ran in full" not in second
    assert second.startswith("Scope: 1 users and 0 workspaces changed or affected.")
    assert "Users: auto 1," in second
    last = ResolutionRun.objects.order_by("-id").first()
    assert (last.mode, last.status) == ("incremental", "done")
    assert ProductUser.objects.get(external_id="late").match_method == "domain"


def test_a_failed_run_exits_1_and_is_recorded(monkeypatch):
    build(workspaces=1)

    def boom(**kwargs):
        raise ValueError("bad data")

    monkeypatch.setattr(resolution.runs, "workspaces_resolve", boom)
    with pytest.raises(CommandError) as failure:
        command("--full")
    assert failure.value.returncode == 1
    run = ResolutionRun.objects.get()
    assert "ValueError: bad data" in str(failure.value)
    assert (run.status, run.error) == ("failed", "ValueError: bad data")


def test_import_data_queues_an_incremental_resolution(tmp_path, django_capture_on_commit_callbacks):
    acme = CompanyFactory(name="Acme Corporation")
    CompanyDomainFactory(company=acme, domain="acme.com")
    csv = tmp_path / "users.csv"
    csv.write_text("external_id,email,company_name\nU1,jane@acme.com,\nU2,joe@gmail.com,Acme Corp\n")
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):  # as autocommit does outside the test transaction
        call_command("import_data", "users", str(csv), stdout=out)
    run = ResolutionRun.objects.get()
    assert (run.trigger, run.status) == ("import", "done")
    assert f"Account resolution: run {run.pk} " in out.getvalue()
    assert dict(ProductUser.objects.values_list("external_id", "match_status")) == {"U1": "auto", "U2": "auto"}

    out = StringIO()
    call_command("import_data", "users", str(csv), "--no-resolve", stdout=out)
    assert ResolutionRun.objects.count() == 1
    assert "Account resolution" not in out.getvalue()


def test_usage_imports_do_not_queue_resolution(tmp_path):
    Workspace.objects.create(external_id="W1", name="x")
    csv = tmp_path / "usage.csv"
    csv.write_text("workspace_external_id,period,metric,quantity,amount\nW1,2026-01,api_calls,5,1\n")
    call_command("import_data", "usage", str(csv), stdout=StringIO())
    assert not ResolutionRun.objects.exists()


def test_help_explains_modes_and_exit_codes():
    result = subprocess.run([sys.executable, "manage.py", "resolve_accounts", "--help"], cwd=ROOT,
                            capture_output=True, text=True, env={"DEBUG": "1", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert "--full" in result.stdout and "Exit codes: 0 done, 1 the run failed" in result.stdout
