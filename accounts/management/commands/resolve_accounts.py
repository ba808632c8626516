"""python manage.py resolve_accounts [--full]"""

import sys

from django.core.management.base import BaseCommand, CommandError

from accounts.models import ResolutionRun
from accounts.services.resolution import resolution_run_claim, resolution_run_create, resolution_run_execute
from accounts.services.resolution.cache import cache_clear

HELP = """Resolve product users and workspaces to CRM companies (account resolution), in this process.

Default: incremental — only users and workspaces that are new or changed since the last successful
run, users whose email domain became known, and what depends on them. It becomes a full run by itself
when something that affects everyone changed (thresholds, email-domain rules, company names, removed
domains) and says so. --full resolves everything. Manual decisions (confirmed, rejected, or set by a
person) are never changed.

Exit codes: 0 done, 1 the run failed (the reason is printed and recorded on the run)."""

STATUS_ORDER = ("auto", "review", "unmatched", "locked")


class Command(BaseCommand):
    help = HELP

    def create_parser(self, prog_name, subcommand, **kwargs):
        from argparse import RawDescriptionHelpFormatter

        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = RawDescriptionHelpFormatter
        return parser

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="Resolve every user and workspace.")
        parser.add_argument(
            "--cold",
            action="store_true",
            help="Forget the cached name index and name rankings first, as on a new machine (benchmarks).",
        )
        parser.add_argument(
            "--jobs",
            type=int,
            default=1,
            help="Full runs: resolve the users in this many parallel processes (e.g. the number of cores).",
        )

    def handle(self, *args, full=False, jobs=1, cold=False, **options):
        if jobs < 1:
            raise CommandError("--jobs must be at least 1.", returncode=1)
        if cold:
            cache_clear()
        mode = ResolutionRun.Mode.FULL if full else ResolutionRun.Mode.INCREMENTAL
        run = resolution_run_create(mode=mode, trigger=ResolutionRun.Trigger.COMMAND)
        resolution_run_claim(run_id=run.pk)
        bar = _Progress() if self._is_tty() else None
        try:
            run = resolution_run_execute(run_id=run.pk, progress=bar.update if bar else None, jobs=jobs)
        except Exception as exc:
            raise CommandError(f"Resolution run {run.pk} failed: {type(exc).__name__}: {exc}", returncode=1) from exc
        finally:
            if bar:
                bar.close()
        counts = run.counts
        if counts.get("escalated"):
            self.stdout.write(self.style.WARNING(f"Ran in full: {counts['escalated']}."))
        self.stdout.write(f"Scope: {counts.get('scope', '')}.")
        for label in ("users", "workspaces"):
            self.stdout.write(self._line(label, counts.get(label) or {}))
        self.stdout.write(self.style.SUCCESS(
            f"Resolution run {run.pk} ({run.get_mode_display().lower()}) done in {counts.get('seconds', 0):.1f} s."
        ))
        if counts.get("phases"):
            self.stdout.write("Phases (wall / CPU of this process, seconds): " + ", ".join(
                f"{phase} {wall:.1f} / {cpu:.1f}" for phase, (wall, cpu) in counts["phases"].items()))

    @staticmethod
    def _line(label: str, counts: dict) -> str:
        statuses = ", ".join(f"{status} {counts.get(status, 0):,}" for status in STATUS_ORDER)
        methods = ", ".join(
            f"{key.split(':', 1)[1]} {value:,}" for key, value in sorted(counts.items()) if key.startswith("method:")
        )
        return f"{label.capitalize()}: {statuses}; changed {counts.get('changed', 0):,}; by method: {methods or '—'}"

    def _is_tty(self) -> bool:
        stream = getattr(self.stdout, "_out", self.stdout)
        return bool(getattr(stream, "isatty", lambda: False)())


class _Progress:
    def __init__(self):
        from tqdm import tqdm

        self.bar = tqdm(unit=" users", desc="users", file=sys.stderr, leave=False)

    def update(self, phase: str, done: int) -> None:
        if phase != self.bar.desc:
            self.bar.set_description(phase)
        self.bar.update(max(0, done - self.bar.n))

    def close(self) -> None:
        self.bar.close()
