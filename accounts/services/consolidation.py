"""`export_data consolidation`: every consolidation candidate as one CSV row, best opportunity first.

The figures are those of the consolidation page and API (see accounts.selectors.consolidation
for the definitions); money is in the price book's currency, per year unless the column says
monthly. Workspaces are listed as `external_id:plan:seats` separated by semicolons.
"""
from collections.abc import Iterator

from accounts.selectors.consolidation import ConsolidationFilters, consolidation_candidates
from accounts.services.exports import ExportKind, register_export_kind

HEADER = (
    "company_external_id",
    "company_name",
    "owner_email",
    "tier",
    "employee_count",
    "size_band",
    "companies_with_workspaces",
    "workspace_count",
    "typical_workspace_count",
    "percentile",
    "more_than_typical",
    "seats",
    "active_users_30d",
    "current_mrr",
    "current_arr",
    "committed_arr",
    "agreement_tier_min_seats",
    "agreement_price_per_seat",
    "agreement_monthly",
    "agreement_annual",
    "customer_saving_annual",
    "committed_uplift_annual",
    "needs_incentive",
    "workspaces",
)


def consolidation_rows(*, filters: ConsolidationFilters | None = None) -> Iterator[list]:
    """One CSV row per candidate (HEADER's columns), best opportunity first."""
    for c in consolidation_candidates(filters=filters).iterator():
        company = c.company
        yield [
            company.external_id,
            company.name,
            company.owner.email if company.owner else None,
            company.tier,
            company.employee_count,
            c.band,
            c.company_count,
            c.workspace_count,
            None if c.typical is None else f"{c.typical:g}",
            c.percentile,
            c.more_than_typical,
            c.seats,
            c.active_users,
            c.mrr,
            c.current_arr,
            c.committed_arr,
            c.quote.tier,
            c.quote.tier_price_per_seat,
            c.quote.monthly,
            c.quote.annual,
            c.saving,
            c.committed_uplift,
            c.needs_incentive,
            ";".join(f"{line.workspace.external_id}:{line.workspace.plan}:{line.workspace.seats}" for line in c.workspaces),
        ]


def _rows() -> Iterator[list]:
    return consolidation_rows()


CONSOLIDATION_EXPORT = register_export_kind(ExportKind("consolidation", HEADER, _rows))
