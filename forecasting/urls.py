from django.urls import path

from forecasting import views

app_name = "forecasting"

urlpatterns = [
    path("forecast/", views.index, name="index"),
    path("compensation/", views.compensation, name="compensation"),
]
