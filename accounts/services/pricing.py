"""The price book: what one enterprise agreement would cost, and the rules that keep the book sane.

Volume tiers are "all units": once an agreement reaches a tier's `min_seats`, every seat of it
costs the tier's price (100 seats at $44 = $4,400 a month, not 99 at list and 1 at $44).
Below the first tier every seat costs the plan's list price. Prices are per seat per month.
"""
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError

from accounts.models import PricePlan
from revops.errors import ApplicationError

ZERO = Decimal(0)
MONTHS = Decimal(12)


@dataclass(frozen=True)
class Quote:
    """One enterprise agreement for `seats` seats."""

    seats: int
    list_price_per_seat: Decimal
    tier_price_per_seat: Decimal
    monthly: Decimal
    annual: Decimal
    tier: int | None  # min_seats of the volume tier reached; None = list price
    plan_name: str = "Enterprise"

    @property
    def discount(self) -> float:
        """The volume discount off list price, as a ratio (0.2 = 20 % off)."""
        if not self.list_price_per_seat:
            return 0.0
        return float(1 - self.tier_price_per_seat / self.list_price_per_seat)

    @property
    def tier_label(self) -> str:
        return f"{self.tier:,}+ seats" if self.tier is not None else "List price"


@dataclass(frozen=True)
class PriceBook:
    """The enterprise plan and its volume tiers, loaded once and used for many quotes."""

    plan_code: str
    plan_name: str
    list_price_per_seat: Decimal
    tiers: tuple[tuple[int, Decimal], ...]  # (min_seats, price per seat), largest min_seats first

    def price_per_seat(self, seats: int) -> tuple[Decimal, int | None]:
        for min_seats, price in self.tiers:
            if seats >= min_seats:
                return price, min_seats
        return self.list_price_per_seat, None

    def quote(self, seats: int) -> Quote:
        if seats < 0:
            raise ValueError("seats cannot be negative")
        price, tier = self.price_per_seat(seats)
        monthly = price * seats
        return Quote(
            seats=seats,
            list_price_per_seat=self.list_price_per_seat,
            tier_price_per_seat=price,
            monthly=monthly,
            annual=monthly * MONTHS,
            tier=tier,
            plan_name=self.plan_name,
        )

    def price_per_seat_sql(self, seats_sql: str) -> tuple[str, list]:
        """The same rule as `price_per_seat`, as a SQL CASE over a seats expression (for sorting)."""
        whens, params = [], []
        for min_seats, price in self.tiers:
            whens.append(f"WHEN {seats_sql} >= %s THEN CAST(%s AS NUMERIC)")
            params += [min_seats, price]
        if not whens:
            return "CAST(%s AS NUMERIC)", [self.list_price_per_seat]
        return f"(CASE {' '.join(whens)} ELSE CAST(%s AS NUMERIC) END)", [*params, self.list_price_per_seat]


def price_book_load() -> PriceBook:
    """The current price book. Raises ApplicationError when no plan is marked as the enterprise plan."""
    plan = PricePlan.objects.filter(is_enterprise=True).prefetch_related("tiers").first()
    if plan is None:
        raise ApplicationError(
            "The price book has no enterprise plan. Mark one plan as the enterprise plan in the admin."
        )
    tiers = sorted(((t.min_seats, t.price_per_seat) for t in plan.tiers.all()), reverse=True)
    return PriceBook(
        plan_code=plan.code, plan_name=plan.name, list_price_per_seat=plan.list_price_per_seat, tiers=tuple(tiers)
    )


def enterprise_quote(*, seats: int, price_book: PriceBook | None = None) -> Quote:
    """What one enterprise agreement for `seats` seats costs: the enterprise plan's price at the
    volume tier the seats reach, per month and per year."""
    return (price_book or price_book_load()).quote(seats)


# --- validation used by the admin --------------------------------------------------------------------


def price_plan_enterprise_check(*, plan: PricePlan, is_enterprise: bool) -> None:
    """Exactly one plan is the enterprise plan: raise ValidationError on `is_enterprise` otherwise."""
    others = PricePlan.objects.filter(is_enterprise=True)
    if plan.pk is not None:
        others = others.exclude(pk=plan.pk)
    other = others.first()
    if is_enterprise and other is not None:
        raise ValidationError(
            {"is_enterprise": f"{other.name} ({other.code}) is already the enterprise plan; untick it there first."}
        )
    if not is_enterprise and other is None and plan.pk is not None and plan.is_enterprise:
        raise ValidationError(
            {"is_enterprise": "One plan must be the enterprise plan: consolidation quotes are priced on it. "
             "Mark another plan first."}
        )


def price_tiers_check(*, list_price_per_seat: Decimal | None, tiers: Iterable[tuple[int, Decimal]]) -> dict[int, dict]:
    """Check a plan's volume tiers; returns {position: {field: message}} for every bad tier.

    Tiers start at 1 seat or more, each start appears once, prices are not negative, never
    above list price, and never rise as the volume grows (a bigger agreement must not cost
    more per seat).
    """
    rows: Sequence[tuple[int, Decimal]] = list(tiers)
    errors: dict[int, dict] = {}
    seen: dict[int, int] = {}
    for index, (min_seats, price) in enumerate(rows):
        if min_seats is None or price is None:
            continue
        if min_seats < 1:
            errors.setdefault(index, {})["min_seats"] = "A tier starts at 1 seat or more."
        if min_seats in seen:
            errors.setdefault(index, {})["min_seats"] = f"Another tier already starts at {min_seats:,} seats."
        seen.setdefault(min_seats, index)
        if price < 0:
            errors.setdefault(index, {})["price_per_seat"] = "A price cannot be negative."
        elif list_price_per_seat is not None and price > list_price_per_seat:
            errors.setdefault(index, {})["price_per_seat"] = (
                f"A volume price cannot be above the list price ({list_price_per_seat})."
            )
    ordered = sorted((m, p, i) for i, (m, p) in enumerate(rows) if m is not None and p is not None)
    for (low_seats, low_price, _), (high_seats, high_price, index) in zip(ordered, ordered[1:]):
        if high_seats != low_seats and high_price > low_price and "price_per_seat" not in errors.get(index, {}):
            errors.setdefault(index, {})["price_per_seat"] = (
                f"{high_seats:,}+ seats would cost more per seat than {low_seats:,}+ seats ({low_price})."
            )
    return errors
