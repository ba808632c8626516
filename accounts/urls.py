from django.urls import path

from accounts.views import companies, imports
from accounts.views import review as review_views
from accounts.views import consolidation as consolidation_views

app_name = "accounts"

urlpatterns = [
    path("accounts/", companies.company_list, name="company_list"),
    path("accounts/<int:pk>/", companies.company_detail, name="company_detail"),
    path("accounts/<int:pk>/tree/", companies.company_tree, name="company_tree"),
    path("accounts/<int:pk>/history/", companies.company_history, name="company_history"),
    path("accounts/consolidation/", consolidation_views.consolidation_list, name="consolidation"),
    path("accounts/consolidation/export.csv", consolidation_views.consolidation_export, name="consolidation_export"),
    path("accounts/review/", review_views.review_queue, name="review_queue"),
    path("accounts/review/bulk/", review_views.review_bulk, name="review_bulk"),
    path("accounts/review/companies/", review_views.review_company_search, name="review_company_search"),
    path(
        "accounts/review/<str:kind>/<int:pk>/<str:action>/", review_views.review_decide, name="review_decide"
    ),
    path("imports/", imports.import_list, name="import_list"),
    path("imports/<int:pk>/", imports.import_detail, name="import_detail"),
    path("imports/<int:pk>/progress/", imports.import_progress, name="import_progress"),
]
