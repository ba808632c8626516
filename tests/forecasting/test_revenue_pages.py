"""Revenue pages through real URLs: retention, contracts list and detail, the account forecast panel,
and the admin of contracts and opportunities (forms run the service rules; actions call services)."""
from datetime import date, timedelta
from decimal import Decimal

import pytest

from forecasting.models import Contract, Opportunity
from forecasting.services.recognition import add_months, month_start
from tests.factories import CompanyFactory, UserFactory
from tests.forecasting.factories import ContractFactory, OpportunityFactory, book_usage

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = date.today()
THIS_MONTH = month_start(TODAY)


def months_ago(n: int) -> date:
    return add_months(THIS_MONTH, -n)


@pytest.fixture
def commit_account(rep):
    """A commit running ahead of its term: usage 1,500 a month against 12,000 for the year."""
    company = CompanyFactory(name="Burnwell Inc", owner=rep)
    start = months_ago(6)
    contract = ContractFactory(company=company, external_id="K-BURN", name="Burnwell commit", kind="commit",
                               start_date=start, end_date=add_months(start, 12) - timedelta(days=1),
                               committed_amount=D("12000"), billing="postpaid")
    for n in range(6, 0, -1):
        book_usage(company, months_ago(n), 1500)
    OpportunityFactory(company=company, name="Burnwell: data team", stage="proposal", probability=D("0.6"),
                       forecast_category="best_case", amount=D("30000"))
    OpportunityFactory(company=company, name="Lost deal", stage="closed_lost", probability=D("0"),
                       forecast_category="closed_lost")
    return company, contract


def test_retention_page_shows_nrr_grr_breakdowns_and_heat_map(client, rep):
    client.force_login(rep)
    then, now = months_ago(13), months_ago(1)
    for tier, before, after in (("enterprise", 40, 58), ("enterprise", 30, 25), ("smb", 8, 0), ("smb", 22, 22)):
        company = CompanyFactory(tier=tier)
        book_usage(company, then, before)
        if after:
            book_usage(company, now, after)
    response = client.get("/forecast/retention/")
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["latest"].nrr == pytest.approx(1.05)
    assert "105%" in html and "87%" in html
    assert "By segment" in html and "By rep" in html and "By signup cohort" in html
    assert "NRR by signup cohort" in html and "<svg" in html
    by_segment = {row.label: row.figures.nrr for row in response.context["report"].breakdowns["segment"]}
    assert by_segment["Enterprise"] == pytest.approx(83 / 70)


def test_retention_page_empty_state_and_arr_basis(client, rep):
    client.force_login(rep)
    response = client.get("/forecast/retention/?basis=arr&months=24&as_of=garbage")
    assert response.status_code == 200
    assert "Not enough history yet" in response.content.decode()
    assert response.context["basis"] == "arr" and len(response.context["report"].months) == 24


def test_contracts_page_lists_burn_down_status_and_filters(client, rep, commit_account):
    client.force_login(rep)
    company, contract = commit_account
    ContractFactory(company=company, external_id="K-SUB", name="Burnwell seats", kind="subscription",
                    start_date=months_ago(2), end_date=add_months(months_ago(2), 12) - timedelta(days=1))
    ContractFactory(external_id="K-OTHER", name="Other account", kind="consumption", committed_amount=D("0"))
    response = client.get("/forecast/contracts/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Burnwell commit" in html and "Overage expected" in html and "Pay as you go" in html
    burns = {c.external_id: b for c, b in response.context["rows"]}
    assert burns["K-BURN"].status == "overage" and burns["K-SUB"] is None
    assert response.context["overage"] == 1

    filtered = client.get("/forecast/contracts/?kind=commit&burn=overage")
    assert [c.external_id for c, _ in filtered.context["rows"]] == ["K-BURN"]
    nothing = client.get("/forecast/contracts/?burn=shortfall")
    assert nothing.context["rows"] == [] and "No contracts match these filters" in nothing.content.decode()


def test_contracts_page_empty_state(client, rep):
    client.force_login(rep)
    response = client.get("/forecast/contracts/")
    assert "No contracts yet" in response.content.decode()


def test_contract_detail_shows_burn_down_and_schedule(client, rep, commit_account):
    client.force_login(rep)
    _, contract = commit_account
    response = client.get(f"/forecast/contracts/{contract.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Burn-down" in html and "Recognition schedule" in html and "Commit burn-down" in html
    assert response.context["burn"].consumed == D("9000.00")
    assert sum(amount for _, amount in response.context["schedule"]) == D("12000")
    assert client.get("/forecast/contracts/999999/").status_code == 404


def test_pages_need_a_login(client):
    for url in ("/forecast/retention/", "/forecast/contracts/"):
        assert client.get(url).status_code == 302


def test_account_page_shows_the_forecast_panel(client, rep, commit_account, django_assert_max_num_queries):
    client.force_login(rep)
    company, contract = commit_account
    response = client.get(f"/accounts/{company.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Revenue and forecast" in html
    assert "Burnwell commit" in html and "Overage expected" in html
    assert "Burnwell: data team" in html and "Lost deal" not in html
    assert "$18,000" in html  # weighted pipeline: 30,000 × 60 %
    assert "No consumption forecast for this account yet." in html


def test_panel_query_count_does_not_grow_with_contracts(client, rep, commit_account, django_assert_max_num_queries):
    from django.template import Context, Template

    company, _ = commit_account
    template = Template("{% load forecasting_revenue %}{% forecast_panel company %}")
    with django_assert_max_num_queries(12) as few:
        template.render(Context({"company": company}))
    for n in range(6):
        ContractFactory(company=company, kind="commit", committed_amount=D(1000 + n), start_date=months_ago(30 + n),
                        end_date=months_ago(20 + n), status="expired")
        OpportunityFactory(company=company)
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = template.render(Context({"company": company}))
    assert html.count("Expired") == 6


def test_account_panel_empty_states(client, rep):
    client.force_login(rep)
    company = CompanyFactory(owner=rep)
    html = client.get(f"/accounts/{company.pk}/").content.decode()
    assert "No contracts yet" in html and "No open opportunities" in html


# --- admin --------------------------------------------------------------------------------------


@pytest.fixture
def su_client(client):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    return client


def contract_form(company, **fields):
    data = {"company": company.pk, "external_id": "K-ADM", "name": "", "kind": "commit", "status": "active",
            "start_date": "2025-01-01", "end_date": "2025-12-31", "committed_amount": "1000", "billing": "prepaid",
            "included_units": "", "overage_price": "", "rollover_fraction": "0", "renewal_of": "", "owner": "",
            "booked_on": ""}
    data.update(fields)
    return data


def test_contract_admin_changelist_search_add_change_and_rules(su_client):
    company = CompanyFactory(name="Adminco")
    existing = ContractFactory(company=company, external_id="K-OLD", kind="commit", committed_amount=D("1000"))
    assert su_client.get("/admin/forecasting/contract/").status_code == 200
    assert "K-OLD" in su_client.get("/admin/forecasting/contract/?q=adminco").content.decode()
    bad = su_client.post("/admin/forecasting/contract/add/", contract_form(company, end_date="2024-01-01"))
    assert bad.status_code == 200 and "before it starts" in bad.content.decode()
    duplicate = su_client.post("/admin/forecasting/contract/add/", contract_form(company))
    assert "Overlaps contract K-OLD" in duplicate.content.decode()
    assert Contract.objects.count() == 1
    ok = su_client.post("/admin/forecasting/contract/add/", contract_form(company, committed_amount="2000"))
    assert ok.status_code == 302 and Contract.objects.count() == 2
    changed = su_client.post(f"/admin/forecasting/contract/{existing.pk}/change/",
                             contract_form(company, external_id="K-OLD", committed_amount="1500"))
    assert changed.status_code == 302
    existing.refresh_from_db()
    assert existing.committed_amount == D("1500")
    su_client.post("/admin/forecasting/contract/", {"action": "cancel_contracts", "_selected_action": [existing.pk]})
    existing.refresh_from_db()
    assert existing.status == "cancelled"


def test_opportunity_admin_applies_stage_defaults_and_override(su_client):
    company = CompanyFactory()
    data = {"company": company.pk, "external_id": "O-ADM", "name": "Admin deal", "type": "expansion", "use_case": "",
            "use_case_category": "", "amount": "1000", "close_date": "2026-06-30", "stage": "negotiation",
            "probability": "", "forecast_category": "", "owner": ""}
    assert su_client.post("/admin/forecasting/opportunity/add/", data).status_code == 302
    opportunity = Opportunity.objects.get()
    assert (opportunity.probability, opportunity.forecast_category) == (D("0.8"), "commit")
    su_client.post(f"/admin/forecasting/opportunity/{opportunity.pk}/change/",
                   {**data, "probability": "0.8000", "forecast_category": "best_case"})
    opportunity.refresh_from_db()
    assert (opportunity.forecast_category, opportunity.category_overridden) == ("best_case", True)
    bad = su_client.post(f"/admin/forecasting/opportunity/{opportunity.pk}/change/",
                         {**data, "probability": "0.8000", "forecast_category": "closed_won"})
    assert "Only a closed opportunity" in bad.content.decode()
    su_client.post("/admin/forecasting/opportunity/", {"action": "reset_category", "_selected_action": [opportunity.pk]})
    opportunity.refresh_from_db()
    assert (opportunity.forecast_category, opportunity.category_overridden) == ("commit", False)
    assert "Admin deal" in su_client.get("/admin/forecasting/opportunity/?q=admin").content.decode()
