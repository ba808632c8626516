from django.urls import path

from accounts.views import companies, imports

app_name = "accounts"

urlpatterns = [
    path("accounts/", companies.company_list, name="company_list"),
    path("accounts/<int:pk>/", companies.company_detail, name="company_detail"),
    path("imports/", imports.import_list, name="import_list"),
    path("imports/<int:pk>/", imports.import_detail, name="import_detail"),
    path("imports/<int:pk>/progress/", imports.import_progress, name="import_progress"),
]
