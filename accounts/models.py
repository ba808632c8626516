from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from simple_history.models import HistoricalRecords

ZERO = Decimal("0")


class Team(models.Model):
    """A sales team: a manager and the reps who report to them."""

    name = models.CharField(max_length=120, unique=True)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="managed_teams"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Profile(models.Model):
    """What revops knows about a login beyond Django's user: team and time zone."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members")
    time_zone = models.CharField(max_length=64, default="UTC")

    def __str__(self) -> str:
        return f"{self.user} ({self.team or 'no team'})"


class Company(models.Model):
    """A customer enterprise as the CRM knows it, possibly part of a hierarchy."""

    class Tier(models.TextChoices):
        ENTERPRISE = "enterprise", "Enterprise"
        MID_MARKET = "mid_market", "Mid-market"
        SMB = "smb", "SMB"
        UNTIERED = "", "Untiered"

    external_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=255, db_index=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children")
    industry = models.CharField(max_length=120, blank=True, default="")
    employee_count = models.PositiveIntegerField(null=True, blank=True)
    annual_revenue = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    potential_arr = models.DecimalField(
        "potential ARR",
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Estimated total the customer could spend with us per year.",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_companies"
    )
    tier = models.CharField(max_length=16, choices=Tier.choices, blank=True, default=Tier.UNTIERED)
    country = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Who changed what and when (revops.history); roll-ups and imports write in bulk and are not recorded.
    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "companies"
        constraints = [
            models.CheckConstraint(condition=~Q(parent=F("id")), name="company_not_own_parent"),
            models.CheckConstraint(
                condition=Q(annual_revenue__isnull=True) | Q(annual_revenue__gte=0), name="company_revenue_nonneg"
            ),
            models.CheckConstraint(
                condition=Q(potential_arr__isnull=True) | Q(potential_arr__gte=0), name="company_potential_nonneg"
            ),
        ]
        indexes = [
            models.Index(Lower("name"), name="company_name_lower_idx"),
            # the account list's country and industry dropdowns hop through these (one probe per value)
            models.Index(fields=["country"], name="company_country_idx"),
            models.Index(fields=["industry"], name="company_industry_idx"),
            models.Index(fields=["updated_at"], name="company_updated_idx"),  # the forecast cache's data version
            # the tier filter (list page and API): its count is an index-only scan, its page a walk in order
            models.Index(fields=["tier", "name", "id"], name="company_tier_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class CompanyFigures(models.Model):
    """A company's own workspaces (not rolled up) summed up: Σ mrr, Σ seats and how many.

    Written only by the database's triggers on the workspaces table (accounts/services/figures.py),
    never by Django; a company without a row has none. A table of its own: its rows are narrow, so the
    triggers' updates are cheap, where a company row carries a dozen indexes.
    """

    # No foreign-key constraint and nothing for Django to cascade: a trigger removes the row of a deleted
    # company once the company row is gone (after Django has released its workspaces).
    company = models.OneToOneField(Company, primary_key=True, on_delete=models.DO_NOTHING, db_constraint=False,
                                   related_name="figures")
    mrr = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    seats = models.BigIntegerField(default=0)
    workspaces = models.IntegerField(default=0)

    class Meta:
        verbose_name_plural = "company figures"
        # the account list sorted by ARR, biggest first: walked in order instead of sorting every company
        # (accounts.selectors.company_ids_by_arr)
        indexes = [models.Index(fields=["-mrr", "company"], name="company_figures_mrr_idx")]

    def __str__(self) -> str:
        return f"{self.company_id}: {self.workspaces} workspaces, MRR {self.mrr}"


class CompanyDomain(models.Model):
    """A registered domain (e.g. acme.co.uk) owned by a company; a company may own many."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253, unique=True)
    # Lets an incremental resolution run find users whose domain became known since the last run.
    created_at = models.DateTimeField(auto_now_add=True, null=True)

    history = HistoricalRecords(excluded_fields=["created_at"])

    class Meta:
        ordering = ["domain"]
        constraints = [
            models.CheckConstraint(condition=Q(domain=Lower("domain")), name="domain_lowercase"),
            models.CheckConstraint(condition=~Q(domain=""), name="domain_not_empty"),
        ]

    def __str__(self) -> str:
        return self.domain


class MatchFields(models.Model):
    """How a product record was tied to a company: filled by account resolution."""

    class Method(models.TextChoices):
        NONE = "", "—"
        DOMAIN = "domain", "Email domain"
        NAME = "name", "Company name"
        WORKSPACE = "workspace", "Workspace"
        COLLEAGUES = "colleagues", "Colleagues"
        MEMBERS = "members", "Members"
        MANUAL = "manual", "Manual"

    class Status(models.TextChoices):
        UNRESOLVED = "", "Not yet resolved"
        AUTO = "auto", "Auto-accepted"
        REVIEW = "review", "In review"
        CONFIRMED = "confirmed", "Confirmed"
        REJECTED = "rejected", "Rejected"
        UNMATCHED = "unmatched", "Unmatched"

    match_method = models.CharField(max_length=16, choices=Method.choices, blank=True, default="")
    match_confidence = models.FloatField(null=True, blank=True)
    # Indexed only where it is selective (the review queue): see each model's Meta.
    match_status = models.CharField(max_length=16, choices=Status.choices, blank=True, default="")
    match_reason = models.CharField(max_length=500, blank=True, default="")
    matched_at = models.DateTimeField(null=True, blank=True)
    matched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    # The company a "review" decision proposes; `company` is set only for auto, confirmed and manual.
    suggested_company = models.ForeignKey(
        "accounts.Company", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )

    class Meta:
        abstract = True


def _review_queue_index(prefix: str) -> models.Index:
    return models.Index(fields=["match_status"], condition=Q(match_status="review"), name=f"{prefix}_review_idx")


# What an incremental resolution run looks up instead of scanning the table (runs.incremental_scope):
# records changed since the last run, records never resolved or whose (suggested) company is gone,
# and decisions of people (few). The partial indexes hold a handful of rows between runs.
UNSETTLED_Q = (
    Q(match_status="")
    | Q(match_status="auto", company__isnull=True)
    | Q(match_status="review", suggested_company__isnull=True)
)
# (equalities, not IN: an index taken off and put back by the bulk import keeps the same definition)
DECIDED_Q = Q(match_status="confirmed") | Q(match_status="rejected") | Q(match_method="manual")


def _incremental_indexes(prefix: str) -> list[models.Index]:
    return [
        models.Index(fields=["updated_at"], name=f"{prefix}_updated_idx"),
        models.Index(fields=["id"], condition=UNSETTLED_Q, name=f"{prefix}_unsettled_idx"),
        # on id, not matched_at: an index on a column every resolution write sets would rule out
        # HOT updates for all of them
        models.Index(fields=["id"], condition=DECIDED_Q, name=f"{prefix}_decided_idx"),
    ]


def _confidence_check(prefix: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(match_confidence__isnull=True) | Q(match_confidence__gte=0, match_confidence__lte=1),
        name=f"{prefix}_confidence_0_1",
    )


class Workspace(MatchFields):
    """One self-serve product organisation; several may exist inside one company."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        TRIAL = "trial", "Trial"
        SUSPENDED = "suspended", "Suspended"
        CHURNED = "churned", "Churned"

    external_id = models.CharField(max_length=64)
    name = models.CharField(max_length=255)
    plan = models.CharField(max_length=64, blank=True, default="")
    seats = models.PositiveIntegerField(default=0)
    mrr = models.DecimalField("MRR", max_digits=12, decimal_places=2, default=ZERO)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(null=True, blank=True, help_text="When the workspace was created in the product.")
    company = models.ForeignKey(Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="workspaces")
    imported_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Match decisions of people (review queue, admin, API); resolution runs write in bulk and record
    # themselves as a ResolutionRun instead of a row per record.
    history = HistoricalRecords(excluded_fields=["created_at", "imported_at", "updated_at"])

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["external_id"], name="workspace_external_id_unique"),
            models.CheckConstraint(condition=Q(mrr__gte=0), name="workspace_mrr_nonneg"),
            _confidence_check("workspace"),
        ]
        indexes = [_review_queue_index("workspace"), *_incremental_indexes("workspace")]

    def __str__(self) -> str:
        return self.name


class ProductUser(MatchFields):
    """A person with a product login."""

    external_id = models.CharField(max_length=64)
    email = models.EmailField(max_length=254)
    name = models.CharField(max_length=255, blank=True, default="")
    company_name = models.CharField(max_length=255, blank=True, default="", help_text="Self-reported at sign-up.")
    title = models.CharField(max_length=255, blank=True, default="")
    workspaces = models.ManyToManyField(Workspace, through="WorkspaceMembership", related_name="users")
    signed_up_at = models.DateTimeField(null=True, blank=True)
    last_active_at = models.DateTimeField(null=True, blank=True)
    company = models.ForeignKey(Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="product_users")
    imported_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["title", "signed_up_at", "last_active_at", "imported_at", "updated_at"])

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(fields=["external_id"], name="product_user_external_id_unique"),
            models.CheckConstraint(condition=Q(email=Lower("email")), name="product_user_email_lowercase"),
            _confidence_check("product_user"),
        ]
        # Plain B-tree indexes only: a million-row import pays for every index on this table.
        indexes = [
            models.Index(fields=["email"], name="product_user_email_idx"),
            _review_queue_index("product_user"),
            *_incremental_indexes("product_user"),
        ]

    def __str__(self) -> str:
        return self.email


class WorkspaceMembership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        MEMBER = "member", "Member"

    # No index of its own: the (user, workspace) unique index serves lookups by user.
    user = models.ForeignKey(ProductUser, on_delete=models.CASCADE, related_name="memberships", db_index=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "workspace"], name="membership_unique")]


class UsageRecord(models.Model):
    """Usage of one metric in one calendar month, for a workspace or (unattributed) a company."""

    workspace = models.ForeignKey(
        Workspace, null=True, blank=True, on_delete=models.CASCADE, related_name="usage_records"
    )
    company = models.ForeignKey(Company, null=True, blank=True, on_delete=models.CASCADE, related_name="usage_records")
    period = models.DateField(help_text="First day of the month.")
    metric = models.CharField(max_length=64)
    quantity = models.DecimalField(max_digits=20, decimal_places=4, default=ZERO)
    amount = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)

    class Meta:
        ordering = ["period"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(workspace__isnull=False) & Q(company__isnull=True))
                | (Q(workspace__isnull=True) & Q(company__isnull=False)),
                name="usage_one_target",
            ),
            models.CheckConstraint(condition=Q(period__day=1), name="usage_period_month_start"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="usage_quantity_nonneg"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="usage_amount_nonneg"),
            models.UniqueConstraint(
                fields=["workspace", "period", "metric"],
                condition=Q(workspace__isnull=False),
                name="usage_unique_workspace_period_metric",
            ),
            models.UniqueConstraint(
                fields=["company", "period", "metric"],
                condition=Q(company__isnull=False),
                name="usage_unique_company_period_metric",
            ),
        ]
        indexes = [models.Index(fields=["period"], name="usage_period_idx")]

    def __str__(self) -> str:
        target = self.workspace_id and f"workspace {self.workspace_id}" or f"company {self.company_id}"
        return f"{self.metric} {self.period:%Y-%m} ({target})"


class ImportJob(models.Model):
    """A CSV import started from the web UI and processed by a background task."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        DONE_WITH_ERRORS = "done_with_errors", "Done with row errors"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=32)
    preset = models.CharField(max_length=16, default="native")
    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=255)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED, db_index=True)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="[{line, message}] for each rejected row.")
    message = models.CharField(max_length=500, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="import_jobs"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} import of {self.original_name}"

    @property
    def progress_percent(self) -> int:
        if self.status in {self.Status.DONE, self.Status.DONE_WITH_ERRORS, self.Status.FAILED}:
            return 100
        if not self.total_rows:
            return 0
        return min(100, int(100 * self.processed_rows / self.total_rows))

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.DONE_WITH_ERRORS, self.Status.FAILED}


class ResolutionSettings(models.Model):
    """Admin-editable thresholds for account resolution and account signals. One row (pk=1)."""

    auto_threshold = models.FloatField(
        default=0.90, help_text="Confidence at or above which a match is accepted without review (0–1)."
    )
    review_threshold = models.FloatField(
        default=0.60, help_text="Confidence at or above which a match goes to the review queue; below: no match."
    )
    ambiguity_margin = models.FloatField(
        default=0.08, help_text="If the runner-up company is this close to the best one, the match goes to review."
    )
    colleague_factor = models.FloatField(
        default=0.85,
        help_text="Confidence of a match inferred from colleagues in the same workspace, relative to theirs.",
    )
    small_deal_penetration = models.DecimalField(
        max_digits=5, decimal_places=4, default=Decimal("0.1000"),
        help_text="'Small deal at a big company': penetration (ARR ÷ potential) below this share…",
    )
    small_deal_min_potential = models.DecimalField(
        max_digits=14, decimal_places=2, default=Decimal("100000.00"), help_text="…and potential ARR at least this."
    )
    consolidation_percentile = models.PositiveSmallIntegerField(
        default=90, help_text="'More than typical' workspaces: above this percentile of the company's size band."
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = verbose_name_plural = "resolution settings"
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="resolution_settings_singleton"),
            models.CheckConstraint(
                condition=Q(review_threshold__gte=0, auto_threshold__lte=1, review_threshold__lt=F("auto_threshold")),
                name="resolution_thresholds_ordered",
            ),
            models.CheckConstraint(
                condition=Q(ambiguity_margin__gte=0, ambiguity_margin__lte=1), name="resolution_margin_0_1"
            ),
            models.CheckConstraint(
                condition=Q(colleague_factor__gt=0, colleague_factor__lte=1), name="resolution_colleague_factor_0_1"
            ),
            models.CheckConstraint(
                condition=Q(consolidation_percentile__gte=1, consolidation_percentile__lte=99),
                name="resolution_percentile_1_99",
            ),
        ]

    def __str__(self) -> str:
        return "Resolution settings"

    @classmethod
    def load(cls) -> "ResolutionSettings":
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj


class EmailDomainRule(models.Model):
    """An admin's word on an email domain, overriding the packaged free-mail/disposable lists."""

    class Kind(models.TextChoices):
        FREE = "free", "Free-mail (never resolve by domain)"
        DISPOSABLE = "disposable", "Disposable (never resolve by domain)"
        CORPORATE = "corporate", "Corporate (resolve by domain even if a list says free-mail)"

    domain = models.CharField(max_length=253, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    note = models.CharField(max_length=255, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["domain"]
        constraints = [models.CheckConstraint(condition=Q(domain=Lower("domain")), name="domain_rule_lowercase")]

    def __str__(self) -> str:
        return f"{self.domain} ({self.get_kind_display()})"


class ResolutionRun(models.Model):
    """One run of account resolution: full or incremental, possibly split into chunks."""

    class Mode(models.TextChoices):
        FULL = "full", "Full"
        INCREMENTAL = "incremental", "Incremental"

    class Trigger(models.TextChoices):
        MANUAL = "manual", "Manual"
        SCHEDULE = "schedule", "Schedule"
        IMPORT = "import", "After an import"
        EVENT = "event", "Product event"
        COMMAND = "command", "Command line"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    mode = models.CharField(max_length=16, choices=Mode.choices)
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.MANUAL)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    total_chunks = models.PositiveIntegerField(default=0)
    done_chunks = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(done_chunks__lte=F("total_chunks")), name="run_chunks_le")]

    def __str__(self) -> str:
        return f"{self.get_mode_display()} resolution run {self.pk} ({self.status})"


class EventSource(models.Model):
    """A product that posts Segment-style events to /api/v1/events/, signing them with its secret."""

    name = models.CharField(max_length=120, unique=True)
    key = models.SlugField(max_length=64, unique=True, help_text="Sent in the X-Revops-Source header.")
    secret = models.CharField(max_length=128, help_text="Shared HMAC-SHA256 secret; sign the raw request body.")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_event_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.CheckConstraint(condition=~Q(secret=""), name="event_source_secret_set")]

    def __str__(self) -> str:
        return self.name


class PricePlan(models.Model):
    """A plan of the price book: what a seat costs per month at list price."""

    code = models.CharField(max_length=64, unique=True, help_text="Matches Workspace.plan (case-insensitive).")
    name = models.CharField(max_length=120)
    list_price_per_seat = models.DecimalField(max_digits=10, decimal_places=2, help_text="Per seat per month.")
    is_enterprise = models.BooleanField(
        default=False, help_text="The plan a consolidated enterprise agreement is priced on (one plan)."
    )

    class Meta:
        ordering = ["list_price_per_seat", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(list_price_per_seat__gte=0), name="price_plan_price_nonneg"),
            models.CheckConstraint(condition=Q(code=Lower("code")), name="price_plan_code_lowercase"),
            models.UniqueConstraint(fields=["is_enterprise"], condition=Q(is_enterprise=True), name="one_enterprise_plan"),
        ]

    def __str__(self) -> str:
        return self.name


class PriceTier(models.Model):
    """Volume pricing: from `min_seats` seats on, every seat of the agreement costs `price_per_seat`."""

    plan = models.ForeignKey(PricePlan, on_delete=models.CASCADE, related_name="tiers")
    min_seats = models.PositiveIntegerField()
    price_per_seat = models.DecimalField(max_digits=10, decimal_places=2, help_text="Per seat per month.")

    class Meta:
        ordering = ["plan", "min_seats"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "min_seats"], name="price_tier_unique_start"),
            models.CheckConstraint(condition=Q(price_per_seat__gte=0), name="price_tier_price_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.plan}: from {self.min_seats} seats at {self.price_per_seat}"
