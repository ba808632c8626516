"""The arithmetic of a statement, with no database: tables, curves, decelerators, caps and draws.

Rate tables and payout curves share one shape, a list of tiers [lower, upper) → rate:

* **step** — each slice of the value earns its own tier's rate (one deal can straddle tiers);
* **flat** — the tier the value reaches applies to the whole value. A value exactly on a boundary
  belongs to the higher tier.

A rate table's value is the credited amount and its result money (60,000 over 0–10k 1 %, 10k–50k 2 %,
50k+ 3 %: step 100 + 800 + 300 = 1,200; flat 60,000 × 3 % = 1,800). A payout curve's value is
attainment and its result the payout factor (1.0 per unit up to 100 %, 2.0 above: 120 % → 1.4);
earnings = target incentive × weight × factor. Components never offset each other.
"""
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal("0")
ONE = Decimal("1")
CENT = Decimal("0.01")
FACTOR_PLACES = Decimal("0.000001")

STEP, FLAT = "step", "flat"
PAYOUT_CURVE, RATE_TABLE = "payout_curve", "rate_table"
DRAW_NONE, DRAW_RECOVERABLE, DRAW_NON_RECOVERABLE = "none", "recoverable", "non_recoverable"


def money(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Tier:
    lower: Decimal
    upper: Decimal | None
    rate: Decimal


@dataclass(frozen=True)
class Slice:
    lower: Decimal
    upper: Decimal | None
    rate: Decimal
    portion: Decimal  # the part of the value priced at this rate
    result: Decimal

    def as_dict(self) -> dict:
        return {
            "lower": _plain(self.lower), "upper": None if self.upper is None else _plain(self.upper),
            "rate": _plain(self.rate), "portion": _plain(self.portion), "result": _plain(self.result),
        }


def tier_reached(value: Decimal, tiers: list[Tier]) -> Tier | None:
    """The tier whose [lower, upper) holds value; on a boundary, the higher tier."""
    reached = None
    for tier in sorted(tiers, key=lambda t: t.lower):
        if value >= tier.lower:
            reached = tier
    return reached


def table_apply(value: Decimal, tiers: list[Tier], mode: str) -> tuple[Decimal, list[Slice]]:
    """Apply a step or flat table to value (negative values earn nothing)."""
    value = Decimal(value)
    if value <= 0 or not tiers:
        return ZERO, []
    ordered = sorted(tiers, key=lambda t: t.lower)
    if mode == FLAT:
        tier = tier_reached(value, ordered)
        if tier is None:
            return ZERO, []
        result = value * tier.rate
        return result, [Slice(tier.lower, tier.upper, tier.rate, value, result)]
    total, slices = ZERO, []
    for tier in ordered:
        top = value if tier.upper is None else min(value, tier.upper)
        portion = top - tier.lower
        if portion <= 0:
            break
        result = portion * tier.rate
        total += result
        slices.append(Slice(tier.lower, tier.upper, tier.rate, portion, result))
    return total, slices


def tiers_problems(tiers: list[Tier]) -> list[str]:
    """Why a table is not usable: it must start at 0, be contiguous (no gaps, no overlaps), end open."""
    if not tiers:
        return ["Add at least one tier."]
    ordered = sorted(tiers, key=lambda t: t.lower)
    problems = []
    if ordered[0].lower != 0:
        problems.append(f"The first tier must start at 0, not {ordered[0].lower.normalize():f}.")
    for before, after in zip(ordered, ordered[1:]):
        if before.upper is None:
            problems.append(f"Only the last tier may be open-ended; the tier from {before.lower.normalize():f} overlaps the next.")
        elif after.lower < before.upper:
            problems.append(f"Tiers overlap: {before.lower.normalize():f}–{before.upper.normalize():f} and one from "
                            f"{after.lower.normalize():f}.")
        elif after.lower > before.upper:
            problems.append(f"Gap between {before.upper.normalize():f} and {after.lower.normalize():f}.")
    for tier in ordered:
        if tier.upper is not None and tier.upper <= tier.lower:
            problems.append(f"A tier's upper bound must be above its lower bound ({tier.lower.normalize():f}).")
        if tier.rate < 0:
            problems.append("Rates cannot be negative.")
    if ordered[-1].upper is not None:
        problems.append("The last tier must be open-ended (leave its upper bound empty).")
    return problems


@dataclass(frozen=True)
class ComponentRule:
    key: int
    name: str
    measure: str
    weight: Decimal
    method: str
    mode: str
    tiers: tuple[Tier, ...]
    decelerator_threshold: Decimal | None = None
    decelerator_rate: Decimal | None = None
    retroactive_unlock: bool = False
    cap_multiple: Decimal | None = None


@dataclass
class ComponentResult:
    rule: ComponentRule
    credited: Decimal
    quota: Decimal
    attainment: Decimal
    target: Decimal
    factor: Decimal | None
    earnings_uncapped: Decimal
    earnings: Decimal
    slices: list[Slice] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def capped(self) -> bool:
        return self.earnings < self.earnings_uncapped


def _below_threshold_part(value: Decimal, threshold: Decimal, tiers: list[Tier], mode: str) -> Decimal:
    """What the part of value below the threshold earns under the table (for the decelerator)."""
    if value <= 0:
        return ZERO
    if mode == FLAT:
        tier = tier_reached(value, tiers)
        return min(value, threshold) * (tier.rate if tier else ZERO)
    return table_apply(min(value, threshold), tiers, STEP)[0]


def component_calculate(rule: ComponentRule, *, credited: Decimal, quota: Decimal,
                        target_incentive: Decimal) -> ComponentResult:
    """Earnings of one component on its own curve or table.

    1. attainment = credited ÷ quota;
    2. the table gives the factor (payout curve, on attainment) or money (rate table, on credit);
    3. the decelerator multiplies what was earned below its threshold by its rate — unless retroactive
       unlock is on and attainment reached the threshold, in which case everything is paid in full;
    4. the component cap limits earnings to cap × target (target incentive × weight).
    """
    credited, quota = Decimal(credited), Decimal(quota)
    target = money(Decimal(target_incentive) * rule.weight)
    attainment = credited / quota if quota else ZERO
    tiers = list(rule.tiers)
    value = attainment if rule.method == PAYOUT_CURVE else credited
    result, slices = table_apply(value, tiers, rule.mode)
    notes: list[str] = []
    if rule.decelerator_threshold is not None and rule.decelerator_rate is not None and value > 0:
        threshold = rule.decelerator_threshold if rule.method == PAYOUT_CURVE else rule.decelerator_threshold * quota
        unlocked = rule.retroactive_unlock and attainment >= rule.decelerator_threshold
        if unlocked:
            notes.append(f"Decelerator unlocked retroactively: attainment reached {_pct(rule.decelerator_threshold)}.")
        else:
            below = _below_threshold_part(value, threshold, tiers, rule.mode)
            cut = below * (ONE - rule.decelerator_rate)
            if cut > 0:
                result -= cut
                notes.append(f"Decelerator: earnings below {_pct(rule.decelerator_threshold)} attainment paid at "
                             f"{_pct(rule.decelerator_rate)}.")
    if rule.method == PAYOUT_CURVE:
        factor = result.quantize(FACTOR_PLACES, rounding=ROUND_HALF_UP)
        uncapped = money(target * result)
    else:
        factor = None
        uncapped = money(result)
    earnings = uncapped
    if rule.cap_multiple is not None:
        cap = money(target * rule.cap_multiple)
        if earnings > cap:
            earnings = cap
            notes.append(f"Capped at {rule.cap_multiple.normalize():f}× the component target.")
    return ComponentResult(rule=rule, credited=money(credited), quota=quota, attainment=attainment, target=target,
                           factor=factor, earnings_uncapped=uncapped, earnings=earnings, slices=slices, notes=notes)


def plan_cap_reduction(*, total: Decimal, cap_multiple: Decimal | None, target_incentive: Decimal) -> Decimal:
    """How much the plan cap takes off the sum of component earnings (0 when under the cap)."""
    if cap_multiple is None:
        return ZERO
    return max(ZERO, money(total - Decimal(target_incentive) * cap_multiple))


@dataclass(frozen=True)
class DrawResult:
    topup: Decimal  # paid on top of earnings to reach the draw
    recovered: Decimal  # withheld from earnings to repay what the rep owes
    payable: Decimal
    balance_end: Decimal  # still owed by the rep, carried to the next period


def draw_settle(*, earned: Decimal, draw_type: str, draw_amount: Decimal, balance_start: Decimal) -> DrawResult:
    """Pay at least the draw; carry what a recoverable draw advanced; recover from earnings above the draw.

    Non-recoverable 5,000 with 3,200 earned: pays 5,000 (1,800 top-up, never owed back).
    Recoverable: pays 5,000 and carries 1,800, recovered later from earnings above that period's draw.
    Negative earnings (clawbacks larger than earnings) pay nothing and are carried as owed.
    """
    earned, balance = money(earned), money(balance_start)
    floor = money(draw_amount) if draw_type != DRAW_NONE else ZERO
    base = max(earned, ZERO)
    if base < floor:
        topup, recovered, payable = floor - base, ZERO, floor
        if draw_type == DRAW_RECOVERABLE:
            balance += topup
    else:
        topup = ZERO
        recovered = min(balance, base - floor)
        payable = base - recovered
        balance -= recovered
    if earned < 0:
        balance += -earned
    return DrawResult(topup=topup, recovered=recovered, payable=payable, balance_end=balance)


def _plain(value: Decimal) -> str:
    """A compact exact-enough text for JSON: six decimals at most, no trailing zeros, no exponent."""
    return f"{Decimal(value).quantize(FACTOR_PLACES, rounding=ROUND_HALF_UP).normalize():f}"


def _pct(ratio: Decimal) -> str:
    return f"{(Decimal(ratio) * 100).normalize():f} %"
