"""The consolidation page, its CSV download, the API and `export_data consolidation`, through real URLs."""
import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import PricePlan, ResolutionSettings, WorkspaceMembership
from tests.factories import CompanyFactory, ProductUserFactory, WorkspaceFactory, WorkspaceMembershipFactory

pytestmark = pytest.mark.django_db
PAGE = "/accounts/consolidation/"
API = "/api/v1/consolidation/"


@pytest.fixture(autouse=True)
def resolution_settings():
    return ResolutionSettings.load()


@pytest.fixture
def acme(rep):
    """Acme Holdings: 3 workspaces across the group, one admin known, two people active lately."""
    holdings = CompanyFactory(name="Acme Holdings", external_id="ACME", employee_count=6000, owner=rep, tier="enterprise")
    uk = CompanyFactory(name="Acme UK", parent=holdings)
    design = WorkspaceFactory(company=uk, name="Acme Design", plan="business", seats=40, mrr=Decimal("1160"))
    WorkspaceFactory(company=uk, name="Acme Data", plan="team", seats=30, mrr=Decimal("360"))
    WorkspaceFactory(company=holdings, name="Acme HQ", plan="team", seats=30, mrr=Decimal("360"))
    now = timezone.now()
    admin = ProductUserFactory(name="Wile Coyote", email="wile@acme.example", last_active_at=now - timedelta(days=3))
    WorkspaceMembershipFactory(workspace=design, user=admin, role=WorkspaceMembership.Role.ADMIN)
    WorkspaceMembershipFactory(workspace=design, user=ProductUserFactory(last_active_at=now - timedelta(days=40)))
    WorkspaceMembershipFactory(workspace=design, user=ProductUserFactory(last_active_at=now - timedelta(days=1)))
    return holdings


def test_page_shows_each_candidate_with_its_workspaces_and_money(rep_client, acme):
    WorkspaceFactory(company=CompanyFactory(name="Solo"), plan="team")  # one workspace: not a candidate

    response = rep_client.get(PAGE)

    assert response.status_code == 200
    content = response.content.decode()
    assert [c.company.name for c in response.context["candidates"]] == ["Acme Holdings"]
    assert f'href="/accounts/{acme.pk}/">Acme Holdings</a>' in content
    assert "Acme Design" in content and "Acme Data" in content and "Acme HQ" in content
    assert "Wile Coyote" in content and 'href="mailto:wile@acme.example"' in content
    # Today: (1,160 + 360 + 360) × 12 = $22,560; one agreement: 100 seats at $44 × 12 = $52,800.
    assert "$22,560" in content and "$52,800" in content
    assert "-$30,240" in content and "Needs an incentive" in content
    assert "+$52,800" in content  # committed uplift: nothing is under contract today
    assert "2 active users" in content  # distinct members active in the last 30 days
    assert "Solo" not in content
    assert 'aria-current="page">Consolidation</a>' in content  # the Accounts tabs


def test_page_filters_sorts_and_paginates(rep_client, rep, acme):
    for i in range(30):
        root = CompanyFactory(name=f"Group {i:02d}", employee_count=100)
        WorkspaceFactory(company=root, seats=10 + i)
        WorkspaceFactory(company=root, seats=1)

    first = rep_client.get(PAGE, {"sort": "-seats"})
    assert first.context["paginator"].count == 31
    assert [c.company.name for c in first.context["candidates"]][:2] == ["Acme Holdings", "Group 29"]
    assert len(first.context["candidates"]) == 25
    second = rep_client.get(PAGE, {"sort": "-seats", "page": "2"})
    assert [c.company.name for c in second.context["candidates"]][-1] == "Group 00"

    assert [c.company.name for c in rep_client.get(PAGE, {"owner": rep.pk}).context["candidates"]] == ["Acme Holdings"]
    assert [c.company.name for c in rep_client.get(PAGE, {"min_workspaces": 3}).context["candidates"]] == ["Acme Holdings"]
    assert rep_client.get(PAGE, {"tier": "smb"}).context["paginator"].count == 0
    assert rep_client.get(PAGE, {"q": "group 1"}).context["paginator"].count == 10
    bad = rep_client.get(PAGE, {"min_workspaces": "1"})
    assert "Ensure this value is greater than or equal to 2" in bad.content.decode()
    assert bad.context["paginator"].count == 31  # the bad value is ignored, not a crash


def test_more_than_typical_only(rep_client, acme):
    for i in range(9):  # nine groups of the same size band with two workspaces each
        root = CompanyFactory(name=f"Peer {i}", employee_count=7000)
        WorkspaceFactory(company=root)
        WorkspaceFactory(company=root)
    response = rep_client.get(PAGE, {"more_than_typical": "true"})
    assert [c.company.name for c in response.context["candidates"]] == ["Acme Holdings"]
    assert "More than typical" in response.content.decode()


def test_page_query_count_does_not_grow_with_candidates(rep_client, acme):
    rep_client.get(PAGE)
    with CaptureQueriesContext(connection) as few:
        rep_client.get(PAGE)
    for i in range(40):
        root = CompanyFactory(name=f"Group {i:02d}")
        sub = CompanyFactory(parent=root)
        for company in (root, sub, sub):
            WorkspaceMembershipFactory(workspace=WorkspaceFactory(company=company), role="admin")
    with CaptureQueriesContext(connection) as many:
        response = rep_client.get(PAGE)
    assert len(response.context["candidates"]) == 25
    assert len(many) == len(few) <= 15


def test_htmx_request_gets_the_results_only(rep_client, acme):
    response = rep_client.get(PAGE, {"sort": "-workspaces"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    content = response.content.decode()
    assert '<div id="results"' in content and "<html" not in content and "Acme Holdings" in content


def test_missing_enterprise_plan_is_explained_not_a_crash(rep_client, acme):
    PricePlan.objects.filter(is_enterprise=True).update(is_enterprise=False)
    content = rep_client.get(PAGE).content.decode()
    assert "The price book has no enterprise plan" in content


def test_csv_download_follows_the_filters(rep_client, acme):
    other = CompanyFactory(name="Other")
    WorkspaceFactory(company=other)
    WorkspaceFactory(company=other)

    response = rep_client.get(f"{PAGE}export.csv", {"min_workspaces": 3})

    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row["company_external_id"] for row in rows] == ["ACME"]
    assert rows[0]["agreement_annual"] == "52800.00" and rows[0]["customer_saving_annual"] == "-30240.00"


# --- API ---------------------------------------------------------------------------------------------


def test_api_lists_candidates_with_workspaces_and_the_agreement(rep_client, acme):
    response = rep_client.get(API)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    row = body["results"][0]
    assert row["company_id"] == acme.pk and row["workspace_count"] == 3 and row["companies_with_workspaces"] == 2
    assert row["size_band"] == "5000+" and row["active_users"] == 2
    assert row["current_arr"] == "22560.00" and row["committed_arr"] == "0.00"
    assert row["agreement"] == {
        "plan": "Enterprise", "seats": 100, "tier_min_seats": 100, "list_price_per_seat": "49.00",
        "price_per_seat": "44.00", "monthly": "4400.00", "annual": "52800.00",
    }
    assert row["customer_saving"] == "-30240.00" and row["needs_incentive"] is True
    design = next(w for w in row["workspaces"] if w["name"] == "Acme Design")
    assert design["admins"] == [{"name": "Wile Coyote", "email": "wile@acme.example"}] and design["active_users"] == 2
    assert design["company_name"] == "Acme UK"


def test_api_detail_and_its_404s(rep_client, acme):
    assert rep_client.get(f"{API}{acme.pk}/").json()["name"] == "Acme Holdings"
    uk = acme.children.get()
    response = rep_client.get(f"{API}{uk.pk}/")
    assert response.status_code == 404 and f"part of Acme Holdings (id {acme.pk})" in response.json()["detail"]
    solo = CompanyFactory(name="Solo")
    assert "fewer than two" in rep_client.get(f"{API}{solo.pk}/").json()["detail"]
    assert rep_client.get(f"{API}999999/").status_code == 404


def test_api_rejects_bad_filters_and_anonymous_users(client, acme):
    assert client.get(API).status_code in (401, 403)
    client.force_login(acme.owner)
    response = client.get(API, {"min_workspaces": "1", "sort": "bogus"})
    assert response.status_code == 400
    assert set(response.json()) == {"min_workspaces", "sort"}


def test_api_refuses_a_yes_no_that_is_neither_and_empty_values(rep_client, acme):
    response = rep_client.get(f"{API}?more_than_typical=0&owner=&min_workspaces=")
    assert response.status_code == 400
    assert set(response.json()) == {"more_than_typical", "owner", "min_workspaces"}
    assert rep_client.get(API, {"more_than_typical": "false"}).status_code == 200


def test_api_is_read_only(admin_client, acme):
    assert admin_client.post(API, {}, content_type="application/json").status_code == 405


# --- export_data ---------------------------------------------------------------------------------------


def test_export_data_consolidation_writes_every_candidate(acme, tmp_path):
    target = tmp_path / "consolidation.csv"
    call_command("export_data", "consolidation", "-o", str(target))
    rows = list(csv.DictReader(target.open()))
    assert len(rows) == 1
    row = rows[0]
    assert row["company_name"] == "Acme Holdings" and row["owner_email"] == acme.owner.email
    assert row["workspace_count"] == "3" and row["seats"] == "100" and row["size_band"] == "5000+"
    assert row["current_arr"] == "22560.00" and row["committed_uplift_annual"] == "52800.00"
    assert row["needs_incentive"] == "true" and row["more_than_typical"] == "false"
    assert sorted(row["workspaces"].split(";"))[0].endswith(":business:40")
