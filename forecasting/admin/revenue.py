"""Admin of contracts and opportunities: forms run the services' rules, actions call the services."""
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from forecasting.models import Contract, Opportunity
from forecasting.services.contracts import contract_cancel, contract_expire_due, contract_validate
from forecasting.services.opportunities import opportunity_apply, opportunity_category_reset, stage_defaults
from revops.errors import ApplicationError


class ContractAdminForm(forms.ModelForm):
    class Meta:
        model = Contract
        fields = "__all__"

    def validate_unique(self):
        # Called by _post_clean once the form's values are on the instance: the service's rules (which end
        # with the model's own checks) name the field, where a bare constraint would not say which rule broke.
        try:
            contract_validate(self.instance)
        except ValidationError as exc:
            self._update_errors(exc)
        except ApplicationError as exc:
            self.add_error(None, exc.message)


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    form = ContractAdminForm
    list_display = ["external_id", "company", "kind", "status", "start_date", "end_date", "committed_amount",
                    "billing", "owner"]
    list_filter = ["kind", "status", "billing"]
    search_fields = ["external_id", "name", "company__name", "company__external_id"]
    list_select_related = ["company", "owner"]
    autocomplete_fields = ["company", "owner"]
    raw_id_fields = ["renewal_of"]
    readonly_fields = ["created_at", "updated_at"]
    date_hierarchy = "start_date"
    show_full_result_count = False
    actions = ["cancel_contracts", "expire_ended_contracts"]

    @admin.action(description="Cancel the selected contracts")
    def cancel_contracts(self, request, queryset):
        done = 0
        for contract in queryset:
            try:
                contract_cancel(contract=contract)
                done += 1
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.WARNING)
        self.message_user(request, f"{done} contract{'s' if done != 1 else ''} cancelled.", messages.SUCCESS)

    @admin.action(description="Mark every active contract whose term is over as expired")
    def expire_ended_contracts(self, request, queryset):
        count = contract_expire_due()
        self.message_user(request, f"{count} contract{'s' if count != 1 else ''} marked expired.", messages.SUCCESS)


class OpportunityAdminForm(forms.ModelForm):
    class Meta:
        model = Opportunity
        exclude = ["category_overridden"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Blank probability / category: the stage's defaults.
        self.fields["probability"].required = False
        self.fields["forecast_category"].required = False

    def _post_clean(self):
        # Stage defaults and the owner's override come from the service, as for the API and imports:
        # put back the saved values of what changed, then let the service apply the changes.
        saved = {name: getattr(self.instance, name) for name in ("stage", "probability", "forecast_category")}
        if not self.instance.pk:
            saved["stage"] = ""  # a new opportunity "moves" into its stage and takes its defaults
        super()._post_clean()
        if self.errors:
            return
        changed = {name: self.cleaned_data.get(name) for name in self.changed_data if name in self.cleaned_data}
        if not self.instance.pk:
            changed["stage"] = self.cleaned_data.get("stage") or Opportunity.Stage.QUALIFY
        for name in ("probability", "forecast_category"):
            if changed.get(name) in (None, ""):
                changed.pop(name, None)
        for name, value in saved.items():
            if name in changed or getattr(self.instance, name) in (None, ""):
                setattr(self.instance, name, value)
        if self.instance.probability is None or not self.instance.forecast_category:
            probability, category = stage_defaults(changed.get("stage") or self.instance.stage)
            self.instance.probability = self.instance.probability if self.instance.probability is not None \
                else probability
            self.instance.forecast_category = self.instance.forecast_category or category
        try:
            opportunity_apply(opportunity=self.instance, data=changed)
        except ValidationError as exc:
            self._update_errors(exc)


@admin.register(Opportunity)
class OpportunityAdmin(admin.ModelAdmin):
    form = OpportunityAdminForm
    list_display = ["name", "external_id", "company", "type", "stage", "amount", "close_date", "probability",
                    "forecast_category", "category_overridden", "owner"]
    list_filter = ["stage", "type", "forecast_category", "category_overridden", "use_case_category"]
    search_fields = ["name", "external_id", "company__name", "company__external_id"]
    list_select_related = ["company", "owner"]
    autocomplete_fields = ["company", "owner"]
    readonly_fields = ["category_overridden", "created_at", "updated_at"]
    date_hierarchy = "close_date"
    show_full_result_count = False
    actions = ["reset_category"]

    @admin.action(description="Let the stage decide the forecast category again")
    def reset_category(self, request, queryset):
        count = 0
        for opportunity in queryset.select_related("company"):
            opportunity_category_reset(opportunity=opportunity)
            count += 1
        self.message_user(request, f"{count} opportunit{'ies' if count != 1 else 'y'} reset.", messages.SUCCESS)
