"""The fast paths of cell parsing agree with the full rules they stand in for."""

from datetime import datetime, timezone

import pytest
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator

from accounts.services.imports import values as v
from accounts.services.imports.product import _workspace_entries
from accounts.services.imports.reader import Projector


@pytest.mark.parametrize(
    "text",
    [
        "2025-01-15",
        "2025-01-15T09:00",
        "2025-01-15 09:00:00",
        "2025-01-15T09:00:00.5",
        "2025-01-15T09:00:00.123456",
        "2025-01-15T09",
        "20250115T090000",
        "2025-W03-3",
        "20250115",
        "2025W033",
        "20250115T09",
        "2025-01-15T09:00:00Z",
        "2025-01-15T09:00:00+00:00",
        "2025-01-15T09:00:00+02:00",
        "2025-01-15T09:00:00-05:30",
    ],
)
def test_utc_moment_is_the_same_instant_in_utc_as_the_plain_parse(text):
    parsed = datetime.fromisoformat(text)
    expected = parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed.astimezone(timezone.utc)

    result = v.utc_moment(text)

    assert result == expected
    assert result.utcoffset().total_seconds() == 0
    assert (result.year, result.month, result.day, result.hour, result.minute, result.second, result.microsecond) == (
        expected.year,
        expected.month,
        expected.day,
        expected.hour,
        expected.minute,
        expected.second,
        expected.microsecond,
    )


@pytest.mark.parametrize("text", ["31/12/2024", "2025-13-01", "2025-01-15 25:00", "yesterday", "2025-02-30"])
def test_utc_moment_refuses_what_moment_reports(text):
    with pytest.raises(ValueError):
        v.utc_moment(text)
    with pytest.raises(v.RowError, match="is not a date or date-time"):
        v.moment(text, column="signed_up_at")


ADDRESSES = [
    "jane.doe@acme.com",
    "JANE.DOE@ACME.COM",
    "first.last+tag@sub.example.co.uk",
    "o'brien@example.ie",
    "user%relay@example.com",
    "x_y-z@a-b.example.io",
    "a@b.co",
    "user@localhost",
    "user@[192.168.0.1]",
    "user@münchen.de",
    "\"quoted name\"@example.com",
    "a..b@example.com",
    ".a@example.com",
    "a.@example.com",
    "a@-example.com",
    "a@example-.com",
    "a@example",
    "a@example.c",
    "a@@example.com",
    "a b@example.com",
    "a@exa mple.com",
    "@example.com",
    "a@",
    "a@example.com\n",
    "a@" + "x" * 64 + ".com",
    "a@example.123",
]


@pytest.mark.parametrize("address", ADDRESSES)
def test_the_common_email_shortcut_accepts_only_what_the_full_validator_accepts(address):
    normalised = address.strip().lower()
    try:
        EmailValidator()(normalised)
        valid = True
    except ValidationError:
        valid = False

    shortcut = v.common_email(address)

    if shortcut is not None:
        assert valid, f"the shortcut accepted {address!r}, which EmailValidator refuses"
        assert shortcut == normalised
    # And the column parser, shortcut or not, says what the validator says.
    if valid and len(normalised) <= 254:
        assert v.email(address, column="email") == normalised
    else:
        with pytest.raises(v.RowError):
            v.email(address, column="email")


def test_the_everyday_addresses_take_the_shortcut():
    for address in ("jane.doe@acme.com", "JANE.DOE@ACME.COM", "first.last+tag@sub.example.co.uk", "a@b.co"):
        assert v.common_email(address) == address.lower()


@pytest.mark.parametrize(
    "cell, expected",
    [
        ("", ()),
        ("W1", (("W1", "member"),)),
        ("W1;W2", (("W1", "member"), ("W2", "member"))),
        ("W1 ; ;W2;", (("W1", "member"), ("W2", "member"))),
        ("W1;W2:admin", (("W1", "member"), ("W2", "admin"))),
        ("W1:ADMIN ", (("W1", "admin"),)),
        ("W1:owner", (("W1:owner", "member"),)),  # not a role: part of the id
        ("ns:W1:admin", (("ns:W1", "admin"),)),
    ],
)
def test_workspace_entries(cell, expected):
    assert _workspace_entries(cell, "member") == expected


def test_the_projector_pads_short_records_and_ignores_extra_cells():
    projector = Projector(
        ["External ID", "Name", "Notes"],
        {"external_id": ("external id",), "name": ("name",), "plan": ("plan",)},
        set(),
    )

    assert projector.present == {"external_id", "name"}
    assert projector(["W1"]) == {"external_id": "W1", "name": "", "plan": ""}
    assert projector([" W1 ", " Acme ", "x"]) == {"external_id": "W1", "name": "Acme", "plan": ""}
    assert projector(["W1", "Acme", "x", "extra", "more"]) == {"external_id": "W1", "name": "Acme", "plan": ""}


def test_the_projector_joins_multi_columns_and_takes_the_first_filled_alias():
    projector = Projector(
        ["Domain", "Extra domains", "Id", "Record ID"],
        {"domains": ("domain", "extra domains"), "external_id": ("id", "record id")},
        {"domains"},
    )

    assert projector(["acme.com", "acme.de", "", "42"]) == {"domains": "acme.com;acme.de", "external_id": "42"}
    assert projector(["", "", "7", "42"]) == {"domains": "", "external_id": "7"}
