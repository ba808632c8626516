from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_migrate


class RevopsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "revops"

    def ready(self) -> None:
        from revops.history import connect_baselines
        from revops.roles import grant_admin_permissions
        from revops.middleware import start_session_clock
        from revops.timezones import remember_zone_at_login

        # Every migrate keeps the RevOps admin role's permissions in step with the models:
        # a model added in a later release is editable by admins without a data migration of its own.
        post_migrate.connect(grant_admin_permissions, dispatch_uid="revops_grant_admin_permissions")
        user_logged_in.connect(remember_zone_at_login, dispatch_uid="revops_remember_zone")
        # The absolute session limit (SESSION_MAX_AGE) counts from the log-in.
        user_logged_in.connect(start_session_clock, dispatch_uid="revops_start_session_clock")
        # Audit history: a record made by an import or a resolution run keeps its first state when a
        # person changes it for the first time (revops.history.BASELINE_REASON).
        connect_baselines()
