"""Compensation pages through real URLs: who sees which statement, the what-if preview, the team table,
the payroll CSV, and the admin's recalculate and lock buttons."""
import csv
import io
from decimal import Decimal as D

import pytest

from forecasting.compensation import services
from forecasting.models import PeriodLock, Statement
from tests.forecasting.comp_builders import Q3, assign, consumption, hybrid_plan, open_deal, won

pytestmark = pytest.mark.django_db


@pytest.fixture
def statements(rep, rep2, other_rep):
    plan = hybrid_plan()
    for person in (rep, rep2, other_rep):
        assign(person, plan)
    won(rep, 120000, name="Acme platform expansion")
    consumption(rep, 75000)
    won(rep2, 30000)
    open_deal(rep, 40000, name="Acme data team")
    services.statements_calculate(period=Q3)
    return {s.rep_id: s for s in Statement.objects.all()}


def test_rep_sees_own_statement_with_line_items(rep_client, rep, statements):
    page = rep_client.get("/compensation/?period=2026-Q3")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Q3 2026 statement" in html and "Acme platform expansion" in html
    assert "$107,500.00" in html  # payable
    assert "Acme data team" in html  # the what-if pipeline


def test_rep_cannot_open_another_reps_statement_or_the_team_or_the_export(rep_client, rep2, statements):
    assert rep_client.get(f"/compensation/statements/{statements[rep2.pk].pk}/").status_code == 403
    assert rep_client.get(f"/compensation/statements/{statements[rep2.pk].pk}/what-if/").status_code == 403
    assert rep_client.get("/compensation/team/").status_code == 403
    assert rep_client.get("/compensation/export.csv?period=2026-Q3").status_code == 403
    assert rep_client.post("/compensation/periods/2026-Q3/lock/").status_code == 403
    assert not PeriodLock.objects.exists()


def test_manager_sees_the_team_table_and_chart_but_not_other_teams(manager_client, rep, rep2, other_rep, statements):
    page = manager_client.get("/compensation/?period=2026-Q3")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Team compensation" in html and "<svg" in html
    assert rep.get_full_name() in html and rep2.get_full_name() in html
    assert other_rep.get_full_name() not in html
    assert manager_client.get(f"/compensation/statements/{statements[rep.pk].pk}/").status_code == 200
    assert manager_client.get(f"/compensation/statements/{statements[other_rep.pk].pk}/").status_code == 404


def test_admin_sees_everyone_and_exports_payroll_csv(admin_client, rep, other_rep, statements):
    page = admin_client.get("/compensation/team/?period=2026-Q3")
    assert other_rep.get_full_name() in page.content.decode()
    export = admin_client.get("/compensation/export.csv?period=2026-Q3")
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert len(rows) == 3
    ravi = next(r for r in rows if r["username"] == rep.username)
    assert (ravi["period"], ravi["commission"], ravi["payable"], ravi["plan"]) == (
        "2026-Q3", "107500.00", "107500.00", "Hybrid 50:50")


def test_what_if_preview_is_an_htmx_partial_and_writes_nothing(rep_client, rep, statements):
    statement = statements[rep.pk]
    deal = rep.opportunities.get(name="Acme data team")
    response = rep_client.get(f"/compensation/statements/{statement.pk}/what-if/?deal={deal.pk}", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert "$137,500.00" in html and "+$30,000.00" in html  # bookings 160 %: factor 2.2, capped at 2 → 100,000
    assert Statement.objects.get(pk=statement.pk).payable == D("107500.00")


def test_admin_recalculates_and_locks_a_period_from_the_team_page(admin_client, rep, statements):
    won(rep, 10000)
    response = admin_client.post("/compensation/periods/2026-Q3/recalculate/")
    assert response.status_code == 302
    assert Statement.objects.get(rep=rep).commission == D("117500.00")
    admin_client.post("/compensation/periods/2026-Q3/lock/")
    assert PeriodLock.objects.filter(period="2026-Q3").exists()
    assert set(Statement.objects.values_list("status", flat=True)) == {"locked"}
    again = admin_client.post("/compensation/periods/2026-Q3/recalculate/", follow=True)
    assert "is locked" in again.content.decode()


def test_rep_without_a_plan_sees_an_empty_state(rep_client):
    page = rep_client.get("/compensation/")
    assert page.status_code == 200 and "No statement yet" in page.content.decode()


def test_statement_page_query_count_does_not_grow_with_lines(rep_client, rep, statements, django_assert_max_num_queries):
    for n in range(15):
        won(rep, 1000 + n)
    services.statements_calculate(period=Q3)
    with django_assert_max_num_queries(20):
        assert rep_client.get("/compensation/?period=2026-Q3").status_code == 200
