"""The arithmetic of compensation, without a database: the issue's worked examples and the edges."""
from decimal import Decimal as D

import pytest

from forecasting.compensation import calculator as calc
from forecasting.compensation.calculator import ComponentRule, Tier

RATE_TABLE = (Tier(D(0), D(10000), D("0.01")), Tier(D(10000), D(50000), D("0.02")), Tier(D(50000), None, D("0.03")))
# factor = attainment up to 100 %, then 1 + 2 × (attainment − 1)
CURVE = (Tier(D(0), D(1), D(1)), Tier(D(1), None, D(2)))


def curve_rule(**overrides) -> ComponentRule:
    values = dict(key=1, name="Bookings", measure="committed_bookings", weight=D("0.5"), method=calc.PAYOUT_CURVE,
                  mode=calc.STEP, tiers=CURVE, cap_multiple=D(2))
    return ComponentRule(**{**values, **overrides})


def table_rule(mode: str, **overrides) -> ComponentRule:
    values = dict(key=2, name="Bookings", measure="committed_bookings", weight=D(1), method=calc.RATE_TABLE,
                  mode=mode, tiers=RATE_TABLE)
    return ComponentRule(**{**values, **overrides})


def test_hybrid_50_50_pays_each_component_on_its_own_curve():
    bookings = calc.component_calculate(curve_rule(), credited=D(120000), quota=D(100000), target_incentive=D(100000))
    consumption = calc.component_calculate(curve_rule(key=2, name="Consumption"), credited=D(75000), quota=D(100000),
                                           target_incentive=D(100000))
    assert (bookings.factor, bookings.earnings) == (D("1.4"), D("70000.00"))
    assert (consumption.factor, consumption.earnings) == (D("0.75"), D("37500.00"))
    assert bookings.earnings + consumption.earnings == D("107500.00")
    # A blended 97.5 % on one curve would have paid 97,500: the components must not offset.
    blended = calc.component_calculate(curve_rule(weight=D(1)), credited=D("97500"), quota=D(100000),
                                       target_incentive=D(100000))
    assert blended.earnings == D("97500.00") != bookings.earnings + consumption.earnings


def test_rate_table_step_and_flat_on_60000():
    step, slices = calc.table_apply(D(60000), list(RATE_TABLE), calc.STEP)
    flat, _ = calc.table_apply(D(60000), list(RATE_TABLE), calc.FLAT)
    assert step == D(1200) and [s.result for s in slices] == [D(100), D(800), D(300)]
    assert flat == D(1800)
    assert calc.component_calculate(table_rule(calc.STEP), credited=D(60000), quota=D(100000),
                                     target_incentive=D(10000)).earnings == D("1200.00")


@pytest.mark.parametrize(
    ("value", "step", "flat"),
    [
        (D("9999.99"), D("99.9999"), D("99.9999")),
        (D(10000), D(100), D(200)),  # on the boundary: the higher tier (flat); no slice above it (step)
        (D("10000.01"), D("100.0002"), D("200.0002")),
        (D(50000), D(900), D(1500)),
        (D(0), D(0), D(0)),
        (D(-500), D(0), D(0)),
    ],
)
def test_tier_edges_belong_to_the_higher_tier(value, step, flat):
    assert calc.table_apply(value, list(RATE_TABLE), calc.STEP)[0] == step
    assert calc.table_apply(value, list(RATE_TABLE), calc.FLAT)[0] == flat


def test_one_deal_straddles_tiers_in_step_mode():
    _, slices = calc.table_apply(D(30000), list(RATE_TABLE), calc.STEP)
    assert [(s.lower, s.portion) for s in slices] == [(D(0), D(10000)), (D(10000), D(20000))]


def test_attainment_exactly_100_percent_pays_factor_one():
    result = calc.component_calculate(curve_rule(), credited=D(100000), quota=D(100000), target_incentive=D(100000))
    assert (result.attainment, result.factor, result.earnings) == (D(1), D(1), D("50000.00"))


def test_component_cap_limits_earnings_to_the_multiple_of_target():
    at_cap = calc.component_calculate(curve_rule(), credited=D(150000), quota=D(100000), target_incentive=D(100000))
    above = calc.component_calculate(curve_rule(), credited=D(180000), quota=D(100000), target_incentive=D(100000))
    assert at_cap.earnings == D("100000.00") and not at_cap.capped  # 1 + 2 × 0.5 = 2.0: exactly on the cap
    assert above.earnings_uncapped == D("130000.00") and above.earnings == D("100000.00") and above.capped
    assert above.notes == ["Capped at 2× the component target."]


def test_plan_cap_takes_the_excess_off_the_total():
    assert calc.plan_cap_reduction(total=D(260000), cap_multiple=D(2), target_incentive=D(100000)) == D(60000)
    assert calc.plan_cap_reduction(total=D(200000), cap_multiple=D(2), target_incentive=D(100000)) == D(0)
    assert calc.plan_cap_reduction(total=D(260000), cap_multiple=None, target_incentive=D(100000)) == D(0)


def test_decelerator_below_threshold_halves_what_was_earned():
    rule = curve_rule(decelerator_threshold=D("0.5"), decelerator_rate=D("0.5"))
    below = calc.component_calculate(rule, credited=D(40000), quota=D(100000), target_incentive=D(100000))
    assert (below.factor, below.earnings) == (D("0.2"), D("10000.00"))
    # Without retroactive unlock the first 50 % stays decelerated: 0.5 × 0.5 + 0.3 = 0.55.
    above = calc.component_calculate(rule, credited=D(80000), quota=D(100000), target_incentive=D(100000))
    assert above.factor == D("0.55")


def test_retroactive_unlock_pays_the_decelerated_part_once_the_threshold_is_reached():
    rule = curve_rule(decelerator_threshold=D("0.5"), decelerator_rate=D("0.5"), retroactive_unlock=True)
    just_below = calc.component_calculate(rule, credited=D("49999"), quota=D(100000), target_incentive=D(100000))
    on_threshold = calc.component_calculate(rule, credited=D(50000), quota=D(100000), target_incentive=D(100000))
    above = calc.component_calculate(rule, credited=D(80000), quota=D(100000), target_incentive=D(100000))
    assert just_below.factor == D("0.249995")
    assert on_threshold.factor == D("0.5") and "unlocked" in on_threshold.notes[0]
    assert above.factor == D("0.8")


def test_decelerator_on_a_rate_table_uses_the_threshold_of_quota():
    rule = table_rule(calc.STEP, decelerator_threshold=D("0.5"), decelerator_rate=D("0.5"))
    # quota 100,000 → threshold 50,000 of credit; 40,000 step = 700, all of it below: 350.
    result = calc.component_calculate(rule, credited=D(40000), quota=D(100000), target_incentive=D(10000))
    assert result.earnings == D("350.00")


def test_flat_payout_curve_applies_the_band_reached_to_all_attainment():
    rule = curve_rule(mode=calc.FLAT)
    result = calc.component_calculate(rule, credited=D(120000), quota=D(100000), target_incentive=D(100000))
    assert result.factor == D("2.4")  # retroactive accelerator: 1.2 × 2


def test_non_recoverable_draw_tops_up_and_is_never_owed_back():
    draw = calc.draw_settle(earned=D(3200), draw_type=calc.DRAW_NON_RECOVERABLE, draw_amount=D(5000),
                            balance_start=D(0))
    assert (draw.payable, draw.topup, draw.balance_end) == (D(5000), D(1800), D(0))


def test_recoverable_draw_carries_the_shortfall_and_recovers_it_from_earnings_above_the_draw():
    first = calc.draw_settle(earned=D(3200), draw_type=calc.DRAW_RECOVERABLE, draw_amount=D(5000), balance_start=D(0))
    assert (first.payable, first.topup, first.balance_end) == (D(5000), D(1800), D(1800))
    small = calc.draw_settle(earned=D(6000), draw_type=calc.DRAW_RECOVERABLE, draw_amount=D(5000),
                             balance_start=first.balance_end)
    assert (small.payable, small.recovered, small.balance_end) == (D(5000), D(1000), D(800))
    later = calc.draw_settle(earned=D(9000), draw_type=calc.DRAW_RECOVERABLE, draw_amount=D(5000),
                             balance_start=small.balance_end)
    assert (later.payable, later.recovered, later.balance_end) == (D(8200), D(800), D(0))


def test_negative_earnings_pay_nothing_and_are_carried_as_owed():
    settled = calc.draw_settle(earned=D(-700), draw_type=calc.DRAW_NONE, draw_amount=D(0), balance_start=D(0))
    assert (settled.payable, settled.balance_end) == (D(0), D(700))


@pytest.mark.parametrize(
    ("tiers", "fragment"),
    [
        ([Tier(D(0), D(10), D(1)), Tier(D(5), None, D(2))], "overlap"),
        ([Tier(D(0), D(10), D(1)), Tier(D(12), None, D(2))], "Gap"),
        ([Tier(D(1), None, D(1))], "start at 0"),
        ([Tier(D(0), D(10), D(1))], "open-ended"),
        ([], "at least one tier"),
    ],
)
def test_tier_tables_with_overlaps_gaps_or_open_starts_are_refused(tiers, fragment):
    assert any(fragment in problem for problem in calc.tiers_problems(tiers))


def test_contiguous_tiers_are_accepted():
    assert calc.tiers_problems(list(RATE_TABLE)) == []
