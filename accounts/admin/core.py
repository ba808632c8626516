"""Admin pages of the accounts area.

Big tables use raw id or autocomplete widgets and skip the full count; a company's parent is
checked for cycles by the same service check the API uses; deleting a company is refused while
data hangs off it (as through the API).
"""
from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join
from revops.history_admin import HistoryAdmin

from accounts.domains import registered_domain
from accounts.models import (
    Company,
    CompanyDomain,
    ImportJob,
    ProductUser,
    Profile,
    Team,
    UsageRecord,
    Workspace,
    WorkspaceMembership,
)
from accounts.services.companies import (
    company_delete_blockers,
    company_parent_check,
    record_mark_manual_match,
    usage_period,
)

MATCH_FIELDS = ("match_method", "match_status", "match_confidence", "match_reason", "matched_at", "matched_by")


class CompanyDomainForm(forms.ModelForm):
    class Meta:
        model = CompanyDomain
        fields = ["company", "domain"]

    def clean_domain(self):
        raw = self.cleaned_data["domain"]
        value = registered_domain(raw)
        if value is None:
            raise ValidationError(f"“{raw}” is not a valid domain.")
        return value


class CompanyDomainInline(admin.TabularInline):
    model = CompanyDomain
    form = CompanyDomainForm
    extra = 1


class CompanyAdminForm(forms.ModelForm):
    class Meta:
        model = Company
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        if "parent" in cleaned:
            try:
                # self.instance still holds the saved values here: _post_clean copies the form in later.
                company_parent_check(company=self.instance, parent=cleaned["parent"])
            except ValidationError as exc:
                self.add_error(None, exc)
        return cleaned


@admin.register(Company)
class CompanyAdmin(HistoryAdmin):
    form = CompanyAdminForm
    list_display = ["name", "external_id", "parent", "owner", "tier", "country", "employee_count", "potential_arr"]
    list_filter = ["tier", "country"]
    search_fields = ["name", "external_id", "domains__domain"]
    list_select_related = ["parent", "owner"]
    autocomplete_fields = ["parent", "owner"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [CompanyDomainInline]
    show_full_result_count = False

    def get_deleted_objects(self, objs, request):
        """Show what still hangs off a company as 'protected', which makes the admin refuse the delete."""
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        blocked = [
            f"{company} ({company.external_id}): {', '.join(blockers)}"
            for company in objs
            if (blockers := company_delete_blockers(company=company))
        ]
        return to_delete, model_count, perms_needed, [*protected, *blocked]


@admin.register(CompanyDomain)
class CompanyDomainAdmin(HistoryAdmin):
    form = CompanyDomainForm
    list_display = ["domain", "company"]
    search_fields = ["domain", "company__name", "company__external_id"]
    list_select_related = ["company"]
    autocomplete_fields = ["company"]
    show_full_result_count = False


class ManualMatchAdminMixin:
    """A company picked in the admin is a manual, confirmed match that resolution leaves alone."""

    def save_model(self, request, obj, form, change):
        if "company" in form.changed_data:
            record_mark_manual_match(record=obj, by=request.user)
        super().save_model(request, obj, form, change)


@admin.register(Workspace)
class WorkspaceAdmin(ManualMatchAdminMixin, HistoryAdmin):
    list_display = ["name", "external_id", "company", "plan", "seats", "mrr", "status", "match_status"]
    list_filter = ["status", "match_status", "plan"]
    search_fields = ["name", "external_id", "company__name"]
    list_select_related = ["company"]
    raw_id_fields = ["company"]
    readonly_fields = [*MATCH_FIELDS, "imported_at", "updated_at"]
    show_full_result_count = False


class MembershipInline(admin.TabularInline):
    model = WorkspaceMembership
    raw_id_fields = ["workspace"]
    extra = 0


class ProductUserAdminForm(forms.ModelForm):
    class Meta:
        model = ProductUser
        fields = "__all__"

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()


@admin.register(ProductUser)
class ProductUserAdmin(ManualMatchAdminMixin, HistoryAdmin):
    form = ProductUserAdminForm
    list_display = ["email", "name", "external_id", "company", "match_status", "last_active_at"]
    list_filter = ["match_status", "match_method"]
    search_fields = ["email", "name", "external_id"]
    list_select_related = ["company"]
    raw_id_fields = ["company"]
    readonly_fields = [*MATCH_FIELDS, "imported_at", "updated_at"]
    inlines = [MembershipInline]
    show_full_result_count = False


class UsageRecordAdminForm(forms.ModelForm):
    class Meta:
        model = UsageRecord
        fields = "__all__"

    def clean_period(self):
        return usage_period(self.cleaned_data["period"])

    def clean(self):
        cleaned = super().clean()
        if bool(cleaned.get("workspace")) == bool(cleaned.get("company")):
            raise ValidationError("Choose either a workspace or a company (exactly one).")
        return cleaned


@admin.register(UsageRecord)
class UsageRecordAdmin(admin.ModelAdmin):
    form = UsageRecordAdminForm
    list_display = ["metric", "period", "workspace", "company", "quantity", "amount"]
    list_filter = ["metric"]
    search_fields = ["metric", "workspace__external_id", "workspace__name", "company__external_id", "company__name"]
    list_select_related = ["workspace", "company"]
    raw_id_fields = ["workspace", "company"]
    show_full_result_count = False


class ProfileInline(admin.TabularInline):
    model = Profile
    autocomplete_fields = ["user"]
    extra = 0


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "manager"]
    search_fields = ["name"]
    list_select_related = ["manager"]
    autocomplete_fields = ["manager"]
    inlines = [ProfileInline]


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "team", "time_zone"]
    list_filter = ["team"]
    search_fields = ["user__username", "user__email", "user__first_name", "user__last_name"]
    list_select_related = ["user", "team"]
    autocomplete_fields = ["user", "team"]


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """Read-only: imports are started from the web UI and written by the import task."""

    list_display = ["original_name", "kind", "status", "processed_rows", "total_rows", "error_count", "created_by",
                    "created_at"]
    list_filter = ["status", "kind"]
    search_fields = ["original_name", "kind"]
    list_select_related = ["created_by"]
    fields = [
        "kind",
        "preset",
        "original_name",
        "file",
        "status",
        "message",
        ("total_rows", "processed_rows"),
        ("created_count", "updated_count", "unchanged_count", "error_count"),
        "error_report",
        "created_by",
        ("created_at", "started_at", "finished_at"),
    ]
    readonly_fields = ["error_report", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Rejected rows")
    def error_report(self, obj: ImportJob):
        if not obj.errors:
            return "None"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td></tr>",
            ((row.get("line", ""), row.get("message", "")) for row in obj.errors if isinstance(row, dict)),
        )
        return format_html("<table><thead><tr><th>Line</th><th>Message</th></tr></thead><tbody>{}</tbody></table>",
                           rows)
