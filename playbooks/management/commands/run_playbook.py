"""Run a playbook now, in this process: ``manage.py run_playbook SLUG [--queue]``."""
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from playbooks.models import Playbook, PlaybookRun
from playbooks.services import playbook_run_create, playbook_run_execute, playbook_run_request
from revops.errors import ApplicationError


class Command(BaseCommand):
    help = "Evaluate a playbook's signal and surface the new matches as plays (exit 1 if the run fails)."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The playbook's slug, e.g. consolidation.")
        parser.add_argument("--queue", action="store_true", help="Hand the run to a Celery worker instead.")

    def handle(self, *args, slug: str, queue: bool, **options):
        playbook = Playbook.objects.filter(slug=slug).first()
        if playbook is None:
            known = ", ".join(Playbook.objects.order_by("slug").values_list("slug", flat=True))
            raise CommandError(f"No playbook {slug!r}. Known: {known or 'none'}.")
        try:
            if queue:
                with transaction.atomic():
                    run = playbook_run_request(playbook=playbook, trigger=PlaybookRun.Trigger.COMMAND)
                self.stdout.write(self.style.SUCCESS(f"Queued run {run.pk} of {playbook.name}."))
                return
            run = playbook_run_create(playbook=playbook, trigger=PlaybookRun.Trigger.COMMAND)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Running {playbook.name} (run {run.pk})…")
        run = playbook_run_execute(run_id=run.pk)
        if run is None or run.status != PlaybookRun.Status.SUCCEEDED:
            raise CommandError(f"Run failed: {run.error if run else 'claimed by another worker'}")
        self.stdout.write(self.style.SUCCESS(
            f"{playbook.name}: {run.matched:,} matched, {run.new_plays:,} new plays, {run.skipped_open:,} already open, "
            f"{run.skipped_cooldown:,} in cooldown, {run.unassigned:,} unassigned — {run.seconds:.2f} s, "
            f"{run.queries} queries."))
