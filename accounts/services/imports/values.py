"""Parsers for single CSV cells. Each returns the typed value or raises RowError with a reason
a RevOps admin can act on ("employee_count 'lots' is not a whole number")."""

import re
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator

from accounts.domains import registered_domain


class RowError(Exception):
    """One CSV record cannot be loaded; the message says why (without the line number)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# Cells our export escaped against spreadsheet formula injection start with a quote followed
# by one of these; the import takes the quote off again so an export → import round-trip is exact.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

_CURRENCY = "$€£¥₹"
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_email_validator = EmailValidator()
# The everyday shape of an address, checked first because Django's validator is ~20× slower;
# whatever this accepts, EmailValidator accepts too. Anything else gets the full validator.
_COMMON_EMAIL = re.compile(
    r"^[a-z0-9_%+-]+(?:\.[a-z0-9_%+-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}\Z"
)


def text(value: str, *, column: str, max_length: int | None = None, required: bool = False) -> str:
    if value[:1] == "'" and value[1:2] and value[1] in FORMULA_TRIGGERS:
        value = value[1:]
    if required and not value:
        raise RowError(f"{column} is required")
    if max_length is not None and len(value) > max_length:
        raise RowError(f"{column} is longer than {max_length} characters")
    return value


def _number(value: str, column: str) -> Decimal:
    raw = value.replace("\u00a0", "").replace(" ", "")
    raw = raw.lstrip(_CURRENCY) if raw[:1] in _CURRENCY else raw
    if raw[:1] in "+-" and raw[1:2] in _CURRENCY:
        raw = raw[0] + raw[2:]
    if _THOUSANDS.match(raw):
        raw = raw.replace(",", "")
    if not _NUMBER.match(raw):
        raise RowError(f"{column} {value!r} is not a number")
    try:
        number = Decimal(raw)
    except InvalidOperation:  # pragma: no cover - the regex already rules these out
        raise RowError(f"{column} {value!r} is not a number") from None
    if not number.is_finite():
        raise RowError(f"{column} {value!r} is not a number")
    return number


def money(value: str, *, column: str, max_digits: int, decimal_places: int, default: Decimal | None = None):
    """`1,234.50`, `$1234.5`, `€ 99` → Decimal rounded to the column's precision; never negative."""
    if not value:
        return default
    number = _number(value, column)
    if number < 0:
        raise RowError(f"{column} {value!r} is negative")
    if number.adjusted() >= max_digits - decimal_places:  # before quantize: 40 digits overflow its precision
        raise RowError(f"{column} {value!r} is too large")
    number = number.quantize(Decimal(1).scaleb(-decimal_places), rounding=ROUND_HALF_UP)
    if len(number.as_tuple().digits) > max_digits or number.adjusted() >= max_digits - decimal_places:
        raise RowError(f"{column} {value!r} is too large")
    return number


def whole_number(value: str, *, column: str, default: int | None = None, maximum: int = 2_147_483_647):
    """`1,200` or `1200.0` → 1200; never negative."""
    if not value:
        return default
    try:
        number = _number(value, column)
    except RowError:
        raise RowError(f"{column} {value!r} is not a whole number") from None
    if number != number.to_integral_value():
        raise RowError(f"{column} {value!r} is not a whole number")
    if number < 0:
        raise RowError(f"{column} {value!r} is negative")
    if number > maximum:
        raise RowError(f"{column} {value!r} is too large")
    return int(number)


def moment(value: str, *, column: str) -> datetime | None:
    """ISO 8601 date or date-time, `YYYY-MM-DD HH:MM:SS` too; naive values are UTC."""
    try:
        return utc_moment(value)
    except ValueError:
        raise RowError(f"{column} {value!r} is not a date or date-time (use YYYY-MM-DD or ISO 8601)") from None


def utc_moment(value: str, _parse=datetime.fromisoformat, _utc=timezone.utc) -> datetime | None:
    """`moment` for a kind's fast path: raises ValueError instead of RowError (no message built)."""
    if not value:
        return None
    parsed = _parse(value)
    if parsed.tzinfo is None:
        # Parsing the text again with "+00:00" appended is ~7× cheaper than parsed.replace(tzinfo=…)
        # (a keyword call, ~2 µs — twice per row of a million-row file). It yields the same instant
        # whenever the text has a time part; a date alone ignores the suffix (still naive) and is
        # made aware the slow way.
        try:
            aware = _parse(value + "+00:00")
        except ValueError:
            aware = parsed
        if aware.tzinfo is _utc:
            return aware
        return parsed.replace(tzinfo=_utc)
    if parsed.tzinfo is not _utc:
        return parsed.astimezone(_utc)
    return parsed


def month(value: str, *, column: str) -> date:
    """`2026-03` or any date in the month → the first of the month."""
    if not value:
        raise RowError(f"{column} is required")
    found = _MONTH.match(value.strip())
    if found:
        year, mon = int(found.group(1)), int(found.group(2))
        if not 1 <= mon <= 12:
            raise RowError(f"{column} {value!r} is not a month (use YYYY-MM)")
        return date(year, mon, 1)
    try:
        parsed = moment(value, column=column)
    except RowError:
        raise RowError(f"{column} {value!r} is not a month (use YYYY-MM or a date)") from None
    return date(parsed.year, parsed.month, 1)


# A kind's fast path, on an already lower-cased address of at most 254 characters: a match or None.
is_common_email = _COMMON_EMAIL.match


def common_email(value: str) -> str | None:
    """A kind's fast path: the lower-cased address when it has the everyday shape, else None
    (then `email` decides, with the full validator and the reason)."""
    normalised = value.lower()
    if len(normalised) <= 254 and _COMMON_EMAIL.match(normalised):
        return normalised
    return None


def email(value: str, *, column: str, required: bool = False) -> str:
    normalised = value.strip().lower()
    if not normalised:
        if required:
            raise RowError(f"{column} is required")
        return ""
    if len(normalised) > 254:
        raise RowError(f"{column} is longer than 254 characters")
    if _COMMON_EMAIL.match(normalised):
        return normalised
    try:
        _email_validator(normalised)
    except ValidationError:
        raise RowError(f"{column} {value!r} is not a valid email address") from None
    return normalised


class Choices:
    """A TextChoices set prepared for fast, case-insensitive matching of values and labels."""

    def __init__(self, choices):
        self.lookup: dict[str, str] = {}
        for stored, label in choices:
            self.lookup[stored] = stored
            self.lookup.setdefault(_choice_key(stored), stored)
            self.lookup.setdefault(_choice_key(str(label)), stored)
        self.allowed = ", ".join(stored for stored, _ in choices if stored)


def choice(value: str, *, column: str, choices: Choices, default: str) -> str:
    """Match a TextChoices value or label, case-insensitively; `Mid-market` → `mid_market`."""
    if not value:
        return default
    found = choices.lookup.get(value)
    if found is None:
        found = choices.lookup.get(_choice_key(value))
        if found is None:
            raise RowError(f"{column} {value!r} is not one of: {choices.allowed}")
    return found


def _choice_key(value: str) -> str:
    return re.sub(r"[\s\-]+", "_", value.strip().lower())


def domain_list(value: str, *, column: str) -> list[str]:
    """`acme.com; www.acme.co.uk; https://eu.acme.de/x` → registered domains, de-duplicated, in order."""
    domains: list[str] = []
    for part in re.split(r"[;,\s]+", value):
        if not part:
            continue
        found = registered_domain(part)
        if found is None:
            raise RowError(f"{column}: {part!r} is not a valid domain")
        if found not in domains:
            domains.append(found)
    return domains


def id_list(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]
