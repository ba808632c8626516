"""Admin of the forecasting area: contracts and opportunities (revenue.py), forecast runs (forecast.py)."""
from . import forecast, revenue  # noqa: F401
