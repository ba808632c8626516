"""Demo compensation: two plans, every demo rep assigned, the previous quarter locked and the current one calculated."""
from datetime import date

import pytest

from accounts.services.demo import demo_seed
from accounts.services.demo.specs import COMMERCIAL_REPS, ENTERPRISE_REPS
from forecasting.compensation import demo
from forecasting.models import Assignment, CompPlan, PeriodLock, Statement

pytestmark = pytest.mark.django_db
TODAY = date(2026, 8, 15)


@pytest.fixture(autouse=True)
def _only_compensation_demo(settings):
    # The forecasting demo (deals) may or may not be listed; the compensation demo must work either way.
    settings.REVOPS_DEMO_EXTENSIONS = [m for m in settings.REVOPS_DEMO_EXTENSIONS if m != demo.__name__] + [demo.__name__]


def payables() -> list:
    return sorted(Statement.objects.values_list("rep__username", "period", "status", "commission", "payable"))


def test_demo_assigns_every_rep_and_calculates_two_quarters_the_first_locked():
    demo_seed(companies=40, seed=7, today=TODAY)

    assert set(CompPlan.objects.values_list("name", flat=True)) >= {demo.HYBRID, demo.BOOKINGS}
    hybrid = CompPlan.objects.get(name=demo.HYBRID)
    assert sorted(hybrid.components.values_list("weight", flat=True)) == [0.5, 0.5]
    assigned = set(Assignment.objects.values_list("rep__username", flat=True))
    assert assigned == set(ENTERPRISE_REPS) | set(COMMERCIAL_REPS)
    assert set(Statement.objects.values_list("period", "status")) == {("2026-Q2", "locked"), ("2026-Q3", "open")}
    assert Statement.objects.count() == 2 * len(assigned)
    assert PeriodLock.objects.filter(period="2026-Q2").exists()
    assert Statement.objects.filter(period="2026-Q3", commission__gt=0).exists()
    labels = [label for label, _, _ in demo.demo_summary()]
    assert labels == ["compensation plans", "statements"]


def test_demo_rerun_replaces_its_own_rows_with_the_same_figures():
    demo_seed(companies=40, seed=7, today=TODAY)
    first = payables()
    demo_seed(companies=40, seed=7, today=TODAY)
    assert payables() == first
    assert CompPlan.objects.filter(name__in=demo.DEMO_PLANS).count() == 2
