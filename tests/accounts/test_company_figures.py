"""A company's own figures (Σ mrr, Σ seats, number of workspaces) are kept in CompanyFigures by database
triggers (accounts/services/figures.py): every way workspaces are written keeps them equal to what the
workspaces add up to."""
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Sum

from accounts.models import Company, CompanyFigures, Workspace
from accounts.services import figures
from accounts.services.resolution.evidence import Method, Status
from accounts.services.resolution.writes import outcomes_write
from tests.concurrency import run_at_once
from tests.accounts.test_import_kinds import load_all
from tests.factories import CompanyFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db


ZERO = (Decimal("0.00"), 0, 0)


def stored() -> dict[int, tuple]:
    rows = {pk: (mrr, seats, n) for pk, mrr, seats, n in
            CompanyFigures.objects.values_list("company_id", "mrr", "seats", "workspaces")}
    return {pk: rows.get(pk, ZERO) for pk in Company.objects.values_list("pk", flat=True)}


def expected() -> dict[int, tuple]:
    sums = {row["company"]: (row["mrr"], row["seats"], row["n"]) for row in
            Workspace.objects.filter(company__isnull=False).values("company")
            .annotate(mrr=Sum("mrr"), seats=Sum("seats"), n=Count("pk")).order_by()}
    return {pk: sums.get(pk, ZERO) for pk in Company.objects.values_list("pk", flat=True)}


def assert_consistent():
    assert stored() == expected()


def test_every_kind_of_workspace_write_keeps_the_figures(rep_client):
    acme, globex, initech = CompanyFactory(), CompanyFactory(), CompanyFactory()
    a = WorkspaceFactory(company=acme, mrr=Decimal("100.50"), seats=10)
    WorkspaceFactory(company=acme, mrr=Decimal("49.50"), seats=5)
    b = WorkspaceFactory(company=globex, mrr=Decimal("20.00"), seats=2)
    WorkspaceFactory(company=None, mrr=Decimal("999.00"), seats=99)  # unresolved: nobody's
    assert stored()[acme.pk] == (Decimal("150.00"), 15, 2)
    assert_consistent()

    a.company = globex  # one row saved through the ORM
    a.mrr = Decimal("101.00")
    a.save()
    assert stored()[acme.pk] == (Decimal("49.50"), 5, 1)
    assert stored()[globex.pk] == (Decimal("121.00"), 12, 2)

    Workspace.objects.filter(company=globex).update(company=initech)  # one set-based UPDATE
    assert stored()[globex.pk] == (Decimal("0.00"), 0, 0)
    assert stored()[initech.pk] == (Decimal("121.00"), 12, 2)
    Workspace.objects.update(seats=1)  # columns the figures do not depend on change nothing else
    assert_consistent()

    b.delete()
    Workspace.objects.filter(company__isnull=True).update(company=acme)
    assert_consistent()

    # the account page and the API read the stored figures
    response = rep_client.get(f"/api/v1/companies/{acme.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert (Decimal(body["mrr"]), body["seats"], body["workspace_count"]) == (Decimal("1048.50"), 2, 2)
    assert Decimal(body["arr"]) == Decimal("1048.50") * 12


def test_deleting_a_company_releases_its_workspaces():
    acme = CompanyFactory()
    WorkspaceFactory(company=acme, mrr=Decimal("10.00"))
    acme.delete()
    assert Workspace.objects.get().company_id is None
    assert not CompanyFigures.objects.exists()  # the deleted company's row went with it
    assert_consistent()


def test_saving_a_company_leaves_its_figures(admin_client):
    acme = CompanyFactory(name="Acme")
    stale = Company.objects.get(pk=acme.pk)  # read before the workspace arrives
    WorkspaceFactory(company=acme, mrr=Decimal("75.00"), seats=3)

    stale.name = "Acme Corporation"
    stale.save()
    assert stored()[acme.pk] == (Decimal("75.00"), 3, 1)
    assert Company.objects.get(pk=acme.pk).name == "Acme Corporation"
    response = admin_client.post(f"/admin/accounts/company/{acme.pk}/change/", {
        "external_id": acme.external_id, "name": "Acme Inc", "tier": "", "country": "", "industry": "",
        "domains-TOTAL_FORMS": "0", "domains-INITIAL_FORMS": "0"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Company.objects.get(pk=acme.pk).name == "Acme Inc"
    assert stored()[acme.pk] == (Decimal("75.00"), 3, 1)


def test_imports_and_resolution_keep_the_figures():
    load_all()  # companies, workspaces (COPY and INSERT … ON CONFLICT on PostgreSQL), users, usage
    assert_consistent()
    call_command("resolve_accounts", "--full", stdout=open("/dev/null", "w"))
    assert Workspace.objects.filter(company__isnull=False).exists()
    assert_consistent()
    load_all()  # a re-import of the same files
    assert_consistent()


def test_the_account_list_sorts_by_the_stored_arr(rep_client):
    small, big, none = CompanyFactory(name="Small"), CompanyFactory(name="Big"), CompanyFactory(name="None")
    WorkspaceFactory(company=small, mrr=Decimal("10.00"))
    WorkspaceFactory(company=big, mrr=Decimal("30.00"))
    WorkspaceFactory(company=big, mrr=Decimal("30.00"))
    rows = list(rep_client.get("/accounts/", {"sort": "-arr"}).context["companies"])
    assert [(c.name, c.arr, c.workspace_count) for c in rows] == [
        ("Big", Decimal("720.00"), 2), ("Small", Decimal("120.00"), 1), ("None", Decimal("0.00"), 0)]
    rows = list(rep_client.get("/accounts/", {"sort": "workspaces"}).context["companies"])
    assert [c.name for c in rows] == ["None", "Small", "Big"]


def test_missing_triggers_are_installed_again_and_the_figures_recomputed():
    """SQLite drops a table's triggers when a migration rebuilds it; after every migrate the triggers
    are put back and the figures recomputed (post_migrate → install_triggers)."""
    acme = CompanyFactory()
    assert figures.install_triggers(connection) is False  # present: nothing to do
    figures.drop_triggers(connection)
    WorkspaceFactory(company=acme, mrr=Decimal("5.00"), seats=1)  # written while no trigger watches
    assert stored()[acme.pk] == (Decimal("0.00"), 0, 0)

    assert figures.install_triggers(connection) is True
    assert stored()[acme.pk] == (Decimal("5.00"), 1, 1)
    WorkspaceFactory(company=acme, mrr=Decimal("5.00"), seats=1)
    assert stored()[acme.pk] == (Decimal("10.00"), 2, 2)


def test_recompute_corrects_drift_and_reports_what_it_changed():
    acme, globex = CompanyFactory(), CompanyFactory()
    WorkspaceFactory(company=acme, mrr=Decimal("5.00"), seats=1)
    CompanyFigures.objects.filter(pk=acme.pk).update(mrr=Decimal("1.00"))  # drift, as a hand-made SQL fix could cause
    changed = figures.recompute(connection)
    assert stored()[acme.pk] == (Decimal("5.00"), 1, 1)
    assert stored()[globex.pk] == (Decimal("0.00"), 0, 0)
    if connection.vendor == "postgresql":
        assert changed == 1  # only the company that was wrong


def test_concurrent_outcome_writes_over_the_same_companies_keep_the_figures(require_postgres, transactional_db):
    """A full run's processes write their workspace outcomes at the same time, without a lock of
    their own: the figures trigger locks companies in one order, so two writes that touch the same
    companies (in opposite orders of workspace id) wait for each other, never deadlock, and the
    figures end as the workspaces add up."""
    companies = [CompanyFactory() for _ in range(40)]
    workspaces = [WorkspaceFactory(company=None, mrr=Decimal("10.00"), seats=2) for _ in range(400)]
    halves = (workspaces[:200], workspaces[200:])

    def write(part: list, order: list) -> int:
        return outcomes_write(Workspace, [(w.pk, company.pk, None, Method.MEMBERS, 0.9, Status.AUTO, "members")
                                          for w, company in zip(part, order * 5)])

    run_at_once(lambda: write(halves[0], companies), lambda: write(halves[1], companies[::-1]))
    assert Workspace.objects.filter(company__isnull=False).count() == 400
    assert stored()[companies[0].pk] == (Decimal("100.00"), 20, 10)
    assert_consistent()
