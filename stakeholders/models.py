"""Stakeholder maps, logged interactions and the managers' weekly review sessions.

Last contact is denormalised onto each stakeholder (``last_contacted_at``/``last_contacted_by``)
so the review page and the playbook signals read it without aggregating two million
interactions; services recompute it from the interactions whenever one is created, edited,
deleted or back-dated, so it is always the latest interaction's time, never the last edit's.
"""
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from simple_history.models import HistoricalRecords

from accounts.models import Company, ProductUser, Team

KEY_STAKEHOLDERS = 5


class Stakeholder(models.Model):
    class Role(models.TextChoices):
        ECONOMIC_BUYER = "economic_buyer", "Economic buyer"
        DECISION_MAKER = "decision_maker", "Decision maker"
        CHAMPION = "champion", "Champion"
        EXECUTIVE_SPONSOR = "executive_sponsor", "Executive sponsor"
        TECHNICAL_EVALUATOR = "technical_evaluator", "Technical evaluator"
        PROCUREMENT = "procurement", "Procurement"
        END_USER = "end_user", "End user"
        INFLUENCER = "influencer", "Influencer"
        BLOCKER = "blocker", "Blocker"

    class Sentiment(models.TextChoices):
        POSITIVE = "positive", "Positive"
        NEUTRAL = "neutral", "Neutral"
        NEGATIVE = "negative", "Negative"
        UNKNOWN = "unknown", "Unknown"

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="stakeholders")
    external_id = models.CharField(max_length=64, blank=True, default="",
                                   help_text="Id in the source system (CRM, calendar export); unique when set.")
    name = models.CharField(max_length=255)
    email = models.EmailField(max_length=254, blank=True, default="")
    title = models.CharField(max_length=255, blank=True, default="")
    department = models.CharField(max_length=120, blank=True, default="")
    role = models.CharField(max_length=24, choices=Role.choices, default=Role.INFLUENCER)
    influence = models.PositiveSmallIntegerField(default=3, help_text="1 (little) to 5 (decisive).")
    sentiment = models.CharField(max_length=12, choices=Sentiment.choices, default=Sentiment.UNKNOWN)
    reports_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports")
    key_rank = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="1–5 for the account's five key stakeholders; empty for the others."
    )
    is_active = models.BooleanField(default=True, help_text="Off when the person has left the company.")
    left_at = models.DateField(null=True, blank=True)
    product_user = models.ForeignKey(
        ProductUser, null=True, blank=True, on_delete=models.SET_NULL, related_name="stakeholders",
        help_text="The product user with the same email, suggested automatically.",
    )
    last_contacted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_contacted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # last contact is recomputed from the interactions (their own record), so it is not repeated here
    history = HistoricalRecords(excluded_fields=["last_contacted_at", "last_contacted_by", "created_at", "updated_at"])

    class Meta:
        ordering = ["company_id", F("key_rank").asc(nulls_last=True), "name"]
        constraints = [
            models.CheckConstraint(condition=Q(influence__gte=1, influence__lte=5), name="stakeholder_influence_1_5"),
            models.CheckConstraint(
                condition=Q(key_rank__isnull=True) | Q(key_rank__gte=1, key_rank__lte=KEY_STAKEHOLDERS),
                name="stakeholder_key_rank_1_5",
            ),
            models.CheckConstraint(condition=~Q(reports_to=F("id")), name="stakeholder_not_own_manager"),
            models.UniqueConstraint(
                fields=["company", "key_rank"], condition=Q(key_rank__isnull=False), name="stakeholder_key_rank_unique"
            ),
            models.UniqueConstraint(
                fields=["external_id"], condition=~Q(external_id=""), name="stakeholder_external_id_unique"
            ),
            models.UniqueConstraint(
                "company", Lower("email"), condition=~Q(email=""), name="stakeholder_email_per_company_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["company", "key_rank"], name="stakeholder_company_rank"),
            models.Index(Lower("email"), name="stakeholder_email_lower"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"


class Interaction(models.Model):
    class Channel(models.TextChoices):
        MEETING = "meeting", "In-person meeting"
        VIDEO = "video", "Video call"
        PHONE = "phone", "Phone"
        EMAIL = "email", "Email"
        EVENT = "event", "Event"
        OTHER = "other", "Other"

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="interactions")
    external_id = models.CharField(max_length=64, blank=True, default="",
                                   help_text="Id in the source (calendar or email export); unique when set.")
    stakeholders = models.ManyToManyField(Stakeholder, through="InteractionParticipant", related_name="interactions")
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="interactions_logged"
    )
    channel = models.CharField(max_length=12, choices=Channel.choices, default=Channel.VIDEO)
    occurred_at = models.DateTimeField()
    summary = models.TextField(blank=True, default="")
    next_step = models.CharField(max_length=500, blank=True, default="")
    next_step_due = models.DateField(null=True, blank=True)
    next_step_done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"], condition=~Q(external_id=""), name="interaction_external_id_unique"
            ),
            models.CheckConstraint(
                condition=Q(next_step_due__isnull=True) | ~Q(next_step=""), name="interaction_due_needs_next_step"
            ),
        ]
        indexes = [
            models.Index(fields=["company", "-occurred_at"], name="interaction_company_recent"),
            # the API's and the activity lists' default order (newest first) without sorting millions of rows
            models.Index(fields=["-occurred_at", "-id"], name="interaction_recent"),
            models.Index(
                fields=["next_step_due"], condition=Q(next_step_due__isnull=False, next_step_done_at__isnull=True),
                name="interaction_open_next_steps",
            ),
            # A rep's open next steps ("next_step_open" with an owner or a company): ~3 % of the interactions,
            # found per account instead of reading the whole table.
            models.Index(
                fields=["company", "-occurred_at"], condition=Q(next_step_done_at__isnull=True) & ~Q(next_step=""),
                name="interaction_open_by_company",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} with {self.company} on {self.occurred_at:%Y-%m-%d}"


class InteractionParticipant(models.Model):
    """A stakeholder at an interaction. The name is kept so history survives deleting the stakeholder."""

    interaction = models.ForeignKey(Interaction, on_delete=models.CASCADE, related_name="participants")
    stakeholder = models.ForeignKey(
        Stakeholder, null=True, blank=True, on_delete=models.SET_NULL, related_name="participations"
    )
    stakeholder_name = models.CharField(max_length=255)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["interaction", "stakeholder"], name="participant_unique"),
        ]
        indexes = [models.Index(fields=["stakeholder", "interaction"], name="participant_stakeholder")]

    def __str__(self) -> str:
        return self.stakeholder_name


class ReviewSession(models.Model):
    """One team's weekly top-account review, with the figures it was held on."""

    class Ranking(models.TextChoices):
        POTENTIAL = "potential", "Potential ARR"
        ARR = "arr", "ARR"
        GAP = "gap", "Gap (potential − ARR)"

    class Status(models.TextChoices):
        OPEN = "open", "In progress"
        CLOSED = "closed", "Closed"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="review_sessions")
    week_start = models.DateField(help_text="Monday of the review week.")
    ranking = models.CharField(max_length=12, choices=Ranking.choices, default=Ranking.POTENTIAL)
    top_n = models.PositiveSmallIntegerField(default=25)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    notes = models.TextField(blank=True, default="")
    snapshot = models.JSONField(default=dict, blank=True,
                                help_text="The review rows and team summary as they stood when the session started.")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-week_start", "team_id"]
        constraints = [
            models.UniqueConstraint(fields=["team", "week_start"], name="review_session_one_per_team_week"),
            models.CheckConstraint(condition=Q(top_n__gte=1, top_n__lte=200), name="review_session_top_n_range"),
        ]

    def __str__(self) -> str:
        return f"{self.team} review, week of {self.week_start:%Y-%m-%d}"


class AccountReviewNote(models.Model):
    session = models.ForeignKey(ReviewSession, on_delete=models.CASCADE, related_name="account_notes")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="review_notes")
    notes = models.TextField(blank=True, default="")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "company"], name="review_note_one_per_account")]

    def __str__(self) -> str:
        return f"Notes on {self.company} ({self.session})"


class ActionItem(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        DROPPED = "dropped", "Dropped"

    session = models.ForeignKey(ReviewSession, on_delete=models.CASCADE, related_name="action_items")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="review_action_items")
    description = models.CharField(max_length=500)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="review_action_items"
    )
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="done", completed_at__isnull=False) | ~Q(status="done"),
                name="action_item_done_has_time",
            ),
        ]
        indexes = [models.Index(fields=["company", "status"], name="action_item_company_status")]

    def __str__(self) -> str:
        return self.description


class WeeklyDigest(models.Model):
    """One Monday's digest run: claimed once, so a retried or doubled beat never emails twice."""

    week_start = models.DateField(unique=True, help_text="Monday of the week the digest went out.")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    manager_emails = models.PositiveIntegerField(default=0)
    rep_emails = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-week_start"]

    def __str__(self) -> str:
        return f"Weekly digest of {self.week_start:%Y-%m-%d}"
