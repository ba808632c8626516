"""Playbook definitions written through the API (the admin form saves through the same model validation)."""
from django.core.exceptions import ValidationError
from django.db import transaction

from playbooks.models import Playbook, PlaybookStep

FIELDS = (
    "name", "slug", "description", "maturity", "goal_type", "goal", "when_to_run", "target_personas", "kpis",
    "pitfalls", "is_active", "schedule", "schedule_hour", "schedule_weekday", "cooldown_days", "assignment",
    "max_open_plays_per_rep", "signal", "context_metrics", "owner_team",
)


def _steps_replace(playbook: Playbook, steps: list[dict]) -> None:
    playbook.steps.all().delete()
    rows = [PlaybookStep(playbook=playbook, position=i, title=s["title"], guidance=s.get("guidance", ""),
                         due_after_days=s.get("due_after_days", 7), role=s.get("role") or PlaybookStep.Role.ACCOUNT_EXECUTIVE)
            for i, s in enumerate(steps, start=1)]
    for row in rows:
        row.full_clean(exclude=["playbook"])
    PlaybookStep.objects.bulk_create(rows)


@transaction.atomic
def playbook_create(*, data: dict) -> Playbook:
    steps = data.pop("steps", None) or []
    supporting = data.pop("supporting_teams", None)
    playbook = Playbook(**{k: v for k, v in data.items() if k in FIELDS})
    playbook.full_clean()  # validates the signal against the registry
    playbook.save()
    if supporting is not None:
        playbook.supporting_teams.set(supporting)
    _steps_replace(playbook, steps)
    return playbook


@transaction.atomic
def playbook_update(*, playbook: Playbook, data: dict) -> Playbook:
    steps = data.pop("steps", None)
    supporting = data.pop("supporting_teams", None)
    for key, value in data.items():
        if key in FIELDS:
            setattr(playbook, key, value)
    try:
        playbook.full_clean()
    except ValidationError:
        raise
    playbook.save()
    if supporting is not None:
        playbook.supporting_teams.set(supporting)
    if steps is not None:
        _steps_replace(playbook, steps)
    return playbook
