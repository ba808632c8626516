"""Settings for manage.py on a developer's machine: the base settings with DEBUG on unless the
environment says otherwise (production sets DEBUG=0, which restores the strict checks)."""
import os

os.environ.setdefault("DEBUG", "1")

from .base import *  # noqa: E402,F401,F403
