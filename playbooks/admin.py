"""Admin pages of the playbooks area: playbook definitions with the signal builder, runs and plays.

The signal field is edited with a no-code builder (playbooks/static/playbooks/signal_builder.js)
that writes the JSON into the field and asks ``signal-preview/`` how many accounts match now,
before anything is saved; without JavaScript the JSON itself stays editable and is validated the
same way. "Run now" is an action on the list and a button on the change page; both call the run
service.
"""
import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from revops.history_admin import HistoryAdmin

from accounts.models import Company
from playbooks.models import Play, Playbook, PlaybookRun, PlaybookStep, PlayStep
from playbooks.services import playbook_run_request
from playbooks.signals import METRICS, registry_for_builder, signal_evaluate, signal_text, signal_validate
from revops.errors import ApplicationError

PREVIEW_SAMPLE = 8


class SignalWidget(forms.Textarea):
    template_name = "admin/playbooks/signal_widget.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["registry"] = registry_for_builder()
        return context

    class Media:
        js = ("playbooks/signal_builder.js",)
        css = {"all": ("playbooks/signal_builder.css",)}


class PlaybookAdminForm(forms.ModelForm):
    signal = forms.JSONField(widget=SignalWidget(attrs={"rows": 8}), help_text="Build the conditions above; the JSON is what is stored.")
    target_personas = forms.MultipleChoiceField(
        choices=Playbook.Persona.choices, required=False, widget=forms.CheckboxSelectMultiple,
        label="Target persona",
    )
    kpis = forms.MultipleChoiceField(choices=Playbook.Kpi.choices, required=False, widget=forms.CheckboxSelectMultiple,
                                     label="KPIs")
    context_metrics = forms.MultipleChoiceField(
        choices=[(m.key, m.label) for m in METRICS.values()], required=False, widget=forms.CheckboxSelectMultiple,
        label="Also show in the why", help_text="Metrics shown on each play besides the signal's own values.",
    )

    class Meta:
        model = Playbook
        fields = "__all__"

    def clean_signal(self):
        try:
            return signal_validate(self.cleaned_data["signal"])
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None


class PlaybookStepInline(admin.TabularInline):
    model = PlaybookStep
    extra = 1
    fields = ["position", "title", "guidance", "due_after_days", "role"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "guidance":
            kwargs["widget"] = forms.Textarea(attrs={"rows": 2, "cols": 50})
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(Playbook)
class PlaybookAdmin(HistoryAdmin):
    form = PlaybookAdminForm
    list_display = ["name", "goal_type", "maturity", "is_active", "schedule", "owner_team", "open_plays", "last_run"]
    list_filter = ["is_active", "goal_type", "maturity", "schedule"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    list_select_related = ["owner_team"]
    filter_horizontal = ["supporting_teams"]
    inlines = [PlaybookStepInline]
    actions = ["run_now"]
    readonly_fields = ["signal_in_words", "created_at", "updated_at", "last_scheduled_for"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "description", "is_active"]}),
        ("The motion", {"fields": ["maturity", "goal_type", "goal", "when_to_run", "target_personas", "kpis", "pitfalls"]}),
        ("Teams and assignment", {"fields": ["owner_team", "supporting_teams", "assignment", "max_open_plays_per_rep"]}),
        ("Signal", {"fields": ["signal", "signal_in_words", "context_metrics"]}),
        ("Runs", {"fields": ["schedule", "schedule_hour", "schedule_weekday", "cooldown_days", "last_scheduled_for"]}),
        ("History", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    def get_queryset(self, request):
        from django.db.models import Count, Max, Q

        return super().get_queryset(request).annotate(
            _open=Count("plays", filter=Q(plays__status__in=Play.OPEN_STATES), distinct=True),
            _last_run=Max("runs__created_at"),
        )

    @admin.display(description="Open plays", ordering="_open")
    def open_plays(self, obj):
        return obj._open

    @admin.display(description="Last run", ordering="_last_run")
    def last_run(self, obj):
        return obj._last_run or "—"

    @admin.display(description="In words")
    def signal_in_words(self, obj):
        if not obj.signal:
            return "—"
        try:
            return signal_text(signal_validate(obj.signal))
        except ValidationError as exc:
            return "; ".join(exc.messages)

    def get_urls(self):
        urls = [
            path("signal-preview/", self.admin_site.admin_view(self.signal_preview_view), name="playbooks_signal_preview"),
            path("<int:pk>/run/", self.admin_site.admin_view(self.run_now_view), name="playbooks_playbook_run"),
        ]
        return urls + super().get_urls()

    def signal_preview_view(self, request):
        """POST {"signal": …} → {"count": N, "sample": [names], "text": "…"} or {"errors": [...]} (400)."""
        if request.method != "POST":
            return JsonResponse({"errors": ["POST the signal."]}, status=405)
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        try:
            payload = json.loads(request.body or b"{}")
            signal = signal_validate(payload.get("signal"))
        except ValueError:
            return JsonResponse({"errors": ["The request is not valid JSON."]}, status=400)
        except ValidationError as exc:
            return JsonResponse({"errors": exc.messages}, status=400)
        evaluation = signal_evaluate(signal)
        count = evaluation.count()
        sample = list(evaluation.queryset.order_by("-m_value", "name").values_list("name", flat=True)[:PREVIEW_SAMPLE])
        return JsonResponse({"count": count, "total": Company.objects.count(), "sample": sample,
                             "text": signal_text(signal)})

    def run_now_view(self, request, pk: int):
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:playbooks_playbook_change", args=[pk]))
        playbook = get_object_or_404(Playbook, pk=pk)
        if not self.has_change_permission(request, playbook):
            raise PermissionDenied
        self._run(request, [playbook])
        return HttpResponseRedirect(reverse("admin:playbooks_playbook_change", args=[pk]))

    def _run(self, request, playbooks) -> None:
        for playbook in playbooks:
            try:
                run = playbook_run_request(playbook=playbook, trigger=PlaybookRun.Trigger.MANUAL, by=request.user)
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
                continue
            link = reverse("playbooks:run_detail", args=[run.pk])
            self.message_user(request, format_html('{}: run queued. <a href="{}">Follow it</a>.', playbook.name, link),
                              messages.SUCCESS)

    @admin.action(description="Run now", permissions=["change"])
    def run_now(self, request, queryset):
        self._run(request, list(queryset))

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["preview_url"] = reverse("admin:playbooks_signal_preview")
        if obj is not None:
            context["run_url"] = reverse("admin:playbooks_playbook_run", args=[obj.pk])
            context["page_url"] = reverse("playbooks:playbook_detail", args=[obj.slug])
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)


@admin.register(PlaybookRun)
class PlaybookRunAdmin(admin.ModelAdmin):
    list_display = ["__str__", "playbook", "trigger", "status", "matched", "new_plays", "skipped_open",
                    "skipped_cooldown", "unassigned", "created_at", "seconds"]
    list_filter = ["status", "trigger", "playbook"]
    list_select_related = ["playbook"]
    search_fields = ["playbook__name", "error"]
    readonly_fields = [f.name for f in PlaybookRun._meta.fields]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False  # runs are started with "Run now", not typed in


class PlayStepInline(admin.TabularInline):
    model = PlayStep
    extra = 0
    fields = ["position", "title", "role", "due_date", "done_at", "done_by"]
    readonly_fields = ["done_by"]


@admin.register(Play)
class PlayAdmin(admin.ModelAdmin):
    list_display = ["company", "playbook", "status", "assignee", "value", "surfaced_at", "first_action_at", "closed_at"]
    list_filter = ["status", "playbook"]
    list_select_related = ["company", "playbook", "assignee"]
    search_fields = ["company__name", "company__external_id", "playbook__name", "assignee__username"]
    raw_id_fields = ["company", "run", "opportunity"]
    autocomplete_fields = ["assignee"]
    readonly_fields = ["why", "surfaced_at", "closed_by", "updated_at"]
    inlines = [PlayStepInline]
    show_full_result_count = False
    date_hierarchy = "surfaced_at"
