"""Forms of the stakeholder pages. They parse and present; the services validate and write.

``apply_service_errors`` turns an ``ApplicationError`` of a service (``extra={"fields": …}``) into
errors on the named form fields, so the page says which field is wrong instead of failing.
"""
from django import forms
from django.utils import timezone

from revops.errors import ApplicationError
from stakeholders.models import KEY_STAKEHOLDERS, ActionItem, Interaction, Stakeholder

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"

# Service field names that a form shows under another name.
FIELD_ALIASES = {"is_active": "left_company", "left_at": "left_company", "occurred_at": "occurred_at"}


def apply_service_errors(form: forms.Form, exc: ApplicationError) -> None:
    fields = (exc.extra or {}).get("fields") or {}
    placed = False
    for name, messages in fields.items():
        target = FIELD_ALIASES.get(name, name)
        if target in form.fields:
            for message in messages if isinstance(messages, list | tuple) else [messages]:
                form.add_error(target, message)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


class StakeholderChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Stakeholder) -> str:
        return obj.name


class InteractionForm(forms.Form):
    stakeholders = StakeholderChoices(
        queryset=Stakeholder.objects.none(), widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one stakeholder."},
    )
    channel = forms.ChoiceField(choices=Interaction.Channel.choices, initial=Interaction.Channel.VIDEO)
    occurred_at = forms.DateTimeField(
        label="When", input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        help_text="In your time zone.",
    )
    summary = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}),
                              help_text="What was discussed, in a sentence or two.")
    next_step = forms.CharField(required=False, max_length=500)
    next_step_due = forms.DateField(label="Due", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, company, interaction: Interaction | None = None, **kwargs):
        self.company = company
        if interaction is not None and not kwargs.get("initial"):
            kwargs["initial"] = {
                "stakeholders": [p.stakeholder_id for p in interaction.participants.all() if p.stakeholder_id],
                "channel": interaction.channel,
                "occurred_at": interaction.occurred_at,
                "summary": interaction.summary,
                "next_step": interaction.next_step,
                "next_step_due": interaction.next_step_due,
            }
        initial = dict(kwargs.get("initial") or {})
        initial.setdefault("occurred_at", timezone.now().replace(second=0, microsecond=0))
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        queryset = Stakeholder.objects.filter(company=company)
        if interaction is None:
            queryset = queryset.filter(is_active=True)  # people who left stay selectable on old interactions
        self.fields["stakeholders"].queryset = queryset.order_by(*Stakeholder._meta.ordering[1:])

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "stakeholders": list(data["stakeholders"]),
            "channel": data["channel"],
            "occurred_at": data["occurred_at"],
            "summary": data.get("summary") or "",
            "next_step": data.get("next_step") or "",
            "next_step_due": data.get("next_step_due"),
        }


class StakeholderForm(forms.Form):
    name = forms.CharField(max_length=255)
    title = forms.CharField(max_length=255, required=False)
    email = forms.EmailField(required=False, max_length=254,
                             help_text="Links them to the product user with the same email, if there is one.")
    department = forms.CharField(max_length=120, required=False)
    role = forms.ChoiceField(choices=Stakeholder.Role.choices, initial=Stakeholder.Role.INFLUENCER)
    influence = forms.TypedChoiceField(
        coerce=int, initial=3,
        choices=[(1, "1 · little"), (2, "2"), (3, "3 · some"), (4, "4"), (5, "5 · decisive")],
    )
    sentiment = forms.ChoiceField(choices=Stakeholder.Sentiment.choices, initial=Stakeholder.Sentiment.UNKNOWN)
    reports_to = forms.ModelChoiceField(queryset=Stakeholder.objects.none(), required=False, empty_label="Nobody (top of the chart)")
    key_rank = forms.TypedChoiceField(
        label="Key stakeholder", coerce=int, empty_value=None, required=False,
        choices=[("", "Not one of the five")] + [(n, f"#{n}") for n in range(1, KEY_STAKEHOLDERS + 1)],
        help_text="Taking a rank someone holds moves them one down.",
    )
    left_company = forms.BooleanField(label="Has left the company", required=False)

    def __init__(self, *args, company, stakeholder: Stakeholder | None = None, **kwargs):
        self.company = company
        self.stakeholder = stakeholder
        if stakeholder is not None and not kwargs.get("initial"):
            kwargs["initial"] = {
                "name": stakeholder.name, "title": stakeholder.title, "email": stakeholder.email,
                "department": stakeholder.department, "role": stakeholder.role, "influence": stakeholder.influence,
                "sentiment": stakeholder.sentiment, "reports_to": stakeholder.reports_to_id,
                "key_rank": stakeholder.key_rank, "left_company": not stakeholder.is_active,
            }
        super().__init__(*args, **kwargs)
        bosses = Stakeholder.objects.filter(company=company, is_active=True)
        if stakeholder is not None:
            bosses = Stakeholder.objects.filter(company=company).exclude(pk=stakeholder.pk)
            bosses = bosses.filter(is_active=True) | bosses.filter(pk=stakeholder.reports_to_id)
        self.fields["reports_to"].queryset = bosses.order_by("name")
        self.fields["reports_to"].label_from_instance = lambda s: f"{s.name} · {s.title}" if s.title else s.name

    def service_fields(self) -> dict:
        data = self.cleaned_data
        fields = {
            "name": data["name"].strip(), "title": data.get("title") or "", "email": data.get("email") or "",
            "department": data.get("department") or "", "role": data["role"], "influence": data["influence"],
            "sentiment": data["sentiment"], "reports_to": data.get("reports_to"), "key_rank": data.get("key_rank"),
            "is_active": not data.get("left_company"),
        }
        return fields


class SessionNoteForm(forms.Form):
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ActionItemForm(forms.Form):
    description = forms.CharField(max_length=500, label="Action")
    assignee = forms.ModelChoiceField(queryset=None, required=False, empty_label="Nobody yet")
    due_date = forms.DateField(label="Due", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = people
        self.fields["assignee"].label_from_instance = lambda u: u.get_full_name() or u.get_username()


class ActionItemStatusForm(forms.Form):
    status = forms.ChoiceField(choices=ActionItem.Status.choices)
