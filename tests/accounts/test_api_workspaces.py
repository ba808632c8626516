"""/api/v1/workspaces/: product workspaces, their company and member count."""
from decimal import Decimal

import pytest

from accounts.models import MatchFields, UsageRecord, Workspace, WorkspaceMembership
from tests.factories import (
    CompanyFactory,
    UsageRecordFactory,
    WorkspaceFactory,
    WorkspaceMembershipFactory,
)

URL = "/api/v1/workspaces/"

pytestmark = pytest.mark.django_db


def detail(workspace) -> str:
    return f"{URL}{workspace.pk}/"


@pytest.fixture
def acme(db):
    return CompanyFactory(external_id="ACME", name="Acme Corp")


def test_list_shows_company_and_member_count(rep_client, acme):
    workspace = WorkspaceFactory(external_id="W-1", name="Acme design", company=acme, mrr=Decimal("99.90"))
    WorkspaceMembershipFactory.create_batch(3, workspace=workspace)
    WorkspaceFactory(external_id="W-2", name="Lonely")

    response = rep_client.get(URL)

    assert response.status_code == 200
    rows = {row["external_id"]: row for row in response.json()["results"]}
    assert rows["W-1"]["company"] == acme.pk
    assert rows["W-1"]["company_external_id"] == "ACME"
    assert rows["W-1"]["company_name"] == "Acme Corp"
    assert rows["W-1"]["member_count"] == 3
    assert rows["W-1"]["mrr"] == "99.90"
    assert rows["W-2"]["company"] is None
    assert rows["W-2"]["company_name"] is None
    assert rows["W-2"]["member_count"] == 0


def test_list_filters_and_orders(rep_client, acme):
    WorkspaceFactory(external_id="W-1", name="Alpha", company=acme, seats=50, status=Workspace.Status.TRIAL)
    WorkspaceFactory(external_id="W-2", name="Beta", seats=5)
    WorkspaceFactory(external_id="W-3", name="Gamma", company=acme, seats=20)

    def ids(query):
        response = rep_client.get(URL, query)
        assert response.status_code == 200
        return [row["external_id"] for row in response.json()["results"]]

    assert ids({"company_external_id": "ACME"}) == ["W-1", "W-3"]
    assert ids({"company": acme.pk, "min_seats": 30}) == ["W-1"]
    assert ids({"unmatched": "true"}) == ["W-2"]
    assert ids({"status": "trial"}) == ["W-1"]
    assert ids({"q": "gam"}) == ["W-3"]
    assert ids({"ordering": "-seats"}) == ["W-1", "W-3", "W-2"]
    assert rep_client.get(URL, {"page_size": 2}).json()["next"] is not None


def test_detail(rep_client, acme):
    workspace = WorkspaceFactory(company=acme)
    response = rep_client.get(detail(workspace))
    assert response.status_code == 200
    assert response.json()["external_id"] == workspace.external_id


def test_admin_creates_workspace_as_a_manual_match(admin_client, acme, admin_user):
    response = admin_client.post(
        URL,
        {
            "external_id": "W-NEW",
            "name": "Acme data team",
            "plan": "business",
            "seats": 12,
            "mrr": "480.00",
            "status": "active",
            "created_at": "2025-03-01T10:00:00Z",
            "company_external_id": "ACME",
        },
        content_type="application/json",
    )

    assert response.status_code == 201, response.json()
    workspace = Workspace.objects.get(external_id="W-NEW")
    assert workspace.company == acme
    assert workspace.mrr == Decimal("480.00")
    assert workspace.match_method == MatchFields.Method.MANUAL
    assert workspace.match_status == MatchFields.Status.CONFIRMED
    assert workspace.matched_by == admin_user
    assert response.json()["match_status"] == "confirmed"
    assert response.json()["member_count"] == 0


def test_admin_moves_workspace_to_another_company(admin_client, acme):
    workspace = WorkspaceFactory(company=acme, match_method="domain", match_status="auto", match_confidence=0.9)
    other = CompanyFactory(external_id="OTHER")

    response = admin_client.patch(detail(workspace), {"company": other.pk}, content_type="application/json")

    assert response.status_code == 200
    workspace.refresh_from_db()
    assert workspace.company == other
    assert (workspace.match_method, workspace.match_status) == ("manual", "confirmed")


def test_admin_patch_that_keeps_the_company_leaves_the_match_alone(admin_client, acme):
    workspace = WorkspaceFactory(company=acme, match_method="domain", match_status="auto", match_confidence=0.9)

    response = admin_client.patch(
        detail(workspace), {"seats": 99, "company_external_id": "ACME"}, content_type="application/json"
    )

    assert response.status_code == 200
    workspace.refresh_from_db()
    assert workspace.seats == 99
    assert (workspace.match_method, workspace.match_status) == ("domain", "auto")


def test_match_fields_are_read_only(admin_client):
    workspace = WorkspaceFactory()
    response = admin_client.patch(
        detail(workspace), {"match_status": "confirmed", "name": "Renamed"}, content_type="application/json"
    )
    assert response.status_code == 200
    workspace.refresh_from_db()
    assert workspace.name == "Renamed"
    assert workspace.match_status == ""


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"mrr": "-1"}, "mrr"),
        ({"seats": -2}, "seats"),
        ({"status": "zombie"}, "status"),
        ({"company_external_id": "NOPE"}, "company_external_id"),
        ({"created_at": "yesterday"}, "created_at"),
        ({"external_id": "TAKEN"}, "external_id"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(admin_client, payload, field):
    WorkspaceFactory(external_id="TAKEN")
    response = admin_client.post(URL, {"external_id": "W-X", "name": "X", **payload}, content_type="application/json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert Workspace.objects.count() == 1


def test_rep_cannot_create_change_or_delete(rep_client):
    workspace = WorkspaceFactory(name="Original")
    statuses = (
        rep_client.post(URL, {"external_id": "W-R", "name": "R"}, content_type="application/json").status_code,
        rep_client.put(detail(workspace), {"external_id": "W", "name": "R"}, content_type="application/json").status_code,
        rep_client.delete(detail(workspace)).status_code,
    )
    assert statuses == (403, 403, 403)
    workspace.refresh_from_db()
    assert workspace.name == "Original"
    assert Workspace.objects.count() == 1


def test_anonymous_is_401(client):
    assert client.get(URL).status_code == 401


def test_admin_deletes_workspace_with_its_memberships_and_usage(admin_client):
    workspace = WorkspaceFactory()
    WorkspaceMembershipFactory(workspace=workspace)
    UsageRecordFactory(workspace=workspace)

    response = admin_client.delete(detail(workspace))

    assert response.status_code == 204
    assert not Workspace.objects.exists()
    assert not WorkspaceMembership.objects.exists()
    assert not UsageRecord.objects.exists()


@pytest.mark.parametrize("rows", [3, 30])
def test_list_query_count_does_not_grow_with_rows(rep_client, django_assert_max_num_queries, rows):
    for _ in range(rows):
        workspace = WorkspaceFactory(company=CompanyFactory())
        WorkspaceMembershipFactory(workspace=workspace)

    with django_assert_max_num_queries(5):
        response = rep_client.get(URL, {"page_size": 100})

    assert len(response.json()["results"]) == rows
    assert all(row["company_name"] and row["member_count"] == 1 for row in response.json()["results"])


@pytest.mark.parametrize("query, param", [("unmatched=null&unmatched=null", "unmatched"), ("unmatched=nah", "unmatched"),
                                          ("created_after=", "created_after")])
def test_invalid_filter_value_is_400_naming_the_parameter(rep_client, query, param):
    WorkspaceFactory()
    response = rep_client.get(f"{URL}?{query}")
    assert response.status_code == 400 and list(response.json()) == [param], response.json()


def test_unmatched_filter_takes_true_and_false(rep_client, acme):
    WorkspaceFactory(company=acme)
    WorkspaceFactory(company=None)
    assert rep_client.get(URL, {"unmatched": "true"}).json()["count"] == 1
    assert rep_client.get(URL, {"unmatched": "false"}).json()["count"] == 1
