"""Compensation periods named by keys people type: ``2026-Q3`` (quarter), ``2026-07`` (month), ``2026`` (year)."""
import re
from dataclasses import dataclass
from datetime import date, timedelta

from revops.errors import ApplicationError

MONTH, QUARTER, YEAR = "month", "quarter", "year"
_PATTERNS = (
    (QUARTER, re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE)),
    (MONTH, re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")),
    (YEAR, re.compile(r"^(\d{4})$")),
)


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date
    kind: str
    key: str

    def __str__(self) -> str:
        return self.key

    @property
    def label(self) -> str:
        if self.kind == QUARTER:
            return f"Q{(self.start.month - 1) // 3 + 1} {self.start.year}"
        if self.kind == MONTH:
            return f"{self.start:%B %Y}"
        return str(self.start.year)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def next(self) -> "Period":
        return period_containing(self.kind, self.end + timedelta(days=1))

    def previous(self) -> "Period":
        return period_containing(self.kind, self.start - timedelta(days=1))

    def year_earlier(self) -> "Period":
        return period_containing(self.kind, self.start.replace(year=self.start.year - 1))

    def months(self) -> list[date]:
        out, day = [], self.start
        while day <= self.end:
            out.append(day)
            day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        return out


def _month_end(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


def period_parse(key: str) -> Period:
    """``2026-Q3`` → 1 Jul–30 Sep 2026. Raises ApplicationError naming the accepted forms."""
    text = (key or "").strip()
    for kind, pattern in _PATTERNS:
        match = pattern.match(text)
        if not match:
            continue
        year = int(match.group(1))
        if kind == QUARTER:
            quarter = int(match.group(2))
            start = date(year, 3 * quarter - 2, 1)
            return Period(start, _month_end(year, 3 * quarter), kind, f"{year}-Q{quarter}")
        if kind == MONTH:
            month = int(match.group(2))
            return Period(date(year, month, 1), _month_end(year, month), kind, f"{year}-{month:02d}")
        return Period(date(year, 1, 1), date(year, 12, 31), kind, f"{year}")
    raise ApplicationError(f"{key!r} is not a period: use 2026-Q3 (quarter), 2026-07 (month) or 2026 (year).",
                           {"period": [f"{key!r} is not a period: use 2026-Q3, 2026-07 or 2026."]})


def period_containing(kind: str, day: date) -> Period:
    if kind == QUARTER:
        return period_parse(f"{day.year}-Q{(day.month - 1) // 3 + 1}")
    if kind == MONTH:
        return period_parse(f"{day.year}-{day.month:02d}")
    if kind == YEAR:
        return period_parse(f"{day.year}")
    raise ValueError(f"unknown period kind {kind!r}")
