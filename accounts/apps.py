from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _install_figure_triggers(sender, using, plan=None, **kwargs):
    """After every migrate: the company figure triggers exist (SQLite drops them when a migration
    rebuilds the workspaces table); see accounts/services/figures.py."""
    from django.db import connections

    from accounts.services.figures import install_triggers

    install_triggers(connections[using])


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self):
        post_migrate.connect(_install_figure_triggers, sender=self, dispatch_uid="accounts_figure_triggers")
