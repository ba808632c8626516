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

COMPENSATION = Area(
    key="compensation",
    title="Compensation",
    summary="Hybrid commission plans that pay on committed bookings and on consumption, each component on its own curve.",
    will_show=(
        "Each rep's statement with its credited deals and accounts' consumption",
        "The manager's team table with attainment per component",
        "Payroll export for admins",
    ),
)


def index(request):
    return render_area(request, FORECAST)


def compensation(request):
    return render_area(request, COMPENSATION)
