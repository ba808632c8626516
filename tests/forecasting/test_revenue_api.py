"""The revenue API through real URLs: contracts and opportunities CRUD with filters, 400s naming the
field with nothing written, permissions, the burn-down and the NRR/GRR endpoint."""
from datetime import date
from decimal import Decimal

import pytest

from forecasting.models import Contract, Opportunity
from tests.factories import CompanyFactory
from tests.forecasting.factories import ContractFactory, OpportunityFactory, book_usage

pytestmark = pytest.mark.django_db
D = Decimal


def contract_body(company, **fields):
    body = {"external_id": "K-API", "company": company.pk, "kind": "commit", "start_date": "2025-01-01",
            "end_date": "2025-12-31", "committed_amount": "12000.00", "billing": "postpaid"}
    body.update(fields)
    return body


def test_admin_creates_a_contract_and_reads_it_back(admin_client, rep):
    company = CompanyFactory(owner=rep)
    response = admin_client.post("/api/v1/contracts/", contract_body(company), content_type="application/json")
    assert response.status_code == 201, response.json()
    contract = Contract.objects.get(external_id="K-API")
    assert (contract.kind, contract.billing, contract.owner) == ("commit", "postpaid", rep)
    assert response.json()["owner_name"] == rep.get_full_name()
    assert admin_client.get(f"/api/v1/contracts/{contract.pk}/").json()["committed_amount"] == "12000.00"


@pytest.mark.parametrize("fields, field, words", [
    ({"end_date": "2024-12-31"}, "end_date", "before it starts"),
    ({"committed_amount": "-1.00"}, "committed_amount", "negative"),
    ({"kind": "consumption"}, "committed_amount", "no committed amount"),
    ({"kind": "hybrid"}, "included_units", "units"),
    ({"rollover_fraction": "1.5"}, "rollover_fraction", ""),
    ({"kind": "barter"}, "kind", "valid choice"),
])
def test_bad_contract_is_400_naming_the_field_and_nothing_is_written(admin_client, fields, field, words):
    company = CompanyFactory()
    response = admin_client.post("/api/v1/contracts/", contract_body(company, **fields), content_type="application/json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert words in " ".join(response.json()[field])
    assert not Contract.objects.exists()


def test_overlapping_duplicate_is_400_naming_the_other_contract(admin_client):
    company = CompanyFactory()
    ContractFactory(company=company, external_id="K-OLD", kind="commit", committed_amount=D("12000"))
    response = admin_client.post("/api/v1/contracts/", contract_body(company, start_date="2025-06-01",
                                                                     end_date="2026-05-31"),
                                 content_type="application/json")
    assert response.status_code == 400
    assert response.json()["duplicate_of"] == "K-OLD"
    assert "K-OLD" in response.json()["non_field_errors"][0]
    assert Contract.objects.count() == 1


def test_patch_contract_and_rep_cannot_write(admin_client, client, rep):
    contract = ContractFactory(kind="subscription", committed_amount=D("1000"))
    response = admin_client.patch(f"/api/v1/contracts/{contract.pk}/", {"committed_amount": "1500.00"},
                                  content_type="application/json")
    assert response.status_code == 200
    contract.refresh_from_db()
    assert contract.committed_amount == D("1500.00")
    client.force_login(rep)
    assert client.get("/api/v1/contracts/").status_code == 200
    denied = client.patch(f"/api/v1/contracts/{contract.pk}/", {"committed_amount": "1.00"},
                          content_type="application/json")
    assert denied.status_code == 403
    contract.refresh_from_db()
    assert contract.committed_amount == D("1500.00")


def test_contract_filters(admin_client):
    acme = CompanyFactory(name="Acme")
    ContractFactory(company=acme, external_id="A1", kind="commit", committed_amount=D("100"))
    ContractFactory(company=acme, external_id="A2", kind="subscription", status="draft")
    ContractFactory(external_id="B1", kind="commit", committed_amount=D("100"), start_date=date(2020, 1, 1),
                    end_date=date(2020, 12, 31))

    def ids(query):
        return sorted(row["external_id"] for row in admin_client.get(f"/api/v1/contracts/?{query}").json()["results"])

    assert ids(f"company={acme.pk}") == ["A1", "A2"]
    assert ids("kind=commit") == ["A1", "B1"]
    assert ids("status=draft") == ["A2"]
    assert ids("active_on=2025-06-01") == ["A1"]
    assert ids("q=acme") == ["A1", "A2"]
    assert admin_client.get("/api/v1/contracts/?kind=barter").status_code == 400


def test_burndown_endpoint(admin_client):
    company = CompanyFactory()
    contract = ContractFactory(company=company, kind="commit", committed_amount=D("12000"))
    for month in range(1, 6):
        book_usage(company, date(2025, month, 1), 1500)
    body = admin_client.get(f"/api/v1/contracts/{contract.pk}/burndown/?today=2025-06-15").json()
    assert body["consumed"] == "7500.00"
    assert body["projected_exhaustion"] == "2025-09-15"
    assert body["status"] == "overage"
    assert len(body["series"]) == 12 and body["series"][0]["consumed"] == "1500.00"
    subscription = ContractFactory(kind="subscription")
    response = admin_client.get(f"/api/v1/contracts/{subscription.pk}/burndown/")
    assert response.status_code == 400 and "Only commit" in response.json()["non_field_errors"][0]
    assert admin_client.get(f"/api/v1/contracts/{contract.pk}/burndown/?today=June").status_code == 400


def test_rep_creates_an_opportunity_on_their_account_with_stage_defaults(rep_client, rep):
    company = CompanyFactory(owner=rep)
    response = rep_client.post("/api/v1/opportunities/", {
        "external_id": "O-API", "name": "Data team", "company": company.pk, "amount": "30000",
        "close_date": "2026-03-31", "stage": "proposal", "type": "cross_sell"}, content_type="application/json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["probability"], body["forecast_category"], body["weighted_amount"]) == ("0.6000", "best_case", "18000.00")
    opportunity = Opportunity.objects.get(external_id="O-API")
    assert opportunity.owner == rep

    override = rep_client.patch(f"/api/v1/opportunities/{opportunity.pk}/", {"forecast_category": "commit"},
                                content_type="application/json")
    assert override.status_code == 200 and override.json()["category_overridden"] is True
    opportunity.refresh_from_db()
    assert opportunity.forecast_category == "commit"


def test_opportunity_permissions_and_bad_input(rep_client, rep, other_rep):
    theirs = CompanyFactory(owner=other_rep)
    forbidden = rep_client.post("/api/v1/opportunities/", {
        "external_id": "O-X", "name": "Not mine", "company": theirs.pk, "amount": "10", "close_date": "2026-01-31"},
        content_type="application/json")
    assert forbidden.status_code == 403
    mine = CompanyFactory(owner=rep)
    bad = rep_client.post("/api/v1/opportunities/", {
        "external_id": "O-Y", "name": "Negative", "company": mine.pk, "amount": "-10", "close_date": "2026-01-31"},
        content_type="application/json")
    assert bad.status_code == 400 and "amount" in bad.json()
    closed = rep_client.post("/api/v1/opportunities/", {
        "external_id": "O-Z", "name": "Closed", "company": mine.pk, "amount": "10", "close_date": "2026-01-31",
        "stage": "closed_won", "forecast_category": "pipeline"}, content_type="application/json")
    assert closed.status_code == 400 and "forecast_category" in closed.json()
    assert not Opportunity.objects.exists()


def test_opportunity_filters(rep_client, rep):
    OpportunityFactory(external_id="O1", stage="proposal", owner=rep, close_date=date(2026, 2, 1))
    OpportunityFactory(external_id="O2", stage="closed_won", forecast_category="closed_won", probability=D("1"))
    OpportunityFactory(external_id="O3", type="renewal", close_date=date(2027, 1, 1))

    def ids(query):
        return sorted(row["external_id"] for row in rep_client.get(f"/api/v1/opportunities/?{query}").json()["results"])

    assert ids("is_open=true") == ["O1", "O3"]
    assert ids(f"owner={rep.pk}") == ["O1"]
    assert ids("type=renewal") == ["O3"]
    assert ids("close_before=2026-12-31&is_open=true") == ["O1"]
    ordered = [row["external_id"] for row in rep_client.get("/api/v1/opportunities/?sort=-close").json()["results"]]
    assert ordered == ["O3", "O2", "O1"]


def test_retention_endpoint(rep_client):
    for then, now in ((40, 58), (30, 25), (8, 0), (22, 22)):
        company = CompanyFactory()
        book_usage(company, date(2024, 6, 1), then)
        if now:
            book_usage(company, date(2025, 6, 1), now)
    body = rep_client.get("/api/v1/retention/?basis=total&months=2&as_of=2025-06").json()
    assert body["as_of"] == "2025-06-01"
    assert (body["latest"]["nrr"], body["latest"]["grr"]) == (1.05, 0.87)
    assert [point["month"] for point in body["series"]] == ["2025-05-01", "2025-06-01"]
    assert body["breakdowns"]["segment"][0]["label"] == "Mid-market"
    bad = rep_client.get("/api/v1/retention/?basis=bookings&as_of=2025-13")
    assert bad.status_code == 400 and set(bad.json()) == {"basis", "as_of"}


@pytest.mark.parametrize("query, param", [
    ("is_open=maybe", "is_open"),
    ("is_open=null&is_open=null", "is_open"),
    ("close_after=", "close_after"),
    ("close_before=2026-13-01", "close_before"),
    ("owner=abc", "owner"),
    ("owner=1&owner=2", "owner"),
    ("page_size=abc", "page_size"),
    ("page_size=0", "page_size"),
])
def test_invalid_opportunity_filter_is_400_naming_it_not_ignored(rep_client, query, param):
    OpportunityFactory()
    response = rep_client.get(f"/api/v1/opportunities/?{query}")
    assert response.status_code == 400 and list(response.json()) == [param], response.json()


def test_contract_filter_refuses_an_empty_date_but_not_an_empty_search(admin_client):
    ContractFactory(external_id="K1")
    assert admin_client.get("/api/v1/contracts/?active_on=").json() == {
        "active_on": ["Empty: give a value or leave the parameter out."]}
    assert [row["external_id"] for row in admin_client.get("/api/v1/contracts/?q=").json()["results"]] == ["K1"]


def test_money_sent_as_a_json_number_is_refused_and_nothing_is_written(rep_client, rep):
    company = CompanyFactory(owner=rep)
    response = rep_client.post("/api/v1/opportunities/", {
        "external_id": "O-N", "name": "Float", "company": company.pk, "amount": 0.1, "close_date": "2026-01-31"},
        content_type="application/json")
    assert response.status_code == 400 and "string" in response.json()["amount"][0]
    assert not Opportunity.objects.exists()


def test_retention_refuses_an_empty_basis(rep_client):
    response = rep_client.get("/api/v1/retention/?basis=")
    assert response.status_code == 400 and list(response.json()) == ["basis"]
