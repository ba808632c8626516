"""The stakeholder panel of the account page and what its buttons open: log a contact, edit or
delete an interaction, add or edit a stakeholder.

Every form works two ways: loaded by htmx into the page's <dialog> (a successful save closes it
and redraws the panel, or the review row it was opened from, without reloading the page), or as a
page of its own without JavaScript (a save redirects back). Writes go through the services; their
refusals are 403s and their validation errors land on the form field they name.
"""
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Company
from revops import history
from revops.errors import ApplicationError
from revops.timezones import local_today
from stakeholders import services
from stakeholders.forms import InteractionForm, StakeholderForm, apply_service_errors
from stakeholders.models import Interaction, InteractionParticipant, Stakeholder
from stakeholders.selectors.maps import stakeholder_map
from stakeholders.selectors.review import review_account
from stakeholders.selectors.stakeholders import company_interactions
from stakeholders.views.review import prepare_rows

from .common import (
    dialog_or_page,
    display_name,
    hx_saved,
    interaction_editor,
    safe_next,
    stakeholder_editor,
)

PANEL_INTERACTIONS = 8
ALL_INTERACTIONS = 200
ORIGINS = ("panel", "review", "page")


def panel_context(request, company: Company, *, show_all: bool = False) -> dict:
    """Everything the panel draws, in a constant number of queries (map, interactions, permissions)."""
    user = request.user
    smap = stakeholder_map(company=company, viewer=user)
    limit = ALL_INTERACTIONS if show_all else PANEL_INTERACTIONS
    interactions = list(company_interactions(company=company, limit=limit + 1))
    more = len(interactions) > limit
    interactions = interactions[:limit]
    may_edit_interaction = interaction_editor(user)
    may_edit_stakeholder = stakeholder_editor(user, company)
    for interaction in interactions:
        interaction.can_change = may_edit_interaction(interaction)
    for card in smap.cards:
        card.can_change = may_edit_stakeholder(card.stakeholder)
    return {
        "company": company,
        "map": smap,
        "interactions": interactions,
        "more_interactions": more,
        "show_all": show_all,
        "today": local_today(user),
        "request": request,
    }


def _company(pk: int) -> Company:
    return get_object_or_404(Company.objects.select_related("owner"), pk=pk)


@require_GET
def panel(request, company_pk: int):
    """The panel alone, for htmx to redraw it (after a save, or to show every interaction)."""
    company = _company(company_pk)
    return render(request, "stakeholders/_panel.html", panel_context(request, company, show_all="all" in request.GET))


def _origin(request) -> str:
    origin = request.POST.get("origin") or request.GET.get("origin") or "panel"
    return origin if origin in ORIGINS else "panel"


def _rank(request) -> int:
    value = request.POST.get("rank") or request.GET.get("rank") or "0"
    return int(value) if value.isdigit() else 0


def _after_save(request, company: Company, message: str, *, origin: str):
    """Where a successful save goes: the redrawn panel or review row (htmx), or back to a page."""
    if getattr(request, "htmx", None):
        if origin == "review":
            row = prepare_rows([review_account(company=company, viewer=request.user, rank=_rank(request))])[0]
            response = render(request, "stakeholders/_review_row.html", {"row": row, "just_logged": True})
            return hx_saved(response, message, target=f"#review-row-{company.pk}")
        response = render(request, "stakeholders/_panel.html", panel_context(request, company))
        return hx_saved(response, message, target="#stakeholder-panel")
    messages.success(request, message)
    return redirect(safe_next(request, reverse("accounts:company_detail", args=[company.pk]) + "#stakeholders"))


def _form_context(request, form, *, action: str, origin: str, **extra) -> dict:
    return {
        "form": form,
        "action": action,
        "origin": origin,
        "rank": _rank(request),
        "next": safe_next(request, ""),
        **extra,
    }


def _people_names(people) -> str:
    names = [p.name for p in people]
    if len(names) <= 2:
        return " and ".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


# --- interactions ------------------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
def interaction_create(request, company_pk: int):
    company = _company(company_pk)
    origin = _origin(request)
    if request.method == "POST":
        form = InteractionForm(request.POST, company=company)
        if form.is_valid():
            fields = form.service_fields()
            try:
                services.interaction_log(company=company, by=request.user, **fields)
            except ApplicationError as exc:
                apply_service_errors(form, exc)
            else:
                when = timezone.localtime(fields["occurred_at"]).strftime("%b %-d")
                message = f"Logged a contact with {_people_names(fields['stakeholders'])} ({when})."
                return _after_save(request, company, message, origin=origin)
    else:
        chosen = [pk for pk in request.GET.getlist("stakeholder") if pk.isdigit()]
        form = InteractionForm(company=company, initial={"stakeholders": chosen} if chosen else None)
    context = _form_context(
        request, form, action=reverse("stakeholders:interaction_create", args=[company.pk]), origin=origin,
        creating=True, preselected=bool(form.initial.get("stakeholders")), dialog_title="Log contact",
    )
    return dialog_or_page(request, "stakeholders/_interaction_form.html", context,
                          title=f"Log contact · {company.name}", company=company)


def _interaction(request, pk: int) -> Interaction:
    """Any interaction: every signed-in user reads them all on the account pages, so one that is not
    theirs to change is refused (403) by the edit and delete below, not hidden (404)."""
    return get_object_or_404(
        Interaction.objects.select_related("company", "logged_by").prefetch_related(
            Prefetch("participants", queryset=InteractionParticipant.objects.order_by("stakeholder_name"))
        ),
        pk=pk,
    )


@require_http_methods(["GET", "POST"])
def interaction_edit(request, pk: int):
    interaction = _interaction(request, pk)
    company = interaction.company
    if not services.can_change_interaction(request.user, interaction):
        raise PermissionDenied("Only the rep who logged this interaction, their manager or an admin may change it.")
    if request.method == "POST":
        form = InteractionForm(request.POST, company=company, interaction=interaction)
        if form.is_valid():
            fields = form.service_fields()
            people = fields.pop("stakeholders")
            try:
                services.interaction_update(interaction=interaction, by=request.user, stakeholders=people, **fields)
            except ApplicationError as exc:
                apply_service_errors(form, exc)
            else:
                return _after_save(request, company, "Interaction updated.", origin="panel")
    else:
        form = InteractionForm(company=company, interaction=interaction)
    context = _form_context(
        request, form, action=reverse("stakeholders:interaction_edit", args=[interaction.pk]), origin="panel",
        interaction=interaction, logged_by=display_name(interaction.logged_by), dialog_title="Edit interaction",
    )
    return dialog_or_page(request, "stakeholders/_interaction_form.html", context,
                          title=f"Edit interaction · {company.name}", company=company)


@require_POST
def interaction_delete(request, pk: int):
    interaction = _interaction(request, pk)
    company = interaction.company
    services.interaction_delete(interaction=interaction, by=request.user)  # PermissionDenied → 403
    return _after_save(request, company, "Interaction deleted.", origin="panel")


@require_POST
def next_step_done(request, pk: int):
    interaction = _interaction(request, pk)
    done = request.POST.get("done", "1") != "0"
    try:
        services.next_step_complete(interaction=interaction, by=request.user, done=done)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return _after_save(request, interaction.company, "Next step done." if done else "Next step open again.",
                       origin="panel")


# --- stakeholders --------------------------------------------------------------------------------------

def _stakeholder_response(request, form, *, company, stakeholder=None):
    action = (reverse("stakeholders:stakeholder_edit", args=[stakeholder.pk]) if stakeholder
              else reverse("stakeholders:stakeholder_create", args=[company.pk]))
    suggestion = None
    if stakeholder is None and form.is_bound and form.data.get("email"):
        suggestion = services.product_user_suggest(company=company, email=form.data.get("email", ""))
    context = _form_context(
        request, form, action=action, origin="panel", stakeholder=stakeholder, suggestion=suggestion,
        can_delete=stakeholder is not None and services.can_change_stakeholder(request.user, stakeholder),
    )
    if stakeholder is not None:
        context["history_entries"] = history.entries([history.Source(Stakeholder.history.filter(id=stakeholder.pk))],
                                                     limit=20)
    title = f"Edit {stakeholder.name}" if stakeholder else f"Add a stakeholder · {company.name}"
    context["dialog_title"] = f"Edit {stakeholder.name}" if stakeholder else "Add a stakeholder"
    return dialog_or_page(request, "stakeholders/_stakeholder_form.html", context, title=title, company=company)


@require_http_methods(["GET", "POST"])
def stakeholder_create(request, company_pk: int):
    company = _company(company_pk)
    if request.method == "POST":
        form = StakeholderForm(request.POST, company=company)
        if form.is_valid():
            try:
                person = services.stakeholder_create(company=company, by=request.user, **form.service_fields())
            except ApplicationError as exc:
                apply_service_errors(form, exc)
            else:
                return _after_save(request, company, f"Added {person.name}.", origin="panel")
    else:
        initial = {key: request.GET[key] for key in ("reports_to", "key_rank") if request.GET.get(key, "").isdigit()}
        form = StakeholderForm(company=company, initial=initial or None)
    return _stakeholder_response(request, form, company=company)


def _stakeholder(pk: int) -> Stakeholder:
    return get_object_or_404(Stakeholder.objects.select_related("company", "product_user", "reports_to"), pk=pk)


@require_http_methods(["GET", "POST"])
def stakeholder_edit(request, pk: int):
    person = _stakeholder(pk)
    company = person.company
    if not services.can_change_stakeholder(request.user, person):
        raise PermissionDenied("Only the account's owner, their manager, the stakeholder's creator or an admin may "
                               "edit this stakeholder.")
    if request.method == "POST":
        form = StakeholderForm(request.POST, company=company, stakeholder=person)
        if form.is_valid():
            try:
                services.stakeholder_update(stakeholder=person, by=request.user, **form.service_fields())
            except ApplicationError as exc:
                apply_service_errors(form, exc)
            else:
                return _after_save(request, company, f"Saved {person.name}.", origin="panel")
    else:
        form = StakeholderForm(company=company, stakeholder=person)
    return _stakeholder_response(request, form, company=company, stakeholder=person)


@require_POST
def stakeholder_delete(request, pk: int):
    person = _stakeholder(pk)
    company = person.company
    services.stakeholder_delete(stakeholder=person, by=request.user)  # PermissionDenied → 403
    return _after_save(request, company, f"Deleted {person.name}; their interactions are kept.", origin="panel")


@require_GET
def product_user_hint(request, company_pk: int):
    """As the email is typed: the product user it will be linked to, if any."""
    company = _company(company_pk)
    email = request.GET.get("email", "").strip()
    suggestion = services.product_user_suggest(company=company, email=email) if "@" in email else None
    return render(request, "stakeholders/_product_user_hint.html", {"suggestion": suggestion, "company": company,
                                                                    "email": email})
