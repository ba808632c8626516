import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "revops.settings.base")

app = Celery("revops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Compensation is a package inside the forecasting app, so autodiscovery (which looks for
# <app>.tasks) needs telling.
app.autodiscover_tasks(["forecasting.compensation"])
