"""Recognition per contract kind through selectors.revenue.monthly_revenue: ratable fees on calendar
edges, consumption usage, commit draw-down and overage, hybrid overage, rollover into a renewal."""
from datetime import date
from decimal import Decimal

import pytest

from forecasting.models import Contract
from forecasting.selectors.revenue import active_contracts, monthly_revenue
from tests.factories import CompanyFactory, UsageRecordFactory, WorkspaceFactory
from tests.forecasting.factories import ContractFactory, book_usage

pytestmark = pytest.mark.django_db
D = Decimal


def committed_by_month(revenue, company):
    return {month: fee for (cid, month), (fee, _) in sorted(revenue.items()) if cid == company.pk}


def consumption_by_month(revenue, company):
    return {month: used for (cid, month), (_, used) in sorted(revenue.items()) if cid == company.pk}


def test_mid_month_subscription_is_ratable_by_day():
    company = CompanyFactory()
    ContractFactory(company=company, start_date=date(2025, 6, 15), end_date=date(2025, 10, 12), committed_amount=D("120"))
    revenue = monthly_revenue(start=date(2025, 1, 1), end=date(2025, 12, 31))
    assert committed_by_month(revenue, company) == {
        date(2025, 6, 1): D("16.00"), date(2025, 7, 1): D("31.00"), date(2025, 8, 1): D("31.00"),
        date(2025, 9, 1): D("30.00"), date(2025, 10, 1): D("12.00"),
    }


def test_leap_year_february_gets_its_29th_day():
    company = CompanyFactory()
    ContractFactory(company=company, start_date=date(2024, 1, 1), end_date=date(2024, 12, 31), committed_amount=D("366"))
    revenue = committed_by_month(monthly_revenue(start=date(2024, 1, 1), end=date(2024, 12, 31)), company)
    assert revenue[date(2024, 2, 1)] == D("29.00")
    assert revenue[date(2024, 12, 1)] == D("31.00")
    assert sum(revenue.values()) == D("366")


def test_term_across_leap_day_splits_on_days_and_sums_to_the_fee():
    company = CompanyFactory()
    ContractFactory(company=company, kind=Contract.Kind.COMMIT, start_date=date(2024, 2, 10),
                    end_date=date(2025, 2, 9), committed_amount=D("36600"))
    revenue = committed_by_month(monthly_revenue(start=date(2024, 1, 1), end=date(2025, 12, 31)), company)
    assert revenue[date(2024, 2, 1)] == D("2000.00")  # 20 of 366 days: the 10th to the 29th
    assert revenue[date(2025, 2, 1)] == D("900.00")  # 9 days
    assert sum(revenue.values()) == D("36600")


def test_window_months_count_whole_and_other_months_are_left_out():
    company = CompanyFactory()
    ContractFactory(company=company, start_date=date(2025, 1, 1), end_date=date(2025, 12, 31), committed_amount=D("3650"))
    revenue = committed_by_month(monthly_revenue(start=date(2025, 3, 20), end=date(2025, 4, 2)), company)
    assert revenue == {date(2025, 3, 1): D("310.00"), date(2025, 4, 1): D("300.00")}


def test_consumption_is_usage_of_workspaces_and_company_per_month():
    company = CompanyFactory()
    workspace = WorkspaceFactory(company=company)
    UsageRecordFactory(workspace=workspace, period=date(2025, 3, 1), metric="compute_credits", amount=D("40.00"))
    UsageRecordFactory(workspace=workspace, period=date(2025, 3, 1), metric="api_calls", amount=D("0"))
    book_usage(company, date(2025, 3, 1), "2.50")
    book_usage(company, date(2025, 4, 1), "7.00")
    UsageRecordFactory(workspace=WorkspaceFactory(company=None), period=date(2025, 3, 1), amount=D("99"))
    ContractFactory(company=company, kind=Contract.Kind.CONSUMPTION, committed_amount=D("0"),
                    start_date=date(2025, 1, 1), end_date=date(2025, 12, 31))
    revenue = monthly_revenue(start=date(2025, 1, 1), end=date(2025, 12, 31))
    assert revenue[(company.pk, date(2025, 3, 1))] == (D("0"), D("42.50"))
    assert revenue[(company.pk, date(2025, 4, 1))] == (D("0"), D("7.00"))
    assert all(cid == company.pk for cid, _ in revenue)  # the unresolved workspace belongs to nobody


def test_subscription_usage_is_still_pay_as_you_go():
    company = CompanyFactory()
    ContractFactory(company=company, start_date=date(2025, 1, 1), end_date=date(2025, 12, 31), committed_amount=D("3650"))
    book_usage(company, date(2025, 5, 1), "120")
    assert monthly_revenue(start=date(2025, 5, 1), end=date(2025, 5, 31))[(company.pk, date(2025, 5, 1))] == (
        D("310.00"), D("120.00"))


def test_draft_and_cancelled_contracts_do_not_count():
    company = CompanyFactory()
    ContractFactory(company=company, status=Contract.Status.DRAFT, committed_amount=D("1200"))
    ContractFactory(company=company, status=Contract.Status.CANCELLED, committed_amount=D("2400"))
    expired = ContractFactory(company=company, status=Contract.Status.EXPIRED, committed_amount=D("3650"),
                              start_date=date(2024, 1, 1), end_date=date(2024, 12, 31))
    revenue = monthly_revenue(start=date(2024, 1, 1), end=date(2025, 12, 31))
    assert sum(fee for fee, _ in revenue.values()) == expired.committed_amount


def test_commit_usage_draws_down_and_only_the_excess_is_overage():
    company = CompanyFactory()
    ContractFactory(company=company, kind=Contract.Kind.COMMIT, start_date=date(2025, 1, 1),
                    end_date=date(2025, 3, 31), committed_amount=D("900"))
    for month, amount in ((1, 200), (2, 500), (3, 400)):
        book_usage(company, date(2025, month, 1), amount)
    book_usage(company, date(2025, 4, 1), 50)  # after the term: pay as you go
    revenue = monthly_revenue(start=date(2025, 1, 1), end=date(2025, 4, 30))
    assert consumption_by_month(revenue, company) == {
        date(2025, 1, 1): D("0"), date(2025, 2, 1): D("0"), date(2025, 3, 1): D("200.00"), date(2025, 4, 1): D("50.00"),
    }
    assert sum(committed_by_month(revenue, company).values()) == D("900")


def test_commit_overage_is_repriced_at_the_overage_price_per_unit():
    company = CompanyFactory()
    ContractFactory(company=company, kind=Contract.Kind.COMMIT, start_date=date(2025, 1, 1),
                    end_date=date(2025, 1, 31), committed_amount=D("100"), overage_price=D("0.5"))
    book_usage(company, date(2025, 1, 1), "150", quantity=300)  # 2 units per unit of money
    revenue = monthly_revenue(start=date(2025, 1, 1), end=date(2025, 1, 31))
    assert revenue[(company.pk, date(2025, 1, 1))] == (D("100.00"), D("50.00"))  # 100 excess units × 0.5


def test_mid_month_commit_start_draws_only_the_covered_days():
    company = CompanyFactory()
    ContractFactory(company=company, kind=Contract.Kind.COMMIT, start_date=date(2025, 4, 16),
                    end_date=date(2026, 4, 15), committed_amount=D("36500"))
    book_usage(company, date(2025, 4, 1), "300")  # 15 of 30 days before the commit
    revenue = monthly_revenue(start=date(2025, 4, 1), end=date(2025, 4, 30))
    assert revenue[(company.pk, date(2025, 4, 1))] == (D("1500.00"), D("150.00"))


def test_hybrid_units_above_the_included_ones_are_billed_at_the_overage_price():
    company = CompanyFactory()
    ContractFactory(company=company, kind=Contract.Kind.HYBRID, start_date=date(2025, 1, 1),
                    end_date=date(2025, 12, 31), committed_amount=D("3650"), included_units=D("1000"),
                    overage_price=D("0.25"))
    book_usage(company, date(2025, 1, 1), "80", quantity=700)
    book_usage(company, date(2025, 1, 1), "0", quantity=99_999, metric="api_calls")  # free metric: not metered
    book_usage(company, date(2025, 2, 1), "80", quantity=700)
    book_usage(company, date(2025, 3, 1), "80", quantity=700)
    revenue = monthly_revenue(start=date(2025, 1, 1), end=date(2025, 3, 31))
    assert consumption_by_month(revenue, company) == {
        date(2025, 1, 1): D("0"), date(2025, 2, 1): D("100.00"), date(2025, 3, 1): D("175.00"),
    }  # 400 units over in February, 700 in March


def test_hybrid_without_overage_price_bills_excess_units_at_their_usage_price():
    company = CompanyFactory()
    ContractFactory(company=company, kind=Contract.Kind.HYBRID, start_date=date(2025, 1, 1),
                    end_date=date(2025, 1, 31), committed_amount=D("310"), included_units=D("100"))
    book_usage(company, date(2025, 1, 1), "30", quantity=300)
    assert monthly_revenue(start=date(2025, 1, 1), end=date(2025, 1, 31))[(company.pk, date(2025, 1, 1))] == (
        D("310.00"), D("20.00"))


def test_rollover_of_the_unused_balance_delays_the_renewals_overage():
    company = CompanyFactory()
    first = ContractFactory(company=company, kind=Contract.Kind.COMMIT, start_date=date(2024, 1, 1),
                            end_date=date(2024, 12, 31), committed_amount=D("1200"), rollover_fraction=D("0.5"),
                            status=Contract.Status.EXPIRED)
    ContractFactory(company=company, kind=Contract.Kind.COMMIT, start_date=date(2025, 1, 1),
                    end_date=date(2025, 12, 31), committed_amount=D("1200"), renewal_of=first)
    book_usage(company, date(2024, 6, 1), "800")  # 400 unused → 200 rolls over
    book_usage(company, date(2025, 3, 1), "1300")
    book_usage(company, date(2025, 4, 1), "300")
    revenue = monthly_revenue(start=date(2025, 1, 1), end=date(2025, 12, 31))
    assert consumption_by_month(revenue, company)[date(2025, 3, 1)] == D("0")  # within 1200 + 200
    assert consumption_by_month(revenue, company)[date(2025, 4, 1)] == D("200.00")  # 1600 − 1400


def test_company_filter_limits_the_result():
    a, b = CompanyFactory(), CompanyFactory()
    book_usage(a, date(2025, 1, 1), 10)
    book_usage(b, date(2025, 1, 1), 20)
    revenue = monthly_revenue(start=date(2025, 1, 1), end=date(2025, 1, 31), company_ids=[b.pk])
    assert revenue == {(b.pk, date(2025, 1, 1)): (D("0"), D("20.00"))}


def test_monthly_revenue_query_count_does_not_grow_with_companies(django_assert_max_num_queries):
    for i in range(12):
        company = CompanyFactory()
        ContractFactory(company=company, kind=Contract.Kind.COMMIT, committed_amount=D("1000"))
        book_usage(company, date(2025, 2, 1), 100 + i)
    with django_assert_max_num_queries(6):
        revenue = monthly_revenue(start=date(2025, 1, 1), end=date(2025, 12, 31))
    assert len({cid for cid, _ in revenue}) == 12


def test_active_contracts_are_the_active_ones_in_their_term():
    live = ContractFactory(start_date=date(2025, 1, 1), end_date=date(2025, 12, 31))
    ContractFactory(start_date=date(2026, 1, 1), end_date=date(2026, 12, 31))
    ContractFactory(status=Contract.Status.DRAFT)
    ContractFactory(status=Contract.Status.EXPIRED)
    assert list(active_contracts(on=date(2025, 12, 31))) == [live]
