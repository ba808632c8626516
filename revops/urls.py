from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from accounts import api as accounts_api
from accounts.api.events import ProductEventsApi
from accounts.api.tokens import ApiTokenApi
from forecasting import api as forecasting_api
from playbooks import api as playbooks_api
from stakeholders import api as stakeholders_api
from revops import views

router = DefaultRouter()
for prefix, viewset, basename in (
    *accounts_api.ROUTES, *stakeholders_api.ROUTES, *forecasting_api.ROUTES, *playbooks_api.ROUTES
):
    router.register(prefix, viewset, basename=basename)

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("settings/api-access/", views.api_access, name="api_access"),
    path("", include("accounts.urls")),
    path("playbooks/", include("playbooks.urls")),
    path("review/", include("stakeholders.urls")),
    path("", include("forecasting.urls")),
    path("api/v1/auth/token/", ApiTokenApi.as_view(), name="api-token"),
    path("api/v1/events/", ProductEventsApi.as_view(), name="api-events"),
    # Plain API views of the other areas (their URLS lists of path(), relative to /api/v1/).
    path("api/v1/", include([*stakeholders_api.URLS, *forecasting_api.URLS, *playbooks_api.URLS])),
    path("api/v1/", include(router.urls)),
    path("api/v1/auth/", include("rest_framework.urls", namespace="rest_framework")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]

admin.site.site_header = "revops administration"
admin.site.site_title = "revops admin"
admin.site.index_title = "Configuration and data"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# API clients get a JSON 404 (as from the API views themselves); people get the styled page.
handler404 = "revops.api.not_found"
