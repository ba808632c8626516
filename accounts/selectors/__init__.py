"""Reads of the accounts area, one module per concern; everything is importable from here.

companies: company lists and pages (own figures); hierarchy: ancestors, subtrees, roll-ups,
penetration and the small-deal flag; consolidation: candidates for one enterprise agreement.
"""
from accounts.selectors.companies import (  # noqa: F401
    MONEY,
    company_children,
    company_filter_options,
    company_get,
    company_ids_by_arr,
    company_list,
    company_monthly_usage,
    company_users,
    company_with_metrics,
    company_workspaces,
    orders_by_arr_descending,
    subquery_count,
)
from accounts.selectors.hierarchy import (  # noqa: F401
    ACTIVE_DAYS,
    Hierarchy,
    TreeNode,
    active_since,
    company_ancestors,
    company_annotate_penetration,
    company_annotate_rollups,
    company_attach_penetration,
    company_filter_small_deal,
    company_hierarchy,
    company_small_deal_ids,
    company_subtree,
    is_small_deal,
    penetration_ratio,
    rollup_potential,
    subtree_ids,
)
