"""CSV exports in the native import columns: export → import into an empty database gives the same data.

Rows stream from the database (`.iterator()`), never a whole table in memory. Text cells that a
spreadsheet would run as a formula (starting with = + - @, tab or CR) get a leading single quote;
the import takes it off again. Numeric cells are never touched: they hold plain numbers.
"""

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TextIO

from django.db.models import Prefetch

from accounts.models import Company, CompanyDomain, ProductUser, UsageRecord, Workspace, WorkspaceMembership
from revops.errors import ApplicationError

from .imports.values import FORMULA_TRIGGERS

CHUNK = 2000


def escape_text(value: str) -> str:
    """Neutralise a text cell a spreadsheet would evaluate (CSV/formula injection)."""
    if value and value[0] in FORMULA_TRIGGERS:
        return "'" + value
    return value


def format_value(value) -> str:
    """Numbers, dates and empty values as the import reads them; numbers are never escaped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return escape_text(str(value))


@dataclass(frozen=True)
class ExportKind:
    name: str
    header: tuple[str, ...]
    rows: Callable[[], Iterator[list]]


_EXPORTS: dict[str, ExportKind] = {}


def register_export_kind(kind: ExportKind) -> ExportKind:
    _EXPORTS[kind.name] = kind
    return kind


def export_kinds() -> list[str]:
    return list(_EXPORTS)


def export_csv(*, kind: str, out: TextIO) -> int:
    """Write every row of `kind` to `out` as CSV; returns the number of data rows."""
    try:
        export = _EXPORTS[kind]
    except KeyError:
        raise ApplicationError(f"Unknown export kind {kind!r} (choose one of: {', '.join(_EXPORTS)}).") from None
    writer = csv.writer(out)
    writer.writerow(export.header)
    count = 0
    for row in export.rows():
        writer.writerow([format_value(value) for value in row])
        count += 1
    return count


# --- the built-in kinds --------------------------------------------------------------------------


def _company_rows() -> Iterator[list]:
    companies = (
        Company.objects.select_related("parent", "owner")
        .prefetch_related(Prefetch("domains", queryset=CompanyDomain.objects.order_by("domain")))
        .order_by("id")
    )
    for company in companies.iterator(chunk_size=CHUNK):
        yield [
            company.external_id,
            company.name,
            ";".join(domain.domain for domain in company.domains.all()),
            company.parent.external_id if company.parent else None,
            company.industry,
            company.employee_count,
            company.annual_revenue,
            company.potential_arr,
            company.owner.email if company.owner else None,
            company.country,
            company.tier,
        ]


def _workspace_rows() -> Iterator[list]:
    fields = ("external_id", "name", "plan", "seats", "mrr", "status", "created_at")
    for row in Workspace.objects.order_by("id").values_list(*fields).iterator(chunk_size=CHUNK):
        yield list(row)


# Statuses whose company is a decision to export; a review proposal is not (it is only a proposal).
_DECIDED_MATCH = {ProductUser.Status.AUTO, ProductUser.Status.CONFIRMED}


def _match_company(user: ProductUser) -> str | None:
    if user.company_id is None:
        return None
    if user.match_status in _DECIDED_MATCH or user.match_method == ProductUser.Method.MANUAL:
        return user.company.external_id
    return None


def _confidence(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(round(value, 4)))


def _user_rows() -> Iterator[list]:
    memberships = WorkspaceMembership.objects.select_related("workspace").order_by("workspace__external_id")
    users = (
        ProductUser.objects.select_related("company")
        .prefetch_related(Prefetch("memberships", queryset=memberships))
        .order_by("id")
    )
    for user in users.iterator(chunk_size=CHUNK):
        entries = [(m.workspace.external_id, m.role) for m in user.memberships.all()]
        roles = {role for _, role in entries}
        if len(roles) == 1:
            workspace_ids, role = ";".join(key for key, _ in entries), roles.pop()
        else:  # mixed roles: each entry carries its own (`W1:admin;W2:member`)
            workspace_ids, role = ";".join(f"{key}:{role}" for key, role in entries), ""
        yield [
            user.external_id,
            user.email,
            user.name,
            user.company_name,
            user.title,
            workspace_ids,
            role,
            user.signed_up_at,
            user.last_active_at,
            # Account resolution's outcome (the import ignores these columns).
            _match_company(user),
            user.match_method,
            _confidence(user.match_confidence),
            user.match_status,
            user.match_reason,
        ]


def _usage_rows() -> Iterator[list]:
    records = UsageRecord.objects.order_by("id").values_list(
        "workspace__external_id", "company__external_id", "period", "metric", "quantity", "amount"
    )
    for workspace, company, period, metric, quantity, amount in records.iterator(chunk_size=CHUNK):
        yield [workspace, company, f"{period:%Y-%m}", metric, quantity, amount]


register_export_kind(
    ExportKind(
        "companies",
        (
            "external_id",
            "name",
            "domains",
            "parent_external_id",
            "industry",
            "employee_count",
            "annual_revenue",
            "potential_arr",
            "owner_email",
            "country",
            "tier",
        ),
        _company_rows,
    )
)
register_export_kind(
    ExportKind("workspaces", ("external_id", "name", "plan", "seats", "mrr", "status", "created_at"), _workspace_rows)
)
register_export_kind(
    ExportKind(
        "users",
        (
            "external_id",
            "email",
            "name",
            "company_name",
            "title",
            "workspace_external_ids",
            "workspace_role",
            "signed_up_at",
            "last_active_at",
            "company_external_id",
            "match_method",
            "match_confidence",
            "match_status",
            "match_reason",
        ),
        _user_rows,
    )
)
register_export_kind(
    ExportKind(
        "usage",
        ("workspace_external_id", "company_external_id", "period", "metric", "quantity", "amount"),
        _usage_rows,
    )
)

# Kinds defined next to their own reads register themselves on import.
from accounts.services import consolidation as _consolidation  # noqa: E402,F401
