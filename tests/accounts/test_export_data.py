"""export_data: native columns, a lossless round-trip through import_data, formula escaping, streaming."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from accounts.models import Company, CompanyDomain, ProductUser, UsageRecord, Workspace, WorkspaceMembership
from accounts.services.exports import escape_text, format_value
from tests.accounts.test_import_helpers import FIXTURES, run_import
from tests.factories import CompanyFactory, UsageRecordFactory, UserFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db
KINDS = ("companies", "workspaces", "users", "usage")


def export(kind: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("export_data", kind, stdout=out, stderr=err)
    return out.getvalue()


def rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def business_data() -> dict:
    """Everything the files carry, keyed by external ids (database ids and timestamps differ after a reload)."""
    return {
        "companies": sorted(
            (
                c.external_id,
                c.name,
                c.parent.external_id if c.parent else None,
                c.industry,
                c.employee_count,
                c.annual_revenue,
                c.potential_arr,
                c.owner.email if c.owner else None,
                c.country,
                c.tier,
                tuple(sorted(c.domains.values_list("domain", flat=True))),
            )
            for c in Company.objects.select_related("parent", "owner")
        ),
        "workspaces": sorted(
            Workspace.objects.values_list("external_id", "name", "plan", "seats", "mrr", "status", "created_at")
        ),
        "users": sorted(
            ProductUser.objects.values_list(
                "external_id", "email", "name", "company_name", "title", "signed_up_at", "last_active_at"
            )
        ),
        "memberships": sorted(
            WorkspaceMembership.objects.values_list("user__external_id", "workspace__external_id", "role")
        ),
        "usage": sorted(
            UsageRecord.objects.values_list(
                "workspace__external_id", "company__external_id", "period", "metric", "quantity", "amount"
            ),
            key=repr,
        ),
    }


def test_export_then_import_into_an_empty_database_gives_the_same_data(tmp_path):
    UserFactory(username="ada.admin", email="ada.admin@seller.example")
    for kind in KINDS:
        assert run_import(kind, FIXTURES / f"{kind}.csv")[0] == 0
    # Names a spreadsheet would run as formulas, and a user with mixed roles.
    CompanyFactory(
        external_id="=C-X", name='=HYPERLINK("http://evil.example","Click")', industry="+Growth", country="-"
    )
    ProductUser.objects.filter(external_id="U-4").update(title="@mention", name="\tTabbed")
    before = business_data()
    files = {}
    for kind in KINDS:
        path = tmp_path / f"{kind}.csv"
        call_command("export_data", kind, "-o", str(path), stdout=io.StringIO())
        files[kind] = path

    for model in (UsageRecord, WorkspaceMembership, ProductUser, Workspace, CompanyDomain, Company):
        model.objects.all().delete()
    for kind in KINDS:
        code, output = run_import(kind, files[kind])
        assert code == 0, output

    assert business_data() == before


def test_export_writes_native_columns_in_import_order():
    assert export("companies").splitlines()[0] == (
        "external_id,name,domains,parent_external_id,industry,employee_count,annual_revenue,potential_arr,"
        "owner_email,country,tier"
    )
    assert export("workspaces").splitlines()[0] == "external_id,name,plan,seats,mrr,status,created_at"
    assert export("users").splitlines()[0] == (
        "external_id,email,name,company_name,title,workspace_external_ids,workspace_role,signed_up_at,last_active_at,"
        "company_external_id,match_method,match_confidence,match_status,match_reason"
    )
    assert export("usage").splitlines()[0] == "workspace_external_id,company_external_id,period,metric,quantity,amount"


def test_cells_that_would_run_as_formulas_are_escaped_and_numbers_are_not():
    CompanyFactory(
        external_id="C1",
        name="=1+2",
        industry="@SUM(A1)",
        country="+44",
        potential_arr=Decimal("1000.50"),
        employee_count=12,
    )
    CompanyFactory(external_id="C2", name="-Minus Corp", industry="\tTab", country="\rCR", potential_arr=None)
    UsageRecordFactory(
        workspace=WorkspaceFactory(external_id="W1", name="Ops"), quantity=Decimal("12.5"), amount=Decimal("0")
    )

    companies = {row["external_id"]: row for row in rows(export("companies"))}
    usage = rows(export("usage"))

    assert (companies["C1"]["name"], companies["C1"]["industry"], companies["C1"]["country"]) == (
        "'=1+2",
        "'@SUM(A1)",
        "'+44",
    )
    assert (companies["C2"]["name"], companies["C2"]["industry"], companies["C2"]["country"]) == (
        "'-Minus Corp",
        "'\tTab",
        "'\rCR",
    )
    assert (companies["C1"]["potential_arr"], companies["C1"]["employee_count"]) == ("1000.50", "12")
    assert (usage[0]["quantity"], usage[0]["amount"], usage[0]["period"]) == ("12.5000", "0.00", "2026-01")


def test_numbers_are_written_plain_even_when_negative():
    # Money and counts are never negative in the database (check constraints), but the number
    # formatting must not depend on that: a quote would turn -5 into text in a spreadsheet.
    assert format_value(Decimal("-5.00")) == "-5.00"
    assert format_value(-3) == "-3"
    assert escape_text("-5") == "'-5"  # the same characters in a text column are escaped


def test_users_with_mixed_roles_carry_a_role_per_workspace():
    user = ProductUser.objects.create(external_id="U1", email="u@acme.com")
    WorkspaceMembership.objects.create(user=user, workspace=WorkspaceFactory(external_id="W-A"), role="admin")
    WorkspaceMembership.objects.create(user=user, workspace=WorkspaceFactory(external_id="W-B"), role="member")
    same = ProductUser.objects.create(external_id="U2", email="v@acme.com")
    WorkspaceMembership.objects.create(user=same, workspace=WorkspaceFactory(external_id="W-C"), role="admin")

    exported = {row["external_id"]: row for row in rows(export("users"))}

    assert (exported["U1"]["workspace_external_ids"], exported["U1"]["workspace_role"]) == ("W-A:admin;W-B:member", "")
    assert (exported["U2"]["workspace_external_ids"], exported["U2"]["workspace_role"]) == ("W-C", "admin")


def test_export_streams_in_a_fixed_number_of_queries(django_assert_max_num_queries):
    for i in range(30):
        company = CompanyFactory(external_id=f"C{i}", parent=None)
        CompanyDomain.objects.create(company=company, domain=f"c{i}.example.com")

    with django_assert_max_num_queries(4):  # companies (+ parent/owner joins), their domains
        text = export("companies")

    assert len(rows(text)) == 30


def test_export_to_a_file_reports_the_count(tmp_path):
    CompanyFactory.create_batch(3)
    out = io.StringIO()

    call_command("export_data", "companies", "-o", str(tmp_path / "c.csv"), stdout=out)

    assert "Exported 3 companies" in out.getvalue()
    assert len(rows((tmp_path / "c.csv").read_text(encoding="utf-8"))) == 3
