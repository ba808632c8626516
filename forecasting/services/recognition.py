"""Ratable recognition: a fee over a term is recognised evenly per day of service.

A contract's term runs from ``start`` to ``end`` inclusive. 120 over the 120 days from 15 June to
12 October gives 16 / 31 / 31 / 30 / 12 by calendar month. Amounts are rounded to cents per month
and the last month takes the rounding remainder, so the months always add up to the amount.
"""
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def add_months(day: date, months: int) -> date:
    """First day of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + (day.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def ratable_split(amount: Decimal, start: date, end: date) -> list[tuple[date, Decimal]]:
    """(first day of month, amount recognised in that month) for each calendar month of the term."""
    if end < start:
        raise ValueError("The term ends before it starts.")
    amount = Decimal(amount)
    total_days = (end - start).days + 1
    out: list[tuple[date, Decimal]] = []
    recognised = Decimal("0")
    cursor = start
    while cursor <= end:
        following = next_month(cursor)
        last = min(end, following - timedelta(days=1))
        days = (last - cursor).days + 1
        if last == end:
            share = amount - recognised
        else:
            share = (amount * days / total_days).quantize(CENT, rounding=ROUND_HALF_UP)
        recognised += share
        out.append((month_start(cursor), share))
        cursor = following
    return out


def recognised_in_window(amount: Decimal, start: date, end: date, *, window_start: date, window_end: date) -> Decimal:
    """What of the fee falls on the days [window_start, window_end] (both inclusive), unrounded to months."""
    first, last = max(start, window_start), min(end, window_end)
    if last < first:
        return Decimal("0")
    total_days = (end - start).days + 1
    return (Decimal(amount) * ((last - first).days + 1) / total_days).quantize(CENT, rounding=ROUND_HALF_UP)


def recognised_by_month(
    terms: Iterable[tuple[int, date, date, Decimal]], *, window_start: date, window_end: date
) -> dict[tuple[int, date], Decimal]:
    """Σ recognised per (key, month) for (key, start, end, amount) terms, months within the window."""
    first_month, last_month = month_start(window_start), month_start(window_end)
    totals: dict[tuple[int, date], Decimal] = defaultdict(Decimal)
    for key, start, end, amount in terms:
        if end < first_month or start > window_end:
            continue
        for month, share in ratable_split(amount, start, end):
            if first_month <= month <= last_month:
                totals[(key, month)] += share
    return dict(totals)
