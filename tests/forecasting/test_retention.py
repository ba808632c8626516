"""NRR and GRR on hand-computed cohorts, on both bases, with breakdowns and the cohort heat map."""
from datetime import date
from decimal import Decimal

import pytest

from accounts.models import Company
from forecasting.models import Contract
from forecasting.selectors.retention import Retention, retention_report
from tests.factories import CompanyFactory, UserFactory
from tests.forecasting.factories import ContractFactory, book_usage

pytestmark = pytest.mark.django_db
D = Decimal
THEN, NOW = date(2024, 6, 1), date(2025, 6, 1)


def test_hand_computed_cohort_nrr_105_grr_87():
    figures = Retention()
    for then, now in ((40, 58), (30, 25), (8, 0), (22, 22)):
        figures.add(D(then), D(now))
    assert (figures.start, figures.expansion, figures.contraction, figures.churn) == (100, 18, 5, 8)
    assert figures.nrr == pytest.approx(1.05) and figures.grr == pytest.approx(0.87)


@pytest.fixture
def cohort(db):
    """start 100 = 40 + 30 + 8 + 22; expansion 18 (A), contraction 5 (B), churn 8 (C); a new logo (E)."""
    ravi, rosa = UserFactory(first_name="Ravi", last_name="Rep"), UserFactory(first_name="Rosa", last_name="Rep")
    a = CompanyFactory(name="A", tier=Company.Tier.ENTERPRISE, owner=ravi)
    b = CompanyFactory(name="B", tier=Company.Tier.ENTERPRISE, owner=rosa)
    c = CompanyFactory(name="C", tier=Company.Tier.SMB, owner=ravi)
    d = CompanyFactory(name="D", tier=Company.Tier.SMB, owner=None)
    e = CompanyFactory(name="E", tier=Company.Tier.SMB, owner=ravi)
    for company, then, now in ((a, 40, 58), (b, 30, 25), (c, 8, 0), (d, 22, 22), (e, 0, 50)):
        if then:
            book_usage(company, THEN, then)
        if now:
            book_usage(company, NOW, now)
    book_usage(d, date(2023, 3, 1), 1)  # D's first revenue: the 2023 cohort
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "ravi": ravi, "rosa": rosa}


def test_total_revenue_nrr_and_grr_of_the_cohort(cohort):
    report = retention_report(basis="total", months=1, as_of=NOW)
    latest = report.latest
    assert (latest.customers, latest.start, latest.now) == (4, D("100"), D("105"))
    assert latest.nrr == pytest.approx(1.05)
    assert latest.grr == pytest.approx(0.87)
    assert latest.churned_customers == 1


def test_breakdowns_by_segment_rep_and_signup_cohort(cohort):
    report = retention_report(basis="total", months=1, as_of=NOW)
    segments = {row.label: row.figures for row in report.breakdowns["segment"]}
    assert segments["Enterprise"].nrr == pytest.approx(83 / 70)  # A and B
    assert segments["SMB"].nrr == pytest.approx(22 / 30)  # C churned, D flat; E is a new logo
    reps = {row.label: row.figures for row in report.breakdowns["rep"]}
    assert reps["Ravi Rep"].start == D("48") and reps["Ravi Rep"].now == D("58")
    assert reps["No owner"].grr == pytest.approx(1.0)
    cohorts = {row.label: row.figures.start for row in report.breakdowns["cohort"]}
    assert cohorts == {"2023": D("22"), "2024": D("78")}


def test_series_and_heat_map_cover_every_month(cohort):
    book_usage(cohort["a"], date(2024, 5, 1), 10)
    book_usage(cohort["a"], date(2025, 5, 1), 5)
    report = retention_report(basis="total", months=3, as_of=NOW)
    assert report.months == [date(2025, 4, 1), date(2025, 5, 1), date(2025, 6, 1)]
    by_month = dict(report.series)
    assert by_month[date(2025, 4, 1)].customers == 0 and by_month[date(2025, 4, 1)].nrr is None
    assert by_month[date(2025, 5, 1)].nrr == pytest.approx(0.5)
    assert report.heatmap_cohorts == ["2023", "2024"]
    assert report.heatmap[("2024", date(2025, 6, 1))].nrr == pytest.approx(83 / 78)
    assert report.heatmap[("2023", date(2025, 6, 1))].nrr == pytest.approx(1.0)


def test_arr_basis_counts_committed_fees_only(db):
    grows, churns, consumption_only = CompanyFactory(), CompanyFactory(), CompanyFactory()
    ContractFactory(company=grows, start_date=date(2025, 1, 1), end_date=date(2025, 12, 31), committed_amount=D("12000"))
    ContractFactory(company=grows, start_date=date(2026, 1, 1), end_date=date(2026, 12, 31), committed_amount=D("15000"))
    ContractFactory(company=churns, start_date=date(2025, 1, 1), end_date=date(2025, 12, 31), committed_amount=D("12000"))
    ContractFactory(company=consumption_only, kind=Contract.Kind.CONSUMPTION, committed_amount=D("0"))
    book_usage(consumption_only, date(2025, 3, 1), 1000)
    book_usage(consumption_only, date(2026, 3, 1), 9000)
    report = retention_report(basis="arr", months=1, as_of=date(2026, 3, 1))
    latest = report.latest
    assert latest.customers == 2
    assert abs(latest.start - D("24000")) < D("0.10")  # two × 12000: March's 31 days annualised (cents rounded)
    assert latest.nrr == pytest.approx(15000 / 24000, rel=1e-3)
    assert latest.grr == pytest.approx(12000 / 24000, rel=1e-3)
    total = retention_report(basis="total", months=1, as_of=date(2026, 3, 1)).latest
    assert total.customers == 3


def test_default_month_is_the_last_complete_one(cohort, monkeypatch):
    report = retention_report(basis="total", months=2)
    assert report.as_of < date.today().replace(day=1)


def test_unknown_basis_is_refused(db):
    with pytest.raises(ValueError):
        retention_report(basis="bookings")
