"""The forecast dashboard."""
from django.urls import path

from revops.areas import Area, render_area

FORECAST = Area(
    key="forecast",
    title="Forecast",
    summary="One forecast that separates committed from consumption revenue over this quarter, the next year and the next three years.",
    will_show=(
        "Committed revenue recognised from contracts, consumption forecast with an 80 % interval, weighted pipeline",
        "Commit burn-down per contract: run-rate, exhaustion date, overage or shortfall",
        "NRR and GRR, trailing twelve months, by segment, rep and cohort",
    ),
)


def index(request):
    return render_area(request, FORECAST)


urlpatterns = [
    path("forecast/", index, name="index"),
]
