"""Hypothesis-generated bad CSV files for every import kind, and formula escaping on every export.

An import of any file either raises ImportFileError (one line; nothing written) or returns a report
whose errors carry the line they come from; a rejected row never leaves a trace in the database.
Each example runs in a savepoint rolled back afterwards, so examples start from the same rows.
"""
import codecs
import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Company, ProductUser, UsageRecord, Workspace
from accounts.services.exports import export_csv, export_kinds
from accounts.services.imports import import_csv
from accounts.services.imports.base import ImportFileError, get_import_kind
from accounts.services.imports.values import FORMULA_TRIGGERS
from forecasting.models import Contract, Opportunity
from stakeholders.models import Interaction, Stakeholder
from tests.factories import CompanyFactory, UserFactory, WorkspaceFactory
from tests.forecasting.factories import ContractFactory, OpportunityFactory
from tests.stakeholders.factories import InteractionFactory, StakeholderFactory

pytestmark = pytest.mark.django_db

KINDS = ("companies", "workspaces", "users", "usage", "stakeholders", "interactions", "contracts", "opportunities")
# Rows keyed by external id, and the fields that show whether a row was written.
TABLES = {
    "companies": (Company, ("name", "industry", "employee_count", "potential_arr", "owner_id", "parent_id", "tier")),
    "workspaces": (Workspace, ("name", "plan", "seats", "mrr", "status")),
    "users": (ProductUser, ("email", "name", "title")),
    "stakeholders": (Stakeholder, ("name", "email", "title", "role", "influence", "company_id")),
    "interactions": (Interaction, ("summary", "next_step", "channel", "occurred_at", "company_id")),
    "contracts": (Contract, ("name", "kind", "start_date", "end_date", "committed_amount", "company_id")),
    "opportunities": (Opportunity, ("name", "amount", "close_date", "stage", "company_id")),
}
IDS = ("X1", "X2", "X3", "E1", "E2")  # E1, E2 exist before the import (so updates are covered too)

NASTY = st.sampled_from([
    "=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2", "@SUM(A1:A9)", "\tindent", "=cmd|' /C calc'!A0",
    "line one\nline two", "say \"hi\", then go", "a,b,c", "<script>alert(1)</script>", "\u00e9l\u00e8ve \u4e2d\u6587",
    "   ", "", "NaN", "1e999", "-0", "9" * 40, "2026-02-30", "0000-00-00", "null", "\x7f\x1b[31m",
])
HUGE = st.integers(min_value=300, max_value=120_000).map(lambda n: "Z" * n)
TEXT = st.one_of(NASTY, HUGE, st.text(max_size=40))
NUMBER = st.one_of(st.integers(0, 10**6).map(str), st.decimals(0, 1e6, places=2, allow_nan=False).map(str))
DAY = st.dates(date(2020, 1, 1), date(2030, 12, 31)).map(date.isoformat)
ENUM_WORDS = ("active", "churned", "team", "enterprise", "mid_market", "champion", "positive", "video", "email",
              "subscription", "commit", "closed_won", "discovery", "expansion", "pipeline", "commit", "true", "annual")


MODELS = {kind: model for kind, (model, _) in TABLES.items()} | {"usage": UsageRecord}


def _choices(kind: str, column: str) -> list[str]:
    try:
        return [value for value, _ in MODELS[kind]._meta.get_field(column).choices or ()]
    except Exception:  # not a model field of that name
        return []


def _good(column: str, kind: str = ""):
    """Plausible values for a column, so that many generated rows are accepted (and written)."""
    if _choices(kind, column):
        return st.sampled_from(_choices(kind, column))
    if column == "external_id":
        return st.sampled_from(IDS)
    if column == "company_external_id":
        return st.sampled_from(("E1", "E2", "NOPE"))
    if column == "workspace_external_id":
        return st.sampled_from(("W1", "W2", ""))
    if column.endswith("external_id") or column == "workspace_external_ids" or column == "stakeholders":
        return st.sampled_from(("", "X1", "E1", "S1", "W1"))
    if "email" in column or column == "owner":
        return st.sampled_from(("ravi.rep@seller.example", "ghost@nowhere.example", "buyer@acme.example"))
    if column == "period":
        return st.sampled_from(("2026-01-01", "2026-02", "2025-12-01"))
    if column.endswith(("_at", "_date", "date", "_on", "_due")):
        return DAY
    if column in ("employee_count", "seats", "influence", "key_rank", "quantity", "amount", "mrr", "potential_arr",
                  "annual_revenue", "committed_amount", "included_units", "overage_price", "rollover_fraction",
                  "probability"):
        return NUMBER
    if column in ("tier", "status", "plan", "role", "sentiment", "channel", "kind", "stage", "type", "billing",
                  "forecast_category", "workspace_role", "use_case_category", "is_active", "metric"):
        return st.sampled_from(ENUM_WORDS)
    if column == "domains":
        return st.sampled_from(("acme.example", "acme.example;acme.io", "not a domain"))
    return st.text(alphabet="abcdefghij XYZ-", min_size=1, max_size=20)


@st.composite
def csv_files(draw, kind: str):
    """(bytes, rows as written with their first line, encoding)."""
    columns = [column.name for column in get_import_kind(kind).columns]
    header = [c for c in columns if draw(st.booleans()) or get_import_kind(kind).columns[columns.index(c)].required]
    rows = []
    for _ in range(draw(st.integers(0, 6))):
        if draw(st.booleans()):  # a plausible row (often accepted, so writes happen)
            rows.append({c: draw(_good(c, kind)) for c in header})
        else:  # a row with junk in some cells
            rows.append({c: draw(st.one_of(_good(c, kind), TEXT)) for c in header})
    if rows and draw(st.booleans()):
        rows.append(dict(rows[0]))  # the same external id twice in one file
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    writer.writerow(header)
    lines = []  # (first physical line, row)
    for row in rows:
        lines.append((buffer.getvalue().count("\n") + 1, row))
        writer.writerow([row[c] for c in header])
    text = buffer.getvalue()
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16", "junk", "utf-8", "utf-8", "utf-8-sig"]))
    if encoding == "junk":
        data = draw(st.binary(min_size=0, max_size=300))
        if draw(st.booleans()):
            data = text.encode()[: draw(st.integers(0, 200))] + data
        return data, [], encoding
    if encoding == "latin-1":
        return text.encode("latin-1", errors="replace"), lines, encoding
    return text.encode(encoding), lines, encoding


def _snapshot() -> dict:
    state = {kind: {row["external_id"]: tuple(row[f] for f in fields)
                    for row in model.objects.values("external_id", *fields)}
             for kind, (model, fields) in TABLES.items()}
    state["usage"] = sorted(UsageRecord.objects.values_list("workspace_id", "company_id", "period", "metric",
                                                           "quantity", "amount"))
    return state


@pytest.fixture
def existing(db):
    """Rows the imports may update or refer to: companies E1, E2, workspace W1, a stakeholder S1…"""
    UserFactory(username="ravi.rep")
    e1 = CompanyFactory(external_id="E1", name="Existing one")
    CompanyFactory(external_id="E2", name="Existing two")
    WorkspaceFactory(external_id="W1", company=e1)
    WorkspaceFactory(external_id="E1", name="Workspace E1")
    StakeholderFactory(external_id="S1", company=e1)
    StakeholderFactory(external_id="E1", company=e1, name="Stakeholder E1")
    InteractionFactory(external_id="E1", company=e1, summary="Interaction E1")
    ContractFactory(external_id="E1", company=e1)
    OpportunityFactory(external_id="E1", company=e1)


def _import_and_check(kind: str, data: bytes, lines: list, encoding: str) -> None:
    before = _snapshot()
    with transaction.atomic():
        try:
            report = import_csv(kind=kind, source=io.BytesIO(data))
        except ImportFileError as exc:
            assert str(exc) and "\n" not in str(exc).strip(), "a file error is one line"
            assert _snapshot() == before, "a file error wrote something"
            transaction.set_rollback(True)
            return
        after = _snapshot()
        transaction.set_rollback(True)
    if encoding == "utf-16":
        pytest.fail("a UTF-16 file was imported instead of being refused")
    physical_lines = data.count(b"\n") + 1
    for issue in report.errors + report.warnings:
        assert 2 <= issue.line <= physical_lines, f"{issue} is not a line of the file"
        assert issue.message.strip()
    rejected = report.rejected_lines
    required = get_import_kind(kind).required_columns
    for line, row in lines:
        if any(not row.get(c, "").strip() for c in required if c in row):
            assert line in rejected, f"line {line} misses a required value but was not rejected: {report.errors}"
    if kind == "usage":
        if report.loaded == 0:
            assert after["usage"] == before["usage"], "rejected usage rows were written"
        return
    # A key whose every line was rejected is exactly as it was before the import.
    by_key: dict[str, list[int]] = {}
    for line, row in lines:
        by_key.setdefault(row.get("external_id", ""), []).append(line)
    for key, key_lines in by_key.items():
        if key in IDS and all(line in rejected for line in key_lines):
            assert after[kind].get(key) == before[kind].get(key), f"rejected row {key} (lines {key_lines}) was written"
    # Other tables are not touched by this kind's import, except the ones it legitimately feeds.
    untouched = {"companies": ("stakeholders", "interactions", "contracts", "opportunities"),
                 "stakeholders": ("companies", "workspaces", "contracts", "opportunities", "interactions"),
                 "contracts": ("stakeholders", "interactions", "opportunities", "users")}.get(kind, ())
    for other in untouched:
        assert after[other] == before[other], f"a {kind} import changed {other}"


@pytest.mark.parametrize("kind", KINDS)
def test_bad_csv_files_never_crash_or_half_write(existing, kind):
    @settings(max_examples=25, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.data_too_large])
    @given(csv_files(kind))
    def check(generated):
        _import_and_check(kind, *generated)

    check()


@pytest.mark.parametrize("kind", KINDS)
def test_file_level_errors_write_nothing(existing, kind):
    """The classic broken files: each is one clear file error and leaves every table as it was."""
    header = ",".join(c.name for c in get_import_kind(kind).columns if c.required).encode()
    before = _snapshot()
    for data in (b"", b"\xef\xbb\xbf", codecs.BOM_UTF16_LE + header.decode().encode("utf-16-le"),
                 b"PK\x03\x04junk", header + b"\n\x00\x01\x02", header + b"\nE1,\xff\xfe bad bytes\n",
                 b"no,such,columns\n1,2,3\n"):
        with pytest.raises(ImportFileError):
            import_csv(kind=kind, source=io.BytesIO(data))
        assert _snapshot() == before


def test_bom_and_quoted_newlines_and_formulas_import_as_text(existing):
    """A BOM is not part of the first header; a quoted newline and a quote stay in the value; a
    formula-looking name is stored as typed (escaping is the export's job)."""
    data = "\ufeffexternal_id,name,industry\nX1,\"=1+2\nsecond \"\"line\"\"\",\"@SUM(A1)\"\nX1,dup,dup\n"
    report = import_csv(kind="companies", source=io.BytesIO(data.encode("utf-8")))
    company = Company.objects.get(external_id="X1")
    assert company.name == '=1+2\nsecond "line"' and company.industry == "@SUM(A1)"
    assert [issue.line for issue in report.errors] == [4]  # the duplicate, on its own line (the row spans 2-3)


# --- exports ------------------------------------------------------------------------------------

FORMULAS = ("=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=1", "\r=1")


@pytest.fixture
def formula_rows(db):
    owner = UserFactory(username="=owner", email="=owner@seller.example", first_name="=Ann", last_name="+Bee")
    parent = CompanyFactory(external_id="=P1", name="=HYPERLINK(\"x\")", industry="+Ind", owner=owner,
                            country="@C")
    for i, text in enumerate(FORMULAS):
        company = CompanyFactory(external_id=f"{text}{i}", name=text, industry=text, parent=parent if i else None,
                                 owner=owner)
        workspace = WorkspaceFactory(external_id=f"-W{i}", name=text, plan=text, company=company)
        from tests.factories import ProductUserFactory, UsageRecordFactory

        ProductUserFactory(external_id=f"@U{i}", name=text, email=f"u{i}@x.example", company=company)
        UsageRecordFactory(workspace=workspace, metric=text)
    return FORMULAS


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def _assert_no_formula(cells: list[str], what: str) -> None:
    for cell in cells:
        if cell[:1] in FORMULA_TRIGGERS:
            # Plain numbers (e.g. -2.50) are the one exception: a spreadsheet reads them as numbers.
            try:
                Decimal(cell)
                continue
            except ArithmeticError:
                pass
            pytest.fail(f"{what}: formula cell {cell!r} is not escaped")


@pytest.mark.parametrize("kind", export_kinds())
def test_every_export_kind_escapes_formula_cells(formula_rows, kind):
    out = io.StringIO()
    export_csv(kind=kind, out=out)
    cells = _cells(out.getvalue())
    _assert_no_formula(cells, kind)
    if kind in ("companies", "workspaces", "users", "usage"):
        assert any(cell.startswith("'=") or cell.startswith("'+") for cell in cells), "the formulas were exported"


def test_page_exports_escape_formula_cells(formula_rows, admin_client, admin_user):
    """The CSV downloads of the pages: consolidation, payroll, review session."""
    from tests.stakeholders.factories import ActionItemFactory, ReviewSessionFactory
    from tests.factories import TeamFactory

    session = ReviewSessionFactory(team=TeamFactory(name="=Team", manager=admin_user), notes="=notes")
    ActionItemFactory(session=session, company=Company.objects.get(external_id="=P1"), description="=2+2",
                      assignee=admin_user)
    for url in ("/accounts/consolidation/export.csv", "/compensation/export.csv?period=2026-Q3",
                f"/review/sessions/{session.pk}/export.csv"):
        response = admin_client.get(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        _assert_no_formula(_cells(body.decode("utf-8-sig")), url)
