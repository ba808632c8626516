"""python manage.py forecast_backtest [--csv FILE] [--horizon 3] [--origins 6]"""
from django.core.management.base import BaseCommand, CommandError

from revops.errors import ApplicationError


class Command(BaseCommand):
    help = (
        "Rolling-origin backtest of the consumption forecast on this installation's usage history (or a "
        "CSV of series_id,period,value): MASE and sMAPE of the model against naive run-rate and seasonal naive."
    )

    def add_arguments(self, parser):
        parser.add_argument("--csv", help="CSV file with the columns series_id, period, value.")
        parser.add_argument("--horizon", type=int, default=3, help="Months ahead scored at each origin (default 3).")
        parser.add_argument("--origins", type=int, default=6, help="Number of rolling origins (default 6).")

    def handle(self, *args, csv=None, horizon, origins, **options):
        from forecasting.services.backtest import MODEL, RUN_RATE, backtest, backtest_installation, history_from_csv

        try:
            if csv:
                try:
                    with open(csv, newline="", encoding="utf-8-sig") as handle:
                        values = history_from_csv(handle)
                except OSError as exc:
                    raise CommandError(f"Cannot read {csv}: {exc.strerror}") from None
                result = backtest(values, horizon=horizon, origins=origins)
            else:
                result = backtest_installation(horizon=horizon, origins=origins)
        except ApplicationError as exc:
            raise CommandError(str(exc)) from None
        source = csv or "this installation's usage"
        self.stdout.write(
            f"Backtest on {source}: {result.series:,} series × {result.months} months, "
            f"{result.origins} origins, {result.horizon}-month horizon"
        )
        self.stdout.write(f"  {'method':<16} {'MASE':>8} {'sMAPE':>8} {'scored':>8}")
        for score in result.scores:
            mase = "—" if score.mase is None else f"{score.mase:.3f}"
            smape = "—" if score.smape is None else f"{score.smape:.1f}%"
            self.stdout.write(f"  {score.method:<16} {mase:>8} {smape:>8} {score.scored:>8,}")
        model, naive = result.score(MODEL), result.score(RUN_RATE)
        if model.mase is not None and naive.mase is not None:
            if model.mase < naive.mase:
                self.stdout.write(self.style.SUCCESS(
                    f"The model beats naive run-rate: MASE {model.mase:.3f} against {naive.mase:.3f}."
                ))
            else:
                self.stdout.write(self.style.WARNING(
                    f"The model does not beat naive run-rate here: MASE {model.mase:.3f} against {naive.mase:.3f}."
                ))
