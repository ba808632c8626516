"""import_data for every kind and preset: what lands in the database, and re-imports that change nothing."""

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from accounts.models import Company, CompanyDomain, ProductUser, UsageRecord, Workspace, WorkspaceMembership
from tests.accounts.test_import_helpers import FIXTURES, run_import, snapshot, write_csv
from tests.factories import CompanyFactory, UserFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.fixture
def owner(db):
    return UserFactory(username="ada.admin", email="ada.admin@seller.example")


def load_all():
    for kind in ("companies", "workspaces", "users", "usage"):
        code, output = run_import(kind, FIXTURES / f"{kind}.csv")
        assert code == 0, output


def test_companies_import_loads_every_native_column(owner):
    code, output = run_import("companies", FIXTURES / "companies.csv")

    assert code == 0, output
    assert "4 created, 0 updated, 0 unchanged" in output
    europe = Company.objects.get(external_id="C-EU")
    assert europe.name == "Acme Europe Ltd"
    assert europe.parent.external_id == "C-HQ"  # the parent comes later in the file
    assert sorted(europe.domains.values_list("domain", flat=True)) == ["acme.co.uk", "acme.de"]
    assert europe.employee_count == 1200
    assert europe.annual_revenue == Decimal("12500000.00")
    assert europe.potential_arr == Decimal("250000.00")
    assert europe.owner == owner  # matched case-insensitively
    assert (europe.country, europe.tier, europe.industry) == ("GB", Company.Tier.ENTERPRISE, "Manufacturing")
    labs = Company.objects.get(external_id="C-DEV")
    assert labs.name == 'Acme "Labs"'
    assert list(labs.domains.values_list("domain", flat=True)) == ["acme-labs.github.io"]
    assert labs.tier == Company.Tier.MID_MARKET
    assert labs.annual_revenue is None
    assert Company.objects.get(external_id="C-SMB").annual_revenue == Decimal("1234.50")
    assert Company.objects.get(external_id="C-HQ").owner is None


def test_workspaces_import_parses_money_status_and_timestamps():
    code, output = run_import("workspaces", FIXTURES / "workspaces.csv")

    assert code == 0, output
    marketing = Workspace.objects.get(external_id="W-1")
    assert (marketing.plan, marketing.seats, marketing.mrr) == ("business", 25, Decimal("1250.00"))
    assert marketing.created_at == utc(2025, 1, 15)
    assert Workspace.objects.get(external_id="W-2").created_at == utc(2025, 3, 2, 8, 30)  # +02:00 → UTC
    assert Workspace.objects.get(external_id="W-3").status == Workspace.Status.ACTIVE  # empty → default
    assert Workspace.objects.get(external_id="W-4").created_at is None


def test_users_import_normalises_emails_and_creates_memberships_with_roles():
    run_import("workspaces", FIXTURES / "workspaces.csv")

    code, output = run_import("users", FIXTURES / "users.csv")

    assert code == 0, output
    jane = ProductUser.objects.get(external_id="U-1")
    assert jane.email == "jane.doe@acme.com"
    assert jane.signed_up_at == utc(2025, 1, 15, 9)
    assert jane.last_active_at == utc(2026, 1, 10, 12)
    memberships = set(WorkspaceMembership.objects.values_list("user__external_id", "workspace__external_id", "role"))
    assert memberships == {
        ("U-1", "W-1", "admin"),
        ("U-1", "W-2", "admin"),
        ("U-2", "W-2", "member"),
        ("U-3", "W-3", "admin"),  # the entry's own role wins over workspace_role
        ("U-3", "W-1", "member"),
    }
    assert ProductUser.objects.get(external_id="U-4").memberships.count() == 0


def test_usage_import_targets_workspaces_or_companies_by_month():
    load_all()

    records = set(
        UsageRecord.objects.values_list(
            "workspace__external_id", "company__external_id", "period", "metric", "quantity", "amount"
        )
    )
    assert records == {
        ("W-1", None, date(2026, 1, 1), "api_calls", Decimal("120000"), Decimal("1200")),
        ("W-1", None, date(2026, 2, 1), "api_calls", Decimal("130000"), Decimal("1300")),  # a date → its month
        ("W-2", None, date(2026, 1, 1), "api_calls", Decimal("5000"), Decimal("50")),
        (None, "C-HQ", date(2026, 1, 1), "professional_services", Decimal("1"), Decimal("15000")),
    }


@pytest.mark.parametrize(
    "kind, count",
    [("companies", 4), ("workspaces", 4), ("users", 4), ("usage", 4)],
)
def test_second_import_of_the_same_file_changes_nothing(owner, kind, count):
    load_all()
    before = snapshot()

    code, output = run_import(kind, FIXTURES / f"{kind}.csv")

    assert code == 0, output
    assert f"0 created, 0 updated, {count} unchanged" in output
    assert snapshot() == before  # every column of every row, updated_at included


def test_a_changed_row_is_updated_and_only_that_row_moves(tmp_path):
    run_import("workspaces", FIXTURES / "workspaces.csv")
    before = {w.external_id: w.updated_at for w in Workspace.objects.all()}
    changed = (FIXTURES / "workspaces.csv").read_text().replace("Globex Ops,free,3,0", "Globex Ops,team,12,600")
    path = write_csv(tmp_path, changed)

    code, output = run_import("workspaces", path)

    assert code == 0, output
    assert "0 created, 1 updated, 3 unchanged" in output
    globex = Workspace.objects.get(external_id="W-3")
    assert (globex.plan, globex.seats, globex.mrr) == ("team", 12, Decimal("600.00"))
    assert globex.updated_at > before["W-3"]
    assert {w.external_id: w.updated_at for w in Workspace.objects.exclude(external_id="W-3")} == {
        key: value for key, value in before.items() if key != "W-3"
    }


def test_columns_the_file_does_not_have_are_left_untouched(tmp_path):
    acme = CompanyFactory(
        external_id="C-1", name="Acme", potential_arr=Decimal("500000"), country="US", industry="Retail"
    )

    code, output = run_import("companies", write_csv(tmp_path, "external_id,name\nC-1,Acme Inc\nC-2,Beta\n"))

    assert code == 0, output
    assert "1 created, 1 updated, 0 unchanged" in output
    acme.refresh_from_db()
    assert (acme.name, acme.potential_arr, acme.country, acme.industry) == (
        "Acme Inc",
        Decimal("500000.00"),
        "US",
        "Retail",
    )
    assert Company.objects.get(external_id="C-2").potential_arr is None


def test_an_empty_cell_in_a_present_column_clears_the_value(tmp_path):
    acme = CompanyFactory(external_id="C-1", name="Acme", country="US", employee_count=10)

    run_import("companies", write_csv(tmp_path, "external_id,name,country,employee_count\nC-1,Acme,,\n"))

    acme.refresh_from_db()
    assert (acme.country, acme.employee_count) == ("", None)


def test_the_memberships_in_the_file_replace_the_users_memberships(tmp_path):
    load_all()
    jane = ProductUser.objects.get(external_id="U-1")
    untouched = ProductUser.objects.get(external_id="U-2").updated_at
    text = (
        "external_id,email,workspace_external_ids,workspace_role\n"
        "U-1,jane.doe@acme.com,W-2;W-4,member\n"
        "U-2,bob.smith@gmail.com,W-2,member\n"
    )

    code, output = run_import("users", write_csv(tmp_path, text))

    assert code == 0, output
    assert "0 created, 1 updated, 1 unchanged" in output
    assert set(jane.memberships.values_list("workspace__external_id", "role")) == {("W-2", "member"), ("W-4", "member")}
    jane_after = ProductUser.objects.get(pk=jane.pk)
    assert jane_after.updated_at > jane.updated_at
    assert jane_after.name == "Jane Doe"  # no name column: kept
    assert ProductUser.objects.get(external_id="U-2").updated_at == untouched


def test_domains_are_added_never_removed(tmp_path):
    company = CompanyFactory(external_id="C-1", name="Acme")
    CompanyDomain.objects.create(company=company, domain="acme-old.com")

    code, output = run_import("companies", write_csv(tmp_path, "external_id,name,domains\nC-1,Acme,acme.com\n"))

    assert code == 0, output
    assert "0 created, 1 updated, 0 unchanged" in output
    assert sorted(company.domains.values_list("domain", flat=True)) == ["acme-old.com", "acme.com"]


def test_header_names_match_case_insensitively(tmp_path):
    code, output = run_import("workspaces", write_csv(tmp_path, " External_ID ,NAME,Seats\nW-9,Nine,3\n"))

    assert code == 0, output
    assert Workspace.objects.get(external_id="W-9").seats == 3


def test_salesforce_account_export_report_headers(owner):
    code, output = run_import("companies", FIXTURES / "salesforce_accounts.csv", "--preset", "salesforce")

    assert code == 0, output
    assert "3 created, 0 updated, 0 unchanged, 1 warning" in output
    holdings = Company.objects.get(external_id="0015g00000AbCdEAAV")
    assert (holdings.name, holdings.owner, holdings.tier) == ("Initech Holdings", owner, Company.Tier.ENTERPRISE)
    assert (holdings.employee_count, holdings.annual_revenue) == (5200, Decimal("830000000.00"))
    assert list(holdings.domains.values_list("domain", flat=True)) == ["initech.com"]
    europe = Company.objects.get(external_id="0015g00000AbCdFAAV")
    assert europe.parent == holdings
    assert (europe.country, europe.tier, europe.industry) == ("Germany", Company.Tier.MID_MARKET, "Technology")
    assert europe.owner is None
    assert "line 3: warning: owner_email 'nobody@seller.example' matches no revops user" in output
    assert list(Company.objects.get(name="Hooli").domains.values_list("domain", flat=True)) == ["hooli.xyz"]


def test_salesforce_data_loader_api_names(tmp_path, owner):
    text = (
        "Id,Name,Website,ParentId,Industry,NumberOfEmployees,AnnualRevenue,BillingCountry,Owner.Email,Tier__c,Type\n"
        '001A,Parent Co,https://www.parent.com,,Banking,100,"1,000,000",France,ADA.ADMIN@seller.example,SMB,Customer\n'
        "001B,Child Co,child.fr,001A,Banking,10,,France,,,Partner\n"
    )

    code, output = run_import("companies", write_csv(tmp_path, text), "--preset", "salesforce")

    assert code == 0, output
    child = Company.objects.get(external_id="001B")
    assert child.parent.external_id == "001A"
    parent = child.parent
    assert (parent.owner, parent.tier, parent.annual_revenue, parent.country) == (
        owner,
        "smb",
        Decimal("1000000.00"),
        "France",
    )


def test_hubspot_companies_export(owner):
    code, output = run_import("companies", FIXTURES / "hubspot_companies.csv", "--preset", "hubspot")

    assert code == 0, output
    assert "3 created, 0 updated, 0 unchanged" in output
    umbrella = Company.objects.get(external_id="9001")
    assert umbrella.name == "Umbrella Corp"
    assert sorted(umbrella.domains.values_list("domain", flat=True)) == [
        "umbrella-pharma.com",
        "umbrella.co.jp",
        "umbrella.com",
    ]
    assert (umbrella.owner, umbrella.employee_count, umbrella.annual_revenue) == (owner, 9000, Decimal("4500000000.00"))
    assert (umbrella.country, umbrella.industry, umbrella.tier) == ("Japan", "BIOTECHNOLOGY", Company.Tier.ENTERPRISE)
    research = Company.objects.get(external_id="9002")
    assert (research.parent, research.tier) == (umbrella, Company.Tier.SMB)


@pytest.mark.parametrize("preset", ["salesforce", "hubspot"])
def test_presets_reimport_unchanged(owner, preset):
    name = {"salesforce": "salesforce_accounts.csv", "hubspot": "hubspot_companies.csv"}[preset]
    run_import("companies", FIXTURES / name, "--preset", preset)
    before = snapshot()

    code, output = run_import("companies", FIXTURES / name, "--preset", preset)

    assert code == 0, output
    assert "0 created, 0 updated, 3 unchanged" in output
    assert snapshot() == before


def test_existing_owner_is_kept_when_the_owner_email_is_unknown(tmp_path, owner):
    company = CompanyFactory(external_id="C-1", name="Acme", owner=owner)

    code, output = run_import(
        "companies", write_csv(tmp_path, "external_id,name,owner_email\nC-1,Acme,left.the.company@seller.example\n")
    )

    assert code == 0, output  # a warning does not change the exit code
    assert "warning: owner_email 'left.the.company@seller.example' matches no revops user" in output
    assert "0 created, 0 updated, 1 unchanged, 1 warning" in output
    company.refresh_from_db()
    assert company.owner == owner


def test_an_empty_owner_email_clears_the_owner(tmp_path, owner):
    company = CompanyFactory(external_id="C-1", name="Acme", owner=owner)

    run_import("companies", write_csv(tmp_path, "external_id,name,owner_email\nC-1,Acme,\n"))

    company.refresh_from_db()
    assert company.owner is None


def test_workspace_import_leaves_account_resolution_alone(tmp_path):
    company = CompanyFactory()
    workspace = WorkspaceFactory(
        external_id="W-1", name="Old", company=company, match_method="domain", match_status="auto"
    )

    run_import("workspaces", write_csv(tmp_path, "external_id,name\nW-1,New name\n"))

    workspace.refresh_from_db()
    assert (workspace.name, workspace.company, workspace.match_method, workspace.match_status) == (
        "New name",
        company,
        "domain",
        "auto",
    )
