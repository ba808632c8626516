"""manage.py seed_demo [--size small|large] [--seed N] [--force]"""
import argparse

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from accounts.services.demo import DEMO_PASSWORD, PEOPLE, PROFILES, demo_seed, demo_summary
from revops.errors import ApplicationError


class Command(BaseCommand):
    help = (
        "Load realistic, deterministic demo data: the demo logins, companies with hierarchies and domains, "
        "self-serve workspaces, product users and 24 months of usage. Re-running with the same seed leaves "
        "the same data; only rows with a DEMO- external id (and the demo logins, whose passwords are reset "
        "to revops-demo) are touched. Refuses to run when DEBUG is off unless --force is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=tuple(PROFILES), default="small",
                            help="small: 300 companies (seconds); large: 100,000 companies (use PostgreSQL).")
        parser.add_argument("--seed", type=int, default=42, help="Random seed; the same seed gives the same data.")
        parser.add_argument("--force", action="store_true",
                            help="Run even though DEBUG is off. Never use this against production data.")
        # Tests seed a few dozen companies instead of the small size's 300.
        parser.add_argument("--companies", type=int, default=None, help=argparse.SUPPRESS)

    def handle(self, *args, size: str, seed: int, force: bool, companies: int | None, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to load demo data: DEBUG is off, so this may be a production database. "
                "Run with DEBUG=1 on a development database, or add --force if you are sure.",
                returncode=1,
            )
        database = connection.settings_dict["NAME"]
        count = companies or PROFILES[size].companies
        self.stdout.write(f"Seeding the {size} demo ({count:,} companies, seed {seed}) into "
                          f"{connection.vendor} database {database} …")
        self._live = self.stdout.isatty()
        try:
            demo_seed(size=size, seed=seed, companies=companies, progress=self._progress)
        except ApplicationError as exc:
            raise CommandError(str(exc), returncode=1) from exc
        self._summary()

    def _progress(self, stage: str, rows: int, seconds: float, done: bool) -> None:
        if done:
            self.stdout.write(f"\r  {stage:<15} {rows:>11,}  {seconds:7.1f} s")
        elif self._live:
            self.stdout.write(f"\r  {stage:<15} {rows:>11,}  {seconds:7.1f} s …", ending="")
            self.stdout.flush()

    def _summary(self) -> None:
        self.stdout.write(self.style.SUCCESS("Demo data ready:"))
        for label, total, detail in demo_summary():
            self.stdout.write(f"  {label:<15} {total:>11,}  {detail}".rstrip())
        self.stdout.write(self.style.SUCCESS(f"Logins (password {DEMO_PASSWORD} for all):"))
        for person in PEOPLE:
            team = f", {person.team}" if person.team else ""
            self.stdout.write(f"  {person.username:<8} {person.role}{team}")
