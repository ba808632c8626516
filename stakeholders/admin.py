"""Admin pages of this area, for RevOps admins correcting data.

Big tables (stakeholders, interactions, participants) use raw id widgets, selected relations and
no full count. Saves and deletes go through the services, so last contact stays correct and the
same rules apply as in the app; actions call services too.
"""
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from revops.history_admin import HistoryAdmin

from revops.errors import ApplicationError
from stakeholders.models import (
    AccountReviewNote,
    ActionItem,
    Interaction,
    InteractionParticipant,
    ReviewSession,
    Stakeholder,
    WeeklyDigest,
)
from stakeholders.services import (
    action_item_update,
    interaction_delete,
    last_contact_refresh,
    next_step_complete,
    review_session_close,
    stakeholder_create,
    stakeholder_delete,
    stakeholder_update,
)
from stakeholders.services.core import STAKEHOLDER_FIELDS, _check_reports_to


class StakeholderAdminForm(forms.ModelForm):
    class Meta:
        model = Stakeholder
        fields = "__all__"

    def _get_validation_exclusions(self):
        # A taken key rank is not an error here: the service moves the holder down the list.
        return {*super()._get_validation_exclusions(), "key_rank"}

    def clean(self):
        cleaned = super().clean()
        boss, company = cleaned.get("reports_to"), cleaned.get("company")
        if boss is not None and company is not None:
            probe = Stakeholder(pk=self.instance.pk, company=company, reports_to=boss)
            try:
                _check_reports_to(probe)
            except ApplicationError as exc:
                self.add_error("reports_to", exc.message.split(": ", 1)[-1])
        return cleaned


class ActionItemAdminForm(forms.ModelForm):
    """Keeps completed_at in step with the status (the database insists on it for done items)."""

    class Meta:
        model = ActionItem
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        done = cleaned.get("status") == ActionItem.Status.DONE
        if done and self.instance.completed_at is None:
            self.instance.completed_at = timezone.now()
        elif not done:
            self.instance.completed_at = None
        return cleaned


def _report(modeladmin, request, done: int, failures: list[str], what: str) -> None:
    if done:
        modeladmin.message_user(request, f"{done} {what}.", messages.SUCCESS)
    for failure in failures[:10]:
        modeladmin.message_user(request, failure, messages.ERROR)


@admin.register(Stakeholder)
class StakeholderAdmin(HistoryAdmin):
    form = StakeholderAdminForm
    list_display = ["name", "company", "role", "key_rank", "influence", "is_active", "last_contacted_at",
                    "last_contacted_by"]
    list_filter = ["role", "is_active", "sentiment"]
    search_fields = ["name", "email", "external_id", "company__name", "company__external_id"]
    list_select_related = ["company", "last_contacted_by"]
    raw_id_fields = ["company", "reports_to", "product_user"]
    readonly_fields = ["last_contacted_at", "last_contacted_by", "created_by", "created_at", "updated_at"]
    show_full_result_count = False
    actions = ["mark_left", "refresh_last_contact"]

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in STAKEHOLDER_FIELDS if name in form.cleaned_data}
        if change:
            stakeholder_update(stakeholder=obj, by=request.user, **fields)
        else:
            saved = stakeholder_create(company=form.cleaned_data["company"], by=request.user, **fields)
            obj.pk = saved.pk

    def delete_model(self, request, obj):
        stakeholder_delete(stakeholder=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for person in queryset:
            stakeholder_delete(stakeholder=person, by=request.user)

    @admin.action(description="Mark as left the company")
    def mark_left(self, request, queryset):
        done, failures = 0, []
        for person in queryset.select_related("company"):
            try:
                stakeholder_update(stakeholder=person, by=request.user, is_active=False)
                done += 1
            except (ApplicationError, PermissionDenied) as exc:
                failures.append(f"{person}: {exc}")
        _report(self, request, done, failures, "stakeholders marked as left")

    @admin.action(description="Recompute last contact from the interactions")
    def refresh_last_contact(self, request, queryset):
        count = last_contact_refresh(stakeholder_ids=queryset.values("pk"))
        _report(self, request, count, [], "stakeholders recomputed")


class ParticipantInline(admin.TabularInline):
    model = InteractionParticipant
    raw_id_fields = ["stakeholder"]
    extra = 1


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "company", "channel", "logged_by", "next_step", "next_step_due",
                    "next_step_done_at"]
    list_filter = ["channel"]
    search_fields = ["external_id", "summary", "company__name", "company__external_id"]
    list_select_related = ["company", "logged_by"]
    raw_id_fields = ["company", "logged_by"]
    readonly_fields = ["next_step_done_at", "created_at", "updated_at"]
    date_hierarchy = "occurred_at"
    show_full_result_count = False
    inlines = [ParticipantInline]
    actions = ["complete_next_steps"]

    @transaction.atomic
    def save_related(self, request, form, formsets, change):
        # Participants and the time may both have moved: refresh everyone involved before and after.
        before = set(form.instance.participants.exclude(stakeholder=None).values_list("stakeholder_id", flat=True))
        super().save_related(request, form, formsets, change)
        for participant in form.instance.participants.filter(stakeholder__isnull=False, stakeholder_name=""):
            participant.stakeholder_name = participant.stakeholder.name
            participant.save(update_fields=["stakeholder_name"])
        after = set(form.instance.participants.exclude(stakeholder=None).values_list("stakeholder_id", flat=True))
        last_contact_refresh(stakeholder_ids=before | after)

    def delete_model(self, request, obj):
        interaction_delete(interaction=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for interaction in queryset:
            interaction_delete(interaction=interaction, by=request.user)

    @admin.action(description="Mark the next steps done")
    def complete_next_steps(self, request, queryset):
        done, failures = 0, []
        for interaction in queryset.exclude(next_step="").filter(next_step_done_at__isnull=True):
            try:
                next_step_complete(interaction=interaction, by=request.user)
                done += 1
            except (ApplicationError, PermissionDenied) as exc:
                failures.append(f"{interaction}: {exc}")
        _report(self, request, done, failures, "next steps marked done")


@admin.register(InteractionParticipant)
class InteractionParticipantAdmin(admin.ModelAdmin):
    list_display = ["stakeholder_name", "stakeholder", "interaction"]
    search_fields = ["stakeholder_name", "stakeholder__email"]
    raw_id_fields = ["interaction", "stakeholder"]
    list_select_related = ["stakeholder", "interaction"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False  # through the interaction, so last contact is refreshed

    def has_change_permission(self, request, obj=None):
        return False


class AccountNoteInline(admin.TabularInline):
    model = AccountReviewNote
    raw_id_fields = ["company", "updated_by"]
    extra = 0


class ActionItemInline(admin.TabularInline):
    model = ActionItem
    form = ActionItemAdminForm
    raw_id_fields = ["company", "assignee", "created_by"]
    readonly_fields = ["completed_at"]
    extra = 0


@admin.register(ReviewSession)
class ReviewSessionAdmin(admin.ModelAdmin):
    list_display = ["team", "week_start", "ranking", "top_n", "status", "started_by", "closed_at"]
    list_filter = ["status", "team"]
    search_fields = ["team__name"]
    list_select_related = ["team", "started_by"]
    raw_id_fields = ["started_by"]
    readonly_fields = ["snapshot", "started_at", "closed_at"]
    inlines = [AccountNoteInline, ActionItemInline]
    actions = ["close_sessions"]

    @admin.action(description="Close the selected sessions")
    def close_sessions(self, request, queryset):
        done, failures = 0, []
        for session in queryset.select_related("team"):
            try:
                review_session_close(session=session, by=request.user)
                done += 1
            except (ApplicationError, PermissionDenied) as exc:
                failures.append(f"{session}: {exc}")
        _report(self, request, done, failures, "sessions closed")


@admin.register(ActionItem)
class ActionItemAdmin(admin.ModelAdmin):
    form = ActionItemAdminForm
    list_display = ["description", "company", "session", "assignee", "due_date", "status", "completed_at"]
    list_filter = ["status"]
    search_fields = ["description", "company__name"]
    list_select_related = ["company", "session__team", "assignee"]
    raw_id_fields = ["session", "company", "assignee", "created_by"]
    readonly_fields = ["completed_at", "created_at"]
    actions = ["mark_done"]

    @admin.action(description="Mark done")
    def mark_done(self, request, queryset):
        done, failures = 0, []
        for item in queryset.select_related("session__team"):
            try:
                action_item_update(item=item, by=request.user, status=ActionItem.Status.DONE)
                done += 1
            except (ApplicationError, PermissionDenied) as exc:
                failures.append(f"{item}: {exc}")
        _report(self, request, done, failures, "action items marked done")


@admin.register(WeeklyDigest)
class WeeklyDigestAdmin(admin.ModelAdmin):
    list_display = ["week_start", "started_at", "finished_at", "manager_emails", "rep_emails"]
    readonly_fields = ["week_start", "started_at", "finished_at", "manager_emails", "rep_emails"]

    def has_add_permission(self, request):
        return False
