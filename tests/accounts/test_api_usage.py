"""/api/v1/usage/: monthly usage per metric for a workspace or a company; POST upserts."""
from datetime import date
from decimal import Decimal

import pytest

from accounts.models import UsageRecord
from tests.factories import CompanyFactory, UsageRecordFactory, WorkspaceFactory

URL = "/api/v1/usage/"

pytestmark = pytest.mark.django_db


def detail(record) -> str:
    return f"{URL}{record.pk}/"


@pytest.fixture
def acme(db):
    return CompanyFactory(external_id="ACME")


@pytest.fixture
def workspace(acme):
    return WorkspaceFactory(external_id="W-1", company=acme)


def test_list_shows_money_as_strings_and_targets(rep_client, acme, workspace):
    UsageRecordFactory(workspace=workspace, period=date(2026, 1, 1), quantity=Decimal("1234.5"), amount=Decimal("99.5"))
    UsageRecordFactory(workspace=None, company=acme, period=date(2026, 2, 1), metric="storage_gb")

    response = rep_client.get(URL)

    assert response.status_code == 200
    newest, oldest = response.json()["results"]
    assert newest == {
        "id": newest["id"],
        "workspace": None,
        "workspace_external_id": None,
        "company": acme.pk,
        "company_external_id": "ACME",
        "period": "2026-02-01",
        "metric": "storage_gb",
        "quantity": "1000.0000",
        "amount": "100.00",
    }
    assert oldest["workspace_external_id"] == "W-1"
    assert oldest["quantity"] == "1234.5000"
    assert oldest["amount"] == "99.50"


def test_list_filters(rep_client, acme, workspace):
    UsageRecordFactory(workspace=workspace, period=date(2025, 12, 1), metric="api_calls")
    UsageRecordFactory(workspace=workspace, period=date(2026, 1, 1), metric="seats")
    UsageRecordFactory(workspace=None, company=acme, period=date(2026, 3, 1), metric="api_calls")

    def keys(query):
        response = rep_client.get(URL, query)
        assert response.status_code == 200
        return [(row["period"], row["metric"]) for row in response.json()["results"]]

    assert keys({"metric": "api_calls"}) == [("2026-03-01", "api_calls"), ("2025-12-01", "api_calls")]
    assert keys({"workspace_external_id": "W-1", "period_from": "2026-01-01"}) == [("2026-01-01", "seats")]
    assert keys({"company_external_id": "ACME"}) == [("2026-03-01", "api_calls")]
    assert keys({"period_to": "2025-12-31"}) == [("2025-12-01", "api_calls")]
    assert keys({"ordering": "period"})[0] == ("2025-12-01", "api_calls")
    assert rep_client.get(URL, {"period_from": "someday"}).status_code == 400
    empty = rep_client.get(URL, {"period_to": ""})  # empty is not "no filter": refused, naming it
    assert empty.status_code == 400 and list(empty.json()) == ["period_to"]


def test_detail(rep_client, workspace):
    record = UsageRecordFactory(workspace=workspace)
    assert rep_client.get(detail(record)).json()["metric"] == "api_calls"


def test_admin_records_usage_for_a_month_and_a_resend_updates_it(admin_client, workspace):
    payload = {"workspace_external_id": "W-1", "period": "2026-04", "metric": "api_calls", "quantity": "10",
               "amount": "1.50"}

    first = admin_client.post(URL, payload, content_type="application/json")
    again = admin_client.post(URL, {**payload, "period": "2026-04-17", "amount": "2.75"}, content_type="application/json")

    assert first.status_code == 201, first.json()
    assert again.status_code == 200, again.json()
    record = UsageRecord.objects.get()
    assert record.period == date(2026, 4, 1)
    assert record.amount == Decimal("2.75")
    assert again.json()["id"] == first.json()["id"] == record.pk
    assert again.json()["period"] == "2026-04-01"


def test_admin_records_unattributed_usage_on_a_company(admin_client, acme):
    response = admin_client.post(
        URL, {"company": acme.pk, "period": "2026-01-01", "metric": "storage_gb", "quantity": "5"},
        content_type="application/json",
    )
    assert response.status_code == 201
    record = UsageRecord.objects.get()
    assert record.company == acme and record.workspace is None


@pytest.mark.parametrize(
    "payload, fields",
    [
        ({"period": "2026-01"}, {"workspace", "company"}),  # no target
        ({"workspace_external_id": "W-1", "company_external_id": "ACME", "period": "2026-01"}, {"workspace", "company"}),
        ({"workspace_external_id": "W-1", "period": "2026-13"}, {"period"}),
        ({"workspace_external_id": "W-1", "period": "January"}, {"period"}),
        ({"workspace_external_id": "W-1", "period": "2026-02-30"}, {"period"}),
        ({"workspace_external_id": "W-1"}, {"period"}),
        ({"workspace_external_id": "W-1", "period": "2026-01", "amount": "-1"}, {"amount"}),
        ({"workspace_external_id": "W-1", "period": "2026-01", "quantity": "-0.5"}, {"quantity"}),
        ({"workspace_external_id": "W-1", "period": "2026-01", "amount": "1.234"}, {"amount"}),
        ({"workspace_external_id": "NOPE", "period": "2026-01"}, {"workspace_external_id"}),
        ({"workspace_external_id": "W-1", "period": "2026-01", "metric": ""}, {"metric"}),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(admin_client, workspace, payload, fields):
    response = admin_client.post(URL, {"metric": "api_calls", **payload}, content_type="application/json")
    assert response.status_code == 400
    assert fields <= set(response.json()), response.json()
    assert not UsageRecord.objects.exists()


def test_admin_patch_moves_record_from_workspace_to_company(admin_client, acme, workspace):
    record = UsageRecordFactory(workspace=workspace)
    response = admin_client.patch(detail(record), {"company_external_id": "ACME"}, content_type="application/json")
    assert response.status_code == 200, response.json()
    record.refresh_from_db()
    assert (record.workspace, record.company) == (None, acme)


def test_patch_onto_an_existing_month_and_metric_is_refused(admin_client, workspace):
    UsageRecordFactory(workspace=workspace, period=date(2026, 1, 1))
    record = UsageRecordFactory(workspace=workspace, period=date(2026, 2, 1), amount=Decimal("7"))
    response = admin_client.patch(detail(record), {"period": "2026-01"}, content_type="application/json")
    assert response.status_code == 400
    assert "metric" in response.json()
    record.refresh_from_db()
    assert record.period == date(2026, 2, 1)


def test_rep_cannot_write(rep_client, workspace):
    record = UsageRecordFactory(workspace=workspace, amount=Decimal("5"))
    statuses = (
        rep_client.post(URL, {"workspace": workspace.pk, "period": "2026-05", "metric": "x"},
                        content_type="application/json").status_code,
        rep_client.patch(detail(record), {"amount": "1"}, content_type="application/json").status_code,
        rep_client.delete(detail(record)).status_code,
    )
    assert statuses == (403, 403, 403)
    record.refresh_from_db()
    assert record.amount == Decimal("5")
    assert UsageRecord.objects.count() == 1


def test_anonymous_is_401(client):
    assert client.get(URL).status_code == 401


def test_admin_deletes_a_usage_record(admin_client, workspace):
    record = UsageRecordFactory(workspace=workspace)
    assert admin_client.delete(detail(record)).status_code == 204
    assert not UsageRecord.objects.exists()


@pytest.mark.parametrize("rows", [3, 30])
def test_list_query_count_does_not_grow_with_rows(rep_client, django_assert_max_num_queries, rows):
    for i in range(rows):
        if i % 2:
            UsageRecordFactory(workspace=WorkspaceFactory())
        else:
            UsageRecordFactory(workspace=None, company=CompanyFactory())

    with django_assert_max_num_queries(4):
        response = rep_client.get(URL, {"page_size": 100})

    assert len(response.json()["results"]) == rows
