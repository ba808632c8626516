"""Django admin of the accounts app: one smoke test per ModelAdmin, plus the rules it must keep."""
from datetime import date
from decimal import Decimal

import pytest

from accounts.models import (
    Company,
    CompanyDomain,
    ImportJob,
    ProductUser,
    Profile,
    UsageRecord,
    Workspace,
)
from tests.factories import (
    CompanyDomainFactory,
    CompanyFactory,
    ProductUserFactory,
    TeamFactory,
    UsageRecordFactory,
    UserFactory,
    WorkspaceFactory,
    WorkspaceMembershipFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser():
    return UserFactory(username="root", is_superuser=True, is_staff=True)


@pytest.fixture
def su_client(client, superuser):
    client.force_login(superuser)
    return client


def inline(prefix: str, rows: list[dict] | None = None, initial: int = 0) -> dict:
    rows = rows or []
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        data.update({f"{prefix}-{i}-{key}": value for key, value in row.items()})
    return data


def rows(response) -> str:
    assert response.status_code == 200
    return " | ".join(str(obj) for obj in response.context["cl"].result_list)


def changelist_shows(client, url: str, search: str, expected: str, absent: str) -> None:
    """The changelist lists both rows; searching for `search` keeps `expected` and drops `absent`."""
    listing = rows(client.get(url))
    assert expected in listing and absent in listing
    found = rows(client.get(url, {"q": search}))
    assert expected in found
    assert absent not in found


def company_form(**overrides) -> dict:
    return {
        "external_id": "C-NEW",
        "name": "Newco",
        "parent": "",
        "industry": "Software",
        "employee_count": "50",
        "annual_revenue": "",
        "potential_arr": "12000",
        "owner": "",
        "tier": "smb",
        "country": "DE",
        **inline("domains"),
        **overrides,
    }


# --- Company ---------------------------------------------------------------------------------


def test_company_admin_changelist_search_add_and_change(su_client, superuser):
    acme = CompanyFactory(external_id="ACME", name="Acme Corp", owner=superuser)
    CompanyDomainFactory(company=acme, domain="acme-widgets.com")
    CompanyFactory(external_id="ZETA", name="Zeta Inc")
    url = "/admin/accounts/company/"

    changelist_shows(su_client, url, "acme-widgets", "Acme Corp", "Zeta Inc")  # search by domain
    assert rows(su_client.get(url, {"q": "ZETA"})) == "Zeta Inc"  # by external id
    assert su_client.get(url, {"tier__exact": "smb"}).status_code == 200
    assert su_client.get(f"{url}add/").status_code == 200

    added = su_client.post(
        f"{url}add/",
        company_form(parent=str(acme.pk), **inline("domains", [{"domain": "https://www.Newco.co.uk/", "id": "",
                                                                 "company": ""}])),
    )
    assert added.status_code == 302, added.context["adminform"].form.errors if added.context else added
    newco = Company.objects.get(external_id="C-NEW")
    assert newco.parent == acme
    assert list(newco.domains.values_list("domain", flat=True)) == ["newco.co.uk"]

    assert su_client.get(f"{url}{acme.pk}/change/").status_code == 200
    changed = su_client.post(
        f"{url}{acme.pk}/change/",
        company_form(external_id="ACME", name="Acme Group", owner=str(superuser.pk)),
    )
    assert changed.status_code == 302
    acme.refresh_from_db()
    assert acme.name == "Acme Group"


def test_company_admin_refuses_a_parent_cycle(su_client):
    acme = CompanyFactory(external_id="ACME", name="Acme Corp")
    child = CompanyFactory(external_id="ACME-DE", parent=acme)

    response = su_client.post(
        f"/admin/accounts/company/{acme.pk}/change/",
        company_form(external_id="ACME", name="Acme Corp", parent=str(child.pk)),
    )

    assert response.status_code == 200  # the form again, with the error
    assert "cycle" in str(response.context["adminform"].form.errors["parent"])
    acme.refresh_from_db()
    assert acme.parent is None


def test_company_admin_refuses_an_invalid_domain(su_client):
    response = su_client.post(
        "/admin/accounts/company/add/",
        company_form(**inline("domains", [{"domain": "not a domain", "id": "", "company": ""}])),
    )
    assert response.status_code == 200
    assert "not a valid domain" in response.content.decode()
    assert not Company.objects.filter(external_id="C-NEW").exists()


def test_company_admin_will_not_delete_a_company_with_workspaces(su_client):
    acme = CompanyFactory(external_id="ACME", name="Acme Corp")
    WorkspaceFactory(company=acme)

    page = su_client.get(f"/admin/accounts/company/{acme.pk}/delete/")
    attempt = su_client.post(f"/admin/accounts/company/{acme.pk}/delete/", {"post": "yes"})

    assert "1 workspace" in page.content.decode()
    assert "would require deleting the following protected related objects" in page.content.decode()
    assert attempt.status_code == 200  # the refusal page again, nothing deleted
    assert "1 workspace" in attempt.content.decode()
    assert Company.objects.filter(pk=acme.pk).exists()


def test_company_admin_deletes_an_empty_company(su_client):
    empty = CompanyFactory(external_id="EMPTY")
    response = su_client.post(f"/admin/accounts/company/{empty.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Company.objects.filter(pk=empty.pk).exists()


def test_company_changelist_query_count_does_not_grow_with_rows(su_client, django_assert_max_num_queries):
    parent = CompanyFactory()
    for _ in range(40):
        CompanyFactory(parent=parent, owner=UserFactory())
    with django_assert_max_num_queries(12):
        assert su_client.get("/admin/accounts/company/").status_code == 200


# --- CompanyDomain ---------------------------------------------------------------------------


def test_company_domain_admin_changelist_search_add_and_change(su_client):
    acme = CompanyFactory(name="Acme Corp")
    domain = CompanyDomainFactory(company=acme, domain="acme.com")
    CompanyDomainFactory(domain="zeta.io")
    url = "/admin/accounts/companydomain/"

    changelist_shows(su_client, url, "acme", "acme.com", "zeta.io")
    assert su_client.get(f"{url}add/").status_code == 200
    added = su_client.post(f"{url}add/", {"company": str(acme.pk), "domain": "WWW.Acme.DE"})
    assert added.status_code == 302
    assert CompanyDomain.objects.filter(company=acme, domain="acme.de").exists()
    assert su_client.get(f"{url}{domain.pk}/change/").status_code == 200
    changed = su_client.post(f"{url}{domain.pk}/change/", {"company": str(acme.pk), "domain": "acme.org"})
    assert changed.status_code == 302
    domain.refresh_from_db()
    assert domain.domain == "acme.org"


# --- Workspace -------------------------------------------------------------------------------


def workspace_form(company="", **overrides) -> dict:
    return {
        "external_id": "W-NEW",
        "name": "New workspace",
        "plan": "team",
        "seats": "5",
        "mrr": "100.00",
        "status": "active",
        "created_at_0": "2025-01-15",
        "created_at_1": "10:00:00",
        "company": company,
        **overrides,
    }


def test_workspace_admin_changelist_search_add_and_change(su_client, superuser):
    acme = CompanyFactory(name="Acme Corp")
    workspace = WorkspaceFactory(name="Acme design", company=acme, match_method="domain", match_status="auto")
    WorkspaceFactory(name="Zeta ops")
    url = "/admin/accounts/workspace/"

    changelist_shows(su_client, url, "design", "Acme design", "Zeta ops")
    assert su_client.get(url, {"status__exact": "active"}).status_code == 200
    assert su_client.get(f"{url}add/").status_code == 200
    added = su_client.post(f"{url}add/", workspace_form(company=str(acme.pk)))
    assert added.status_code == 302
    new = Workspace.objects.get(external_id="W-NEW")
    assert (new.company, new.match_method, new.match_status, new.matched_by) == (acme, "manual", "confirmed", superuser)

    assert su_client.get(f"{url}{workspace.pk}/change/").status_code == 200
    changed = su_client.post(
        f"{url}{workspace.pk}/change/",
        workspace_form(external_id=workspace.external_id, name="Acme design EU", company=str(acme.pk)),
    )
    assert changed.status_code == 302
    workspace.refresh_from_db()
    assert workspace.name == "Acme design EU"
    assert workspace.match_method == "domain"  # company unchanged: resolution's match stays


# --- ProductUser -----------------------------------------------------------------------------


def product_user_form(**overrides) -> dict:
    return {
        "external_id": "U-NEW",
        "email": "New.Person@Acme.com",
        "name": "New Person",
        "company_name": "",
        "title": "",
        "signed_up_at_0": "",
        "signed_up_at_1": "",
        "last_active_at_0": "",
        "last_active_at_1": "",
        "company": "",
        **inline("memberships"),
        **overrides,
    }


def test_product_user_admin_changelist_search_add_and_change(su_client):
    workspace = WorkspaceFactory(external_id="W-1")
    person = ProductUserFactory(email="jane@acme.com")
    WorkspaceMembershipFactory(user=person, workspace=workspace)
    ProductUserFactory(email="zed@zeta.io")
    url = "/admin/accounts/productuser/"

    changelist_shows(su_client, url, "acme.com", "jane@acme.com", "zed@zeta.io")
    assert su_client.get(f"{url}add/").status_code == 200
    added = su_client.post(
        f"{url}add/",
        product_user_form(**inline("memberships", [{"workspace": str(workspace.pk), "role": "admin", "id": "",
                                                     "user": ""}])),
    )
    assert added.status_code == 302
    new = ProductUser.objects.get(external_id="U-NEW")
    assert new.email == "new.person@acme.com"
    assert list(new.memberships.values_list("workspace_id", "role")) == [(workspace.pk, "admin")]

    change_page = su_client.get(f"{url}{person.pk}/change/")
    assert change_page.status_code == 200
    assert "W-1" in change_page.content.decode() or str(workspace.pk) in change_page.content.decode()
    membership = person.memberships.get()
    changed = su_client.post(
        f"{url}{person.pk}/change/",
        product_user_form(
            external_id=person.external_id,
            email="jane.doe@acme.com",
            **inline("memberships", [{"workspace": str(workspace.pk), "role": "member", "id": str(membership.pk),
                                      "user": str(person.pk)}], initial=1),
        ),
    )
    assert changed.status_code == 302
    person.refresh_from_db()
    assert person.email == "jane.doe@acme.com"


# --- UsageRecord -----------------------------------------------------------------------------


def test_usage_record_admin_changelist_search_add_and_change(su_client):
    workspace = WorkspaceFactory(external_id="W-ACME")
    record = UsageRecordFactory(workspace=workspace, metric="api_calls")
    UsageRecordFactory(workspace=WorkspaceFactory(external_id="W-ZETA"), metric="storage_gb")
    url = "/admin/accounts/usagerecord/"

    changelist_shows(su_client, url, "W-ACME", "api_calls", "storage_gb")
    assert su_client.get(f"{url}add/").status_code == 200
    form = {"workspace": str(workspace.pk), "company": "", "period": "2026-03-17", "metric": "seats",
            "quantity": "12", "amount": "0"}
    assert su_client.post(f"{url}add/", form).status_code == 302
    assert UsageRecord.objects.get(metric="seats").period == date(2026, 3, 1)

    both = su_client.post(f"{url}add/", {**form, "company": str(CompanyFactory().pk), "metric": "other"})
    assert both.status_code == 200 and "exactly one" in both.content.decode()
    assert not UsageRecord.objects.filter(metric="other").exists()

    assert su_client.get(f"{url}{record.pk}/change/").status_code == 200
    changed = su_client.post(
        f"{url}{record.pk}/change/", {**form, "period": "2026-01-01", "metric": "api_calls", "amount": "42.50"}
    )
    assert changed.status_code == 302
    record.refresh_from_db()
    assert record.amount == Decimal("42.50")


# --- Team and Profile ------------------------------------------------------------------------


def test_team_admin_changelist_search_add_and_change(su_client, team, rep):
    TeamFactory(name="Zeta squad")
    url = "/admin/accounts/team/"

    changelist_shows(su_client, url, "East", "Enterprise East", "Zeta squad")
    assert su_client.get(f"{url}add/").status_code == 200
    newbie = UserFactory(username="nina.new")
    added = su_client.post(
        f"{url}add/",
        {"name": "Strategic", "manager": "", **inline("members", [{"user": str(newbie.pk), "time_zone": "Europe/Berlin",
                                                                   "id": "", "team": ""}])},
    )
    assert added.status_code == 302
    assert Profile.objects.get(user=newbie).team.name == "Strategic"

    page = su_client.get(f"{url}{team.pk}/change/")
    assert page.status_code == 200
    assert "ravi.rep" in page.content.decode()  # member profiles inline
    profiles = list(team.members.order_by("pk"))
    rows = [{"user": str(p.user_id), "time_zone": p.time_zone, "id": str(p.pk), "team": str(team.pk)} for p in profiles]
    changed = su_client.post(
        f"{url}{team.pk}/change/",
        {"name": "Enterprise East & Central", "manager": str(team.manager_id),
         **inline("members", rows, initial=len(rows))},
    )
    assert changed.status_code == 302
    team.refresh_from_db()
    assert team.name == "Enterprise East & Central"


def test_profile_admin_changelist_search_add_and_change(su_client, team, rep, other_rep):
    url = "/admin/accounts/profile/"
    changelist_shows(su_client, url, "ravi", "ravi.rep", "oscar.rep")
    assert su_client.get(f"{url}add/").status_code == 200
    user = UserFactory(username="paula.new")
    assert su_client.post(f"{url}add/", {"user": str(user.pk), "team": str(team.pk), "time_zone": "UTC"}).status_code == 302
    assert Profile.objects.get(user=user).team == team

    profile = Profile.objects.get(user=rep)
    assert su_client.get(f"{url}{profile.pk}/change/").status_code == 200
    changed = su_client.post(
        f"{url}{profile.pk}/change/", {"user": str(rep.pk), "team": str(team.pk), "time_zone": "America/New_York"}
    )
    assert changed.status_code == 302
    profile.refresh_from_db()
    assert profile.time_zone == "America/New_York"


# --- ImportJob -------------------------------------------------------------------------------


def test_import_job_admin_is_a_read_only_report(su_client, superuser):
    job = ImportJob.objects.create(
        kind="companies",
        original_name="crm-export.csv",
        file="imports/2026/01/crm-export.csv",
        status=ImportJob.Status.DONE_WITH_ERRORS,
        total_rows=3,
        processed_rows=3,
        created_count=2,
        error_count=1,
        errors=[{"line": 3, "message": "external_id is required <script>"}],
        created_by=superuser,
    )
    ImportJob.objects.create(kind="workspaces", original_name="product.csv", file="imports/x.csv")
    url = "/admin/accounts/importjob/"

    changelist_shows(su_client, url, "crm-export", "crm-export.csv", "product.csv")
    assert su_client.get(f"{url}add/").status_code == 403

    page = su_client.get(f"{url}{job.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<td>3</td><td>external_id is required &lt;script&gt;</td>" in html
    assert 'name="status"' not in html  # nothing editable

    attempt = su_client.post(f"{url}{job.pk}/change/", {"status": "queued"})
    assert attempt.status_code == 403
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE_WITH_ERRORS


def test_rep_cannot_open_the_admin(rep_client):
    response = rep_client.get("/admin/accounts/company/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")

