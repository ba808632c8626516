"""The compensation API: plans, assignments, statements, splits — and bad input answered with the field."""
from decimal import Decimal as D

import pytest

from forecasting.compensation import services
from forecasting.models import Assignment, CompPlan, CreditSplit, PeriodLock, Statement
from tests.forecasting.comp_builders import Q3, assign, consumption, hybrid_plan, won

pytestmark = pytest.mark.django_db

CURVE = [{"lower": "0", "upper": "1", "rate": "1"}, {"lower": "1", "upper": None, "rate": "2"}]


def plan_body(**overrides):
    body = {
        "name": "API hybrid", "period_type": "quarter", "effective_from": "2026-01-01", "cap_multiple": "2",
        "components": [
            {"name": "Bookings", "measure": "committed_bookings", "weight": "0.5", "method": "payout_curve",
             "mode": "step", "tiers": CURVE},
            {"name": "Consumption", "measure": "consumption_revenue", "weight": "0.5", "method": "payout_curve",
             "mode": "step", "tiers": CURVE},
        ],
    }
    body.update(overrides)
    return body


def test_admin_creates_a_plan_with_components_and_tiers(admin_client):
    response = admin_client.post("/api/v1/compensation/plans/", plan_body(), content_type="application/json")
    assert response.status_code == 201, response.json()
    plan = CompPlan.objects.get(name="API hybrid")
    assert [(c.measure, c.weight, c.tiers.count()) for c in plan.components.all()] == [
        ("committed_bookings", D("0.5"), 2), ("consumption_revenue", D("0.5"), 2)]
    assert response.json()["components"][0]["tiers"][1]["upper"] is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"weight": "0.6"}, "weight"),
        ({"tiers": [{"lower": "0", "upper": "1", "rate": "1"}, {"lower": "0.9", "upper": None, "rate": "2"}]}, "tiers"),
        ({"tiers": [{"lower": "0", "upper": "1", "rate": "1"}, {"lower": "1.2", "upper": None, "rate": "2"}]}, "tiers"),
    ],
)
def test_bad_plans_are_refused_naming_the_field_and_nothing_is_written(admin_client, change, field):
    body = plan_body()
    body["components"][0].update(change)
    response = admin_client.post("/api/v1/compensation/plans/", body, content_type="application/json")
    assert response.status_code == 400
    assert field in response.json()
    assert not CompPlan.objects.exists()


def test_reps_read_plans_but_cannot_write_them(rep_client):
    hybrid_plan()
    assert rep_client.get("/api/v1/compensation/plans/").json()["count"] == 1
    assert rep_client.post("/api/v1/compensation/plans/", plan_body(), content_type="application/json").status_code == 403


def test_admin_assigns_a_rep_with_quotas_and_a_draw(admin_client, rep):
    plan = hybrid_plan()
    bookings, usage = plan.components.all()
    body = {"rep": rep.pk, "plan": plan.pk, "period": "2026-q3", "target_incentive": "100000",
            "draw_type": "recoverable", "draw_amount": "5000",
            "quotas": [{"component": bookings.pk, "quota": "100000"}, {"component": usage.pk, "quota": "80000"}]}
    response = admin_client.post("/api/v1/compensation/assignments/", body, content_type="application/json")
    assert response.status_code == 201, response.json()
    assignment = Assignment.objects.get()
    assert (assignment.period, str(assignment.period_start), assignment.draw_amount) == ("2026-Q3", "2026-07-01", D(5000))
    assert {q.component_id: q.quota for q in assignment.quotas.all()} == {bookings.pk: D(100000), usage.pk: D(80000)}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"quotas": "zero"}, "quotas"),
        ({"period": "2026-07"}, "period"),  # a monthly key for a quarterly plan
        ({"period": "2026-Q9"}, "period"),
        ({"target_incentive": "0"}, "target_incentive"),
        ({"draw_type": "none", "draw_amount": "100"}, "draw_type"),
    ],
)
def test_bad_assignments_are_refused_naming_the_field(admin_client, rep, change, field):
    plan = hybrid_plan()
    bookings, usage = plan.components.all()
    body = {"rep": rep.pk, "plan": plan.pk, "period": Q3, "target_incentive": "100000",
            "quotas": [{"component": bookings.pk, "quota": "100000"}, {"component": usage.pk, "quota": "80000"}]}
    if change.get("quotas") == "zero":
        body["quotas"][1]["quota"] = "0"
    else:
        body.update(change)
    response = admin_client.post("/api/v1/compensation/assignments/", body, content_type="application/json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not Assignment.objects.exists()


def test_a_second_plan_for_the_same_rep_and_period_is_refused_naming_the_period(admin_client, rep):
    assign(rep, hybrid_plan())
    other = hybrid_plan("Another plan")
    body = {"rep": rep.pk, "plan": other.pk, "period": Q3, "target_incentive": "1000",
            "quotas": [{"component": c.pk, "quota": "10"} for c in other.components.all()]}
    response = admin_client.post("/api/v1/compensation/assignments/", body, content_type="application/json")
    assert response.status_code == 400
    assert "already has Hybrid 50:50 for 2026-Q3" in response.json()["period"][0]
    assert Assignment.objects.count() == 1


def test_statement_api_shows_reps_their_own_and_managers_their_team(client, rep, rep2, other_rep, manager, team):
    plan = hybrid_plan()
    for person in (rep, rep2, other_rep):
        assign(person, plan)
    won(rep, 120000)
    consumption(rep, 75000)
    services.statements_calculate(period=Q3)

    client.force_login(rep)
    mine = client.get("/api/v1/compensation/statements/").json()
    assert [s["rep"] for s in mine["results"]] == [rep.pk]
    detail = client.get(f"/api/v1/compensation/statements/{mine['results'][0]['id']}/").json()
    assert detail["payable"] == "107500.00"
    assert [c["earnings"] for c in detail["components"]] == ["70000.00", "37500.00"]
    other = Statement.objects.get(rep=other_rep)
    assert client.get(f"/api/v1/compensation/statements/{other.pk}/").status_code == 404
    assert client.post("/api/v1/compensation/statements/calculate/", {"period": Q3}).status_code == 403

    client.force_login(manager)
    assert {s["rep"] for s in client.get("/api/v1/compensation/statements/").json()["results"]} == {rep.pk, rep2.pk}
    assert {a["rep"] for a in client.get("/api/v1/compensation/assignments/").json()["results"]} == {rep.pk, rep2.pk}


def test_admin_calculates_and_locks_over_the_api(admin_client, rep):
    assign(rep, hybrid_plan())
    consumption(rep, 50000)
    calculated = admin_client.post("/api/v1/compensation/statements/calculate/", {"period": Q3})
    assert calculated.json() == {"period": Q3, "calculated": 1, "skipped": []}
    assert admin_client.post("/api/v1/compensation/statements/lock/", {"period": Q3}).status_code == 201
    assert PeriodLock.objects.filter(period=Q3).exists()
    again = admin_client.post("/api/v1/compensation/statements/calculate/", {"period": Q3})
    assert again.status_code == 400 and "locked" in again.json()["non_field_errors"][0]


def test_credit_splits_must_sum_to_100_percent(admin_client, rep, rep2, manager):
    deal = won(rep, 100000)
    url = f"/api/v1/compensation/opportunities/{deal.pk}/splits/"
    bad = admin_client.put(url, {"splits": [{"rep": rep.pk, "kind": "split", "percent": "60"},
                                            {"rep": rep2.pk, "kind": "split", "percent": "30"}]},
                           content_type="application/json")
    assert bad.status_code == 400 and "percent" in bad.json()
    assert not CreditSplit.objects.exists()
    good = admin_client.put(url, {"splits": [{"rep": rep.pk, "kind": "split", "percent": "60"},
                                             {"rep": rep2.pk, "kind": "split", "percent": "40"},
                                             {"rep": manager.pk, "kind": "overlay", "percent": "100"}]},
                            content_type="application/json")
    assert good.status_code == 200
    assert CreditSplit.objects.count() == 3


def test_reps_cannot_change_credit_splits(rep_client, rep):
    deal = won(rep, 100000)
    response = rep_client.put(f"/api/v1/compensation/opportunities/{deal.pk}/splits/",
                              {"splits": [{"rep": rep.pk, "kind": "split", "percent": "100"}]},
                              content_type="application/json")
    assert response.status_code == 403 and not CreditSplit.objects.exists()


def test_nested_bodies_take_json_only_so_a_form_patch_is_refused_not_half_applied(admin_client, rep):
    """A form cannot carry components, quotas or splits: PATCHing one as a form used to answer 200 with the
    name changed and the nested part silently kept. Now 415, nothing changed, and the schema says JSON."""
    plan = hybrid_plan()
    components = list(plan.components.values_list("name", "weight"))
    response = admin_client.patch(f"/api/v1/compensation/plans/{plan.pk}/",
                                  "name=Renamed&components=Bookings", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415 and "detail" in response.json()
    plan.refresh_from_db()
    assert plan.name != "Renamed" and list(plan.components.values_list("name", "weight")) == components
    assignment = assign(rep, plan)
    response = admin_client.patch(f"/api/v1/compensation/assignments/{assignment.pk}/", {"draw_amount": "5"})
    assert response.status_code == 415
    deal = won(rep, 100000)
    response = admin_client.put(f"/api/v1/compensation/opportunities/{deal.pk}/splits/",
                                "splits=1", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415 and not CreditSplit.objects.exists()
    # JSON still works, and the documented 415 names JSON for these operations.
    renamed = admin_client.patch(f"/api/v1/compensation/plans/{plan.pk}/", {"name": "Renamed"},
                                 content_type="application/json")
    assert renamed.status_code == 200 and renamed.json()["name"] == "Renamed"
    schema = admin_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    patch = schema["paths"]["/api/v1/compensation/plans/{id}/"]["patch"]
    assert set(patch["requestBody"]["content"]) == {"application/json"}
    assert "send JSON (" in patch["responses"]["415"]["description"]
    companies = schema["paths"]["/api/v1/companies/"]["post"]
    assert "form or multipart" in companies["responses"]["415"]["description"]
