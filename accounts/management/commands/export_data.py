"""python manage.py export_data KIND [-o FILE]"""

from django.core.management.base import BaseCommand, CommandError

from accounts.services.exports import export_csv, export_kinds
from revops.errors import ApplicationError


class _Stdout:
    """csv.writer target that writes to the command's stdout without adding line endings."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text: str) -> None:
        self.stream.write(text, ending="")


class Command(BaseCommand):
    help = (
        "Export companies, workspaces, users or usage as CSV in the native import columns "
        "(import_data reads it back unchanged). Text cells that a spreadsheet would run as a "
        "formula get a leading single quote, which import_data removes again."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", help=f"What to export: {', '.join(export_kinds())}.")
        parser.add_argument("-o", "--output", help="Write to this file instead of standard output.")

    def handle(self, *args, kind, output=None, **options):
        if kind not in export_kinds():
            raise CommandError(f"Unknown kind {kind!r} (choose one of: {', '.join(export_kinds())}).", returncode=1)
        try:
            if output:
                with open(output, "w", newline="", encoding="utf-8") as handle:
                    count = export_csv(kind=kind, out=handle)
                self.stdout.write(self.style.SUCCESS(f"Exported {count} {kind} to {output}."))
            else:
                count = export_csv(kind=kind, out=_Stdout(self.stdout))
                self.stderr.write(f"Exported {count} {kind}.")
        except OSError as exc:
            raise CommandError(f"Cannot write {output}: {exc.strerror or exc}", returncode=1) from None
        except ApplicationError as exc:
            raise CommandError(exc.message, returncode=1) from None
