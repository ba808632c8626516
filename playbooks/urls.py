from django.urls import path

from playbooks import views

app_name = "playbooks"

urlpatterns = [
    path("", views.index, name="index"),
    path("plays/", views.inbox, name="inbox"),
    path("plays/<int:pk>/", views.play_detail, name="play_detail"),
    path("plays/<int:pk>/status/", views.play_status, name="play_status"),
    path("plays/<int:pk>/steps/<int:step_id>/", views.play_step_toggle, name="play_step"),
    path("plays/<int:pk>/notes/", views.play_notes, name="play_notes"),
    path("runs/<int:pk>/", views.run_detail, name="run_detail"),
    path("<slug:slug>/", views.playbook_detail, name="playbook_detail"),
    path("<slug:slug>/run/", views.playbook_run, name="playbook_run"),
]
