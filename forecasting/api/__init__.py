"""REST endpoints of the forecasting area: contracts and pipeline (revenue.py), forecasts (forecast.py).

revops/urls.py registers ROUTES (viewsets on the router) and includes URLS (plain API views) under /api/v1/.
"""
from . import forecast, revenue

ROUTES: list = [*revenue.ROUTES, *forecast.ROUTES]
URLS: list = [*revenue.URLS, *forecast.URLS]
from forecasting.compensation import api as compensation_api  # noqa: E402
ROUTES += compensation_api.ROUTES
URLS += compensation_api.URLS
