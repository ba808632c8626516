"""Account resolution: tie product users and workspaces to CRM companies by email domain, typed
company names, workspace names, colleagues and members — with a confidence, a status (auto, review,
unmatched) and a reason a reviewer can read. Manual decisions are never overwritten.

Entry points: ``resolution_run_start`` (queue a full or incremental run), ``resolution_run_execute``
(run a claimed run here), ``product_users_resolve`` (a few users now, e.g. after product events).
"""

from .context import ResolutionContext, context_load
from .engine import Selection, users_resolve, workspaces_resolve
from .runs import (
    incremental_scope,
    last_successful_run,
    product_users_resolve,
    resolution_chunk_execute,
    resolution_finish_execute,
    resolution_run_claim,
    resolution_run_create,
    resolution_run_execute,
    resolution_run_fail,
    resolution_run_release,
    resolution_run_start,
)

__all__ = [
    "ResolutionContext",
    "Selection",
    "context_load",
    "incremental_scope",
    "last_successful_run",
    "product_users_resolve",
    "resolution_chunk_execute",
    "resolution_finish_execute",
    "resolution_run_claim",
    "resolution_run_create",
    "resolution_run_execute",
    "resolution_run_fail",
    "resolution_run_release",
    "resolution_run_start",
    "users_resolve",
    "workspaces_resolve",
]
