"""Audit history (issue 8, item 6): who changed what and when for companies, match decisions,
stakeholders, playbooks, compensation plans and assignments — recorded through the real pages, admin
and API, and shown on each object's page and in the admin."""
import json
from datetime import date
from decimal import Decimal as D

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from accounts.models import Company, CompanyDomain, MatchFields, ProductUser, Workspace
from forecasting.compensation import services as comp_services
from forecasting.models import Assignment, CompPlan, PlanTier, Statement
from playbooks.models import Playbook, PlaybookStep
from revops import history
from stakeholders.models import Stakeholder
from tests.factories import CompanyFactory, ProductUserFactory, UserFactory, WorkspaceFactory
from tests.forecasting.comp_builders import ACCELERATED, Q3, assign, hybrid_plan
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def named(user, first: str, last: str):
    user.first_name, user.last_name = first, last
    user.save()
    return user


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def staff(admin_user):
    """The RevOps admin's own client (the admin_client/rep_client fixtures share one client)."""
    return signed_in(admin_user)


def history_of(client, url: str) -> str:
    response = client.get(url, **HTMX)
    assert response.status_code == 200
    return response.content.decode()


# --- companies --------------------------------------------------------------------------------


def company_form(company: Company, **overrides) -> dict:
    data = {
        "external_id": company.external_id, "name": company.name, "parent": "", "industry": company.industry,
        "employee_count": str(company.employee_count or ""), "annual_revenue": "", "potential_arr": "",
        "owner": "", "tier": company.tier, "country": company.country,
        "domains-TOTAL_FORMS": "0", "domains-INITIAL_FORMS": "0", "domains-MIN_NUM_FORMS": "0",
        "domains-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_an_admin_edit_of_a_company_is_recorded_with_its_author_and_shown_on_the_account_page(
        staff, admin_user, rep_client):
    named(admin_user, "Ada", "Admin")
    acme = CompanyFactory(name="Acme Corp", industry="Software", tier="smb")

    response = staff.post(reverse("admin:accounts_company_change", args=[acme.pk]),
                          company_form(acme, name="Acme Group", tier="enterprise"))
    assert response.status_code == 302

    latest = acme.history.first()
    assert (latest.history_type, latest.history_user, latest.name) == ("~", admin_user, "Acme Group")
    # the account page offers the history; reps see it too (the account is visible to them)
    page = rep_client.get(reverse("accounts:company_detail", args=[acme.pk])).content.decode()
    assert reverse("accounts:company_history", args=[acme.pk]) in page
    html = history_of(rep_client, reverse("accounts:company_history", args=[acme.pk]))
    assert "Ada Admin" in html
    assert "<del>Acme Corp</del>" in html and "<ins>Acme Group</ins>" in html
    assert "<del>SMB</del>" in html and "<ins>Enterprise</ins>" in html  # choice labels, not keys
    assert "Industry" not in html  # unchanged fields are not listed


def test_the_history_page_without_htmx_is_a_full_page_and_unknown_companies_404(rep_client):
    acme = CompanyFactory(name="Acme Corp")
    page = rep_client.get(reverse("accounts:company_history", args=[acme.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "<h1>Acme Corp — history</h1>" in html and "created" in html
    assert rep_client.get(reverse("accounts:company_history", args=[acme.pk + 999])).status_code == 404


def test_api_changes_are_authored_by_the_token_user(client, admin_user):
    acme = CompanyFactory(name="Acme Corp", potential_arr=D("1000"))
    token = Token.objects.create(user=admin_user)
    response = client.patch(f"/api/v1/companies/{acme.pk}/", json.dumps({"potential_arr": "250000.00"}),
                            content_type="application/json", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200, response.content
    latest = acme.history.first()
    assert latest.history_user == admin_user and latest.potential_arr == D("250000.00")
    [entry] = [e for e in history.entries(history.company_sources(acme.pk)) if e.action == "changed"]
    assert [(c.field, c.old, c.new) for c in entry.changes] == [("potential ARR", "1,000", "250,000")]


def test_a_company_imported_in_bulk_keeps_its_first_state_when_a_person_changes_it(admin_client):
    # imports write with COPY / bulk_create: no history rows, until somebody edits the record
    Company.objects.bulk_create([Company(external_id="C-1", name="Imported Ltd")])
    imported = Company.objects.get(external_id="C-1")
    assert not imported.history.exists()

    admin_client.post(reverse("admin:accounts_company_change", args=[imported.pk]),
                      company_form(imported, name="Imported Group"))

    assert [(h.history_change_reason, h.name) for h in imported.history.order_by("history_id")] == [
        (history.BASELINE_REASON, "Imported Ltd"), (None, "Imported Group")]
    html = history_of(admin_client, reverse("accounts:company_history", args=[imported.pk]))
    assert "<del>Imported Ltd</del>" in html and "<ins>Imported Group</ins>" in html
    assert "recorded" in html


def test_domains_and_stakeholders_appear_in_the_account_history(admin_client):
    acme = CompanyFactory(name="Acme Corp")
    response = admin_client.post(reverse("admin:accounts_companydomain_add"),
                                 {"company": acme.pk, "domain": "acme-widgets.com"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    StakeholderFactory(company=acme, name="Beatrice Boss")
    html = history_of(admin_client, reverse("accounts:company_history", args=[acme.pk]))
    assert "Domain acme-widgets.com" in html and "Stakeholder Beatrice Boss" in html


# --- match decisions --------------------------------------------------------------------------


def in_review(model_factory, proposed, **kwargs):
    return model_factory(match_status=MatchFields.Status.REVIEW, match_method="name", match_confidence=0.8,
                         match_reason="typed 'ACME' ≈ 'Acme Corporation' (82)", suggested_company=proposed, **kwargs)


def test_review_decisions_are_recorded_with_who_and_shown_on_both_companies(manager_client, manager):
    named(manager, "Maria", "Manager")
    acme, other = CompanyFactory(name="Acme Corporation"), CompanyFactory(name="Other Inc")
    # made by a resolution run (bulk write): no history yet
    Workspace.objects.bulk_create([Workspace(external_id="W-1", name="Acme Marketing",
                                             match_status="review", match_method="name", match_confidence=0.8,
                                             suggested_company=acme)])
    workspace = Workspace.objects.get(external_id="W-1")
    user = in_review(ProductUserFactory, acme, email="pat@gmail.com")

    assert manager_client.post(reverse("accounts:review_decide", args=["workspaces", workspace.pk, "confirm"]),
                               **HTMX).status_code == 200
    response = manager_client.post(reverse("accounts:review_decide", args=["users", user.pk, "reassign"]),
                                   {"company": other.pk}, **HTMX)
    assert response.status_code == 200

    decision = workspace.history.order_by("-history_id").first()
    assert (decision.history_user, decision.match_status, decision.company_id) == (manager, "confirmed", acme.pk)
    assert decision.history_change_reason == "Review queue: confirmed"
    assert workspace.history.count() == 2  # the baseline the run left + the decision

    acme_html = history_of(manager_client, reverse("accounts:company_history", args=[acme.pk]))
    assert "Workspace Acme Marketing" in acme_html and "Maria Manager" in acme_html
    assert "<del>In review</del>" in acme_html and "<ins>Confirmed</ins>" in acme_html
    # the user moved to Other Inc: the decision shows on both accounts, naming both companies
    assert "User pat@gmail.com" in acme_html
    other_html = history_of(manager_client, reverse("accounts:company_history", args=[other.pk]))
    assert "User pat@gmail.com" in other_html and "<ins>Other Inc</ins>" in other_html
    assert "<ins>Manual</ins>" in other_html


def test_bulk_decisions_write_one_history_row_per_record(admin_client, admin_user):
    acme = CompanyFactory(name="Acme Corporation")
    workspaces = [in_review(WorkspaceFactory, acme) for _ in range(3)]
    response = admin_client.post(reverse("accounts:review_bulk"),
                                 {"kind": "workspaces", "action": "reject", "ids": [w.pk for w in workspaces]})
    assert response.status_code == 302
    for workspace in workspaces:
        latest = workspace.history.order_by("-history_id").first()
        assert (latest.match_status, latest.history_user, latest.history_change_reason) == (
            "rejected", admin_user, "Review queue: rejected in bulk")
    html = history_of(admin_client, reverse("accounts:company_history", args=[acme.pk]))
    assert html.count("Review queue: rejected in bulk") == 3


def test_resolution_runs_write_no_history_rows_per_record():
    from django.core.management import call_command

    acme = CompanyFactory(name="Acme Corporation")
    CompanyDomain.objects.create(company=acme, domain="acme.example")
    users = ProductUser.objects.bulk_create(
        [ProductUser(external_id=f"U-{i}", email=f"u{i}@acme.example") for i in range(5)])
    call_command("resolve_accounts", "--full", stdout=None)
    assert ProductUser.objects.filter(company=acme).count() == 5
    assert not ProductUser.history.filter(id__in=[u.pk for u in users]).exists()


# --- stakeholders -----------------------------------------------------------------------------


def test_a_stakeholder_edit_is_recorded_and_shown_in_the_edit_dialog(rep_client, rep):
    named(rep, "Ravi", "Rep")
    acme = CompanyFactory(name="Acme Corp", owner=rep)
    person = StakeholderFactory(company=acme, name="Carl Champion", role="champion", influence=3, created_by=rep)
    url = reverse("stakeholders:stakeholder_edit", args=[person.pk])
    response = rep_client.post(url, {"name": "Carl Champion", "role": "economic_buyer", "influence": "5",
                                     "sentiment": "positive"}, **HTMX)
    assert response.status_code == 200

    latest = person.history.first()
    assert (latest.history_user, latest.role, latest.influence) == (rep, "economic_buyer", 5)
    html = rep_client.get(url, **HTMX).content.decode()
    assert "Change history" in html and "Ravi Rep" in html
    assert "<del>Champion</del>" in html and "<ins>Economic buyer</ins>" in html
    assert "<del>3</del>" in html and "<ins>5</ins>" in html


def test_a_recomputed_last_contact_is_not_a_stakeholder_change():
    person = StakeholderFactory()
    Stakeholder.objects.filter(pk=person.pk).update(last_contacted_at=date(2026, 1, 1).isoformat() + "T00:00Z")
    person.refresh_from_db()
    person.save()
    assert [e.action for e in history.entries([history.Source(Stakeholder.history.filter(id=person.pk))])] == [
        "created"]


# --- playbooks --------------------------------------------------------------------------------


def test_playbook_and_step_edits_in_admin_show_on_the_playbook_page(staff, admin_user, rep_client):
    named(admin_user, "Ada", "Admin")
    playbook = Playbook.objects.create(name="Seat growth", slug="seat-growth", cooldown_days=30,
                                       signal={"match": "all", "conditions": [
                                           {"metric": "seats", "operator": "gte", "value": 50}]})
    step = PlaybookStep.objects.create(playbook=playbook, position=1, title="Call the champion")
    form = {
        "name": "Seat growth", "slug": "seat-growth", "description": "", "maturity": "foundational",
        "goal_type": "expansion", "goal": "", "when_to_run": "", "pitfalls": "", "is_active": "on",
        "schedule": "manual", "schedule_hour": "6", "schedule_weekday": "0", "cooldown_days": "45",
        "assignment": "owner", "max_open_plays_per_rep": "", "signal": json.dumps(playbook.signal),
        "steps-TOTAL_FORMS": "1", "steps-INITIAL_FORMS": "1", "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "1000", "steps-0-id": str(step.pk), "steps-0-playbook": str(playbook.pk),
        "steps-0-position": "1", "steps-0-title": "Call the economic buyer", "steps-0-guidance": "",
        "steps-0-due_after_days": "7", "steps-0-role": "account_executive",
    }
    response = staff.post(reverse("admin:playbooks_playbook_change", args=[playbook.pk]), form)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""

    html = rep_client.get(reverse("playbooks:playbook_detail", args=["seat-growth"])).content.decode()
    assert "Playbook history" in html and "Ada Admin" in html
    assert "<del>30</del>" in html and "<ins>45</ins>" in html
    assert "Step 1. Call the economic buyer" in html and "<del>Call the champion</del>" in html
    # the admin's own history view lists the change too
    admin_html = staff.get(reverse("admin:playbooks_playbook_history", args=[playbook.pk])).content.decode()
    assert "Ada Admin" in admin_html or admin_user.username in admin_html


# --- compensation ------------------------------------------------------------------------------


def test_plan_and_assignment_changes_show_on_the_reps_statement(rep_client, rep, staff, admin_user):
    named(admin_user, "Ada", "Admin")
    plan = hybrid_plan()
    assignment = assign(rep, plan, target=D(100000))
    comp_services.statements_calculate(period=Q3)
    statement = Statement.objects.get(rep=rep)

    bookings, usage = plan.components.all()
    quotas = {q.component_id: q for q in assignment.quotas.all()}
    response = staff.post(reverse("admin:forecasting_assignment_change", args=[assignment.pk]), {
        "rep": rep.pk, "plan": plan.pk, "period": Q3, "target_incentive": "120000", "draw_type": "none",
        "draw_amount": "0", "quotas-TOTAL_FORMS": "2", "quotas-INITIAL_FORMS": "2", "quotas-MIN_NUM_FORMS": "0",
        "quotas-MAX_NUM_FORMS": "1000",
        "quotas-0-id": quotas[bookings.pk].pk, "quotas-0-assignment": assignment.pk,
        "quotas-0-component": bookings.pk, "quotas-0-quota": "150000",
        "quotas-1-id": quotas[usage.pk].pk, "quotas-1-assignment": assignment.pk,
        "quotas-1-component": usage.pk, "quotas-1-quota": "100000",
    })
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert Assignment.history.filter(id=assignment.pk, history_user=admin_user).exists()

    html = rep_client.get(reverse("forecasting:comp_statement", args=[statement.pk])).content.decode()
    assert "Plan and assignment history" in html and "Ada Admin" in html
    assert "<del>100,000</del>" in html and "<ins>120,000</ins>" in html  # target incentive
    assert "<ins>150,000</ins>" in html  # the bookings quota


def test_saving_a_plan_unchanged_records_nothing_and_a_tier_change_records_only_that_tier():
    plan = hybrid_plan()
    tiers_before = PlanTier.history.count()
    components = [{"name": c.name, "measure": c.measure, "weight": c.weight, "method": c.method, "mode": c.mode,
                   "cap_multiple": c.cap_multiple, "tiers": ACCELERATED} for c in plan.components.all()]
    data = {"name": plan.name, "period_type": "quarter", "effective_from": date(2026, 1, 1),
            "credit_scope": plan.credit_scope}
    comp_services.plan_save(plan=plan, data=data, components=components)
    assert PlanTier.history.count() == tiers_before  # tiers are not rewritten when nothing changed
    visible = history.entries(history.compensation_sources(plan_id=plan.pk, assignment_id=None))
    assert {e.action for e in visible} == {"created"}

    from forecasting.compensation import calculator as calc
    steeper = [ACCELERATED[0], calc.Tier(D(1), None, D(3))]
    components[0]["tiers"] = steeper
    comp_services.plan_save(plan=plan, data=data, components=components)
    changed = [e for e in history.entries(history.compensation_sources(plan_id=plan.pk, assignment_id=None))
               if e.action == "changed"]
    assert [(e.subject, [(c.field, c.old, c.new) for c in e.changes]) for e in changed] == [
        ("Tier from 1", [("rate", "2", "3")])]


def test_history_is_read_only_in_the_admin(admin_client):
    plan = hybrid_plan()
    record = plan.history.first()
    response = admin_client.get(reverse("admin:forecasting_compplan_simple_history",
                                        args=[plan.pk, record.history_id]))
    # SIMPLE_HISTORY_REVERT_DISABLED: a past version can be looked at, not restored
    assert response.status_code == 200
    assert b"Revert" not in response.content
    rows = plan.history.count()
    response = admin_client.post(
        reverse("admin:forecasting_compplan_simple_history", args=[plan.pk, record.history_id]),
        {"name": "Reverted", "period_type": "quarter", "effective_from": "2026-01-01", "credit_scope": "own"})
    assert response.status_code == 403
    assert CompPlan.objects.get(pk=plan.pk).name == plan.name and plan.history.count() == rows


def test_entries_name_deleted_foreign_keys_and_stay_within_the_limit():
    acme = CompanyFactory(name="Acme")
    owner = UserFactory(username="gone")
    acme.owner = owner
    acme.save()
    owner_id = owner.pk
    owner.delete()  # SET_NULL: a second change; the first still names the (now deleted) owner id
    acme.refresh_from_db()
    for number in range(5):
        acme.name = f"Acme {number}"
        acme.save()
    found = history.entries(history.company_sources(acme.pk), limit=3)
    assert len(found) == 3 and found[0].changes[0].new == "Acme 4"
    everything = history.entries(history.company_sources(acme.pk), limit=50)
    owner_changes = [c for e in everything for c in e.changes if c.field == "owner"]
    assert [(c.old, c.new) for c in owner_changes] == [(f"#{owner_id} (deleted)", "—"), ("—", f"#{owner_id} (deleted)")]


def test_a_long_text_change_is_shown_around_where_it_differs():
    plan = hybrid_plan()
    plan.description = "Half on committed bookings, half on consumption; " * 4
    plan.save()
    plan.description = plan.description.replace("consumption; Half", "billed consumption; Half", 1)
    plan.save()
    latest = history.entries(history.compensation_sources(plan_id=plan.pk, assignment_id=None))[0]
    [change] = latest.changes
    assert change.field == "description"
    assert change.old.startswith("…") and "billed" not in change.old
    assert "billed consumption" in change.new and len(change.new) < len(plan.description)
