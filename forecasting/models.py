"""Contracts, the expansion pipeline, consumption forecasts and weekly forecast snapshots.

Dates are calendar dates; a contract's ``end_date`` is its last day of service (inclusive), so a
contract from 15 June to 12 October runs 120 days. Money is Decimal throughout.
"""
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from accounts.models import Company

ZERO = Decimal("0")


class Contract(models.Model):
    class Kind(models.TextChoices):
        SUBSCRIPTION = "subscription", "Subscription"
        CONSUMPTION = "consumption", "Consumption (pay as you go)"
        COMMIT = "commit", "Commit (minimum spend drawn down by usage)"
        HYBRID = "hybrid", "Hybrid (subscription plus overage)"

    class Billing(models.TextChoices):
        PREPAID = "prepaid", "Prepaid"
        POSTPAID = "postpaid", "Postpaid with true-up at term end"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        EXPIRED = "expired", "Expired"
        CANCELLED = "cancelled", "Cancelled"

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="contracts")
    external_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=255, blank=True, default="")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    start_date = models.DateField()
    end_date = models.DateField(help_text="Last day of service (inclusive).")
    committed_amount = models.DecimalField(
        max_digits=16, decimal_places=2, default=ZERO,
        help_text="Subscription: the fee for the whole term. Commit: the minimum spend. Hybrid: the subscription "
                  "fee. Consumption: 0.",
    )
    billing = models.CharField(max_length=10, choices=Billing.choices, default=Billing.PREPAID,
                               help_text="Commit contracts: prepaid, or postpaid with a true-up at term end.")
    included_units = models.DecimalField(max_digits=20, decimal_places=4, null=True, blank=True,
                                         help_text="Hybrid: usage units included in the subscription over the term.")
    overage_price = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True,
                                        help_text="Price per unit above the included units (hybrid) or the commit.")
    rollover_fraction = models.DecimalField(
        max_digits=5, decimal_places=4, default=ZERO,
        help_text="Commit: share (0–1) of the unused balance carried into the renewal.",
    )
    renewal_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="renewals")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="contracts",
        help_text="The rep credited with the booking.",
    )
    booked_on = models.DateField(null=True, blank=True, help_text="When the contract was signed (booking date).")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["company_id", "-start_date"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="contract_dates_ordered"),
            models.CheckConstraint(condition=Q(committed_amount__gte=0), name="contract_committed_not_negative"),
            models.CheckConstraint(
                condition=Q(overage_price__isnull=True) | Q(overage_price__gte=0), name="contract_overage_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(included_units__isnull=True) | Q(included_units__gte=0), name="contract_included_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(rollover_fraction__gte=0, rollover_fraction__lte=1), name="contract_rollover_0_1"
            ),
        ]
        indexes = [
            models.Index(fields=["company", "start_date", "end_date"], name="contract_company_term"),
            models.Index(fields=["status", "end_date"], name="contract_status_end"),
        ]

    def __str__(self) -> str:
        return f"{self.external_id} ({self.get_kind_display()})"


class Opportunity(models.Model):
    class Type(models.TextChoices):
        LAND = "land", "Land / new logo"
        EXPANSION = "expansion", "Expansion"
        CROSS_SELL = "cross_sell", "Cross-sell"
        RENEWAL = "renewal", "Renewal"

    class Stage(models.TextChoices):
        QUALIFY = "qualify", "Qualify"
        DISCOVERY = "discovery", "Discovery"
        SOLUTION = "solution", "Solution / proof of value"
        PROPOSAL = "proposal", "Proposal"
        NEGOTIATION = "negotiation", "Negotiation"
        CLOSED_WON = "closed_won", "Closed won"
        CLOSED_LOST = "closed_lost", "Closed lost"

    class Category(models.TextChoices):
        PIPELINE = "pipeline", "Pipeline"
        BEST_CASE = "best_case", "Best case"
        COMMIT = "commit", "Commit"
        CLOSED_WON = "closed_won", "Closed won"
        CLOSED_LOST = "closed_lost", "Closed lost"
        OMITTED = "omitted", "Omitted"

    class UseCase(models.TextChoices):
        NEW_TEAM = "new_team", "New team or department"
        NEW_PRODUCT = "new_product", "New product line"
        CONSOLIDATION = "consolidation", "Workspace consolidation"
        MIGRATION = "migration", "Migration from a competitor"
        PLATFORM = "platform", "Platform / API"
        OTHER = "other", "Other"

    # stage → (default probability, default forecast category)
    STAGE_DEFAULTS = {
        Stage.QUALIFY: (Decimal("0.10"), Category.PIPELINE),
        Stage.DISCOVERY: (Decimal("0.20"), Category.PIPELINE),
        Stage.SOLUTION: (Decimal("0.40"), Category.PIPELINE),
        Stage.PROPOSAL: (Decimal("0.60"), Category.BEST_CASE),
        Stage.NEGOTIATION: (Decimal("0.80"), Category.COMMIT),
        Stage.CLOSED_WON: (Decimal("1.00"), Category.CLOSED_WON),
        Stage.CLOSED_LOST: (Decimal("0.00"), Category.CLOSED_LOST),
    }

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="opportunities")
    external_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=255)
    type = models.CharField(max_length=12, choices=Type.choices, default=Type.EXPANSION)
    use_case = models.CharField(max_length=500, blank=True, default="")
    use_case_category = models.CharField(max_length=16, choices=UseCase.choices, blank=True, default="")
    amount = models.DecimalField(max_digits=16, decimal_places=2, help_text="Annual contract value of the deal.")
    close_date = models.DateField()
    stage = models.CharField(max_length=12, choices=Stage.choices, default=Stage.QUALIFY)
    probability = models.DecimalField(max_digits=5, decimal_places=4,
                                      help_text="0–1; the stage's default unless set explicitly.")
    forecast_category = models.CharField(max_length=12, choices=Category.choices)
    category_overridden = models.BooleanField(
        default=False, help_text="The owner chose the category; stage changes no longer move it."
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="opportunities"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["close_date", "id"]
        verbose_name_plural = "opportunities"
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="opportunity_amount_not_negative"),
            models.CheckConstraint(condition=Q(probability__gte=0, probability__lte=1), name="opportunity_probability_0_1"),
        ]
        indexes = [
            models.Index(fields=["company", "close_date"], name="opportunity_company_close"),
            models.Index(fields=["owner", "close_date"], name="opportunity_owner_close"),
        ]

    def __str__(self) -> str:
        return self.name


class ForecastRun(models.Model):
    """One run of the consumption forecast over every company with usage."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    as_of = models.DateField(help_text="First month forecast (the month after the last complete month of history).")
    horizon_months = models.PositiveSmallIntegerField(default=36)
    companies = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(null=True, blank=True)
    message = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Forecast run {self.pk} ({self.status})"


class ConsumptionForecast(models.Model):
    """The forecast consumption revenue of one company in one future month, with its 80 % interval."""

    run = models.ForeignKey(ForecastRun, on_delete=models.CASCADE, related_name="points")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="consumption_forecasts")
    period = models.DateField(help_text="First day of the month.")
    value = models.DecimalField(max_digits=16, decimal_places=2)
    low = models.DecimalField(max_digits=16, decimal_places=2)
    high = models.DecimalField(max_digits=16, decimal_places=2)
    method = models.CharField(max_length=32, help_text="Model used for this company, e.g. damped trend, seasonal, "
                                                       "intermittent, run-rate (short history).")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "company", "period"], name="consumption_forecast_unique"),
            models.CheckConstraint(condition=Q(low__lte=F("value"), value__lte=F("high")), name="forecast_interval_ordered"),
        ]
        indexes = [models.Index(fields=["company", "period"], name="forecast_company_period")]

    def __str__(self) -> str:
        return f"{self.company_id} {self.period:%Y-%m}: {self.value}"


class ForecastSnapshot(models.Model):
    """The forecast as it stood in one week, per scope and horizon, to compare with actuals later."""

    class Scope(models.TextChoices):
        TOTAL = "total", "Total"
        TEAM = "team", "Team"
        REP = "rep", "Rep"

    class Horizon(models.TextChoices):
        QUARTER = "quarter", "Current quarter"
        YEAR = "12m", "Next 12 months"
        THREE_YEARS = "36m", "Next 36 months"

    week_start = models.DateField(help_text="Monday of the week the snapshot was taken.")
    scope = models.CharField(max_length=8, choices=Scope.choices)
    scope_id = models.PositiveBigIntegerField(default=0, help_text="Team or user id; 0 for the total.")
    horizon = models.CharField(max_length=8, choices=Horizon.choices)
    period_start = models.DateField()
    period_end = models.DateField()
    committed = models.DecimalField(max_digits=18, decimal_places=2, default=ZERO)
    consumption = models.DecimalField(max_digits=18, decimal_places=2, default=ZERO)
    consumption_low = models.DecimalField(max_digits=18, decimal_places=2, default=ZERO)
    consumption_high = models.DecimalField(max_digits=18, decimal_places=2, default=ZERO)
    pipeline_weighted = models.DecimalField(max_digits=18, decimal_places=2, default=ZERO)
    category_commit = models.DecimalField(max_digits=18, decimal_places=2, default=ZERO)
    category_best_case = models.DecimalField(max_digits=18, decimal_places=2, default=ZERO)
    category_pipeline = models.DecimalField(max_digits=18, decimal_places=2, default=ZERO)
    taken_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-week_start", "scope", "scope_id", "horizon"]
        constraints = [
            models.UniqueConstraint(fields=["week_start", "scope", "scope_id", "horizon"], name="forecast_snapshot_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_scope_display()} {self.scope_id} {self.horizon} week of {self.week_start}"
