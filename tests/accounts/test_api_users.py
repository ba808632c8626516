"""/api/v1/users/: product users with their workspaces and roles."""
import pytest

from accounts.models import ProductUser, Workspace, WorkspaceMembership
from tests.factories import CompanyFactory, ProductUserFactory, WorkspaceFactory, WorkspaceMembershipFactory

URL = "/api/v1/users/"

pytestmark = pytest.mark.django_db


def detail(user) -> str:
    return f"{URL}{user.pk}/"


@pytest.fixture
def acme(db):
    return CompanyFactory(external_id="ACME", name="Acme Corp")


@pytest.fixture
def design(acme):
    return WorkspaceFactory(external_id="W-DESIGN", name="Design", company=acme)


@pytest.fixture
def data(acme):
    return WorkspaceFactory(external_id="W-DATA", name="Data", company=acme)


def test_list_shows_workspaces_with_roles_and_company(rep_client, acme, design, data):
    jane = ProductUserFactory(external_id="U-1", email="jane@acme.com", company=acme)
    WorkspaceMembershipFactory(user=jane, workspace=design, role="admin")
    WorkspaceMembershipFactory(user=jane, workspace=data, role="member")

    response = rep_client.get(URL)

    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["email"] == "jane@acme.com"
    assert row["company_external_id"] == "ACME"
    assert row["workspaces"] == [
        {"workspace": data.pk, "workspace_external_id": "W-DATA", "workspace_name": "Data", "role": "member"},
        {"workspace": design.pk, "workspace_external_id": "W-DESIGN", "workspace_name": "Design", "role": "admin"},
    ]


def test_list_filters(rep_client, acme, design):
    jane = ProductUserFactory(external_id="U-1", email="jane@acme.com", company=acme)
    WorkspaceMembershipFactory(user=jane, workspace=design)
    ProductUserFactory(external_id="U-2", email="joe@gmail.com")

    def ids(query):
        response = rep_client.get(URL, query)
        assert response.status_code == 200
        return [row["external_id"] for row in response.json()["results"]]

    assert ids({"email_domain": "acme.com"}) == ["U-1"]
    assert ids({"workspace": design.pk}) == ["U-1"]
    assert ids({"company_external_id": "ACME"}) == ["U-1"]
    assert ids({"q": "joe"}) == ["U-2"]
    assert ids({"ordering": "-email"}) == ["U-2", "U-1"]
    assert rep_client.get(URL, {"page_size": 1}).json()["count"] == 2


def test_detail(rep_client):
    user = ProductUserFactory()
    assert rep_client.get(detail(user)).json()["email"] == user.email


def test_admin_creates_user_with_normalised_email_and_memberships(admin_client, acme, design, data, admin_user):
    response = admin_client.post(
        URL,
        {
            "external_id": "U-NEW",
            "email": "  Jane.Doe@ACME.com ",
            "name": "Jane Doe",
            "company_external_id": "ACME",
            "workspaces": [
                {"workspace_external_id": "W-DESIGN", "role": "admin"},
                {"workspace": data.pk},
            ],
        },
        content_type="application/json",
    )

    assert response.status_code == 201, response.json()
    user = ProductUser.objects.get(external_id="U-NEW")
    assert user.email == "jane.doe@acme.com"
    assert user.company == acme
    assert (user.match_method, user.match_status, user.matched_by) == ("manual", "confirmed", admin_user)
    roles = dict(user.memberships.values_list("workspace__external_id", "role"))
    assert roles == {"W-DESIGN": "admin", "W-DATA": "member"}
    assert len(response.json()["workspaces"]) == 2


def test_admin_patch_replaces_memberships(admin_client, design, data):
    user = ProductUserFactory()
    WorkspaceMembershipFactory(user=user, workspace=design, role="member")

    response = admin_client.patch(
        detail(user),
        {"workspaces": [{"workspace_external_id": "W-DATA", "role": "admin"}]},
        content_type="application/json",
    )

    assert response.status_code == 200, response.json()
    assert list(user.memberships.values_list("workspace__external_id", "role")) == [("W-DATA", "admin")]


def test_admin_patch_changes_role_in_place(admin_client, design):
    user = ProductUserFactory()
    membership = WorkspaceMembershipFactory(user=user, workspace=design, role="member")
    response = admin_client.patch(
        detail(user), {"workspaces": [{"workspace_external_id": "W-DESIGN", "role": "admin"}]},
        content_type="application/json",
    )
    assert response.status_code == 200
    membership.refresh_from_db()
    assert membership.role == "admin"


def test_patch_without_workspaces_keeps_memberships(admin_client, design):
    user = ProductUserFactory()
    WorkspaceMembershipFactory(user=user, workspace=design)
    response = admin_client.patch(detail(user), {"title": "CTO"}, content_type="application/json")
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.title == "CTO"
    assert user.memberships.count() == 1


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": ""}, "email"),
        ({"company_external_id": "NOPE"}, "company_external_id"),
        ({"workspaces": [{"workspace_external_id": "NOPE"}]}, "workspaces"),
        ({"workspaces": [{"workspace_external_id": "W-DESIGN", "role": "owner"}]}, "workspaces"),
        ({"workspaces": [{"role": "admin"}]}, "workspaces"),
        ({"workspaces": [{"workspace_external_id": "W-DESIGN"}, {"workspace_external_id": "W-DESIGN"}]}, "workspaces"),
        ({"last_active_at": "soon"}, "last_active_at"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(admin_client, design, payload, field):
    response = admin_client.post(
        URL, {"external_id": "U-X", "email": "x@acme.com", **payload}, content_type="application/json"
    )
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not ProductUser.objects.exists()
    assert not WorkspaceMembership.objects.exists()


def test_rep_cannot_write(rep_client, design):
    user = ProductUserFactory(email="keep@acme.com")
    statuses = (
        rep_client.post(URL, {"external_id": "U-R", "email": "r@x.com"}, content_type="application/json").status_code,
        rep_client.patch(detail(user), {"email": "changed@acme.com"}, content_type="application/json").status_code,
        rep_client.delete(detail(user)).status_code,
    )
    assert statuses == (403, 403, 403)
    user.refresh_from_db()
    assert user.email == "keep@acme.com"
    assert ProductUser.objects.count() == 1


def test_anonymous_is_401(client):
    assert client.get(URL).status_code == 401


def test_admin_deletes_user_and_memberships_but_not_workspaces(admin_client, design):
    user = ProductUserFactory()
    WorkspaceMembershipFactory(user=user, workspace=design)

    assert admin_client.delete(detail(user)).status_code == 204

    assert not ProductUser.objects.exists()
    assert not WorkspaceMembership.objects.exists()
    assert Workspace.objects.filter(pk=design.pk).exists()


@pytest.mark.parametrize("rows", [3, 30])
def test_list_query_count_does_not_grow_with_rows(rep_client, django_assert_max_num_queries, rows):
    company = CompanyFactory()
    workspaces = WorkspaceFactory.create_batch(3, company=company)
    for _ in range(rows):
        user = ProductUserFactory(company=CompanyFactory())
        for workspace in workspaces:
            WorkspaceMembershipFactory(user=user, workspace=workspace)

    with django_assert_max_num_queries(6):
        response = rep_client.get(URL, {"page_size": 100})

    assert len(response.json()["results"]) == rows
    assert all(len(row["workspaces"]) == 3 for row in response.json()["results"])


@pytest.mark.parametrize("query, param", [("workspace=0.5", "workspace"), ("company=", "company"),
                                          ("active_since=soon", "active_since")])
def test_invalid_filter_value_is_400_naming_the_parameter(rep_client, query, param):
    ProductUserFactory()
    response = rep_client.get(f"{URL}?{query}")
    assert response.status_code == 400 and list(response.json()) == [param], response.json()
