"""Audit history: who changed what and when, read from django-simple-history's tables.

Every tracked model (companies and their domains, workspaces' and product users' match decisions,
stakeholders, playbooks and their steps, compensation plans, components, tiers, assignments and
quotas) gets a historical row per save, with the signed-in user of the request (or the `by` a
service was given) as its author. The pages show those rows as entries — one per save, with the
fields that changed from the version before — gathered from several tables at once: an account's
history holds the company's own changes, its domains', its stakeholders' and the match decisions
that tied records to it or took them away.

Bulk machinery (imports, resolution runs, roll-ups) does not write a row per record: an import is
recorded as its ImportJob (who, when, the file, the line-numbered report) and a resolution run as
its ResolutionRun.
"""
from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db import models
from django.db.models import Q, QuerySet
from django.utils import formats, timezone

# Rows read per source: enough for any object's page (a company has tens of saves, not thousands);
# the admin's history view pages through all of them.
ROWS_PER_SOURCE = 300
TEXT_LIMIT = 140

ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
# The state a record had before its first recorded change, when an import or a resolution run (which
# write in bulk, without history rows) made it: written just before that change, so the change can
# be shown as "from → to".
BASELINE_REASON = "State before the first recorded change (set by an import or a resolution run)"



@dataclass(frozen=True)
class Source:
    """Historical rows of one model and how to name the record they belong to on this page."""

    rows: QuerySet
    subject: Callable[[models.Model], str] = lambda row: ""


@dataclass
class Change:
    field: str
    old: str
    new: str


@dataclass
class Entry:
    when: datetime
    who: str
    action: str
    subject: str
    reason: str = ""
    changes: list[Change] = field(default_factory=list)
    # a changed row whose earlier version is outside what was read: what changed is not known here
    partial: bool = False


def entries(sources: Iterable[Source], *, limit: int = 30) -> list[Entry]:
    """The latest `limit` entries of all sources, newest first, each with what it changed."""
    read: list[tuple[Source, models.Model]] = []
    for source in sources:
        rows = source.rows.select_related("history_user").order_by("-history_date", "-history_id")
        read.extend((source, row) for row in rows[:ROWS_PER_SOURCE])

    versions: dict[tuple[type, int], list[tuple[Source, models.Model]]] = defaultdict(list)
    for source, row in read:
        versions[(type(row), row.id)].append((source, row))

    pending: list[tuple[Entry, int, list]] = []
    for items in versions.values():
        items.sort(key=lambda item: (item[1].history_date, item[1].history_id))
        previous = None
        for source, row in items:
            baseline = row.history_change_reason == BASELINE_REASON
            fields = _diff(row, previous)
            partial = row.history_type == "~" and previous is None and not baseline
            previous = row
            if row.history_type == "~" and not fields and not partial and not baseline:
                continue  # saved without changing a recorded field (e.g. an admin form saved as it was)
            entry = Entry(
                when=row.history_date,
                who=_person(row.history_user),
                action="recorded" if baseline else ACTIONS.get(row.history_type, row.history_type),
                subject=source.subject(row),
                reason="" if baseline else row.history_change_reason or "",
                partial=partial,
            )
            pending.append((entry, row.history_id, fields))

    pending.sort(key=lambda item: (item[0].when, item[1]), reverse=True)
    pending = pending[:limit]
    labels = _ForeignKeyLabels()
    for _, _, fields in pending:
        for model_field, old, new in fields:
            labels.want(model_field, old)
            labels.want(model_field, new)
    labels.load()
    for entry, _, fields in pending:
        entry.changes = []
        for model_field, old, new in fields:
            if isinstance(old, str) and isinstance(new, str) and not model_field.choices \
                    and max(len(old), len(new)) > TEXT_LIMIT:
                shown = _long_text_change(old, new)
            else:
                shown = (_display(model_field, old, labels), _display(model_field, new, labels))
            entry.changes.append(Change(str(model_field.verbose_name), *shown))
    return [entry for entry, _, _ in pending]


def company_sources(company_id: int) -> list[Source]:
    """An account's history: the company, its domains and stakeholders, and the match decisions
    that assigned (or proposed) product records to it — also the later decisions that moved them away."""
    from accounts.models import Company, CompanyDomain, ProductUser, Workspace
    from stakeholders.models import Stakeholder

    touching = Q(company_id=company_id) | Q(suggested_company_id=company_id)
    workspace_ids = Workspace.history.filter(touching).values("id")
    user_ids = ProductUser.history.filter(touching).values("id")
    return [
        Source(Company.history.filter(id=company_id)),
        Source(CompanyDomain.history.filter(company_id=company_id), lambda row: f"Domain {row.domain}"),
        Source(Stakeholder.history.filter(company_id=company_id), lambda row: f"Stakeholder {row.name}"),
        Source(Workspace.history.filter(id__in=workspace_ids), lambda row: f"Workspace {row.name}"),
        Source(ProductUser.history.filter(id__in=user_ids), lambda row: f"User {row.email}"),
    ]


def playbook_sources(playbook_id: int) -> list[Source]:
    from playbooks.models import Playbook, PlaybookStep

    return [
        Source(Playbook.history.filter(id=playbook_id)),
        Source(PlaybookStep.history.filter(playbook_id=playbook_id), lambda row: f"Step {row.position}. {row.title}"),
    ]


def compensation_sources(*, plan_id: int, assignment_id: int | None) -> list[Source]:
    """A statement's plan (with its components and tiers) and the rep's assignment (with quotas)."""
    from forecasting.models import Assignment, AssignmentQuota, CompPlan, PlanComponent, PlanTier

    component_ids = PlanComponent.history.filter(plan_id=plan_id).values("id")
    sources = [
        Source(CompPlan.history.filter(id=plan_id), lambda row: f"Plan {row.name}"),
        Source(PlanComponent.history.filter(plan_id=plan_id), lambda row: f"Component {row.name}"),
        Source(PlanTier.history.filter(component_id__in=component_ids), lambda row: f"Tier from {_number(row.lower)}"),
    ]
    if assignment_id is not None:
        sources += [
            Source(Assignment.history.filter(id=assignment_id), lambda row: "Assignment"),
            Source(AssignmentQuota.history.filter(assignment_id=assignment_id), lambda row: "Quota"),
        ]
    return sources


def record_bulk(model: type[models.Model], pks: Iterable[int], *, by, reason: str = "") -> None:
    """History rows for records changed by a set-based UPDATE (which sends no save signals).

    Call `baseline_bulk` with the same ids before the UPDATE, so the change has a "before"."""
    if not _enabled():
        return
    objects = list(model._default_manager.filter(pk__in=list(pks)))
    if objects:
        model.history.bulk_history_create(objects, update=True, default_user=by, default_change_reason=reason)


def baseline_bulk(model: type[models.Model], pks: Iterable[int], *, before: datetime | None = None) -> None:
    """A baseline history row for each of these records that has none yet (see BASELINE_REASON),
    dated when the record was last written, and no later than `before` (the change about to be made)."""
    if not _enabled():
        return
    pks = list(pks)
    recorded = set(model.history.filter(id__in=pks).values_list("id", flat=True).distinct())
    missing = [pk for pk in pks if pk not in recorded]
    if not missing:
        return
    objects = list(model._default_manager.filter(pk__in=missing))
    for obj in objects:
        obj._history_date = min(_state_since(obj), before) if before else _state_since(obj)
    model.history.bulk_history_create(objects, update=True, default_change_reason=BASELINE_REASON)


def record_baseline(sender, instance, raw: bool = False, **kwargs) -> None:
    """pre_save of a tracked model: the stored state gets a baseline row if it has no history yet."""
    if raw or instance._state.adding or instance.pk is None or not _enabled():
        return
    baseline_bulk(sender, [instance.pk], before=getattr(instance, "_history_date", None))


def _enabled() -> bool:
    from django.conf import settings

    return getattr(settings, "SIMPLE_HISTORY_ENABLED", True)


@contextmanager
def recording(enabled: bool):
    """History on or off for what runs inside (process-wide: for commands such as the demo seeding,
    which writes like an import and is recorded as a whole, not per row)."""
    from django.conf import settings

    previous = _enabled()
    settings.SIMPLE_HISTORY_ENABLED = enabled
    try:
        yield
    finally:
        settings.SIMPLE_HISTORY_ENABLED = previous


def connect_baselines() -> None:
    """record_baseline on every model that has a HistoricalRecords manager."""
    from django.apps import apps
    from django.db.models.signals import pre_save

    for model in apps.get_models():
        if hasattr(model._meta, "simple_history_manager_attribute"):
            pre_save.connect(record_baseline, sender=model, dispatch_uid=f"history_baseline_{model._meta.label}")


def _state_since(obj) -> datetime:
    # when the stored state was written, as well as the record tells (never later than now)
    now = timezone.now()
    moments = [getattr(obj, name, None) for name in ("matched_at", "updated_at", "created_at", "imported_at")]
    known = [moment for moment in moments if isinstance(moment, datetime)]
    return min(max(known), now) if known else now


# --- helpers ----------------------------------------------------------------------------------


def _person(user) -> str:
    if user is None:
        return "System"
    return user.get_full_name() or user.get_username()


def _diff(row, previous) -> list[tuple[models.Field, object, object]]:
    if previous is None:
        return []
    changed = []
    for model_field in _tracked(row):
        old, new = getattr(previous, model_field.attname), getattr(row, model_field.attname)
        if old != new:
            changed.append((model_field, old, new))
    return changed


def _tracked(row) -> list[models.Field]:
    # the historical model's copies of the tracked fields, without its own bookkeeping columns
    own = {"history_id", "history_date", "history_change_reason", "history_type", "history_user", "id",
           # the entry itself says who decided and when
           "matched_at", "matched_by", "matched_by_id"}
    return [f for f in row.tracked_fields if f.name not in own and f.attname not in own]


class _ForeignKeyLabels:
    """str() of the rows foreign keys point at, read with one query per related model."""

    def __init__(self) -> None:
        self.wanted: dict[type[models.Model], set] = defaultdict(set)
        self.names: dict[tuple[type[models.Model], object], str] = {}

    def want(self, model_field: models.Field, value) -> None:
        if model_field.is_relation and value is not None:
            self.wanted[model_field.related_model].add(value)

    def load(self) -> None:
        for model, ids in self.wanted.items():
            for obj in model._default_manager.filter(pk__in=ids):
                self.names[(model, obj.pk)] = str(obj)

    def name(self, model_field: models.Field, value) -> str:
        return self.names.get((model_field.related_model, value), f"#{value} (deleted)")


def _number(value) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), ",f")
    return f"{value:,}"


def _display(model_field: models.Field, value, labels: _ForeignKeyLabels) -> str:
    if value is None or value == "":
        return "—"
    if model_field.is_relation:
        return labels.name(model_field, value)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if isinstance(value, date):
        return formats.date_format(value, "DATE_FORMAT")
    if isinstance(value, Decimal | int | float):
        return _number(value)
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False)
    text = str(value)
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"


CONTEXT = 24


def _long_text_change(old: str, new: str) -> tuple[str, str]:
    """Two long texts shown around where they differ (the shared beginning and end elided)."""
    start = 0
    while start < min(len(old), len(new)) and old[start] == new[start]:
        start += 1
    end = 0
    while end < min(len(old), len(new)) - start and old[-1 - end] == new[-1 - end]:
        end += 1
    cut = max(0, start - CONTEXT)
    if cut:  # start at a word
        space = old.rfind(" ", 0, cut)
        cut = space + 1 if space > 0 else 0

    def window(text: str) -> str:
        stop = len(text) - max(0, end - CONTEXT)
        piece = text[cut:stop]
        if len(piece) > TEXT_LIMIT:
            piece = piece[: TEXT_LIMIT - 1] + "…"
        return ("…" if cut else "") + piece + ("…" if stop < len(text) and not piece.endswith("…") else "")

    return window(old), window(new)
