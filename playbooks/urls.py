from django.urls import path

from playbooks import views

app_name = "playbooks"

urlpatterns = [
    path("", views.index, name="index"),
]
