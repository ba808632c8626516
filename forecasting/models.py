"""Contracts, the expansion pipeline, consumption forecasts and weekly forecast snapshots.

Dates are calendar dates; a contract's ``end_date`` is its last day of service (inclusive), so a
contract from 15 June to 12 October runs 120 days. Money is Decimal throughout.
"""
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

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
            # the forecast roll-up cache's data version reads MAX(updated_at) off it
            models.Index(fields=["updated_at"], name="contract_updated_idx"),
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
            models.Index(fields=["updated_at"], name="opportunity_updated_idx"),  # the roll-up cache's version
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

    # No database foreign-key constraints: a run writes millions of rows with COPY, and PostgreSQL
    # would check both keys row by row at commit (about a minute for 3.6 million rows). The run
    # writes only ids it just read; deletes cascade through the ORM (forecast_runs_prune deletes
    # the points of old runs explicitly).
    run = models.ForeignKey(ForecastRun, on_delete=models.CASCADE, related_name="points", db_constraint=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="consumption_forecasts",
                                db_constraint=False)
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


# --- compensation -----------------------------------------------------------------------------
# Incentive plans, assignments, credit splits and the statements calculated from them.
# The rules live in forecasting/compensation/ (calculator: pure arithmetic; services: writes).

class CompPlan(models.Model):
    """An incentive plan: its period, effective dates, components, and an optional cap on the total."""

    class PeriodType(models.TextChoices):
        MONTH = "month", "Month"
        QUARTER = "quarter", "Quarter"
        YEAR = "year", "Year"

    class CreditScope(models.TextChoices):
        OWN = "own", "The rep's own deals and accounts"
        TEAM = "team", "Manager overlay: every deal and account of the team they manage"

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True, default="")
    period_type = models.CharField(max_length=8, choices=PeriodType.choices, default=PeriodType.QUARTER)
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True, help_text="Last day the plan applies; empty: open-ended.")
    credit_scope = models.CharField(max_length=8, choices=CreditScope.choices, default=CreditScope.OWN)
    cap_multiple = models.DecimalField(
        max_digits=6, decimal_places=3, null=True, blank=True,
        help_text="Plan cap: total component earnings at most this multiple of the target incentive (e.g. 2 = 2× target).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])

    class Meta:
        ordering = ["name"]
        verbose_name = "compensation plan"
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                name="comp_plan_dates_ordered",
            ),
            models.CheckConstraint(condition=Q(cap_multiple__isnull=True) | Q(cap_multiple__gt=0),
                                   name="comp_plan_cap_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class PlanComponent(models.Model):
    """One part of a plan: what is credited (measure), its weight, and how credit turns into money."""

    class Measure(models.TextChoices):
        COMMITTED_BOOKINGS = "committed_bookings", "Committed bookings"
        CONSUMPTION_REVENUE = "consumption_revenue", "Consumption revenue"
        NET_NEW_ARR = "net_new_arr", "Net new ARR"
        CONSUMPTION_GROWTH = "consumption_growth", "Consumption growth year over year"

    class Method(models.TextChoices):
        PAYOUT_CURVE = "payout_curve", "Payout curve on attainment"
        RATE_TABLE = "rate_table", "Rate table on the credited amount"

    class Mode(models.TextChoices):
        STEP = "step", "Step (each slice at its tier's rate)"
        FLAT = "flat", "Flat (the tier reached applies to the whole amount)"

    plan = models.ForeignKey(CompPlan, on_delete=models.CASCADE, related_name="components")
    name = models.CharField(max_length=120)
    measure = models.CharField(max_length=24, choices=Measure.choices)
    weight = models.DecimalField(max_digits=5, decimal_places=4, help_text="Share of the target incentive (0–1); "
                                 "the weights of a plan sum to 1.")
    method = models.CharField(max_length=16, choices=Method.choices, default=Method.PAYOUT_CURVE)
    mode = models.CharField(max_length=8, choices=Mode.choices, default=Mode.STEP)
    decelerator_threshold = models.DecimalField(
        max_digits=7, decimal_places=4, null=True, blank=True,
        help_text="Attainment (e.g. 0.5 = 50 %) below which what is earned is multiplied by the decelerator rate.",
    )
    decelerator_rate = models.DecimalField(max_digits=6, decimal_places=4, null=True, blank=True,
                                           help_text="Multiplier for earnings below the threshold, e.g. 0.5.")
    retroactive_unlock = models.BooleanField(
        default=False,
        help_text="Once attainment reaches the decelerator threshold, what was decelerated is paid in full.",
    )
    cap_multiple = models.DecimalField(
        max_digits=6, decimal_places=3, null=True, blank=True,
        help_text="Component cap: earnings at most this multiple of the component's target (target incentive × weight).",
    )
    position = models.PositiveSmallIntegerField(default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["plan_id", "position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(weight__gt=0, weight__lte=1), name="comp_component_weight_0_1"),
            models.CheckConstraint(condition=Q(cap_multiple__isnull=True) | Q(cap_multiple__gt=0),
                                   name="comp_component_cap_positive"),
            models.CheckConstraint(
                condition=(Q(decelerator_threshold__isnull=True) & Q(decelerator_rate__isnull=True))
                | (Q(decelerator_threshold__gt=0) & Q(decelerator_rate__gte=0) & Q(decelerator_rate__lt=1)),
                name="comp_component_decelerator_complete",
            ),
            models.UniqueConstraint(fields=["plan", "measure"], name="comp_component_one_per_measure"),
        ]

    def __str__(self) -> str:
        return f"{self.plan} · {self.name}"


class PlanTier(models.Model):
    """A band of a component's table: [lower, upper) → rate.

    Rate tables: bounds are credited amounts and the rate a fraction of money (0.02 = 2 %).
    Payout curves: bounds are attainment (1 = 100 %) and the rate a payout factor per unit of attainment.
    """

    component = models.ForeignKey(PlanComponent, on_delete=models.CASCADE, related_name="tiers")
    lower = models.DecimalField(max_digits=16, decimal_places=4)
    upper = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True,
                                help_text="Empty on the last tier: no upper bound.")
    rate = models.DecimalField(max_digits=10, decimal_places=6)

    history = HistoricalRecords()

    class Meta:
        ordering = ["component_id", "lower"]
        constraints = [
            models.CheckConstraint(condition=Q(lower__gte=0), name="comp_tier_lower_not_negative"),
            models.CheckConstraint(condition=Q(upper__isnull=True) | Q(upper__gt=F("lower")), name="comp_tier_ordered"),
            models.CheckConstraint(condition=Q(rate__gte=0), name="comp_tier_rate_not_negative"),
            models.UniqueConstraint(fields=["component", "lower"], name="comp_tier_unique_lower"),
        ]

    def __str__(self) -> str:
        return f"{self.lower}–{self.upper if self.upper is not None else '∞'}: {self.rate}"


class Assignment(models.Model):
    """A rep on a plan for one period, with the target incentive, quotas and draw."""

    class DrawType(models.TextChoices):
        NONE = "none", "No draw"
        RECOVERABLE = "recoverable", "Recoverable (repaid from later earnings above the draw)"
        NON_RECOVERABLE = "non_recoverable", "Non-recoverable (a guaranteed minimum)"

    rep = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comp_assignments")
    plan = models.ForeignKey(CompPlan, on_delete=models.PROTECT, related_name="assignments")
    period = models.CharField(max_length=7, help_text="2026-Q3, 2026-07 or 2026, matching the plan's period type.")
    period_start = models.DateField(editable=False)
    period_end = models.DateField(editable=False)
    target_incentive = models.DecimalField(max_digits=14, decimal_places=2,
                                           help_text="Variable pay at 100 % attainment for this period.")
    draw_type = models.CharField(max_length=16, choices=DrawType.choices, default=DrawType.NONE)
    draw_amount = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO,
                                      help_text="Draw paid for this period when earnings fall short of it.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])

    class Meta:
        ordering = ["-period_start", "rep_id"]
        constraints = [
            models.UniqueConstraint(fields=["rep", "period_start"], name="comp_assignment_one_plan_per_period",
                                    violation_error_message="This rep already has a plan for this period."),
            models.CheckConstraint(condition=Q(period_end__gte=F("period_start")), name="comp_assignment_period_ordered"),
            models.CheckConstraint(condition=Q(target_incentive__gt=0), name="comp_assignment_target_positive"),
            models.CheckConstraint(condition=Q(draw_amount__gte=0), name="comp_assignment_draw_not_negative"),
            models.CheckConstraint(condition=Q(draw_type="none", draw_amount=0) | ~Q(draw_type="none"),
                                   name="comp_assignment_draw_needs_type"),
        ]
        indexes = [models.Index(fields=["period_start", "period_end"], name="comp_assignment_period")]

    def __str__(self) -> str:
        return f"{self.rep} · {self.plan} · {self.period}"


class AssignmentQuota(models.Model):
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="quotas")
    component = models.ForeignKey(PlanComponent, on_delete=models.CASCADE, related_name="quotas")
    quota = models.DecimalField(max_digits=16, decimal_places=2)

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assignment", "component"], name="comp_quota_one_per_component"),
            models.CheckConstraint(condition=Q(quota__gt=0), name="comp_quota_positive",
                                   violation_error_message="A quota must be greater than zero."),
        ]

    def __str__(self) -> str:
        return f"{self.component.name}: {self.quota}"


class CreditSplit(models.Model):
    """Who is credited with a deal. Without split rows the owner gets 100 %; split rows must sum to 100 %.

    Overlay rows (e.g. a manager or a specialist) are credited on top and do not count towards the 100 %.
    """

    class Kind(models.TextChoices):
        SPLIT = "split", "Split"
        OVERLAY = "overlay", "Overlay"

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="credit_splits")
    rep = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="credit_splits")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.SPLIT)
    percent = models.DecimalField(max_digits=6, decimal_places=2, help_text="Share of the deal credited, in %.")

    class Meta:
        ordering = ["opportunity_id", "kind", "-percent"]
        constraints = [
            models.UniqueConstraint(fields=["opportunity", "rep", "kind"], name="comp_split_unique_rep"),
            models.CheckConstraint(condition=Q(percent__gt=0, percent__lte=100), name="comp_split_percent_0_100"),
        ]
        indexes = [models.Index(fields=["rep", "opportunity"], name="comp_split_rep")]

    def __str__(self) -> str:
        return f"{self.rep} {self.percent} % of {self.opportunity_id} ({self.kind})"


class DealCredit(Opportunity):
    """The opportunity seen from compensation: the admin edits its credit splits here."""

    class Meta:
        proxy = True
        verbose_name = "deal credit split"


class PeriodLock(models.Model):
    """A closed period: its statements were paid and never change again."""

    period = models.CharField(max_length=7, unique=True)
    period_start = models.DateField()
    period_end = models.DateField()
    locked_at = models.DateTimeField(auto_now_add=True)
    locked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")

    class Meta:
        ordering = ["-period_start"]

    def __str__(self) -> str:
        return f"{self.period} locked"


class Adjustment(models.Model):
    """A manual correction (a SPIFF, a payroll fix) paid in an open period's statement."""

    rep = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comp_adjustments")
    period = models.CharField(max_length=7, help_text="The open period whose statement pays it.")
    amount = models.DecimalField(max_digits=14, decimal_places=2, help_text="Negative to take money back.")
    reason = models.CharField(max_length=255)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="comp_adjustment_not_zero")]

    def __str__(self) -> str:
        return f"{self.rep} {self.period} {self.amount}"


class Statement(models.Model):
    """What one rep earned and is paid for one period. Locked statements are never recalculated."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        LOCKED = "locked", "Locked"

    rep = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comp_statements")
    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="statements")
    period = models.CharField(max_length=7)
    period_start = models.DateField()
    period_end = models.DateField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    target_incentive = models.DecimalField(max_digits=14, decimal_places=2)
    commission = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO,
                                     help_text="Component earnings after component and plan caps.")
    plan_cap_reduction = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    clawbacks = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    adjustments = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    earned = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO,
                                 help_text="Commission + clawbacks + adjustments.")
    draw_type = models.CharField(max_length=16, choices=Assignment.DrawType.choices, default=Assignment.DrawType.NONE)
    draw_amount = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    draw_topup = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO,
                                     help_text="Paid on top of earnings to reach the draw.")
    recovered = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO,
                                    help_text="Withheld from earnings to repay the balance carried in.")
    balance_start = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO,
                                        help_text="Owed by the rep from earlier periods (recoverable draws, clawbacks).")
    balance_end = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    payable = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    ytd_payable = models.DecimalField(max_digits=16, decimal_places=2, default=ZERO)
    ytd_earned = models.DecimalField(max_digits=16, decimal_places=2, default=ZERO)
    calculated_at = models.DateTimeField(null=True, blank=True)
    locked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-period_start", "rep_id"]
        constraints = [
            models.UniqueConstraint(fields=["rep", "period_start"], name="comp_statement_one_per_period"),
            models.CheckConstraint(condition=Q(payable__gte=0), name="comp_statement_payable_not_negative"),
            models.CheckConstraint(condition=Q(status="open") | Q(locked_at__isnull=False),
                                   name="comp_statement_locked_has_time"),
        ]
        indexes = [models.Index(fields=["period_start", "status"], name="comp_statement_period")]

    def __str__(self) -> str:
        return f"{self.rep} · {self.period}"


class StatementComponent(models.Model):
    """One component of a statement: credit, attainment, factor or tier breakdown, earnings."""

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="components")
    component = models.ForeignKey(PlanComponent, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=120)
    measure = models.CharField(max_length=24, choices=PlanComponent.Measure.choices)
    weight = models.DecimalField(max_digits=5, decimal_places=4)
    target = models.DecimalField(max_digits=14, decimal_places=2, help_text="Target incentive × weight.")
    quota = models.DecimalField(max_digits=16, decimal_places=2)
    credited = models.DecimalField(max_digits=16, decimal_places=2)
    attainment = models.DecimalField(max_digits=12, decimal_places=6)
    factor = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True,
                                 help_text="Payout factor (payout curves).")
    earnings_uncapped = models.DecimalField(max_digits=14, decimal_places=2)
    earnings = models.DecimalField(max_digits=14, decimal_places=2)
    breakdown = models.JSONField(default=list, help_text="Tier slices: lower, upper, rate, portion, result.")
    notes = models.JSONField(default=list)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["statement_id", "position"]

    def __str__(self) -> str:
        return f"{self.statement} · {self.name}"


class StatementLine(models.Model):
    """A line of a statement: a credited deal or account, a clawback, or an adjustment."""

    class Kind(models.TextChoices):
        DEAL = "deal", "Deal"
        ACCOUNT = "account", "Account consumption"
        CLAWBACK = "clawback", "Clawback"
        CORRECTION = "correction", "Correction of a locked period"
        ADJUSTMENT = "adjustment", "Manual adjustment"

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="lines")
    component = models.ForeignKey(StatementComponent, null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="lines")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    opportunity = models.ForeignKey(Opportunity, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    company = models.ForeignKey(Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    adjustment = models.ForeignKey(Adjustment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    source_period = models.CharField(max_length=7, blank=True, default="",
                                     help_text="Clawbacks and corrections: the locked period they correct.")
    description = models.CharField(max_length=255)
    on_date = models.DateField(null=True, blank=True)
    amount = models.DecimalField(max_digits=16, decimal_places=2, default=ZERO,
                                 help_text="Deal amount or account revenue before the split.")
    share = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True)
    credited = models.DecimalField(max_digits=16, decimal_places=2, default=ZERO)
    earnings = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)

    class Meta:
        ordering = ["statement_id", "kind", "-credited", "id"]
        indexes = [models.Index(fields=["opportunity", "kind"], name="comp_line_opportunity")]

    def __str__(self) -> str:
        return self.description
