"""Admin of the forecasting area: contracts and opportunities (revenue.py), forecast runs (forecast.py)."""
from . import forecast, revenue  # noqa: F401
from forecasting.compensation import admin as compensation_admin  # noqa: F401,E402
