"""python manage.py forecast_run [--horizon 36] [--as-of YYYY-MM] [--no-snapshot]"""
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from forecasting.models import ForecastRun
from revops.errors import ApplicationError


class Command(BaseCommand):
    help = (
        "Forecast every company's consumption from its monthly usage history, store the run (keeping "
        "the latest few) and take this week's forecast snapshot."
    )

    def add_arguments(self, parser):
        parser.add_argument("--horizon", type=int, default=36, help="Months to forecast (default 36).")
        parser.add_argument("--as-of", help="First month to forecast, YYYY-MM (default: the current month).")
        parser.add_argument("--no-snapshot", action="store_true", help="Do not take the weekly snapshot.")

    def handle(self, *args, horizon, as_of=None, no_snapshot=False, **options):
        from forecasting.services.forecast_runs import consumption_forecast_run
        from forecasting.services.snapshots import forecast_snapshot_take

        first = None
        if as_of:
            try:
                first = date.fromisoformat(f"{as_of[:7]}-01")
            except ValueError:
                raise CommandError("--as-of must be a month, YYYY-MM.") from None
        try:
            run = consumption_forecast_run(as_of=first, horizon=horizon)
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        if run.status != ForecastRun.Status.SUCCEEDED:
            raise CommandError(f"Forecast run {run.pk} {run.status}: {run.message}")
        self.stdout.write(self.style.SUCCESS(
            f"Forecast run {run.pk}: {run.companies:,} companies from {run.as_of:%b %Y}, "
            f"{run.horizon_months} months, in {run.seconds:.1f} s"
        ))
        self.stdout.write(f"  methods: {run.message}")
        if not no_snapshot:
            rows = forecast_snapshot_take()
            self.stdout.write(f"  weekly snapshot: {rows} rows")
