"""/api/v1/companies/: reads for every logged-in user, writes for RevOps admins, through services."""
import re
from decimal import Decimal

import pytest
from rest_framework.authtoken.models import Token

from accounts.models import Company, CompanyDomain
from revops import roles
from tests.factories import (
    CompanyDomainFactory,
    CompanyFactory,
    ProductUserFactory,
    UsageRecordFactory,
    UserFactory,
    WorkspaceFactory,
)

URL = "/api/v1/companies/"

pytestmark = pytest.mark.django_db


def detail(company) -> str:
    return f"{URL}{company.pk}/"


@pytest.fixture
def acme(admin_user):
    acme = CompanyFactory(
        external_id="ACME", name="Acme Corp", tier=Company.Tier.ENTERPRISE, country="GB", owner=admin_user,
        potential_arr=Decimal("42000.00"),
    )
    CompanyDomainFactory(company=acme, domain="acme.co.uk")
    CompanyDomainFactory(company=acme, domain="acme.com")
    WorkspaceFactory(company=acme, mrr=Decimal("250.00"), seats=10)
    WorkspaceFactory(company=acme, mrr=Decimal("100.50"), seats=3)
    ProductUserFactory(company=acme)
    return acme


def test_list_shows_companies_with_metrics_domains_and_parent(rep_client, acme):
    child = CompanyFactory(external_id="ACME-DE", name="Acme GmbH", parent=acme)

    response = rep_client.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    rows = {row["external_id"]: row for row in body["results"]}
    assert rows["ACME"]["mrr"] == "350.50"
    assert rows["ACME"]["arr"] == "4206.00"
    assert rows["ACME"]["seats"] == 13
    assert rows["ACME"]["workspace_count"] == 2
    assert rows["ACME"]["user_count"] == 1
    assert rows["ACME"]["penetration"] == pytest.approx(4206 / 42000)
    assert rows["ACME"]["domains"] == ["acme.co.uk", "acme.com"]
    assert rows["ACME"]["owner_email"] == acme.owner.email
    assert rows["ACME-DE"]["parent"] == acme.pk
    assert rows["ACME-DE"]["parent_external_id"] == "ACME"
    assert rows["ACME-DE"]["id"] == child.pk


def test_list_filters_with_the_company_filterset(rep_client, acme):
    CompanyFactory(external_id="BETA", name="Beta Ltd", tier=Company.Tier.SMB, country="US", parent=acme)

    def ids(query):
        response = rep_client.get(URL, query)
        assert response.status_code == 200
        return [row["external_id"] for row in response.json()["results"]]

    assert ids({"tier": "enterprise"}) == ["ACME"]
    assert ids({"q": "acme.co"}) == ["ACME"]  # by domain
    assert ids({"country": "us"}) == ["BETA"]
    assert ids({"is_root": "false"}) == ["BETA"]
    assert ids({"parent": acme.pk}) == ["BETA"]
    assert ids({"has_workspaces": "true"}) == ["ACME"]
    assert ids({"sort": "-arr"}) == ["ACME", "BETA"]
    assert ids({"sort": "arr"}) == ["BETA", "ACME"]


def test_invalid_filter_value_is_a_400_naming_the_parameter(rep_client):
    response = rep_client.get(URL, {"tier": "gigantic"})
    assert response.status_code == 400
    assert "tier" in response.json()


@pytest.mark.parametrize("query, param", [
    ("small_deal=null&small_deal=null", "small_deal"),
    ("is_root=yes please", "is_root"),
    ("has_workspaces=", "has_workspaces"),
    ("owner=abc", "owner"),
    ("page_size=abc", "page_size"),
    ("page_size=0", "page_size"),
    ("page_size=3&page_size=4", "page_size"),
])
def test_unusable_filter_or_page_size_is_refused_not_ignored(rep_client, query, param):
    CompanyFactory()
    response = rep_client.get(f"{URL}?{query}")
    assert response.status_code == 400 and list(response.json()) == [param], response.json()


def test_yes_no_filter_keeps_its_meaning(rep_client, acme):
    CompanyFactory(parent=acme)
    assert rep_client.get(URL, {"is_root": "true"}).json()["count"] == 1
    assert rep_client.get(URL, {"is_root": "false"}).json()["count"] == 1
    assert rep_client.get(URL, {"is_root": "unknown"}).json()["count"] == 2


def test_page_size_above_the_maximum_is_capped(rep_client):
    CompanyFactory()
    assert rep_client.get(URL, {"page_size": 100000}).status_code == 200


def test_list_paginates(rep_client):
    CompanyFactory.create_batch(7)

    first = rep_client.get(URL, {"page_size": 3}).json()
    third = rep_client.get(URL, {"page_size": 3, "page": 3}).json()

    assert first["count"] == 7
    assert len(first["results"]) == 3
    assert first["next"].endswith("page=2&page_size=3")
    assert len(third["results"]) == 1
    assert third["next"] is None


def test_detail_returns_one_company(rep_client, acme):
    response = rep_client.get(detail(acme))
    assert response.status_code == 200
    assert response.json()["name"] == "Acme Corp"
    assert response.json()["mrr"] == "350.50"
    assert rep_client.get(f"{URL}999999/").status_code == 404


def test_admin_creates_company_by_external_references_with_normalised_domains(admin_client, acme, admin_user):
    owner = UserFactory(username="olga.owner", email="Olga@Seller.example", role=roles.REP)

    response = admin_client.post(
        URL,
        {
            "external_id": "ACME-FR",
            "name": "  Acme France ",
            "parent_external_id": "ACME",
            "owner_email": "olga@seller.example",
            "tier": "mid_market",
            "country": "FR",
            "employee_count": 120,
            "annual_revenue": "1250000.00",
            "potential_arr": "30000",
            "domains": ["https://www.Acme.fr/about", "shop.acme.fr", "ACME-FRANCE.COM"],
        },
        content_type="application/json",
    )

    assert response.status_code == 201, response.json()
    company = Company.objects.get(external_id="ACME-FR")
    assert company.name == "Acme France"
    assert company.parent == acme
    assert company.owner == owner
    assert company.potential_arr == Decimal("30000.00")
    assert sorted(company.domains.values_list("domain", flat=True)) == ["acme-france.com", "acme.fr"]
    body = response.json()
    assert body["id"] == company.pk
    assert body["domains"] == ["acme-france.com", "acme.fr"]
    assert body["potential_arr"] == "30000.00"
    assert body["mrr"] == "0.00"


def test_admin_patch_changes_fields_and_replaces_domains(admin_client, acme):
    response = admin_client.patch(
        detail(acme),
        {"name": "Acme Group", "domains": ["acme.com", "acme.io"], "owner": None},
        content_type="application/json",
    )

    assert response.status_code == 200, response.json()
    acme.refresh_from_db()
    assert acme.name == "Acme Group"
    assert acme.owner is None
    assert acme.tier == Company.Tier.ENTERPRISE  # untouched by a PATCH that does not name it
    assert sorted(acme.domains.values_list("domain", flat=True)) == ["acme.com", "acme.io"]
    assert response.json()["domains"] == ["acme.com", "acme.io"]


def test_admin_put_replaces_the_company(admin_client, acme):
    response = admin_client.put(
        detail(acme),
        {"external_id": "ACME", "name": "Acme Holdings", "tier": "smb", "country": "IE", "domains": []},
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    acme.refresh_from_db()
    assert (acme.name, acme.tier, acme.country) == ("Acme Holdings", "smb", "IE")
    assert not acme.domains.exists()


def test_patch_without_domains_keeps_them(admin_client, acme):
    response = admin_client.patch(detail(acme), {"country": "IE"}, content_type="application/json")
    assert response.status_code == 200
    assert set(acme.domains.values_list("domain", flat=True)) == {"acme.co.uk", "acme.com"}


def test_parent_cycle_is_refused_naming_parent(admin_client, acme):
    child = CompanyFactory(external_id="ACME-DE", parent=acme)
    grandchild = CompanyFactory(external_id="ACME-BER", parent=child)

    response = admin_client.patch(detail(acme), {"parent": grandchild.pk}, content_type="application/json")

    assert response.status_code == 400
    assert "parent" in response.json()
    assert "cycle" in response.json()["parent"][0]
    acme.refresh_from_db()
    assert acme.parent is None


def test_company_cannot_be_its_own_parent(admin_client, acme):
    response = admin_client.patch(detail(acme), {"parent_external_id": "ACME"}, content_type="application/json")
    assert response.status_code == 400
    assert "parent" in response.json()
    acme.refresh_from_db()
    assert acme.parent is None


def test_moving_a_company_elsewhere_in_the_tree_is_allowed(admin_client, acme):
    child = CompanyFactory(external_id="ACME-DE", parent=acme)
    other = CompanyFactory(external_id="OTHER")
    response = admin_client.patch(detail(child), {"parent_external_id": "OTHER"}, content_type="application/json")
    assert response.status_code == 200
    child.refresh_from_db()
    assert child.parent == other


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"parent_external_id": "NOPE"}, "parent_external_id"),
        ({"parent": 987654}, "parent"),
        ({"owner_email": "nobody@seller.example"}, "owner_email"),
        ({"owner_email": "not-an-email"}, "owner_email"),
        ({"potential_arr": "-1.00"}, "potential_arr"),
        ({"annual_revenue": "-5"}, "annual_revenue"),
        ({"employee_count": -3}, "employee_count"),
        ({"tier": "huge"}, "tier"),
        ({"domains": ["not a domain"]}, "domains"),
        ({"domains": ["co.uk"]}, "domains"),
        ({"domains": "acme.de"}, "domains"),
        ({"external_id": "TAKEN"}, "external_id"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(admin_client, payload, field):
    CompanyFactory(external_id="TAKEN")
    before = Company.objects.count()

    response = admin_client.post(
        URL, {"external_id": "NEW", "name": "New Co", **payload}, content_type="application/json"
    )

    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert Company.objects.count() == before
    assert not CompanyDomain.objects.exists()


def test_domain_of_another_company_is_refused_and_nothing_is_written(admin_client, acme):
    response = admin_client.post(
        URL,
        {"external_id": "COPY", "name": "Copycat", "domains": ["copycat.com", "www.acme.com"]},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "acme.com already belongs to Acme Corp (ACME)" in response.json()["domains"][0]
    assert not Company.objects.filter(external_id="COPY").exists()
    assert not CompanyDomain.objects.filter(domain="copycat.com").exists()


def test_update_with_a_taken_domain_leaves_company_unchanged(admin_client, acme):
    other = CompanyFactory(external_id="OTHER", name="Other")
    response = admin_client.patch(
        detail(other), {"name": "Renamed", "domains": ["acme.co.uk"]}, content_type="application/json"
    )
    assert response.status_code == 400
    other.refresh_from_db()
    assert other.name == "Other"
    assert CompanyDomain.objects.get(domain="acme.co.uk").company == acme


def test_ambiguous_owner_email_is_refused(admin_client):
    UserFactory(username="a1", email="shared@seller.example")
    UserFactory(username="a2", email="SHARED@seller.example")
    response = admin_client.post(
        URL, {"external_id": "N", "name": "N", "owner_email": "shared@seller.example"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "Several users" in response.json()["owner_email"][0]


def test_id_and_external_id_that_disagree_are_refused(admin_client, acme):
    other = CompanyFactory(external_id="OTHER")
    response = admin_client.post(
        URL,
        {"external_id": "N", "name": "N", "parent": other.pk, "parent_external_id": "ACME"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "parent_external_id" in response.json()
    assert not Company.objects.filter(external_id="N").exists()


def test_rep_cannot_write(rep_client, acme):
    create = rep_client.post(URL, {"external_id": "R", "name": "Rep Co"}, content_type="application/json")
    patch = rep_client.patch(detail(acme), {"name": "Hacked"}, content_type="application/json")
    delete = rep_client.delete(detail(CompanyFactory(external_id="EMPTY")))

    assert (create.status_code, patch.status_code, delete.status_code) == (403, 403, 403)
    assert not Company.objects.filter(external_id="R").exists()
    acme.refresh_from_db()
    assert acme.name == "Acme Corp"
    assert Company.objects.filter(external_id="EMPTY").exists()


def test_manager_can_read_but_not_write(manager_client, acme):
    assert manager_client.get(URL).status_code == 200
    response = manager_client.patch(detail(acme), {"name": "X"}, content_type="application/json")
    assert response.status_code == 403


def test_anonymous_gets_401_asking_for_a_token(client, acme):
    response = client.get(URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert client.post(URL, {"external_id": "A", "name": "A"}, content_type="application/json").status_code == 401
    assert not Company.objects.filter(external_id="A").exists()


def test_token_authentication_reads_and_writes(client, admin_user, rep, acme):
    rep_token = Token.objects.create(user=rep)
    admin_token = Token.objects.create(user=admin_user)

    read = client.get(URL, HTTP_AUTHORIZATION=f"Token {rep_token.key}")
    rep_write = client.patch(
        detail(acme), {"name": "Rep"}, content_type="application/json", HTTP_AUTHORIZATION=f"Token {rep_token.key}"
    )
    admin_write = client.patch(
        detail(acme), {"name": "Admin"}, content_type="application/json", HTTP_AUTHORIZATION=f"Token {admin_token.key}"
    )

    assert read.status_code == 200 and read.json()["count"] == 1
    assert rep_write.status_code == 403
    assert admin_write.status_code == 200
    acme.refresh_from_db()
    assert acme.name == "Admin"


def test_wrong_token_is_401(client, acme):
    assert client.get(URL, HTTP_AUTHORIZATION="Token not-a-real-key").status_code == 401


def test_admin_deletes_a_company_with_nothing_attached(admin_client):
    empty = CompanyFactory(external_id="EMPTY")
    CompanyDomainFactory(company=empty, domain="empty.io")

    response = admin_client.delete(detail(empty))

    assert response.status_code == 204
    assert not Company.objects.filter(external_id="EMPTY").exists()
    assert not CompanyDomain.objects.filter(domain="empty.io").exists()


def test_delete_is_refused_while_data_hangs_off_the_company(admin_client, acme):
    CompanyFactory(external_id="ACME-DE", parent=acme)
    UsageRecordFactory(workspace=None, company=acme)

    response = admin_client.delete(detail(acme))

    assert response.status_code == 400
    message = response.json()["non_field_errors"][0]
    assert "1 subsidiary" in message and "2 workspaces" in message and "1 usage record" in message
    assert Company.objects.filter(pk=acme.pk).exists()


@pytest.mark.parametrize("rows", [3, 30])
def test_list_query_count_does_not_grow_with_rows(rep_client, django_assert_max_num_queries, rows):
    parent = CompanyFactory(owner=UserFactory())
    for i in range(rows):
        company = CompanyFactory(parent=parent, owner=UserFactory())
        CompanyDomainFactory(company=company)
        WorkspaceFactory(company=company)
        ProductUserFactory(company=company)

    with django_assert_max_num_queries(6) as captured:
        response = rep_client.get(URL, {"page_size": 100})

    assert response.json()["count"] == rows + 1
    assert all(row["domains"] for row in response.json()["results"] if row["id"] != parent.pk)
    # of the owners and parents only what the rows show is read: no password hashes, no parents' figures
    sql = " ".join(query["sql"] for query in captured.captured_queries if 'FROM "accounts_company"' in query["sql"])
    assert '"auth_user"."email"' in sql and '"auth_user"."password"' not in sql
    assert set(re.findall(r'([\w"]+)\."potential_arr"', sql)) == {'"accounts_company"'}  # not the parent's


@pytest.mark.django_db(transaction=True)
def test_concurrent_parent_changes_cannot_together_form_a_cycle(require_postgres, admin_client):
    """A→B and B→A at the same time each pass a check alone; the hierarchy lock serialises them."""
    import threading

    from django.db import connection, transaction

    from accounts.services.companies import company_update

    a = CompanyFactory(external_id="A")
    b = CompanyFactory(external_id="B")
    first_holds_lock, release_first = threading.Event(), threading.Event()
    result = {}

    def first():
        try:
            with transaction.atomic():
                company_update(company=Company.objects.get(pk=a.pk), data={"parent": b})
                first_holds_lock.set()
                release_first.wait(10)
        finally:
            connection.close()

    def second():
        try:
            result["response"] = admin_client.patch(detail(b), {"parent": a.pk}, content_type="application/json")
        finally:
            connection.close()

    t1 = threading.Thread(target=first)
    t1.start()
    assert first_holds_lock.wait(10)
    t2 = threading.Thread(target=second)
    t2.start()
    t2.join(1)
    assert t2.is_alive(), "the second change must wait for the first"
    release_first.set()
    t1.join(10)
    t2.join(10)

    assert result["response"].status_code == 400
    assert "cycle" in result["response"].json()["parent"][0]
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.parent_id, b.parent_id) == (b.pk, None)
