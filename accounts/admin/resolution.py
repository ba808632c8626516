"""Admin of account resolution: the thresholds (one row), email-domain rules, and the runs —
read-only, with a button that queues a full run."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html

from accounts.models import EmailDomainRule, ResolutionRun, ResolutionSettings
from accounts.services.resolution import resolution_run_start

STATUSES = ("auto", "review", "unmatched", "locked", "changed")


@admin.register(ResolutionSettings)
class ResolutionSettingsAdmin(admin.ModelAdmin):
    """One row (pk=1): the list goes straight to it; it cannot be added twice or deleted."""

    fieldsets = [
        ("Account resolution", {"fields": ["auto_threshold", "review_threshold", "ambiguity_margin",
                                           "colleague_factor"]}),
        ("Account signals", {"fields": ["small_deal_penetration", "small_deal_min_potential",
                                        "consolidation_percentile"]}),
        (None, {"fields": ["updated_at", "updated_by"]}),
    ]
    readonly_fields = ["updated_at", "updated_by"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        settings = ResolutionSettings.load()
        return redirect(reverse("admin:accounts_resolutionsettings_change", args=[settings.pk]))

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)
        self.message_user(
            request, "Saved. The next resolution run applies the new settings to everyone (it runs in full).",
            messages.INFO,
        )


class EmailDomainRuleForm(forms.ModelForm):
    class Meta:
        model = EmailDomainRule
        fields = ["domain", "kind", "note"]

    def clean_domain(self):
        value = "".join(self.cleaned_data["domain"].split()).lower().strip(".")
        if "@" in value:
            value = value.rsplit("@", 1)[1]
        if "." not in value:
            raise ValidationError("Enter a domain such as example.com.")
        return value


@admin.register(EmailDomainRule)
class EmailDomainRuleAdmin(admin.ModelAdmin):
    form = EmailDomainRuleForm
    list_display = ["domain", "kind", "note", "created_by", "created_at"]
    list_filter = ["kind"]
    search_fields = ["domain", "note"]
    list_select_related = ["created_by"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(ResolutionRun)
class ResolutionRunAdmin(admin.ModelAdmin):
    list_display = ["id", "mode", "trigger", "status", "users_summary", "workspaces_summary", "chunks",
                    "created_at", "duration", "created_by"]
    list_filter = ["status", "mode", "trigger"]
    list_select_related = ["created_by"]
    readonly_fields = ["mode", "trigger", "status", "users_summary", "workspaces_summary", "scope", "chunks",
                       "error", "created_by", "created_at", "started_at", "finished_at", "duration"]
    fields = readonly_fields
    actions = ["run_full_now"]
    change_list_template = "admin/accounts/resolutionrun/change_list.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path("run-full/", self.admin_site.admin_view(self.run_full_view), name="accounts_resolutionrun_run_full"),
            *super().get_urls(),
        ]

    def _start_full(self, request) -> ResolutionRun:
        run = resolution_run_start(mode=ResolutionRun.Mode.FULL, trigger=ResolutionRun.Trigger.MANUAL,
                                   by=request.user)
        self.message_user(request, f"Full resolution run {run.pk} queued.", messages.SUCCESS)
        return run

    def run_full_view(self, request):
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:accounts_resolutionrun_changelist"))
        if not self.has_view_permission(request) or not request.user.is_staff:
            return HttpResponseRedirect(reverse("admin:index"))
        self._start_full(request)
        return HttpResponseRedirect(reverse("admin:accounts_resolutionrun_changelist"))

    @admin.action(description="Run full resolution now")
    def run_full_now(self, request, queryset):
        self._start_full(request)

    @staticmethod
    def _summary(counts: dict) -> str:
        if not counts:
            return "—"
        return ", ".join(f"{key} {counts.get(key, 0):,}" for key in STATUSES)

    @admin.display(description="users")
    def users_summary(self, obj: ResolutionRun) -> str:
        return self._summary((obj.counts or {}).get("users") or {})

    @admin.display(description="workspaces")
    def workspaces_summary(self, obj: ResolutionRun) -> str:
        return self._summary((obj.counts or {}).get("workspaces") or {})

    @admin.display(description="scope")
    def scope(self, obj: ResolutionRun) -> str:
        counts = obj.counts or {}
        text = counts.get("scope", "")
        if counts.get("escalated"):
            text = f"{text} (ran in full: {counts['escalated']})"
        return text or "—"

    @admin.display(description="chunks")
    def chunks(self, obj: ResolutionRun) -> str:
        return f"{obj.done_chunks} of {obj.total_chunks}" if obj.total_chunks else "—"

    @admin.display(description="seconds")
    def duration(self, obj: ResolutionRun):
        seconds = (obj.counts or {}).get("seconds")
        return format_html("{}", f"{seconds:.1f}") if seconds is not None else "—"
