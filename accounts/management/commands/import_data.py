"""python manage.py import_data KIND FILE [--preset native|salesforce|hubspot]"""

import csv
import sys

from django.core.management.base import BaseCommand, CommandError

from accounts.services.imports import (
    ImportFileError,
    ImportProgress,
    all_presets,
    import_csv,
    import_kinds,
)

HELP = """Import a CSV file (UTF-8, header row) of companies, workspaces, product users or usage.

Rows are upserted by external_id (usage: by target, month and metric): importing the same file
twice changes nothing. Columns the file does not have are left untouched on existing rows;
unknown columns are ignored. Valid rows are written in one transaction; bad rows are listed
with their CSV line number (header = line 1) and reason.

Companies: an owner_email that matches no revops user is a warning, not an error — the company
is loaded (an existing owner is kept) so a CRM export is never held back by a missing login.
Domains are added to the company; an import never removes a domain. Users: the memberships
listed in workspace_external_ids replace the user's memberships (the product is the source of
truth); an entry may carry its own role as `W123:admin`.

Exit codes: 0 loaded (warnings allowed), 1 file-level problem (nothing loaded), 2 some rows rejected
(the valid rows were loaded)."""


class Command(BaseCommand):
    help = HELP

    def create_parser(self, prog_name, subcommand, **kwargs):
        from argparse import RawDescriptionHelpFormatter

        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = RawDescriptionHelpFormatter
        return parser

    def add_arguments(self, parser):
        kinds = [kind.name for kind in import_kinds()]
        parser.add_argument("kind", help=f"What the file holds: {', '.join(kinds)}.")
        parser.add_argument("file", help="Path of the CSV file.")
        parser.add_argument(
            "--preset",
            default="native",
            help=f"Column names of the file: {', '.join(all_presets())} (salesforce/hubspot: companies only).",
        )
        parser.add_argument(
            "--max-errors",
            type=int,
            default=200,
            help="Print at most this many rejected rows (default 200); --report writes them all.",
        )
        parser.add_argument("--report", help="Also write every rejected row and warning to this CSV file.")
        parser.add_argument(
            "--no-resolve", action="store_true", help="Do not queue incremental account resolution afterwards."
        )

    def handle(self, *args, kind, file, preset, max_errors, report=None, **options):
        bar = self._progress_bar(file) if self._is_tty() else None
        try:
            result = import_csv(kind=kind, source=file, preset=preset, progress=bar.update if bar else None)
        except ImportFileError as exc:
            raise CommandError(exc.message, returncode=1) from None
        finally:
            if bar:
                bar.close()

        for issue in result.sorted_warnings()[:max_errors]:
            self.stdout.write(self.style.WARNING(f"line {issue.line}: warning: {issue.message}"))
        errors = result.sorted_errors()
        for issue in errors[:max_errors]:
            self.stdout.write(self.style.ERROR(f"line {issue.line}: {issue.message}"))
        if len(errors) > max_errors:
            self.stdout.write(f"… and {len(errors) - max_errors} more rejected rows (use --report FILE for all).")
        if report:
            self._write_report(report, result)
        summary = f"Imported {kind} from {file}: {result.summary()}."
        self._after_import(kind, resolve=not options.get("no_resolve"))
        if errors:
            self.stdout.write(self.style.WARNING(summary))
            raise CommandError(
                f"{len(errors)} of {result.total_rows} rows rejected; the other rows were loaded.", returncode=2
            )
        self.stdout.write(self.style.SUCCESS(summary))

    def _after_import(self, kind: str, *, resolve: bool) -> None:
        """Resolve what new companies, workspaces or users affect; recalculate commissions when deals,
        contracts, usage or ownership changed (accounts.tasks.after_import)."""
        from accounts.tasks import after_import

        run = after_import(kind=kind, resolve=resolve)
        if run is not None:
            run.refresh_from_db()
            self.stdout.write(f"Account resolution: run {run.pk} {run.get_status_display().lower()}.")

    def _is_tty(self) -> bool:
        stream = getattr(self.stdout, "_out", self.stdout)
        return bool(getattr(stream, "isatty", lambda: False)())

    def _progress_bar(self, path):
        return _TqdmProgress(path)

    def _write_report(self, path, result):
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["line", "level", "message"])
            rows = [(i.line, "error", i.message) for i in result.errors]
            rows += [(i.line, "warning", i.message) for i in result.warnings]
            writer.writerows(sorted(rows))


class _TqdmProgress:
    """A terminal progress bar driven by the bytes read (then a note while the rows are written)."""

    def __init__(self, path):
        from pathlib import Path

        from tqdm import tqdm

        try:
            total = Path(path).stat().st_size
        except OSError:
            total = None
        self.bar = tqdm(total=total, unit="B", unit_scale=True, desc="reading", file=sys.stderr, leave=False)
        self.rows = 0

    def update(self, step: ImportProgress) -> None:
        self.bar.update(max(0, step.bytes_read - self.bar.n))
        self.bar.set_postfix(rows=step.rows, refresh=False)
        if step.phase != "reading":
            self.bar.set_description(step.phase)

    def close(self) -> None:
        self.bar.close()
