"""Pages of the forecasting area: forecast dashboard (forecast.py), contracts/NRR (revenue.py), compensation."""
from revops.areas import Area, render_area

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


def compensation(request):
    return render_area(request, COMPENSATION)
