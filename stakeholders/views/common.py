"""Helpers shared by the stakeholder pages: permission checks that cost a constant number of
queries for a whole list, htmx answers, and the plain-page fallback of the dialogs."""
import json
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.models import Company, Profile, Team
from revops.roles import is_manager, is_revops_admin, managed_team_ids
from stakeholders.models import Interaction, Stakeholder
from stakeholders.services.permissions import can_manage_company


def managed_member_ids(user) -> set[int]:
    """Users in the teams ``user`` manages (one query, none for people who manage no team)."""
    teams = managed_team_ids(user) if is_manager(user) else set()
    if not teams:
        return set()
    return set(Profile.objects.filter(team_id__in=teams).values_list("user_id", flat=True))


def interaction_editor(user) -> Callable[[Interaction], bool]:
    """``can_change_interaction`` for many interactions at once: the logger, their manager, admins."""
    if is_revops_admin(user):
        return lambda interaction: True
    members = managed_member_ids(user)
    return lambda interaction: interaction.logged_by_id is not None and (
        interaction.logged_by_id == user.pk or interaction.logged_by_id in members
    )


def stakeholder_editor(user, company: Company) -> Callable[[Stakeholder], bool]:
    """``can_change_stakeholder`` for one account's stakeholders: owner, their manager, creator, admins."""
    if is_revops_admin(user) or can_manage_company(user, company):
        return lambda stakeholder: True
    return lambda stakeholder: stakeholder.created_by_id == user.pk


def team_people(team: Team):
    """The people an action item of ``team`` may go to: its members and its manager."""
    return (
        get_user_model().objects.filter(Q(profile__team=team) | Q(pk=team.manager_id))
        .distinct().order_by("first_name", "last_name", "username")
    )


def display_name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


def hx_saved(response: HttpResponse, message: str, *, target: str | None = None, swap: str = "outerHTML") -> HttpResponse:
    """Tell the page a dialog's work is done: close it, say so, and put the answer where it belongs."""
    response["HX-Trigger"] = json.dumps({"stakeholders:saved": {"message": message}})
    if target:
        response["HX-Retarget"] = target
        response["HX-Reswap"] = swap
    return response


def dialog_or_page(request, template: str, context: dict, *, title: str, company: Company | None = None) -> HttpResponse:
    """htmx loads a form into the page's dialog; without JavaScript it is a page of its own."""
    context = {**context, "title": title, "company": company}
    if getattr(request, "htmx", None):
        return render(request, template, {**context, "in_dialog": True})
    return render(request, "stakeholders/form_page.html", {**context, "form_template": template, "in_dialog": False})
