from django.apps import AppConfig


class StakeholdersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "stakeholders"
    verbose_name = "Stakeholders & weekly review"

    def ready(self) -> None:
        # Registers the `stakeholders` and `interactions` kinds of `import_data` and the web upload.
        from stakeholders.services import imports  # noqa: F401
