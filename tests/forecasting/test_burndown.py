"""Commit burn-down: consumed, run-rate, exhaustion, overage or shortfall, true-up, rollover — and the
set-based burn ratio agreeing with it."""
from datetime import date
from decimal import Decimal

import pytest

from accounts.models import Company
from forecasting.models import Contract
from forecasting.selectors.burn import company_with_burn_ratio
from forecasting.services.burndown import BurnStatus, commit_burndown, commit_burndowns
from revops.errors import ApplicationError
from tests.factories import CompanyFactory, UsageRecordFactory, WorkspaceFactory
from tests.forecasting.factories import ContractFactory, book_usage

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = date(2025, 6, 15)


def commit(company, **fields):
    values = dict(kind=Contract.Kind.COMMIT, start_date=date(2025, 1, 1), end_date=date(2025, 12, 31),
                  committed_amount=D("12000"))
    values.update(fields)
    return ContractFactory(company=company, **values)


def monthly(company, amounts, *, year=2025, first_month=1):
    for offset, amount in enumerate(amounts):
        book_usage(company, date(year, first_month + offset, 1), amount)


def test_usage_ahead_of_the_commit_projects_overage_and_an_exhaustion_date():
    company = CompanyFactory()
    contract = commit(company)
    monthly(company, [1500] * 5)
    burn = commit_burndown(contract=contract, today=TODAY)
    assert burn.consumed == D("7500.00")
    assert burn.remaining == D("4500.00")
    assert burn.run_rate_monthly == D("1500.00")
    # 1500 ÷ 30.4375 a day: the 4500 left last 91.3 days from 15 June → 15 September.
    assert burn.projected_exhaustion == date(2025, 9, 15)
    assert burn.projected_consumption == D("17306.98")  # 7500 + 199 days × 49.28
    assert burn.projected_overage == D("5306.98")
    assert burn.projected_shortfall == D("0") and burn.true_up == D("0")
    assert burn.burn_ratio == pytest.approx(7500 / (12000 * 166 / 365))
    assert burn.status == BurnStatus.OVERAGE


def test_postpaid_shortfall_is_trued_up_and_part_of_it_rolls_over():
    company = CompanyFactory()
    contract = commit(company, billing=Contract.Billing.POSTPAID, rollover_fraction=D("0.25"))
    monthly(company, [500] * 5)
    burn = commit_burndown(contract=contract, today=TODAY)
    assert burn.projected_consumption == D("5768.99")  # 2500 + 199 days × 500 ÷ 30.4375
    assert burn.projected_shortfall == D("6231.01")
    assert burn.true_up == D("6231.01")
    assert burn.rollover_amount == D("1557.75")
    assert burn.projected_exhaustion is None
    assert burn.status == BurnStatus.SHORTFALL
    assert burn.burn_ratio == pytest.approx(2500 / (12000 * 166 / 365))


def test_prepaid_shortfall_has_no_true_up():
    company = CompanyFactory()
    contract = commit(company, billing=Contract.Billing.PREPAID)
    monthly(company, [500] * 5)
    burn = commit_burndown(contract=contract, today=TODAY)
    assert burn.projected_shortfall == D("6231.01")
    assert burn.true_up == D("0")


def test_exhausted_commit_dates_the_crossing_within_the_month():
    company = CompanyFactory()
    contract = commit(company)
    monthly(company, [6000, 7000])
    burn = commit_burndown(contract=contract, today=date(2025, 3, 10))
    assert burn.status == BurnStatus.EXHAUSTED
    assert burn.remaining == D("0")
    assert burn.projected_exhaustion == date(2025, 2, 24)  # 6000 of February's 7000 = 24 of its 28 days


def test_ended_term_reports_the_actual_shortfall():
    company = CompanyFactory()
    contract = commit(company, billing=Contract.Billing.POSTPAID, status=Contract.Status.EXPIRED)
    monthly(company, [800] * 12)
    book_usage(company, date(2026, 1, 1), 5000)  # after the term
    burn = commit_burndown(contract=contract, today=date(2026, 2, 1))
    assert burn.status == BurnStatus.ENDED
    assert burn.consumed == burn.projected_consumption == D("9600.00")
    assert burn.true_up == D("2400.00")
    assert burn.elapsed_share == 1.0


def test_mid_month_start_counts_only_the_days_in_the_term():
    company = CompanyFactory()
    contract = commit(company, start_date=date(2025, 3, 16), end_date=date(2026, 3, 15))
    monthly(company, [3100, 3000, 3100], first_month=3)  # 100 a day
    burn = commit_burndown(contract=contract, today=date(2025, 5, 31))
    assert burn.consumed == D("7700.00")  # 16 days of March + April + May
    assert burn.series[0].month == date(2025, 3, 1) and burn.series[0].consumed == D("1600.00")
    assert burn.series[-1].month == date(2026, 3, 1) and burn.series[-1].expected == D("12000.00")


def test_series_has_actuals_up_to_today_then_the_projection():
    company = CompanyFactory()
    contract = commit(company)
    monthly(company, [1000] * 6)
    burn = commit_burndown(contract=contract, today=TODAY)
    assert len(burn.series) == 12
    june, july = burn.series[5], burn.series[6]
    assert june.consumed == D("6000.00") and june.projected is not None
    assert july.consumed is None and july.projected > june.projected
    assert burn.series[0].projected is None


def test_renewal_not_started_carries_the_projected_rollover():
    company = CompanyFactory()
    first = commit(company, rollover_fraction=D("0.5"))
    renewal = commit(company, start_date=date(2026, 1, 1), end_date=date(2026, 12, 31), renewal_of=first)
    monthly(company, [500] * 5)
    burns = commit_burndowns(contracts=[first, renewal], today=TODAY)
    assert burns[renewal.pk].rollover_in == burns[first.pk].rollover_amount == D("3115.51")
    assert burns[renewal.pk].available == D("15115.51")
    assert burns[renewal.pk].status == BurnStatus.NOT_STARTED
    assert burns[renewal.pk].burn_ratio is None


def test_renewal_after_the_term_carries_the_actual_rollover():
    company = CompanyFactory()
    first = commit(company, rollover_fraction=D("0.5"), status=Contract.Status.EXPIRED)
    renewal = commit(company, start_date=date(2026, 1, 1), end_date=date(2026, 12, 31), renewal_of=first)
    monthly(company, [800] * 12)  # 2400 unused → 1200 rolls over
    burn = commit_burndown(contract=renewal, today=date(2026, 1, 20))
    assert burn.rollover_in == D("1200.00")
    assert burn.available == D("13200.00")


def test_burndown_is_only_for_commit_contracts():
    contract = ContractFactory(kind=Contract.Kind.SUBSCRIPTION)
    with pytest.raises(ApplicationError, match="Only commit contracts"):
        commit_burndown(contract=contract, today=TODAY)


def test_burndowns_of_many_contracts_take_constant_queries(django_assert_max_num_queries):
    contracts = []
    for _ in range(8):
        company = CompanyFactory()
        contracts.append(commit(company))
        monthly(company, [900] * 5)
    with django_assert_max_num_queries(4):
        burns = commit_burndowns(contracts=contracts, today=TODAY)
    assert {b.consumed for b in burns.values()} == {D("4500.00")}


# --- the set-based burn ratio -------------------------------------------------------------------


def test_burn_ratio_selector_matches_the_burndown_on_a_mid_month_start():
    company = CompanyFactory()
    contract = commit(company, start_date=date(2025, 2, 10), end_date=date(2026, 2, 9))
    workspace = WorkspaceFactory(company=company)
    for month, amount in ((1, 999), (2, 2800), (3, 1200), (4, 1300), (5, 900), (6, 400)):
        UsageRecordFactory(workspace=workspace, period=date(2025, month, 1), metric="compute_credits",
                           amount=D(amount))
    book_usage(company, date(2025, 4, 1), 250)
    expected = commit_burndown(contract=contract, today=TODAY).burn_ratio
    annotated = company_with_burn_ratio(today=TODAY).get(pk=company.pk)
    assert annotated.burn_ratio == pytest.approx(expected, rel=1e-9)
    # 19 of February's 28 days, then March to June: (1900 + 1200 + 1550 + 900 + 400) ÷ (12000 × 126 ÷ 365)
    assert expected == pytest.approx(5950 / (12000 * 126 / 365))
    assert annotated.commit_in_force == D("12000.00")


def test_burn_ratio_is_none_without_a_commit_in_force_and_sortable(django_assert_num_queries):
    fast, slow, none = CompanyFactory(name="Fast"), CompanyFactory(name="Slow"), CompanyFactory(name="None")
    commit(fast)
    commit(slow)
    commit(none, status=Contract.Status.DRAFT)
    ContractFactory(company=none, kind=Contract.Kind.SUBSCRIPTION)
    monthly(fast, [2000] * 6)
    monthly(slow, [200] * 6)
    monthly(none, [5000] * 6)
    with django_assert_num_queries(1):
        rows = list(company_with_burn_ratio(Company.objects.all(), today=TODAY).order_by("burn_ratio").values_list(
            "name", "burn_ratio"))
    by_name = dict(rows)
    assert by_name["None"] is None
    assert by_name["Slow"] < 1 < by_name["Fast"]
    assert company_with_burn_ratio(today=TODAY).filter(burn_ratio__gt=1).get() == fast
