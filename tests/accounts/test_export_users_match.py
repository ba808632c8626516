"""export_data users carries account resolution's outcome; the company only for decided matches."""

import csv
import io

import pytest
from django.core.management import call_command

from accounts.models import ProductUser
from tests.accounts.test_import_helpers import run_import
from tests.factories import CompanyFactory, ProductUserFactory, WorkspaceFactory, WorkspaceMembershipFactory

pytestmark = pytest.mark.django_db
MATCH_COLUMNS = ["company_external_id", "match_method", "match_confidence", "match_status", "match_reason"]


def exported() -> dict[str, dict]:
    out = io.StringIO()
    call_command("export_data", "users", stdout=out)
    return {row["external_id"]: row for row in csv.DictReader(io.StringIO(out.getvalue()))}


def header() -> list[str]:
    out = io.StringIO()
    call_command("export_data", "users", stdout=out)
    return out.getvalue().splitlines()[0].split(",")


def test_users_export_has_the_match_columns_after_the_import_columns():
    columns = header()
    assert columns[:2] == ["external_id", "email"] and columns[-5:] == MATCH_COLUMNS


def test_company_is_exported_for_auto_confirmed_and_manual_matches_only():
    acme = CompanyFactory(external_id="CRM-ACME")
    ProductUserFactory(
        external_id="auto", company=acme, match_status="auto", match_method="domain", match_confidence=0.97
    )
    ProductUserFactory(
        external_id="confirmed", company=acme, match_status="confirmed", match_method="name", match_confidence=0.7
    )
    ProductUserFactory(
        external_id="manual", company=acme, match_status="confirmed", match_method="manual", match_confidence=1.0
    )
    ProductUserFactory(
        external_id="review", suggested_company=acme, match_status="review", match_method="name", match_confidence=0.66
    )
    ProductUserFactory(external_id="rejected", suggested_company=acme, match_status="rejected", match_method="name")
    ProductUserFactory(external_id="unmatched", match_status="unmatched")
    ProductUserFactory(external_id="unresolved")

    rows = exported()

    assert {key: rows[key]["company_external_id"] for key in rows} == {
        "auto": "CRM-ACME",
        "confirmed": "CRM-ACME",
        "manual": "CRM-ACME",
        "review": "",
        "rejected": "",
        "unmatched": "",
        "unresolved": "",
    }
    assert [rows["review"][column] for column in MATCH_COLUMNS[1:]] == ["name", "0.66", "review", ""]
    assert (rows["auto"]["match_method"], rows["auto"]["match_confidence"], rows["auto"]["match_status"]) == (
        "domain",
        "0.97",
        "auto",
    )
    assert rows["unresolved"]["match_confidence"] == "" and rows["unresolved"]["match_status"] == ""


def test_a_company_set_against_the_contract_on_a_review_record_is_not_exported():
    # Defensive: review means "proposed", whatever a buggy writer left in `company`.
    ProductUserFactory(external_id="odd", company=CompanyFactory(external_id="CRM-X"), match_status="review")
    assert exported()["odd"]["company_external_id"] == ""


def test_match_reason_is_escaped_against_formulas():
    ProductUserFactory(external_id="U1", match_status="review", match_reason='=HYPERLINK("http://evil")')
    ProductUserFactory(external_id="U2", match_status="auto", match_reason="email domain acme.com is owned by Acme")
    rows = exported()
    assert rows["U1"]["match_reason"] == '\'=HYPERLINK("http://evil")'
    assert rows["U2"]["match_reason"] == "email domain acme.com is owned by Acme"


def test_export_with_match_columns_imports_back(tmp_path):
    acme = CompanyFactory(external_id="CRM-ACME")
    workspace = WorkspaceFactory(external_id="W-1")
    user = ProductUserFactory(
        external_id="U-1",
        email="ana@acme.example",
        name="Ana",
        company=acme,
        match_status="auto",
        match_method="domain",
    )
    WorkspaceMembershipFactory(user=user, workspace=workspace)
    path = tmp_path / "users.csv"
    call_command("export_data", "users", "-o", str(path), stdout=io.StringIO())
    before = list(ProductUser.objects.values_list("external_id", "email", "name", "signed_up_at"))

    ProductUser.objects.all().delete()
    code, output = run_import("users", path)

    assert code == 0, output
    assert list(ProductUser.objects.values_list("external_id", "email", "name", "signed_up_at")) == before
    assert ProductUser.objects.get().workspaces.get() == workspace


def test_users_export_stays_a_fixed_number_of_queries(django_assert_max_num_queries):
    acme = CompanyFactory()
    for index in range(30):
        user = ProductUserFactory(company=acme, match_status="auto")
        WorkspaceMembershipFactory(user=user)
    with django_assert_max_num_queries(4):
        rows = exported()
    assert len(rows) == 30
