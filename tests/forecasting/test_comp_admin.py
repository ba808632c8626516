"""Compensation in the Django admin: a smoke test per ModelAdmin and the validation errors naming the field."""
from decimal import Decimal as D

import pytest

from forecasting.compensation import services
from forecasting.models import (
    Adjustment,
    Assignment,
    CompPlan,
    CreditSplit,
    PeriodLock,
    PlanComponent,
    Statement,
)
from tests.factories import UserFactory
from tests.forecasting.comp_builders import Q3, assign, hybrid_plan, won

pytestmark = pytest.mark.django_db


@pytest.fixture
def su_client(client):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    return client


def inline(prefix: str, rows: list[dict], initial: int = 0) -> dict:
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": str(initial),
            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}
    for i, row in enumerate(rows):
        data.update({f"{prefix}-{i}-{key}": value for key, value in row.items()})
    return data


def component_row(name, measure, weight):
    return {"position": "0", "name": name, "measure": measure, "weight": weight, "method": "payout_curve",
            "mode": "step", "cap_multiple": "", "decelerator_threshold": "", "decelerator_rate": ""}


def plan_form(weights=("0.5", "0.5")) -> dict:
    return {"name": "Admin hybrid", "description": "", "period_type": "quarter", "effective_from": "2026-01-01",
            "effective_to": "", "credit_scope": "own", "cap_multiple": "2",
            **inline("components", [component_row("Bookings", "committed_bookings", weights[0]),
                                    component_row("Consumption", "consumption_revenue", weights[1])])}


def test_plan_admin_changelist_search_add_and_change(su_client):
    hybrid_plan()
    url = "/admin/forecasting/compplan/"
    assert "Hybrid 50:50" in su_client.get(url + "?q=hybrid").content.decode()
    added = su_client.post(url + "add/", plan_form())
    assert added.status_code == 302, added.context["adminform"].form.errors if added.context else added
    plan = CompPlan.objects.get(name="Admin hybrid")
    assert plan.components.count() == 2
    assert su_client.get(f"{url}{plan.pk}/change/").status_code == 200


def test_plan_admin_refuses_weights_not_summing_to_one_on_the_weight_field(su_client):
    response = su_client.post("/admin/forecasting/compplan/add/", plan_form(("0.5", "0.4")))
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert "must sum to 1" in formset.forms[0].errors["weight"][0]
    assert "weight" in str(formset.non_form_errors())
    assert not CompPlan.objects.exists()


def test_component_admin_refuses_overlapping_or_gapped_tiers(su_client):
    plan = hybrid_plan()
    component = plan.components.first()
    url = f"/admin/forecasting/plancomponent/{component.pk}/change/"
    assert su_client.get(url).status_code == 200
    base = {"name": component.name, "measure": component.measure, "weight": "0.5", "method": "payout_curve",
            "mode": "step", "position": "0", "cap_multiple": "2", "decelerator_threshold": "", "decelerator_rate": ""}
    tiers = [{"lower": "0", "upper": "1", "rate": "1"}, {"lower": "0.8", "upper": "", "rate": "2"}]
    response = su_client.post(url, {**base, **inline("tiers", tiers)})
    assert response.status_code == 200
    assert "overlap" in str(response.context["inline_admin_formsets"][0].formset.non_form_errors())
    gap = [{"lower": "0", "upper": "1", "rate": "1"}, {"lower": "1.5", "upper": "", "rate": "2"}]
    response = su_client.post(url, {**base, **inline("tiers", gap)})
    assert "Gap" in str(response.context["inline_admin_formsets"][0].formset.non_form_errors())
    assert component.tiers.count() == 2 and component.tiers.last().lower == D(1)


def test_assignment_admin_add_change_and_the_rules(su_client, rep):
    plan = hybrid_plan()
    bookings, usage = plan.components.all()
    url = "/admin/forecasting/assignment/"

    def form(period=Q3, quota="100000"):
        return {"rep": rep.pk, "plan": plan.pk, "period": period, "target_incentive": "100000", "draw_type": "none",
                "draw_amount": "0", **inline("quotas", [{"component": bookings.pk, "quota": "100000"},
                                                        {"component": usage.pk, "quota": quota}])}

    zero = su_client.post(url + "add/", form(quota="0"))
    assert "greater than zero" in str(zero.context["inline_admin_formsets"][0].formset.forms[1].errors["quota"])
    added = su_client.post(url + "add/", form())
    assert added.status_code == 302
    assignment = Assignment.objects.get()
    assert (assignment.period_start.isoformat(), assignment.quotas.count()) == ("2026-07-01", 2)
    twice = su_client.post(url + "add/", form())
    assert "already has" in twice.context["adminform"].form.errors["period"][0]
    assert Assignment.objects.count() == 1
    assert rep.username in su_client.get(url + f"?q={rep.username}").content.decode()
    assert su_client.get(f"{url}{assignment.pk}/change/").status_code == 200


def test_deal_credit_admin_requires_splits_summing_to_100(su_client, rep, rep2):
    deal = won(rep, 100000, name="Globex rollout")
    url = f"/admin/forecasting/dealcredit/{deal.pk}/change/"
    assert "Globex rollout" in su_client.get("/admin/forecasting/dealcredit/?q=globex").content.decode()
    bad = su_client.post(url, inline("credit_splits", [{"rep": rep.pk, "kind": "split", "percent": "70"},
                                                      {"rep": rep2.pk, "kind": "split", "percent": "20"}]))
    assert bad.status_code == 200
    assert "sum to 100" in str(bad.context["inline_admin_formsets"][0].formset.forms[0].errors["percent"])
    assert not CreditSplit.objects.exists()
    good = su_client.post(url, inline("credit_splits", [{"rep": rep.pk, "kind": "split", "percent": "70"},
                                                       {"rep": rep2.pk, "kind": "split", "percent": "30"}]))
    assert good.status_code == 302 and CreditSplit.objects.count() == 2


def test_adjustment_admin_refuses_a_locked_period(su_client, rep, django_capture_on_commit_callbacks):
    plan = hybrid_plan()
    assign(rep, plan, "2026-Q3")
    assign(rep, plan, "2026-Q4")
    services.period_lock(period="2026-Q3")
    url = "/admin/forecasting/adjustment/"
    locked = su_client.post(url + "add/", {"rep": rep.pk, "period": "2026-Q3", "amount": "250", "reason": "SPIFF"})
    assert "locked" in locked.context["adminform"].form.errors["period"][0]
    with django_capture_on_commit_callbacks(execute=True):
        added = su_client.post(url + "add/", {"rep": rep.pk, "period": "2026-q4", "amount": "250", "reason": "SPIFF"})
    assert added.status_code == 302
    assert Adjustment.objects.get().period == "2026-Q4"
    assert Statement.objects.get(rep=rep, period="2026-Q4").adjustments == D("250.00")  # recalculated on commit
    assert "SPIFF" in su_client.get(url + "?q=spiff").content.decode()


def test_period_lock_admin_locks_through_the_service(su_client, rep):
    assign(rep, hybrid_plan())
    response = su_client.post("/admin/forecasting/periodlock/add/", {"period": "2026-q3"})
    assert response.status_code == 302
    assert PeriodLock.objects.get().period == Q3
    assert Statement.objects.get(rep=rep).status == "locked"
    assert su_client.get("/admin/forecasting/periodlock/").status_code == 200


def test_statement_admin_is_read_only_and_recalculates(su_client, rep):
    assign(rep, hybrid_plan())
    services.statements_calculate(period=Q3)
    statement = Statement.objects.get()
    url = "/admin/forecasting/statement/"
    assert rep.username in su_client.get(url + f"?q={rep.username}").content.decode()
    assert su_client.get(f"{url}{statement.pk}/change/").status_code == 200
    assert su_client.get(url + "add/").status_code == 403
    won(rep, 100000)
    su_client.post(url, {"action": "recalculate", "_selected_action": [statement.pk]})
    assert Statement.objects.get().commission == D("50000.00")


def test_component_admin_changelist(su_client):
    hybrid_plan()
    assert "Consumption" in su_client.get("/admin/forecasting/plancomponent/?q=consumption").content.decode()
    assert PlanComponent.objects.count() == 2
