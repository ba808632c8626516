from django.urls import path

from stakeholders.views import accounts, review, sessions

app_name = "stakeholders"

urlpatterns = [
    path("", review.review_index, name="index"),
    path("rows/<int:company_pk>/", review.review_row, name="review_row"),
    # The account page's stakeholder panel and its dialogs.
    path("accounts/<int:company_pk>/panel/", accounts.panel, name="panel"),
    path("accounts/<int:company_pk>/log/", accounts.interaction_create, name="interaction_create"),
    path("accounts/<int:company_pk>/stakeholders/new/", accounts.stakeholder_create, name="stakeholder_create"),
    path("accounts/<int:company_pk>/product-user/", accounts.product_user_hint, name="product_user_hint"),
    path("interactions/<int:pk>/edit/", accounts.interaction_edit, name="interaction_edit"),
    path("interactions/<int:pk>/delete/", accounts.interaction_delete, name="interaction_delete"),
    path("interactions/<int:pk>/next-step/", accounts.next_step_done, name="next_step_done"),
    path("stakeholders/<int:pk>/edit/", accounts.stakeholder_edit, name="stakeholder_edit"),
    path("stakeholders/<int:pk>/delete/", accounts.stakeholder_delete, name="stakeholder_delete"),
    # Review sessions.
    path("sessions/", sessions.session_list, name="session_list"),
    path("sessions/start/", sessions.session_start, name="session_start"),
    path("sessions/<int:pk>/", sessions.session_detail_view, name="session_detail"),
    path("sessions/<int:pk>/close/", sessions.session_close, name="session_close"),
    path("sessions/<int:pk>/export.csv", sessions.session_export, name="session_export"),
    path("sessions/<int:pk>/accounts/<int:company_pk>/notes/", sessions.note_save, name="note_save"),
    path("sessions/<int:pk>/accounts/<int:company_pk>/actions/", sessions.action_create, name="action_create"),
    path("actions/<int:pk>/", sessions.action_update, name="action_update"),
]
