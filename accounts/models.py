from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

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
        indexes = [models.Index(Lower("name"), name="company_name_lower_idx")]

    def __str__(self) -> str:
        return self.name


class CompanyDomain(models.Model):
    """A registered domain (e.g. acme.co.uk) owned by a company; a company may own many."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253, unique=True)

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
    match_status = models.CharField(max_length=16, choices=Status.choices, blank=True, default="", db_index=True)
    match_reason = models.CharField(max_length=500, blank=True, default="")
    matched_at = models.DateTimeField(null=True, blank=True)
    matched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        abstract = True


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

    external_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=255)
    plan = models.CharField(max_length=64, blank=True, default="")
    seats = models.PositiveIntegerField(default=0)
    mrr = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(null=True, blank=True, help_text="When the workspace was created in the product.")
    company = models.ForeignKey(Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="workspaces")
    imported_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(mrr__gte=0), name="workspace_mrr_nonneg"),
            _confidence_check("workspace"),
        ]

    def __str__(self) -> str:
        return self.name


class ProductUser(MatchFields):
    """A person with a product login."""

    external_id = models.CharField(max_length=64, unique=True)
    email = models.EmailField(max_length=254, db_index=True)
    name = models.CharField(max_length=255, blank=True, default="")
    company_name = models.CharField(max_length=255, blank=True, default="", help_text="Self-reported at sign-up.")
    title = models.CharField(max_length=255, blank=True, default="")
    workspaces = models.ManyToManyField(Workspace, through="WorkspaceMembership", related_name="users")
    signed_up_at = models.DateTimeField(null=True, blank=True)
    last_active_at = models.DateTimeField(null=True, blank=True)
    company = models.ForeignKey(Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="product_users")
    imported_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["email"]
        constraints = [
            models.CheckConstraint(condition=Q(email=Lower("email")), name="product_user_email_lowercase"),
            _confidence_check("product_user"),
        ]

    def __str__(self) -> str:
        return self.email


class WorkspaceMembership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        MEMBER = "member", "Member"

    user = models.ForeignKey(ProductUser, on_delete=models.CASCADE, related_name="memberships")
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
