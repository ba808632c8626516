"""Shared helpers of the import/export tests (no tests here; named test_* to sit with the import tests)."""

import io
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import CommandError
from django.forms.models import model_to_dict

from accounts.models import Company, CompanyDomain, ProductUser, UsageRecord, Workspace, WorkspaceMembership

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"


def run_import(kind: str, path, *args: str) -> tuple[int, str]:
    """Run import_data as manage.py would; return (exit code, everything it printed)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_data", kind, str(path), *args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue() + err.getvalue() + str(exc)
    return 0, out.getvalue() + err.getvalue()


def write_csv(tmp_path, text: str, name: str = "data.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def snapshot() -> dict[str, list[dict]]:
    """Every column of every accounts row the imports write, for byte-for-byte comparisons."""
    tables = {}
    for model in (Company, CompanyDomain, Workspace, ProductUser, WorkspaceMembership, UsageRecord):
        tables[model.__name__] = list(model.objects.order_by("pk").values())
    return tables


def as_dict(instance) -> dict:
    return model_to_dict(instance)
