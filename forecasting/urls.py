from django.urls import path

from forecasting import views
from forecasting.compensation import views as compensation_views
from forecasting.views import forecast, revenue

app_name = "forecasting"

urlpatterns = [
    path("compensation/", views.compensation, name="compensation"),
    *forecast.urlpatterns,
    *revenue.urlpatterns,
    *compensation_views.urlpatterns,
]
