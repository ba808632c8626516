"""REST endpoints of the accounts area, registered on /api/v1/ through ROUTES.

Companies, workspaces, product users (`users`) and usage: any logged-in user reads, RevOps
admins write. Token management for API clients lives in accounts.api.tokens.
"""
from accounts.api.review import ReviewUserViewSet, ReviewWorkspaceViewSet
from accounts.api.consolidation import ConsolidationViewSet
from accounts.api.views import CompanyViewSet, ProductUserViewSet, UsageRecordViewSet, WorkspaceViewSet

ROUTES: list = [
    ("companies", CompanyViewSet, "company"),
    ("workspaces", WorkspaceViewSet, "workspace"),
    ("users", ProductUserViewSet, "product-user"),
    ("usage", UsageRecordViewSet, "usage-record"),
    ("consolidation", ConsolidationViewSet, "consolidation"),
    ("review/workspaces", ReviewWorkspaceViewSet, "review-workspace"),
    ("review/users", ReviewUserViewSet, "review-user"),
]
