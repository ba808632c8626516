"""Pages of the forecasting area: forecast dashboard (forecast.py), contracts/NRR (revenue.py), compensation
(forecasting/compensation/views.py)."""
from forecasting.compensation.views import compensation  # noqa: F401
