"""The review queue API: listing by value at stake, decisions, bulk, permissions and 400s naming the field."""

from decimal import Decimal
from unittest import mock

import pytest
from rest_framework.test import APIClient

from accounts.models import Workspace
from tests.factories import (
    CompanyFactory,
    ProductUserFactory,
    UserFactory,
    WorkspaceFactory,
    WorkspaceMembershipFactory,
)

pytestmark = pytest.mark.django_db
WS = "/api/v1/review/workspaces/"
USERS = "/api/v1/review/users/"


def in_review(factory=WorkspaceFactory, **kwargs):
    kwargs.setdefault("suggested_company", CompanyFactory())
    kwargs.setdefault("match_confidence", 0.72)
    return factory(match_status="review", match_method="name", match_reason="typed 'Acme'", **kwargs)


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture(autouse=True)
def resolution_task():
    with mock.patch("accounts.tasks.resolve_product_users_task", create=True) as task:
        yield task


def test_list_of_workspaces_is_the_queue_most_valuable_first(rep):
    low, high = in_review(mrr=Decimal("10"), seats=1), in_review(mrr=Decimal("990"), seats=1)
    WorkspaceFactory(match_status="confirmed", mrr=Decimal("5000"))
    WorkspaceMembershipFactory.create_batch(2, workspace=high)

    body = api(rep).get(WS).json()

    assert body["count"] == 2 and [row["id"] for row in body["results"]] == [high.pk, low.pk]
    first = body["results"][0]
    assert first["member_count"] == 2 and first["match_status"] == "review" and first["company"] is None
    assert first["suggested_company"] == {
        "id": high.suggested_company.pk,
        "external_id": high.suggested_company.external_id,
        "name": high.suggested_company.name,
    }


def test_list_of_users_carries_the_value_at_stake(rep):
    user = in_review(ProductUserFactory)
    WorkspaceMembershipFactory(user=user, workspace=WorkspaceFactory(mrr=Decimal("120.50"), seats=4))
    WorkspaceMembershipFactory(user=user, workspace=WorkspaceFactory(mrr=Decimal("79.50"), seats=6))

    row = api(rep).get(USERS).json()["results"][0]

    assert (row["stake_mrr"], row["stake_seats"], row["workspace_count"]) == ("200.00", 10, 2)


def test_filters_narrow_the_list(rep):
    hit = in_review(match_confidence=0.9, name="Acme Web")
    in_review(match_confidence=0.65, name="Acme Ops")
    body = api(rep).get(WS, {"q": "acme", "confidence_min": "0.8"}).json()
    assert [row["id"] for row in body["results"]] == [hit.pk]
    assert api(rep).get(WS, {"confidence_min": "lots"}).status_code == 400


@pytest.mark.parametrize("url", [WS, USERS])
@pytest.mark.parametrize("value", ["0.5", "1e3", "acme", str(2**63)])
def test_company_filter_takes_a_whole_number_or_answers_400_naming_it(rep, url, value):
    response = api(rep).get(url, {"company": value})
    assert response.status_code == 400 and list(response.json()) == ["company"]


@pytest.mark.parametrize("factory, url", [(WorkspaceFactory, WS), (ProductUserFactory, USERS)])
def test_company_filter_narrows_to_the_proposed_company(rep, factory, url):
    hit = in_review(factory)
    in_review(factory)
    body = api(rep).get(url, {"company": str(hit.suggested_company_id)}).json()
    assert [row["id"] for row in body["results"]] == [hit.pk]


def test_anonymous_requests_are_401(db):
    assert api().get(WS).status_code == 401


def test_reps_read_but_cannot_decide(rep):
    workspace = in_review()
    assert api(rep).get(f"{WS}{workspace.pk}/").status_code == 200
    assert api(rep).post(f"{WS}{workspace.pk}/confirm/").status_code == 403
    assert api(rep).post(f"{WS}bulk/", {"action": "reject", "ids": [workspace.pk]}, format="json").status_code == 403
    workspace.refresh_from_db()
    assert workspace.match_status == "review"


@pytest.mark.parametrize("who", ["admin_user", "manager"])
def test_confirm_records_the_decision(who, request):
    person = request.getfixturevalue(who)
    workspace = in_review()

    response = api(person).post(f"{WS}{workspace.pk}/confirm/")

    assert response.status_code == 200
    body = response.json()
    assert body["match_status"] == "confirmed" and body["company"]["id"] == workspace.suggested_company_id
    assert body["matched_by"] == person.username and body["matched_at"]
    workspace.refresh_from_db()
    assert (workspace.company_id, workspace.matched_by) == (workspace.suggested_company_id, person)


def test_reject_and_reading_the_outcome_back(admin_user):
    user = in_review(ProductUserFactory)
    assert api(admin_user).post(f"{USERS}{user.pk}/reject/").json()["match_status"] == "rejected"
    assert api(admin_user).get(f"{USERS}{user.pk}/").json()["company"] is None
    assert api(admin_user).get(USERS).json()["count"] == 0


def test_reassign_by_external_id(admin_user, resolution_task, django_capture_on_commit_callbacks):
    user = in_review(ProductUserFactory)
    target = CompanyFactory(external_id="CRM-42")
    with django_capture_on_commit_callbacks(execute=True):
        response = api(admin_user).post(f"{USERS}{user.pk}/reassign/", {"company_external_id": "CRM-42"}, format="json")
    assert response.status_code == 200, response.json()
    user.refresh_from_db()
    assert (user.company, user.match_status, user.match_method, user.matched_by) == (
        target,
        "confirmed",
        "manual",
        admin_user,
    )
    resolution_task.delay.assert_called_once_with([user.pk])


@pytest.mark.parametrize(
    "payload, field",
    [({"company": 999999}, "company"), ({}, "company"), ({"company_external_id": "nope"}, "company_external_id")],
)
def test_reassign_with_bad_input_is_400_naming_the_field(admin_user, payload, field):
    workspace = in_review()
    response = api(admin_user).post(f"{WS}{workspace.pk}/reassign/", payload, format="json")
    assert response.status_code == 400 and field in response.json()
    workspace.refresh_from_db()
    assert workspace.match_status == "review" and workspace.company_id is None


def test_reassign_with_conflicting_references_is_400(admin_user):
    workspace, one, other = in_review(), CompanyFactory(), CompanyFactory()
    response = api(admin_user).post(
        f"{WS}{workspace.pk}/reassign/", {"company": one.pk, "company_external_id": other.external_id}, format="json"
    )
    assert response.status_code == 400 and "company_external_id" in response.json()


def test_deciding_a_record_not_in_review_is_400_with_a_detail(admin_user):
    workspace = in_review()
    Workspace.objects.filter(pk=workspace.pk).update(match_status="auto", company=workspace.suggested_company)
    response = api(admin_user).post(f"{WS}{workspace.pk}/reject/")
    # the record's state is not a field of the request: `detail` names the problem
    assert response.status_code == 400 and list(response.json()) == ["detail"]
    assert "not in review" in response.json()["detail"]
    workspace.refresh_from_db()
    assert workspace.match_status == "auto" and workspace.company_id is not None


def test_unknown_record_is_404(admin_user):
    assert api(admin_user).post(f"{WS}424242/confirm/").status_code == 404


def test_bulk_confirm_and_reject(admin_user):
    chosen = [in_review() for _ in range(3)]
    stale = in_review()
    Workspace.objects.filter(pk=stale.pk).update(match_status="rejected")

    response = api(admin_user).post(
        f"{WS}bulk/", {"action": "confirm", "ids": [w.pk for w in chosen] + [stale.pk]}, format="json"
    )

    assert response.status_code == 200
    assert response.json() == {"action": "confirm", "decided": sorted(w.pk for w in chosen), "skipped": [stale.pk]}
    assert Workspace.objects.filter(match_status="confirmed", matched_by=admin_user).count() == 3


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"action": "approve", "ids": [1]}, "action"),
        ({"action": "reject", "ids": []}, "ids"),
        ({"action": "reject"}, "ids"),
    ],
)
def test_bulk_with_bad_input_is_400_naming_the_field(admin_user, payload, field):
    in_review()
    response = api(admin_user).post(f"{WS}bulk/", payload, format="json")
    assert response.status_code == 400 and field in response.json()
    assert Workspace.objects.get().match_status == "review"


def test_token_authenticated_manager_can_decide(manager):
    from rest_framework.authtoken.models import Token

    workspace = in_review()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=manager).key}")
    assert client.post(f"{WS}{workspace.pk}/confirm/").status_code == 200


def test_users_without_a_role_cannot_decide(db):
    workspace = in_review()
    assert api(UserFactory(username="nobody")).post(f"{WS}{workspace.pk}/confirm/").status_code == 403
