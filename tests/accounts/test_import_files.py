"""File-level problems: nothing is loaded, exit code 1 with a one-line reason; the real process exit codes."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from accounts.models import Company, Workspace
from accounts.services.imports import Column, ImportKind, import_csv, register_import_kind
from accounts.services.imports.base import _REGISTRY
from accounts.services.imports.staging import StagingTable
from tests.accounts.test_import_helpers import FIXTURES, run_import, write_csv

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_missing_file(tmp_path):
    code, output = run_import("companies", tmp_path / "nope.csv")

    assert code == 1
    assert output.strip() == f"File not found: {tmp_path / 'nope.csv'}"


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"", "The file is empty"),
        (b"  \r\n\n", "The file is empty"),
        (b"\xef\xbb\xbf", "The file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "This is a binary file, not CSV text."),
        (b"PK\x03\x04\x14\x00\x06\x00", "This is a ZIP or Excel file, not CSV"),
        ("external_id,name\nC1,Caf\u00e9\n".encode("utf-16"), "The file is UTF-16 encoded"),
        ("external_id,name\nC1,M\u00fcller GmbH\n".encode("latin-1"), "Line 2 is not UTF-8 text"),
        (b"external_id;name\nC1;Acme\n", "Missing required columns: external_id, name."),
        (b"external_id,domains\nC1,acme.com\n", "Missing required column: name."),
        (b'{"companies": [{"external_id": "C1", "name": "Acme"}]}', "Missing required columns: external_id, name."),
    ],
)
def test_unusable_files_load_nothing_and_exit_1(tmp_path, content, reason):
    path = tmp_path / "upload.csv"
    path.write_bytes(content)

    code, output = run_import("companies", path)

    assert code == 1
    assert reason in output
    assert len(output.strip().splitlines()) == 1  # one line, no traceback
    assert not Company.objects.exists()


def test_a_decoding_error_late_in_the_file_loads_nothing(tmp_path):
    rows = "".join(f"W{i},Workspace {i}\n" for i in range(3000))
    path = tmp_path / "late.csv"
    path.write_bytes(("external_id,name\n" + rows).encode() + b"W-bad,Caf\xe9\n")

    code, output = run_import("workspaces", path)

    assert code == 1
    assert output.strip() == "Line 3002 is not UTF-8 text; save the file as 'CSV UTF-8'."
    assert not Workspace.objects.exists()


def test_a_preset_for_another_kind_is_a_file_error():
    code, output = run_import("users", FIXTURES / "users.csv", "--preset", "salesforce")

    assert code == 1
    # Other apps register kinds with this preset too: the list names companies among them.
    message = output.strip()
    assert message.startswith("The salesforce preset does not apply to users imports (it applies to: companies")
    assert message.endswith(").") and len(message.splitlines()) == 1


def test_unknown_kind_and_unknown_preset():
    assert run_import("contracts", FIXTURES / "companies.csv")[0] == 1
    code, output = run_import("companies", FIXTURES / "companies.csv", "--preset", "pipedrive")
    assert code == 1
    assert "Unknown preset 'pipedrive'" in output


def test_a_missing_preset_column_names_the_headers_it_looks_for(tmp_path):
    code, output = run_import("companies", write_csv(tmp_path, "Account Name\nAcme\n"), "--preset", "salesforce")

    assert code == 1
    assert "Missing required column: external_id (one of: Id, Account ID" in output


def test_header_only_file_is_a_valid_empty_import(tmp_path):
    code, output = run_import("companies", write_csv(tmp_path, "external_id,name\n"))

    assert code == 0
    assert "0 created, 0 updated, 0 unchanged" in output


def manage(*args, database: Path) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
    env.update(DEBUG="1", DJANGO_SETTINGS_MODULE="revops.settings.base", DATABASE_URL=f"sqlite:///{database}")
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )


def test_process_exit_codes_are_0_1_and_2(tmp_path):
    database = tmp_path / "exit-codes.sqlite3"
    assert manage("migrate", "--noinput", "-v", "0", database=database).returncode == 0
    good = write_csv(tmp_path, "external_id,name\nW1,One\n", name="good.csv")
    mixed = write_csv(tmp_path, "external_id,name\nW2,Two\nW3,\n", name="mixed.csv")

    ok = manage("import_data", "workspaces", str(good), database=database)
    rows = manage("import_data", "workspaces", str(mixed), database=database)
    missing = manage("import_data", "workspaces", str(tmp_path / "missing.csv"), database=database)

    assert ok.returncode == 0, ok.stderr
    assert "1 created, 0 updated, 0 unchanged" in ok.stdout
    assert rows.returncode == 2
    assert "line 3: name is required" in rows.stdout
    assert "1 of 2 rows rejected" in rows.stderr
    assert missing.returncode == 1
    assert "Traceback" not in missing.stderr
    assert missing.stderr.strip().splitlines() == [f"CommandError: File not found: {tmp_path / 'missing.csv'}"]


class NoteImport(ImportKind):
    """What another app does to add a kind: columns, a row parser, staging and a writer."""

    name = "test_notes"
    label = "Notes (test kind)"
    columns = (Column("external_id", required=True), Column("note", required=True))

    def parse(self, values, state):
        from accounts.services.imports import RowError

        if not values["note"]:
            raise RowError("note is required")
        return (values["external_id"], values["note"].upper())

    def staging_tables(self, staging, state):
        return [StagingTable("import_test_note", (("external_id", "varchar(64)"), ("note", "varchar(200)")))]

    def stage(self, rows, state):
        return [("import_test_note", rows)]

    def write(self, *, staging, state, report):
        # Rename the workspaces the notes point at: enough to prove the writer sees the staged rows.
        staging.execute(
            "UPDATE accounts_workspace SET name = (SELECT n.note FROM import_test_note n "
            "WHERE n.external_id = accounts_workspace.external_id) "
            "WHERE external_id IN (SELECT external_id FROM import_test_note)"
        )
        return 0, staging.count("import_test_note"), 0


def test_another_app_can_register_its_own_import_kind(tmp_path):
    from tests.factories import WorkspaceFactory

    WorkspaceFactory(external_id="W1", name="old")
    register_import_kind(NoteImport())
    try:
        path = write_csv(tmp_path, "external_id,note\nW1,renamed\nW2,\n")
        report = import_csv(kind="test_notes", source=path)
        code, output = run_import("test_notes", path)
    finally:
        _REGISTRY.pop("test_notes")

    assert [(issue.line, issue.message) for issue in report.errors] == [(3, "note is required")]
    assert report.updated == 1
    assert Workspace.objects.get(external_id="W1").name == "RENAMED"
    assert code == 2


class TerminalStringIO(__import__("io").StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal(tmp_path, capsys):
    from django.core.management import call_command

    path = write_csv(tmp_path, "external_id,name\n" + "".join(f"W{i},Workspace {i}\n" for i in range(3000)))

    call_command("import_data", "workspaces", str(path), stdout=__import__("io").StringIO())
    quiet = capsys.readouterr().err
    call_command("import_data", "workspaces", str(path), stdout=TerminalStringIO())
    on_terminal = capsys.readouterr().err

    assert quiet == ""
    assert "rows=3000" in on_terminal and "%|" in on_terminal


def test_report_option_writes_every_rejected_row_and_warning(tmp_path):
    from tests.factories import CompanyFactory

    CompanyFactory(external_id="X", name="X")
    path = write_csv(tmp_path, "external_id,name,owner_email\nA,,\nB,Beta,nobody@example.com\n")

    code, output = run_import("companies", path, "--report", str(tmp_path / "report.csv"), "--max-errors", "0")

    assert code == 2
    assert "line 2" not in output  # --max-errors 0 prints none …
    assert (tmp_path / "report.csv").read_text().splitlines() == [  # … the report has them all
        "line,level,message",
        "2,error,name is required",
        "3,warning,owner_email 'nobody@example.com' matches no revops user: company loaded without a new owner "
        "(an existing owner is kept)",
    ]
