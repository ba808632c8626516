"""Bad rows: reported with their physical CSV line and a reason, the valid rows loaded, exit code 2."""

import re

import pytest

from accounts.models import Company, CompanyDomain, ProductUser, UsageRecord, Workspace
from tests.accounts.test_import_helpers import run_import, write_csv
from tests.factories import CompanyDomainFactory, CompanyFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db


def reported(output: str) -> dict[int, str]:
    """{line: reason} of the rejected rows the command printed."""
    return {
        int(match.group(1)): match.group(2)
        for match in re.finditer(r"^line (\d+): (?!warning:)(.*)$", output, flags=re.MULTILINE)
    }


def test_bad_company_rows_are_reported_with_their_line_and_the_rest_loads(tmp_path):
    text = (
        "external_id,name,domains,parent_external_id,employee_count,annual_revenue,owner_email,tier\n"  # 1
        "A1,Alpha,alpha.com,,10,100,,smb\n"  # 2
        "A2,Beta,,,lots,,,\n"  # 3
        'A3,"Gamma\nwith a newline in the name",gamma.com,A1,5,,,\n'  # 4-5
        "A4,Delta,,,,-5,,\n"  # 6
        "A5,,,,,,,\n"  # 7
        "A6,Epsilon,,,,,,Platinum\n"  # 8
        "A1,Alpha again,,,,,,\n"  # 9
        "A7,Zeta,not a domain,,,,,\n"  # 10
        "A8,Eta,,,,,not-an-email,\n"  # 11
        "A9,Theta,,NOPE,,,,\n"  # 12
        "A10,Iota,,,,abc,,\n"  # 13
        "\n"  # 14: blank lines are skipped
        "A11,Kappa,kappa.io,A1,1,$2,\n"  # 15: valid
    )

    code, output = run_import("companies", write_csv(tmp_path, text))

    assert code == 2
    errors = reported(output)
    assert sorted(errors) == [3, 6, 7, 8, 9, 10, 11, 12, 13]
    assert errors[3] == "employee_count 'lots' is not a whole number"
    assert errors[6] == "annual_revenue '-5' is negative"
    assert errors[7] == "name is required"
    assert errors[8].startswith("tier 'Platinum' is not one of: enterprise, mid_market, smb")
    assert errors[9] == "duplicate external_id 'A1': already on line 2"
    assert errors[10] == "domains: 'not' is not a valid domain"
    assert errors[11] == "owner_email 'not-an-email' is not a valid email address"
    assert errors[12] == "parent_external_id 'NOPE' is neither in this file nor in the database"
    assert errors[13] == "annual_revenue 'abc' is not a number"
    assert "3 created, 0 updated, 0 unchanged, 9 rejected" in output
    assert set(Company.objects.values_list("external_id", flat=True)) == {"A1", "A3", "A11"}
    assert Company.objects.get(external_id="A1").name == "Alpha"  # the first occurrence won
    assert Company.objects.get(external_id="A3").name == "Gamma\nwith a newline in the name"
    assert Company.objects.get(external_id="A11").annual_revenue == 2


def test_a_row_with_several_problems_lists_them_all(tmp_path):
    code, output = run_import(
        "workspaces", write_csv(tmp_path, "external_id,name,seats,mrr,status,created_at\nW1,,-1,x,gone,yesterday\n")
    )

    assert code == 2
    reason = reported(output)[2]
    for part in (
        "name is required",
        "seats '-1' is negative",
        "mrr 'x' is not a number",
        "status 'gone' is not one of",
        "created_at 'yesterday' is not a date",
    ):
        assert part in reason
    assert not Workspace.objects.exists()


def test_a_domain_owned_by_another_company_rejects_the_row(tmp_path):
    CompanyDomainFactory(company=CompanyFactory(external_id="OLD", name="Old Owner"), domain="acme.com")

    code, output = run_import(
        "companies", write_csv(tmp_path, "external_id,name,domains\nNEW,New,https://www.acme.com\n")
    )

    assert code == 2
    assert reported(output)[2] == "domain acme.com already belongs to company 'Old Owner' (OLD)"
    assert not Company.objects.filter(external_id="NEW").exists()


def test_a_domain_claimed_twice_in_the_file_rejects_the_later_line(tmp_path):
    text = "external_id,name,domains\nA,Alpha,alpha.com\nB,Beta,www.alpha.com;beta.com\n"

    code, output = run_import("companies", write_csv(tmp_path, text))

    assert code == 2
    assert reported(output) == {3: "domain alpha.com is also listed for company 'A' on line 2"}
    assert list(CompanyDomain.objects.values_list("domain", flat=True)) == ["alpha.com"]


def test_a_company_may_list_a_domain_it_already_owns(tmp_path):
    CompanyDomainFactory(company=CompanyFactory(external_id="A", name="Alpha"), domain="alpha.com")

    code, output = run_import("companies", write_csv(tmp_path, "external_id,name,domains\nA,Alpha,alpha.com\n"))

    assert code == 0, output
    assert "0 created, 0 updated, 1 unchanged" in output


def test_parent_cycles_within_the_file_are_rejected(tmp_path):
    text = (
        "external_id,name,parent_external_id\n"
        "A,Alpha,B\n"  # 2
        "B,Beta,A\n"  # 3
        "C,Gamma,C\n"  # 4: its own parent
        "D,Delta,A\n"  # 5: under the cycle, A is rejected and not in the database
        "E,Epsilon,\n"  # 6
        "F,Phi,E\n"  # 7
    )

    code, output = run_import("companies", write_csv(tmp_path, text))

    assert code == 2
    errors = reported(output)
    assert sorted(errors) == [2, 3, 4, 5]
    assert errors[2].startswith("parent cycle: ") and "A" in errors[2] and "B" in errors[2]
    assert errors[3] == errors[2]
    assert errors[4] == "parent cycle: company 'C' cannot be its own parent"
    assert errors[5] == "parent 'A' was rejected (line 2)"
    assert Company.objects.get(external_id="F").parent.external_id == "E"
    assert set(Company.objects.values_list("external_id", flat=True)) == {"E", "F"}


def test_a_cycle_through_parents_already_in_the_database_is_rejected(tmp_path):
    top = CompanyFactory(external_id="TOP", name="Top")
    middle = CompanyFactory(external_id="MID", name="Middle", parent=top)
    CompanyFactory(external_id="LOW", name="Low", parent=middle)

    code, output = run_import("companies", write_csv(tmp_path, "external_id,name,parent_external_id\nTOP,Top,LOW\n"))

    assert code == 2
    assert reported(output)[2] == "parent cycle: TOP → LOW → MID → TOP"
    top.refresh_from_db()
    assert top.parent is None


def test_moving_a_company_under_a_database_parent_links_it(tmp_path):
    CompanyFactory(external_id="HQ", name="HQ")
    branch = CompanyFactory(external_id="BR", name="Branch")

    code, output = run_import("companies", write_csv(tmp_path, "external_id,name,parent_external_id\nBR,Branch,HQ\n"))

    assert code == 0, output
    assert "0 created, 1 updated, 0 unchanged" in output
    branch.refresh_from_db()
    assert branch.parent.external_id == "HQ"


def test_bad_user_rows(tmp_path):
    WorkspaceFactory(external_id="W-1")
    text = (
        "external_id,email,workspace_external_ids,workspace_role,signed_up_at,last_active_at\n"
        "U1,ok@acme.com,W-1,admin,2025-01-01,2025-02-01T10:00:00+01:00\n"  # 2
        "U2,not an email,W-1,,,\n"  # 3
        "U3,u3@acme.com,W-1;W-404,,,\n"  # 4
        "U4,u4@acme.com,W-1,owner,,\n"  # 5
        "U5,,W-1,,,\n"  # 6
        "U6,u6@acme.com,,,31/12/2024,\n"  # 7
    )

    code, output = run_import("users", write_csv(tmp_path, text))

    assert code == 2
    errors = reported(output)
    assert errors == {
        3: "email 'not an email' is not a valid email address",
        4: "workspace_external_ids: unknown workspace 'W-404' (import workspaces first)",
        5: "workspace_role 'owner' is not one of: admin, member",
        6: "email is required",
        7: "signed_up_at '31/12/2024' is not a date or date-time (use YYYY-MM-DD or ISO 8601)",
    }
    assert list(ProductUser.objects.values_list("external_id", flat=True)) == ["U1"]


def test_bad_usage_rows(tmp_path):
    WorkspaceFactory(external_id="W-1")
    CompanyFactory(external_id="C-1")
    text = (
        "workspace_external_id,company_external_id,period,metric,quantity,amount\n"
        "W-1,,2026-01,api_calls,10,1\n"  # 2
        "W-1,C-1,2026-01,seats,1,1\n"  # 3: both
        ",,2026-01,seats,1,1\n"  # 4: neither
        "W-404,,2026-01,api_calls,1,1\n"  # 5
        ",C-404,2026-01,api_calls,1,1\n"  # 6
        "W-1,,2026-13,api_calls,1,1\n"  # 7
        "W-1,,2026-01-20,api_calls,5,5\n"  # 8: same month and metric as line 2
        ",C-1,2026-02,services,1,-3\n"  # 9
        ",C-1,2026-02,services,1,3\n"  # 10
    )

    code, output = run_import("usage", write_csv(tmp_path, text))

    assert code == 2
    errors = reported(output)
    assert errors == {
        3: "give exactly one of workspace_external_id and company_external_id",
        4: "give exactly one of workspace_external_id and company_external_id",
        5: "workspace_external_id: unknown workspace 'W-404'",
        6: "company_external_id: unknown company 'C-404'",
        7: "period '2026-13' is not a month (use YYYY-MM)",
        8: "duplicate usage of 'api_calls' for workspace 'W-1' in 2026-01: already on line 2",
        9: "amount '-3' is negative",
    }
    assert UsageRecord.objects.count() == 2


def test_line_numbers_count_physical_lines_of_quoted_multiline_fields(tmp_path):
    text = 'external_id,name,plan\nW1,"Line one\nline two\nline three",team\nW2,Two,team\nW3,,team\n'

    code, output = run_import("workspaces", write_csv(tmp_path, text))

    assert code == 2
    assert reported(output) == {6: "name is required"}  # W1 spans lines 2-4, W2 is line 5, W3 line 6


def test_nothing_is_half_written_when_the_database_refuses_the_batch(tmp_path, monkeypatch):
    from accounts.services.imports import writers

    CompanyFactory(external_id="KEEP", name="Keep me")
    original = writers.upsert

    def upsert_then_fail(staging, **kwargs):
        original(staging, **kwargs)
        staging.execute("INSERT INTO accounts_companydomain (company_id, domain) VALUES (NULL, 'x.com')")

    monkeypatch.setattr(writers, "upsert", upsert_then_fail)
    code, output = run_import("companies", write_csv(tmp_path, "external_id,name\nKEEP,Renamed\nNEW,New\n"))

    assert code == 1
    assert "The database refused the import, nothing was loaded" in output
    assert list(Company.objects.values_list("external_id", "name")) == [("KEEP", "Keep me")]
