import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "revops.settings.base")
application = get_wsgi_application()

# Each application-server process (gunicorn) loads its URL patterns and templates now and freezes
# its heap, so the cycle collector's full collections stay short (revops.collector).
from revops.collector import web_process_prepare  # noqa: E402 - needs Django set up

web_process_prepare()
