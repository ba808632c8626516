"""Playbooks, their runs and the plays they surface.

A *playbook* packages a sales motion (goal, persona, owning team, KPIs, pitfalls, ordered steps)
and a *signal*: a JSON tree of conditions over the metric registry (playbooks.signals). A *run*
evaluates the signal over every company in one query and surfaces each new match as a *play*,
assigned to a rep, with the playbook's steps copied as a dated checklist.

The database keeps at most one open play (open or in progress) per playbook and company, whatever
the number of concurrent runs (``play_one_open_per_playbook_company``).
"""
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from accounts.models import Company, Team


class Playbook(models.Model):
    class Maturity(models.TextChoices):
        FOUNDATIONAL = "foundational", "Foundational"
        INTERMEDIATE = "intermediate", "Intermediate"
        ADVANCED = "advanced", "Advanced"

    class GoalType(models.TextChoices):
        CONSOLIDATION = "consolidation", "Consolidation"
        EXPANSION = "expansion", "Expansion"
        CONVERSION = "conversion", "Conversion"
        ADOPTION = "adoption", "Adoption"
        RETENTION = "retention", "Retention"
        COVERAGE = "coverage", "Coverage"

    class Schedule(models.TextChoices):
        MANUAL = "manual", "Manual only"
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"

    class Assignment(models.TextChoices):
        OWNER = "owner", "Account owner; else round-robin in the owner team"
        ROUND_ROBIN = "round_robin", "Round-robin in the owner team"

    class Kpi(models.TextChoices):
        COMMITTED_REVENUE = "committed_revenue", "Committed revenue"
        CONVERSION_RATE = "conversion_rate", "Conversion rate"
        TIME_TO_FIRST_ACTION = "time_to_first_action", "Time to first action"
        ACTIONED_IN_7_DAYS = "actioned_7d", "Actioned within 7 days"
        PIPELINE_CREATED = "pipeline_created", "Pipeline created"
        STAKEHOLDER_COVERAGE = "stakeholder_coverage", "Stakeholder coverage"
        LIFT = "lift", "Lift over comparable accounts"

    class Persona(models.TextChoices):
        # The stakeholder roles of stakeholders.models.Stakeholder.Role (kept in step by a test).
        ECONOMIC_BUYER = "economic_buyer", "Economic buyer"
        DECISION_MAKER = "decision_maker", "Decision maker"
        CHAMPION = "champion", "Champion"
        EXECUTIVE_SPONSOR = "executive_sponsor", "Executive sponsor"
        TECHNICAL_EVALUATOR = "technical_evaluator", "Technical evaluator"
        PROCUREMENT = "procurement", "Procurement"
        END_USER = "end_user", "End user"
        INFLUENCER = "influencer", "Influencer"

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=64, unique=True)
    description = models.TextField(blank=True, default="")
    maturity = models.CharField(max_length=16, choices=Maturity.choices, default=Maturity.FOUNDATIONAL)
    goal_type = models.CharField(max_length=16, choices=GoalType.choices, default=GoalType.EXPANSION)
    goal = models.TextField(blank=True, default="", help_text="What success looks like, in a sentence.")
    when_to_run = models.TextField(blank=True, default="", help_text="The situation this play is for.")
    target_personas = models.JSONField(
        default=list, blank=True, help_text="Stakeholder roles to target (list of role keys)."
    )
    owner_team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_playbooks",
        help_text="Runs the play; round-robin assignment picks its reps.",
    )
    supporting_teams = models.ManyToManyField(Team, blank=True, related_name="supported_playbooks")
    kpis = models.JSONField(default=list, blank=True, help_text="Measurable KPIs (list of KPI keys).")
    pitfalls = models.TextField(blank=True, default="")
    is_active = models.BooleanField(default=True, help_text="Inactive playbooks are never run by the schedule.")
    schedule = models.CharField(max_length=8, choices=Schedule.choices, default=Schedule.MANUAL)
    schedule_hour = models.PositiveSmallIntegerField(
        default=6, help_text="Hour of day (UTC) of a scheduled run."
    )
    schedule_weekday = models.PositiveSmallIntegerField(
        default=0, help_text="Weekly runs: 0 = Monday … 6 = Sunday."
    )
    cooldown_days = models.PositiveIntegerField(
        default=30, help_text="After a play is closed, the same account is not surfaced again for this many days."
    )
    assignment = models.CharField(max_length=16, choices=Assignment.choices, default=Assignment.OWNER)
    max_open_plays_per_rep = models.PositiveIntegerField(
        null=True, blank=True,
        help_text="A rep with this many open plays (all playbooks) gets no new ones; empty = no limit.",
    )
    signal = models.JSONField(default=dict, help_text="Conditions over the metric registry (built in the form).")
    context_metrics = models.JSONField(
        default=list, blank=True, help_text="Metrics shown in each play's 'why' besides the signal's own."
    )
    # Round-robin position: the rep who got the last round-robin play.
    round_robin_last = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    # The due moment of the last scheduled run claimed (see services.runs.playbooks_due).
    last_scheduled_for = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["round_robin_last", "last_scheduled_for", "created_at", "updated_at"])

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(schedule_hour__lte=23), name="playbook_schedule_hour_0_23"),
            models.CheckConstraint(condition=Q(schedule_weekday__lte=6), name="playbook_schedule_weekday_0_6"),
            models.CheckConstraint(
                condition=Q(max_open_plays_per_rep__isnull=True) | Q(max_open_plays_per_rep__gte=1),
                name="playbook_open_limit_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        from django.core.exceptions import ValidationError

        from playbooks.signals import metric_keys, signal_validate

        errors = {}
        try:
            self.signal = signal_validate(self.signal)
        except ValidationError as exc:
            errors["signal"] = exc.messages
        personas = set(self.Persona.values)
        if not isinstance(self.target_personas, list) or set(self.target_personas) - personas:
            errors["target_personas"] = [f"Choose among: {', '.join(sorted(personas))}."]
        kpis = set(self.Kpi.values)
        if not isinstance(self.kpis, list) or set(self.kpis) - kpis:
            errors["kpis"] = [f"Choose among: {', '.join(sorted(kpis))}."]
        if not isinstance(self.context_metrics, list) or set(self.context_metrics) - set(metric_keys()):
            errors["context_metrics"] = ["Unknown metric in the list of metrics shown in the why."]
        if errors:
            raise ValidationError(errors)

    def get_persona_labels(self) -> list[str]:
        labels = dict(self.Persona.choices)
        return [labels.get(key, key) for key in self.target_personas or []]

    def get_kpi_labels(self) -> list[str]:
        labels = dict(self.Kpi.choices)
        return [labels.get(key, key) for key in self.kpis or []]


class PlaybookStep(models.Model):
    class Role(models.TextChoices):
        ACCOUNT_EXECUTIVE = "account_executive", "Account executive"
        CUSTOMER_SUCCESS = "customer_success", "Customer success"
        SALES_ENGINEER = "sales_engineer", "Sales engineer"
        MANAGER = "manager", "Sales manager"
        REVOPS = "revops", "RevOps"

    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(default=1)
    title = models.CharField(max_length=200)
    guidance = models.TextField(blank=True, default="")
    due_after_days = models.PositiveSmallIntegerField(default=7, help_text="Days after the play is surfaced.")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.ACCOUNT_EXECUTIVE)

    history = HistoricalRecords()

    class Meta:
        ordering = ["playbook_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["playbook", "position"], name="playbook_step_position_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.title}"


class PlaybookRun(models.Model):
    class Trigger(models.TextChoices):
        MANUAL = "manual", "Manual"
        SCHEDULE = "schedule", "Schedule"
        API = "api", "API"
        COMMAND = "command", "Command line"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="runs")
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.MANUAL)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    signal = models.JSONField(default=dict, blank=True, help_text="The signal as it was when the run started.")
    matched = models.PositiveIntegerField(default=0)
    new_plays = models.PositiveIntegerField(default=0)
    skipped_open = models.PositiveIntegerField(default=0, help_text="Matched, but a play is already open.")
    skipped_cooldown = models.PositiveIntegerField(default=0, help_text="Matched, but closed within the cooldown.")
    unassigned = models.PositiveIntegerField(default=0, help_text="New plays no rep had room for.")
    queries = models.PositiveIntegerField(null=True, blank=True, help_text="Database queries the run issued.")
    seconds = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["playbook", "-created_at"], name="playbook_run_recent")]

    def __str__(self) -> str:
        return f"{self.playbook} run {self.pk} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)


class Play(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        DISQUALIFIED = "disqualified", "Disqualified"
        CONVERTED = "converted", "Converted"

    OPEN_STATES = (Status.OPEN, Status.IN_PROGRESS)
    CLOSED_STATES = (Status.DONE, Status.DISQUALIFIED, Status.CONVERTED)

    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="plays")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="plays")
    run = models.ForeignKey(PlaybookRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="plays")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="plays"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    disqualify_reason = models.CharField(max_length=500, blank=True, default="")
    why = models.JSONField(default=list, blank=True, help_text="Metric values that made the account match.")
    value = models.DecimalField(
        max_digits=16, decimal_places=2, default=Decimal("0"),
        help_text="Unclosed potential (potential ARR − ARR) when surfaced; the ARR when no potential is set.",
    )
    notes = models.TextField(blank=True, default="")
    opportunity = models.ForeignKey(
        "forecasting.Opportunity", null=True, blank=True, on_delete=models.SET_NULL, related_name="plays"
    )
    outcome_amount = models.DecimalField(
        max_digits=16, decimal_places=2, null=True, blank=True, help_text="Committed revenue the play led to."
    )
    surfaced_at = models.DateTimeField()
    first_action_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-value", "-surfaced_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["playbook", "company"],
                condition=Q(status__in=["open", "in_progress"]),
                name="play_one_open_per_playbook_company",
            ),
            models.CheckConstraint(
                condition=Q(outcome_amount__isnull=True) | Q(outcome_amount__gte=0), name="play_outcome_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "in_progress"], closed_at__isnull=True)
                | Q(status__in=["done", "disqualified", "converted"], closed_at__isnull=False),
                name="play_closed_at_iff_closed",
            ),
            models.CheckConstraint(
                condition=~Q(status="disqualified") | ~Q(disqualify_reason=""), name="play_disqualified_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(first_action_at__isnull=True) | Q(first_action_at__gte=F("surfaced_at")),
                name="play_first_action_after_surfaced",
            ),
        ]
        indexes = [
            models.Index(fields=["assignee", "status"], name="play_assignee_status"),
            models.Index(fields=["playbook", "surfaced_at"], name="play_playbook_surfaced"),
            models.Index(fields=["company", "status"], name="play_company_status"),
            models.Index(fields=["playbook", "company", "closed_at"], name="play_cooldown"),
        ]

    def __str__(self) -> str:
        return f"{self.playbook} · {self.company}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATES


class PlayStep(models.Model):
    """One step of a play's checklist, copied from the playbook when the play is surfaced."""

    play = models.ForeignKey(Play, on_delete=models.CASCADE, related_name="steps")
    step = models.ForeignKey(PlaybookStep, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    role = models.CharField(max_length=20, choices=PlaybookStep.Role.choices, default=PlaybookStep.Role.ACCOUNT_EXECUTIVE)
    due_date = models.DateField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["play_id", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["play", "position"], name="play_step_position_unique")]

    def __str__(self) -> str:
        return f"{self.position}. {self.title}"
