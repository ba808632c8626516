"""Admin of compensation: plans (components inline, tiers on each component), assignments (quotas inline),
deal credit splits, adjustments, period locks, and read-only statements.

Validation lives in services.py; the forms here call it and put each error on the field at fault.
"""
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.html import format_html
from revops.history_admin import HistoryAdmin

from forecasting.compensation import calculator as calc
from forecasting.compensation import services
from forecasting.compensation.periods import period_parse
from forecasting.models import (
    Adjustment,
    Assignment,
    AssignmentQuota,
    CompPlan,
    CreditSplit,
    DealCredit,
    PeriodLock,
    PlanComponent,
    PlanTier,
    Statement,
    StatementComponent,
    StatementLine,
)
from revops.errors import ApplicationError


def _live(formset) -> list:
    return [f for f in formset.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]


# --- plans --------------------------------------------------------------------------------------

class ComponentFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        live = _live(self)
        total = sum((f.cleaned_data.get("weight") or Decimal(0) for f in live), Decimal(0))
        if not live:
            raise ValidationError("A plan needs at least one component.")
        if total != 1:
            message = f"The weights of a plan must sum to 1 (100 %); these sum to {total.normalize():f}."
            for form in live:
                form.add_error("weight", message)
            raise ValidationError(f"weight: {message}")
        measures = [f.cleaned_data["measure"] for f in live]
        for form in live:
            if measures.count(form.cleaned_data["measure"]) > 1:
                form.add_error("measure", "A plan credits each measure once.")


class PlanComponentInline(admin.TabularInline):
    model = PlanComponent
    formset = ComponentFormSet
    extra = 0
    min_num = 1
    show_change_link = True
    fields = ("position", "name", "measure", "weight", "method", "mode", "cap_multiple", "decelerator_threshold",
              "decelerator_rate", "retroactive_unlock")


@admin.register(CompPlan)
class CompPlanAdmin(HistoryAdmin):
    list_display = ("name", "period_type", "effective_from", "effective_to", "credit_scope", "cap_multiple",
                    "component_summary")
    list_filter = ("period_type", "credit_scope")
    search_fields = ("name",)
    inlines = [PlanComponentInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("components")

    @admin.display(description="Components")
    def component_summary(self, plan):
        return " · ".join(f"{c.name} {c.weight * 100:.0f}%" for c in plan.components.all()) or "—"


class TierFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        live = _live(self)
        tiers = [calc.Tier(f.cleaned_data["lower"], f.cleaned_data.get("upper"), f.cleaned_data["rate"]) for f in live]
        problems = calc.tiers_problems(tiers)
        if problems:
            for form in live:
                form.add_error("lower", "Check the bounds: tiers must be contiguous without overlaps or gaps.")
            raise ValidationError([f"tiers: {p}" for p in problems])


class PlanTierInline(admin.TabularInline):
    model = PlanTier
    formset = TierFormSet
    extra = 0
    min_num = 1
    fields = ("lower", "upper", "rate")


class PlanComponentForm(forms.ModelForm):
    class Meta:
        model = PlanComponent
        fields = "__all__"

    def clean(self):
        data = super().clean()
        if (data.get("decelerator_threshold") is None) != (data.get("decelerator_rate") is None):
            self.add_error("decelerator_rate", "A decelerator needs both a threshold and a rate.")
        return data


@admin.register(PlanComponent)
class PlanComponentAdmin(HistoryAdmin):
    form = PlanComponentForm
    list_display = ("name", "plan", "measure", "weight", "method", "mode", "cap_multiple")
    list_filter = ("measure", "method", "mode")
    list_select_related = ("plan",)
    search_fields = ("name", "plan__name")
    inlines = [PlanTierInline]
    readonly_fields = ("plan",)

    def has_add_permission(self, request):
        return False  # components are added on their plan, where the weights are checked together


# --- assignments --------------------------------------------------------------------------------

class AssignmentForm(forms.ModelForm):
    class Meta:
        model = Assignment
        fields = ("rep", "plan", "period", "target_incentive", "draw_type", "draw_amount")

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        period = services.assignment_validate(
            rep=data["rep"], plan=data["plan"], period=data["period"], target_incentive=data["target_incentive"],
            draw_type=data["draw_type"], draw_amount=data["draw_amount"], quotas=None, exclude_pk=self.instance.pk)
        data["period"] = period.key
        self.instance.period_start, self.instance.period_end = period.start, period.end
        return data


class QuotaForm(forms.ModelForm):
    class Meta:
        model = AssignmentQuota
        fields = ("component", "quota")

    def clean_quota(self):
        quota = self.cleaned_data["quota"]
        if quota is not None and quota <= 0:
            raise ValidationError("A quota must be greater than zero.")
        return quota


class QuotaFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        plan = getattr(self.instance, "plan", None) if self.instance.plan_id else None
        if plan is None:
            return
        live = _live(self)
        given = {f.cleaned_data["component"].pk for f in live}
        for form in live:
            if form.cleaned_data["component"].plan_id != plan.pk:
                form.add_error("component", f"Not a component of {plan.name}.")
        missing = [c.name for c in plan.components.all() if c.pk not in given]
        if missing:
            raise ValidationError(f"quota: enter a quota for {', '.join(missing)}.")


class AssignmentQuotaInline(admin.TabularInline):
    model = AssignmentQuota
    form = QuotaForm
    formset = QuotaFormSet
    extra = 2
    autocomplete_fields = ("component",)


@admin.register(Assignment)
class AssignmentAdmin(HistoryAdmin):
    form = AssignmentForm
    list_display = ("rep", "plan", "period", "target_incentive", "draw_type", "draw_amount")
    list_filter = ("period", "plan", "draw_type")
    list_select_related = ("rep", "plan")
    search_fields = ("rep__username", "rep__first_name", "rep__last_name", "plan__name", "period")
    autocomplete_fields = ("rep", "plan")
    inlines = [AssignmentQuotaInline]

    def delete_model(self, request, obj):
        try:
            services.assignment_delete(assignment=obj)
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)

    def delete_queryset(self, request, queryset):
        for assignment in queryset:
            self.delete_model(request, assignment)


# --- credit splits ------------------------------------------------------------------------------

class SplitFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        live = _live(self)
        try:
            services.splits_validate([(f.cleaned_data["rep"].pk, f.cleaned_data["kind"], f.cleaned_data["percent"])
                                      for f in live])
        except ValidationError as exc:
            for message in exc.message_dict.get("percent", []):
                for form in live:
                    if form.cleaned_data["kind"] == CreditSplit.Kind.SPLIT:
                        form.add_error("percent", message)
                raise ValidationError(f"percent: {message}") from exc
            raise ValidationError(exc.messages) from exc


class CreditSplitInline(admin.TabularInline):
    model = CreditSplit
    formset = SplitFormSet
    extra = 2
    autocomplete_fields = ("rep",)
    fields = ("rep", "kind", "percent")


@admin.register(DealCredit)
class DealCreditAdmin(admin.ModelAdmin):
    """Who is credited with each deal: split shares summing to 100 %, plus overlays."""

    list_display = ("name", "company", "owner", "amount", "stage", "close_date", "split_summary")
    list_filter = ("stage",)
    list_select_related = ("company", "owner")
    search_fields = ("name", "external_id", "company__name")
    fields = ("name", "company", "owner", "amount", "stage", "close_date")
    readonly_fields = fields
    inlines = [CreditSplitInline]
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("credit_splits__rep")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Credit")
    def split_summary(self, deal):
        rows = list(deal.credit_splits.all())
        if not rows:
            return "Owner 100 %"
        return ", ".join(f"{r.rep.get_username()} {r.percent.normalize():f} %{' overlay' if r.kind == 'overlay' else ''}"
                         for r in rows)


# --- adjustments and locks ----------------------------------------------------------------------

class AdjustmentForm(forms.ModelForm):
    class Meta:
        model = Adjustment
        fields = ("rep", "period", "amount", "reason")

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            p = period_parse(data["period"])
        except ApplicationError as exc:
            raise ValidationError({"period": exc.message}) from exc
        data["period"] = p.key
        if PeriodLock.objects.filter(period=p.key).exists():
            self.add_error("period", f"{p.key} is locked; put the adjustment in the next open period.")
        elif not Assignment.objects.filter(rep=data["rep"], period=p.key).exists():
            self.add_error("period", f"This rep has no plan for {p.key}.")
        if data.get("amount") == 0:
            self.add_error("amount", "Enter a non-zero amount.")
        return data


@admin.register(Adjustment)
class AdjustmentAdmin(admin.ModelAdmin):
    form = AdjustmentForm
    list_display = ("rep", "period", "amount", "reason", "created_by", "created_at")
    list_filter = ("period",)
    list_select_related = ("rep", "created_by")
    search_fields = ("rep__username", "reason")
    autocomplete_fields = ("rep",)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        transaction.on_commit(lambda: _recalculate(obj.period))

    def has_change_permission(self, request, obj=None):
        return obj is None or not PeriodLock.objects.filter(period=obj.period).exists()


def _recalculate(period: str) -> None:
    from forecasting.compensation.tasks import comp_calculate_task

    comp_calculate_task.delay(period)


class PeriodLockForm(forms.ModelForm):
    class Meta:
        model = PeriodLock
        fields = ("period",)

    def clean_period(self):
        try:
            p = period_parse(self.cleaned_data["period"])
        except ApplicationError as exc:
            raise ValidationError(exc.message) from exc
        if PeriodLock.objects.filter(period=p.key).exists():
            raise ValidationError(f"{p.key} is already locked.")
        if not Assignment.objects.filter(period=p.key).exists():
            raise ValidationError(f"No rep has a plan for {p.key}.")
        return p.key


@admin.register(PeriodLock)
class PeriodLockAdmin(admin.ModelAdmin):
    form = PeriodLockForm
    list_display = ("period", "period_start", "period_end", "locked_at", "locked_by")
    list_select_related = ("locked_by",)

    def save_model(self, request, obj, form, change):
        lock = services.period_lock(period=form.cleaned_data["period"], by=request.user)
        obj.pk, obj.period_start, obj.period_end, obj.locked_at = lock.pk, lock.period_start, lock.period_end, lock.locked_at

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # paid is paid: corrections flow into the next open period


# --- statements (read-only) ---------------------------------------------------------------------

class StatementComponentInline(admin.TabularInline):
    model = StatementComponent
    extra = 0
    can_delete = False
    fields = ("name", "quota", "credited", "attainment", "factor", "earnings_uncapped", "earnings")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class StatementLineInline(admin.TabularInline):
    model = StatementLine
    extra = 0
    can_delete = False
    fields = ("kind", "description", "source_period", "on_date", "amount", "share", "credited", "earnings")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Statement)
class StatementAdmin(admin.ModelAdmin):
    list_display = ("rep", "period", "status", "commission", "clawbacks", "adjustments", "payable", "ytd_payable",
                    "calculated_at")
    list_filter = ("period", "status")
    list_select_related = ("rep",)
    search_fields = ("rep__username", "rep__first_name", "rep__last_name")
    readonly_fields = [f.name for f in Statement._meta.fields]
    inlines = [StatementComponentInline, StatementLineInline]
    actions = ["recalculate"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # statements change only by recalculation

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Recalculate the periods of the selected statements")
    def recalculate(self, request, queryset):
        for period in sorted(set(queryset.filter(status=Statement.Status.OPEN).values_list("period", flat=True))):
            report = services.statements_calculate(period=period)
            self.message_user(request, format_html("{}: {} statement(s) recalculated.", period, report.calculated))
