from django.apps import AppConfig


class ForecastingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "forecasting"

    def ready(self):
        from forecasting.services.imports import register

        register()  # `import_data contracts` / `opportunities` and the web upload
        from forecasting.services import exports  # noqa: F401  `export_data forecast`
