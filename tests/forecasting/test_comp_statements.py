"""Statements from real rows: the worked examples end to end, splits, clawbacks, locks, adjustments, draws."""
from datetime import date
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from forecasting.compensation import services
from forecasting.compensation.calculator import Tier
from forecasting.compensation.periods import period_containing
from forecasting.models import Adjustment, Opportunity, PeriodLock, Statement, StatementLine
from revops.errors import ApplicationError
from tests.forecasting.comp_builders import Q3, assign, consumption, hybrid_plan, open_deal, rate_plan, won

pytestmark = pytest.mark.django_db


def statement_of(rep, period=Q3) -> Statement:
    return Statement.objects.prefetch_related("components", "lines").get(rep=rep, period=period)


def test_hybrid_50_50_statement_pays_107500_with_components_on_their_own_curves(rep):
    plan = hybrid_plan(plan_cap=D(2))
    assign(rep, plan)
    won(rep, 70000)
    won(rep, 50000, on=date(2026, 9, 30))  # last day of the quarter counts
    won(rep, 99999, on=date(2026, 10, 1))  # next quarter: not credited
    consumption(rep, 75000)

    report = services.statements_calculate(period=Q3)

    assert report.calculated == 1
    statement = statement_of(rep)
    bookings, usage = statement.components.all()
    assert (bookings.credited, bookings.attainment, bookings.factor, bookings.earnings) == (
        D("120000.00"), D("1.2"), D("1.4"), D("70000.00"))
    assert (usage.credited, usage.attainment, usage.factor, usage.earnings) == (
        D("75000.00"), D("0.75"), D("0.75"), D("37500.00"))
    assert (statement.commission, statement.payable, statement.ytd_payable) == (
        D("107500.00"), D("107500.00"), D("107500.00"))
    assert bookings.breakdown == [
        {"lower": "0", "upper": "1", "rate": "1", "portion": "1", "result": "1"},
        {"lower": "1", "upper": None, "rate": "2", "portion": "0.2", "result": "0.4"},
    ]
    deals = statement.lines.filter(kind=StatementLine.Kind.DEAL).order_by("on_date")
    assert [(line.credited, line.earnings) for line in deals] == [
        (D("70000.00"), D("40833.33")), (D("50000.00"), D("29166.67"))]
    assert statement.lines.filter(kind=StatementLine.Kind.ACCOUNT).get().credited == D("75000.00")


def test_rate_table_step_pays_1200_and_flat_1800_on_60000(rep, rep2):
    assign(rep, rate_plan("step", "Step table"), target=D(10000))
    assign(rep2, rate_plan("flat", "Flat table"), target=D(10000))
    won(rep, 60000)
    won(rep2, 60000)

    services.statements_calculate(period=Q3)

    assert statement_of(rep).commission == D("1200.00")
    assert statement_of(rep2).commission == D("1800.00")
    assert [s["result"] for s in statement_of(rep).components.get().breakdown] == ["100", "800", "300"]


def test_recalculation_is_idempotent(rep):
    assign(rep, hybrid_plan())
    won(rep, 120000)
    consumption(rep, 75000)
    services.statements_calculate(period=Q3)
    first = statement_of(rep)
    shape = lambda s: (s.commission, s.payable, sorted((l.kind, l.credited, l.earnings) for l in s.lines.all()))  # noqa: E731

    call_command("comp_calculate", "--period", Q3)

    again = statement_of(rep)
    assert Statement.objects.count() == 1 and again.pk == first.pk
    assert shape(again) == shape(first)


def test_split_credit_shares_a_deal_and_overlay_credits_the_manager_on_top(rep, rep2, manager):
    plan = rate_plan("flat")
    for person in (rep, rep2, manager):
        assign(person, plan, target=D(10000))
    deal = won(rep, 100000)
    services.credit_splits_set(opportunity=deal, splits=[(rep, "split", D(60)), (rep2, "split", D(40)),
                                                         (manager, "overlay", D(100))])

    services.statements_calculate(period=Q3)

    credited = {s.rep_id: s.components.get().credited for s in Statement.objects.prefetch_related("components")}
    assert credited == {rep.pk: D("60000.00"), rep2.pk: D("40000.00"), manager.pk: D("100000.00")}
    line = statement_of(rep2).lines.get()
    assert (line.amount, line.share, line.credited) == (D("100000.00"), D("0.4000"), D("40000.00"))


def test_team_overlay_plan_credits_the_manager_with_the_team(rep, rep2, manager, other_rep):
    assign(manager, hybrid_plan("Manager overlay", scope="team"))
    won(rep, 30000)
    won(rep2, 20000)
    won(other_rep, 99000)  # another team
    consumption(rep, 9000)

    services.statements_calculate(period=Q3)

    bookings, usage = statement_of(manager).components.all()
    assert (bookings.credited, usage.credited) == (D("50000.00"), D("9000.00"))


def test_component_cap_and_plan_cap_limit_the_statement(rep):
    assign(rep, hybrid_plan(plan_cap=D("1.5")))
    won(rep, 300000)  # factor 1 + 2 × 2 = 5 → capped at 2× the component target: 100,000
    consumption(rep, 100000)  # factor 1 → 50,000

    services.statements_calculate(period=Q3)

    statement = statement_of(rep)
    bookings, usage = statement.components.all()
    assert (bookings.earnings_uncapped, bookings.earnings, usage.earnings) == (
        D("250000.00"), D("100000.00"), D("50000.00"))
    assert (statement.plan_cap_reduction, statement.commission) == (D("0.00"), D("150000.00"))
    won(rep, 1)  # a little more bookings changes nothing: both caps hold
    services.statements_calculate(period=Q3)
    assert statement_of(rep).commission == D("150000.00")


def test_plan_cap_reduction_is_shown_on_the_statement(rep):
    assign(rep, hybrid_plan(plan_cap=D("1.2")))
    won(rep, 150000)  # 2.0 → 100,000
    consumption(rep, 100000)  # 1.0 → 50,000; total 150,000 > 120,000

    services.statements_calculate(period=Q3)

    statement = statement_of(rep)
    assert (statement.plan_cap_reduction, statement.commission) == (D("30000.00"), D("120000.00"))


def test_decelerator_and_retroactive_unlock_on_a_statement(rep, rep2):
    extra = {"decelerator_threshold": D("0.5"), "decelerator_rate": D("0.5"), "retroactive_unlock": True}
    plan = hybrid_plan("Decelerated", consumption_extra=extra)
    assign(rep, plan)
    assign(rep2, plan)
    consumption(rep, 40000)  # 40 %: half pay → factor 0.2
    consumption(rep2, 50000)  # 50 %: unlocked → factor 0.5

    services.statements_calculate(period=Q3)

    assert statement_of(rep).components.get(name="Consumption").factor == D("0.2")
    assert statement_of(rep2).components.get(name="Consumption").factor == D("0.5")


def test_consumption_growth_credits_the_change_on_the_same_period_last_year(rep):
    plan = services.plan_save(
        data={"name": "Growth", "period_type": "quarter", "effective_from": date(2026, 1, 1)},
        components=[{"name": "Growth", "measure": "consumption_growth", "weight": D(1), "method": "payout_curve",
                     "mode": "step", "tiers": [Tier(D(0), None, D(1))]}])
    assign(rep, plan, quotas={"consumption_growth": 20000})
    company = consumption(rep, 30000)
    consumption(rep, 18000, months=(date(2025, 7, 1), date(2025, 8, 1), date(2025, 9, 1)), company=company)

    services.statements_calculate(period=Q3)

    component = statement_of(rep).components.get()
    assert (component.credited, component.attainment) == (D("12000.00"), D("0.6"))


def test_net_new_arr_leaves_renewals_out(rep):
    plan = services.plan_save(
        data={"name": "NNARR", "period_type": "quarter", "effective_from": date(2026, 1, 1)},
        components=[{"name": "Net new ARR", "measure": "net_new_arr", "weight": D(1), "method": "rate_table",
                     "mode": "flat", "tiers": [Tier(D(0), None, D("0.1"))]}])
    assign(rep, plan)
    won(rep, 40000, type=Opportunity.Type.EXPANSION)
    won(rep, 80000, type=Opportunity.Type.RENEWAL)

    services.statements_calculate(period=Q3)

    assert statement_of(rep).commission == D("4000.00")


def test_non_recoverable_draw_tops_up_3200_to_5000(rep):
    assign(rep, rate_plan("flat"), target=D(10000), draw_type="non_recoverable", draw=D(5000))
    won(rep, "106666.67")  # flat: the 50k+ tier, 3 % → 3,200
    services.statements_calculate(period=Q3)
    statement = statement_of(rep)
    assert statement.commission == D("3200.00")
    assert (statement.draw_topup, statement.payable, statement.balance_end) == (D("1800.00"), D("5000.00"), D("0.00"))


def test_recoverable_draw_carries_1800_and_recovers_it_from_later_earnings_above_the_draw(rep):
    plan = rate_plan("flat")
    assign(rep, plan, "2026-Q3", target=D(10000), draw_type="recoverable", draw=D(5000))
    assign(rep, plan, "2026-Q4", target=D(10000), draw_type="recoverable", draw=D(5000))
    won(rep, "106666.67")  # flat 3 % → 3,200
    won(rep, 260000, on=date(2026, 11, 2))  # 7,800 in Q4

    services.statements_calculate(period="2026-Q3")
    services.statements_calculate(period="2026-Q4")

    q3, q4 = statement_of(rep, "2026-Q3"), statement_of(rep, "2026-Q4")
    assert (q3.commission, q3.payable, q3.draw_topup, q3.balance_end) == (
        D("3200.00"), D("5000.00"), D("1800.00"), D("1800.00"))
    assert (q4.commission, q4.balance_start, q4.recovered, q4.payable, q4.balance_end) == (
        D("7800.00"), D("1800.00"), D("1800.00"), D("6000.00"), D("0.00"))
    assert q4.ytd_payable == D("11000.00")


def test_locked_statement_never_changes_and_a_late_correction_lands_in_the_next_open_period(rep):
    plan = hybrid_plan()
    assign(rep, plan, "2026-Q3")
    assign(rep, plan, "2026-Q4")
    won(rep, 100000)
    consumption(rep, 50000)
    services.period_lock(period="2026-Q3")
    locked = statement_of(rep, "2026-Q3")
    assert (locked.status, locked.commission) == ("locked", D("75000.00"))

    # Late usage for Q3 arrives after the lock.
    consumption(rep, 30000)
    with pytest.raises(ApplicationError, match="locked"):
        services.statements_calculate(period="2026-Q3")
    services.statements_calculate(period="2026-Q4")

    assert statement_of(rep, "2026-Q3").commission == D("75000.00")
    assert statement_of(rep, "2026-Q3").calculated_at == locked.calculated_at
    q4 = statement_of(rep, "2026-Q4")
    correction = q4.lines.get(kind=StatementLine.Kind.CORRECTION)
    assert (correction.source_period, correction.earnings) == ("2026-Q3", D("15000.00"))  # 80 % instead of 50 %
    assert (q4.adjustments, q4.earned) == (D("15000.00"), D("15000.00"))
    # Recalculating again does not pay it twice.
    services.statements_calculate(period="2026-Q4")
    assert statement_of(rep, "2026-Q4").adjustments == D("15000.00")


def test_correction_paid_in_a_locked_period_is_not_paid_again(rep):
    plan = hybrid_plan()
    for period in ("2026-Q3", "2026-Q4", "2027-Q1"):
        assign(rep, plan, period)
    consumption(rep, 50000)
    services.period_lock(period="2026-Q3")
    consumption(rep, 30000)
    services.period_lock(period="2026-Q4")  # pays the 15,000 correction
    services.statements_calculate(period="2027-Q1")

    assert statement_of(rep, "2026-Q4").adjustments == D("15000.00")
    assert not statement_of(rep, "2027-Q1").lines.filter(kind=StatementLine.Kind.CORRECTION).exists()


def test_clawback_is_a_negative_line_in_the_period_of_cancellation_with_attainment_unchanged(rep):
    plan = hybrid_plan()
    assign(rep, plan, "2026-Q3")
    assign(rep, plan, "2026-Q4")
    deal = won(rep, 60000)
    won(rep, 40000)
    services.period_lock(period="2026-Q3")
    paid = statement_of(rep, "2026-Q3").lines.get(opportunity=deal).earnings
    assert paid == D("30000.00")  # 60 % of the 50,000 bookings earnings

    # Cancelled in November.
    Opportunity.objects.filter(pk=deal.pk).update(stage=Opportunity.Stage.CLOSED_LOST,
                                                 updated_at=timezone.make_aware(timezone.datetime(2026, 11, 3, 12)))
    won(rep, 50000, on=date(2026, 11, 20))
    services.statements_calculate(period="2026-Q4")

    q3, q4 = statement_of(rep, "2026-Q3"), statement_of(rep, "2026-Q4")
    assert q3.commission == D("50000.00")  # locked: unchanged
    clawback = q4.lines.get(kind=StatementLine.Kind.CLAWBACK)
    assert (clawback.earnings, clawback.source_period, clawback.on_date) == (D("-30000.00"), "2026-Q3", date(2026, 11, 3))
    bookings = q4.components.get(name="Bookings")
    assert bookings.attainment == D("0.5")  # Q4's own deals only: the clawback leaves attainment alone
    assert not q4.lines.filter(kind=StatementLine.Kind.CORRECTION).exists()  # not also corrected
    assert (q4.commission, q4.clawbacks, q4.earned, q4.payable, q4.balance_end) == (
        D("25000.00"), D("-30000.00"), D("-5000.00"), D("0.00"), D("5000.00"))


def test_clawback_of_a_cancellation_inside_a_locked_period_goes_to_the_next_open_one(rep):
    plan = hybrid_plan()
    for period in ("2026-Q3", "2026-Q4", "2027-Q1"):
        assign(rep, plan, period)
    deal = won(rep, 100000)
    services.period_lock(period="2026-Q3")
    Opportunity.objects.filter(pk=deal.pk).update(stage=Opportunity.Stage.CLOSED_LOST,
                                                 updated_at=timezone.make_aware(timezone.datetime(2026, 11, 3, 12)))
    PeriodLock.objects.create(period="2026-Q4", period_start=date(2026, 10, 1), period_end=date(2026, 12, 31))

    services.statements_calculate(period="2027-Q1")

    assert statement_of(rep, "2027-Q1").clawbacks == D("-50000.00")


def test_manual_adjustment_is_paid_in_its_open_period_and_refused_for_a_locked_one(rep, admin_user):
    plan = hybrid_plan()
    assign(rep, plan, "2026-Q3")
    assign(rep, plan, "2026-Q4")
    services.period_lock(period="2026-Q3")
    with pytest.raises(Exception) as refused:
        services.adjustment_create(rep=rep, period="2026-Q3", amount=D(500), reason="SPIFF", by=admin_user)
    assert "period" in refused.value.message_dict
    services.adjustment_create(rep=rep, period="2026-Q4", amount=D(500), reason="Q4 SPIFF", by=admin_user)

    services.statements_calculate(period="2026-Q4")

    q4 = statement_of(rep, "2026-Q4")
    assert (q4.adjustments, q4.payable) == (D("500.00"), D("500.00"))
    assert q4.lines.get(kind=StatementLine.Kind.ADJUSTMENT).description == "Q4 SPIFF"
    assert Adjustment.objects.count() == 1


def test_preview_shows_what_closing_an_open_deal_would_pay_without_saving(rep, rep2):
    assign(rep, hybrid_plan())
    won(rep, 80000)
    consumption(rep, 100000)
    mine = open_deal(rep, 40000)
    theirs = open_deal(rep2, 500000)
    services.statements_calculate(period=Q3)
    statement = statement_of(rep)

    preview = services.statement_preview(statement=statement, opportunity_ids=[mine.pk, theirs.pk])

    assert statement.commission == D("90000.00")
    assert preview.commission == D("120000.00")  # bookings 120 % → 70,000 + 50,000
    assert preview.payable_delta == D("30000.00")
    assert [d.pk for d in preview.deals] == [mine.pk]  # someone else's deal is not credited
    assert statement_of(rep).commission == D("90000.00")


def test_comp_calculate_command_refuses_a_locked_period_and_a_bad_key(rep):
    assign(rep, hybrid_plan())
    call_command("comp_calculate", "--period", Q3, "--lock")
    assert Statement.objects.get(rep=rep).status == "locked"
    with pytest.raises(CommandError, match="locked"):
        call_command("comp_calculate", "--period", Q3)
    with pytest.raises(CommandError, match="not a period"):
        call_command("comp_calculate", "--period", "2026-Q5")


def test_comp_calculate_without_period_recalculates_every_open_started_period(rep):
    plan = hybrid_plan()
    today = timezone.localdate()
    current = period_containing("quarter", today)
    assign(rep, plan, current.key)
    assign(rep, plan, current.next().key)  # not started yet
    call_command("comp_calculate")
    assert list(Statement.objects.values_list("period", flat=True)) == [current.key]
    assert Statement.objects.get().calculated_at is not None
