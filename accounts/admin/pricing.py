"""The price book in the admin: plans with their volume tiers.

Rules (accounts.services.pricing): exactly one plan is the enterprise plan (consolidation quotes
are priced on it, so it cannot be unticked or deleted while it is the only one); a plan's code
is lower-case (it matches Workspace.plan); tiers start once per plan, at 1 seat or more, their
prices are not negative, never above list price, and never rise with volume.
"""
from decimal import Decimal

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator

from accounts.models import PricePlan, PriceTier
from accounts.services.pricing import price_plan_enterprise_check, price_tiers_check


class PricePlanForm(forms.ModelForm):
    list_price_per_seat = forms.DecimalField(
        max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal(0))], help_text="Per seat per month."
    )

    class Meta:
        model = PricePlan
        fields = ["code", "name", "list_price_per_seat", "is_enterprise"]

    def clean_code(self):
        return self.cleaned_data["code"].strip().lower()

    def clean(self):
        cleaned = super().clean()
        if "is_enterprise" in cleaned:
            try:
                price_plan_enterprise_check(plan=self.instance, is_enterprise=cleaned["is_enterprise"])
            except ValidationError as exc:
                self.add_error(None, exc)
        return cleaned


class PriceTierForm(forms.ModelForm):
    min_seats = forms.IntegerField(min_value=1, help_text="From this many seats on, every seat costs the tier price.")
    price_per_seat = forms.DecimalField(
        max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal(0))], help_text="Per seat per month."
    )

    class Meta:
        model = PriceTier
        fields = ["min_seats", "price_per_seat"]


class PriceTierFormSet(forms.BaseInlineFormSet):
    def validate_unique(self):
        # price_tiers_check names the duplicate `min_seats` itself (Django's own check would only
        # say "duplicate values"); the database constraint still backs it.
        pass

    def clean(self):
        super().clean()
        live = [
            form
            for form in self.forms
            if getattr(form, "cleaned_data", None) and not form.cleaned_data.get("DELETE") and not form.errors
        ]
        list_price = getattr(self.instance, "list_price_per_seat", None)
        errors = price_tiers_check(
            list_price_per_seat=list_price,
            tiers=[(f.cleaned_data.get("min_seats"), f.cleaned_data.get("price_per_seat")) for f in live],
        )
        for index, fields in errors.items():
            for field, message in fields.items():
                live[index].add_error(field, message)
        if errors:
            raise ValidationError("Please correct the volume tiers below.")


class PriceTierInline(admin.TabularInline):
    model = PriceTier
    form = PriceTierForm
    formset = PriceTierFormSet
    extra = 1
    ordering = ["min_seats"]


@admin.register(PricePlan)
class PricePlanAdmin(admin.ModelAdmin):
    form = PricePlanForm
    list_display = ["name", "code", "list_price_per_seat", "is_enterprise", "tier_summary"]
    search_fields = ["name", "code"]
    ordering = ["list_price_per_seat", "code"]
    inlines = [PriceTierInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("tiers")

    @admin.display(description="Volume tiers")
    def tier_summary(self, plan: PricePlan) -> str:
        tiers = sorted(plan.tiers.all(), key=lambda t: t.min_seats)
        return ", ".join(f"{t.min_seats:,}+ at {t.price_per_seat}" for t in tiers) or "—"

    def has_delete_permission(self, request, obj=None):
        # The enterprise plan prices every consolidation quote: mark another plan first.
        if obj is not None and obj.is_enterprise:
            return False
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset.exclude(is_enterprise=True))
