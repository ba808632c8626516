"""Admin pages of the accounts area, one module per concern."""
from accounts.admin import core  # noqa: F401
