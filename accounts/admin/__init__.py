"""Admin pages of the accounts area, one module per concern."""
from accounts.admin import core  # noqa: F401
from accounts.admin import resolution  # noqa: F401
from accounts.admin import events  # noqa: F401
from accounts.admin import pricing  # noqa: F401
