"""Cycle prevention holds however deep the hierarchy: API, admin and import all refuse, nothing changes."""
import pytest

from accounts.models import Company
from tests.accounts.hierarchy_data import build_chain
from tests.accounts.test_import_helpers import run_import, write_csv
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DEPTH = 40


@pytest.fixture
def chain():
    return build_chain(DEPTH)


def test_api_refuses_to_put_the_top_under_its_deepest_descendant(admin_client, chain):
    top, bottom = chain[0], chain[-1]

    response = admin_client.patch(f"/api/v1/companies/{top.pk}/", {"parent": bottom.pk}, content_type="application/json")

    assert response.status_code == 400
    assert "cycle" in response.json()["parent"][0]
    top.refresh_from_db()
    assert top.parent_id is None


def test_api_allows_moving_a_deep_branch_elsewhere(admin_client, chain):
    other = Company.objects.create(external_id="OTHER", name="Other group")
    middle = chain[DEPTH // 2]

    response = admin_client.patch(f"/api/v1/companies/{middle.pk}/", {"parent": other.pk}, content_type="application/json")

    assert response.status_code == 200
    middle.refresh_from_db()
    assert middle.parent_id == other.pk


def test_admin_refuses_a_cycle_at_depth(client, chain):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    top, bottom = chain[0], chain[-1]
    form = {
        "external_id": top.external_id, "name": top.name, "parent": str(bottom.pk), "industry": "", "employee_count": "",
        "annual_revenue": "", "potential_arr": "", "owner": "", "tier": "", "country": "",
        "domains-TOTAL_FORMS": "0", "domains-INITIAL_FORMS": "0", "domains-MIN_NUM_FORMS": "0", "domains-MAX_NUM_FORMS": "1000",
    }

    response = client.post(f"/admin/accounts/company/{top.pk}/change/", form)

    assert response.status_code == 200
    assert "cycle" in str(response.context["adminform"].form.errors["parent"])
    top.refresh_from_db()
    assert top.parent_id is None


def test_import_refuses_a_cycle_through_a_deep_chain(tmp_path, chain):
    top, bottom = chain[0], chain[-1]

    code, output = run_import(
        "companies", write_csv(tmp_path, f"external_id,name,parent_external_id\n{top.external_id},{top.name},{bottom.external_id}\n")
    )

    assert code == 2
    assert "parent cycle" in output
    top.refresh_from_db()
    assert top.parent_id is None
