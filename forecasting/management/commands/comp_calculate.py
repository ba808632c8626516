"""Recalculate compensation statements: `comp_calculate --period 2026-Q3`, or every open period."""
from django.core.management.base import BaseCommand, CommandError

from forecasting.compensation.services import statements_calculate, statements_calculate_open
from revops.errors import ApplicationError


class Command(BaseCommand):
    help = "Recalculate the open statements of a period (idempotent). Without --period: every open period started."

    def add_arguments(self, parser):
        parser.add_argument("--period", help="2026-Q3, 2026-07 or 2026")
        parser.add_argument("--lock", action="store_true", help="Lock the period after calculating it.")

    def handle(self, *args, period=None, lock=False, **options):
        try:
            if lock:
                if not period:
                    raise CommandError("--lock needs --period.")
                from forecasting.compensation.services import period_lock

                period_lock(period=period)
                self.stdout.write(self.style.SUCCESS(f"{period} calculated and locked."))
                return
            reports = [statements_calculate(period=period)] if period else statements_calculate_open()
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        if not reports:
            self.stdout.write("No open period with assignments.")
        for report in reports:
            self.stdout.write(self.style.SUCCESS(f"{report.period}: {report.calculated} statement(s) calculated."))
            for problem in report.skipped:
                self.stderr.write(self.style.WARNING(f"  skipped — {problem}"))
