"""Demo plays for ``seed_demo`` (settings.REVOPS_DEMO_EXTENSIONS): the shipped playbooks run on the demo
accounts, then ten weeks of history are simulated so the inbox and the reporting have something to show.

Deterministic for a seed; replaces its own rows (plays of DEMO- companies, and the runs the demo made).
The plays are real run output — the same signal, assignment and checklists — only their timestamps
and outcomes are made up: surfacing spread over the last ten weeks, most actioned within days, some
converted (linked to one of the account's demo opportunities when there is one), done or disqualified.
"""
import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.utils import timezone

from playbooks.models import Play, Playbook, PlaybookRun, PlayStep
from playbooks.services.runs import playbook_run_create, playbook_run_execute

DEMO_USER = "admin"
HISTORY_WEEKS = 10
REASONS = ("Already negotiating an enterprise agreement", "Budget frozen until next fiscal year",
           "Workspaces belong to a reseller, not the company", "Champion left; restart next quarter")


def _demo_runs(admin):
    return PlaybookRun.objects.filter(trigger=PlaybookRun.Trigger.COMMAND, created_by=admin)


def demo_seed(*, seed: int, today: date, progress=None) -> dict[str, int]:
    rng = random.Random(f"playbooks:{seed}")
    admin = get_user_model().objects.filter(username=DEMO_USER).first()
    Play.objects.filter(company__external_id__startswith="DEMO-").delete()
    _demo_runs(admin).annotate(n=Count("plays")).filter(n=0).delete()
    now = timezone.make_aware(datetime.combine(today, time(9, 0)))
    start = now - timedelta(weeks=HISTORY_WEEKS)
    plays_made = 0
    for playbook in Playbook.objects.filter(is_active=True).order_by("slug"):
        try:
            run = playbook_run_create(playbook=playbook, trigger=PlaybookRun.Trigger.COMMAND, by=admin)
        except Exception:  # a signal needing data this installation lacks: nothing to show for it
            continue
        playbook_run_execute(run_id=run.pk, now=start)
        PlaybookRun.objects.filter(pk=run.pk).update(created_at=start, finished_at=start + timedelta(seconds=2))
        plays_made += _simulate(playbook=playbook, run=run, rng=rng, start=start, now=now)
        later = playbook_run_create(playbook=playbook, trigger=PlaybookRun.Trigger.COMMAND, by=admin)
        playbook_run_execute(run_id=later.pk, now=now - timedelta(days=1))
        PlaybookRun.objects.filter(pk=later.pk).update(created_at=now - timedelta(days=1))
    return {"plays": plays_made}


def _simulate(*, playbook: Playbook, run: PlaybookRun, rng: random.Random, start, now) -> int:
    from forecasting.models import Opportunity

    plays = list(Play.objects.filter(run=run).order_by("id"))
    opportunities = {}
    for opp in Opportunity.objects.filter(company_id__in=[p.company_id for p in plays]).order_by("id"):
        opportunities.setdefault(opp.company_id, opp)
    steps = {}
    for step in PlayStep.objects.filter(play__run=run).order_by("position"):
        steps.setdefault(step.play_id, []).append(step)
    span = (now - start).total_seconds()
    changed_steps = []
    for play in plays:
        surfaced = start + timedelta(seconds=rng.uniform(0, span * 0.95))
        play.surfaced_at = surfaced
        age_days = (now - surfaced).days
        for step in steps.get(play.pk, []):
            step.due_date = surfaced.date() + (step.due_date - start.date())
        if age_days < 2 or rng.random() < 0.22:
            continue  # not touched yet
        first = surfaced + timedelta(hours=rng.uniform(3, min(age_days, 12) * 24))
        play.first_action_at = min(first, now)
        done_steps = steps.get(play.pk, [])[: rng.randint(1, max(1, len(steps.get(play.pk, []))))]
        for step in done_steps:
            step.done_at, step.done_by_id = play.first_action_at, play.assignee_id
        roll = rng.random()
        closed = play.first_action_at + timedelta(days=rng.uniform(1, 20))
        if age_days < 14 or closed >= now or roll < 0.45:
            play.status = Play.Status.IN_PROGRESS
        elif roll < 0.68:
            play.status = Play.Status.CONVERTED
            play.opportunity = opportunities.get(play.company_id)
            share = Decimal(str(round(rng.uniform(0.04, 0.2), 3)))
            play.outcome_amount = (play.value * share).quantize(Decimal("0.01")) if play.value else Decimal("12000.00")
        elif roll < 0.85:
            play.status = Play.Status.DONE
        else:
            play.status = Play.Status.DISQUALIFIED
            play.disqualify_reason = rng.choice(REASONS)
        if play.status in Play.CLOSED_STATES:
            play.closed_at, play.closed_by_id = closed, play.assignee_id
        changed_steps.extend(steps.get(play.pk, []))
    Play.objects.bulk_update(plays, ["surfaced_at", "first_action_at", "status", "opportunity", "outcome_amount",
                                     "disqualify_reason", "closed_at", "closed_by"], batch_size=500)
    all_steps = [s for group in steps.values() for s in group]
    PlayStep.objects.bulk_update(all_steps, ["due_date", "done_at", "done_by"], batch_size=500)
    return len(plays)


def demo_summary() -> list[tuple[str, int, str]]:
    demo = Q(company__external_id__startswith="DEMO-")
    counts = Play.objects.filter(demo).aggregate(
        total=Count("id"), open=Count("id", filter=Q(status__in=Play.OPEN_STATES)),
        converted=Count("id", filter=Q(status=Play.Status.CONVERTED)),
    )
    return [("plays", counts["total"], f"{counts['open']:,} open, {counts['converted']:,} converted")]
