"""Demo data for the audit history: a few weeks of changes by the demo people, so the History panels
of the demo accounts, stakeholders and compensation statements have something to show.

The rest of the demo is written in bulk with history switched off (like an import, it is recorded as
a whole, not per row); this module runs last, with history on, and makes real changes through the
services and models, authored by the demo logins and dated over the last weeks. Re-running replaces
the history rows of the demo's own records, so the story is told once.
"""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from revops import history
from revops.errors import ApplicationError

DEMO_PREFIX = "DEMO-"


def _moment(today: date, days_ago: int, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(today - timedelta(days=days_ago), time(hour, 10)))


def _authored(obj, user, when: datetime, reason: str = ""):
    obj._history_user = user
    obj._history_date = when
    if reason:
        obj._change_reason = reason
    return obj


def _clear() -> int:
    from accounts.models import Company, CompanyDomain, ProductUser, Workspace
    from forecasting.compensation.demo import DEMO_PLANS
    from forecasting.models import Assignment, AssignmentQuota, CompPlan, PlanComponent, PlanTier
    from stakeholders.models import Stakeholder

    demo = Q(external_id__startswith=DEMO_PREFIX)
    companies = Company.objects.filter(demo).values("id")
    plans = CompPlan.history.filter(name__in=DEMO_PLANS).values("id")
    components = PlanComponent.history.filter(plan_id__in=plans).values("id")
    assignments = Assignment.history.filter(plan_id__in=plans).values("id")
    removed = 0
    for rows in (
        Company.history.filter(demo), CompanyDomain.history.filter(company_id__in=companies),
        Workspace.history.filter(demo), ProductUser.history.filter(demo), Stakeholder.history.filter(demo),
        AssignmentQuota.history.filter(assignment_id__in=assignments), Assignment.history.filter(id__in=assignments),
        PlanTier.history.filter(component_id__in=components), PlanComponent.history.filter(id__in=components),
        CompPlan.history.filter(name__in=DEMO_PLANS),
    ):
        removed += rows.delete()[0]
    return removed


@transaction.atomic
def demo_seed(*, seed: int, today: date, progress=None) -> dict[str, int]:
    from accounts.models import Company, CompanyDomain, MatchFields, Workspace
    from accounts.services import review
    from forecasting.compensation import services as comp_services
    from forecasting.models import Assignment, CompPlan
    from stakeholders.models import Stakeholder

    rng = random.Random(seed * 7919 + 11)
    people = {u.username: u for u in get_user_model().objects.filter(
        username__in=["admin", "maria", "ravi", "otto", "priya"])}
    if len(people) < 5:
        return {"history_changes": 0}
    admin, maria, ravi, otto = (people[n] for n in ("admin", "maria", "ravi", "otto"))
    _clear()
    changes = 0
    with history.recording(True):
        # 1. Account plans: managers raise the potential of their biggest accounts; one is re-tiered.
        top = list(Company.objects.filter(external_id__startswith=DEMO_PREFIX, parent__isnull=True,
                                          owner__isnull=False, potential_arr__isnull=False)
                   .select_related("owner__profile__team").order_by("-potential_arr")[:6])
        for index, company in enumerate(top):
            team = getattr(getattr(company.owner, "profile", None), "team", None)
            manager = otto if team is not None and team.manager_id == otto.pk else maria
            when = _moment(today, 24 - index * 3, 15)
            history.baseline_bulk(Company, [company.pk], before=_moment(today, 60, 9))
            company.potential_arr = (company.potential_arr * Decimal("1.2")).quantize(Decimal(1000))
            _authored(company, manager, when, "Account plan review").save(update_fields=["potential_arr", "updated_at"])
            changes += 1
            if index == 0 and company.tier != Company.Tier.ENTERPRISE:
                company.tier = Company.Tier.ENTERPRISE
                _authored(company, admin, when + timedelta(days=2, hours=1)).save(update_fields=["tier", "updated_at"])
                changes += 1
        if top:
            brand = top[0].domains.order_by("domain").values_list("domain", flat=True).first()
            if brand:
                domain = f"{brand.split('.')[0]}-group.com"
                if not CompanyDomain.objects.filter(domain=domain).exists():
                    _authored(CompanyDomain(company=top[0], domain=domain), admin,
                              _moment(today, 11, 10), "Acquisition announced").save()
                    changes += 1

        # 2. The review queue: a manager confirms a few proposals and reassigns one.
        queue = list(Workspace.objects.filter(match_status=MatchFields.Status.REVIEW,
                                              suggested_company__isnull=False,
                                              external_id__startswith=DEMO_PREFIX).order_by("-mrr")[:4])
        for index, workspace in enumerate(queue):
            review.match_confirm(record=workspace, by=maria)
            Workspace.history.filter(id=workspace.pk, history_user=maria).update(
                history_date=_moment(today, 6 - index, 11))
            changes += 1

        # 3. Stakeholder maps: a rep learns who really decides; another person leaves.
        for company, (username, days) in zip(top[:3], (("ravi", 9), ("priya", 5), ("ravi", 2)), strict=False):
            person = (Stakeholder.objects.filter(company=company, is_active=True, key_rank__isnull=False)
                      .order_by("key_rank").first())
            if person is None:
                continue
            history.baseline_bulk(Stakeholder, [person.pk], before=_moment(today, 60, 9))
            person.influence = person.influence + 1 if person.influence < 5 else 4
            person.sentiment = rng.choice([choice for choice in (Stakeholder.Sentiment.POSITIVE,
                                                                 Stakeholder.Sentiment.NEUTRAL,
                                                                 Stakeholder.Sentiment.NEGATIVE)
                                           if choice != person.sentiment])
            _authored(person, people[username], _moment(today, days, 16)).save(
                update_fields=["influence", "sentiment", "updated_at"])
            changes += 1

        # 4. Compensation: the admin clarifies a plan and corrects a rep's target.
        for plan in CompPlan.objects.filter(name__in=["Enterprise hybrid 50:50"]):
            history.baseline_bulk(CompPlan, [plan.pk], before=_moment(today, 45, 9))
            plan.description = (plan.description + " Consumption is credited as billed, after commit drawdown.").strip()
            _authored(plan, admin, _moment(today, 20, 9), "Clarified for the quarter kickoff").save(
                update_fields=["description", "updated_at"])
            changes += 1
        assignment = (Assignment.objects.filter(rep=ravi, period_start__lte=today, period_end__gte=today)
                      .select_related("plan").first())
        if assignment is not None:
            history.baseline_bulk(Assignment, [assignment.pk], before=_moment(today, 30, 9))
            assignment.target_incentive = assignment.target_incentive + Decimal(2000)
            _authored(assignment, admin, _moment(today, 13, 12), "Promotion to senior AE").save(
                update_fields=["target_incentive", "updated_at"])
            changes += 1
            try:  # the statement follows the new target
                comp_services.statements_calculate(period=assignment.period, rep_ids=[ravi.pk])
            except ApplicationError:
                pass  # a locked period keeps its statement; the change shows in the history all the same
    return {"history_changes": changes}


def demo_summary() -> list[tuple[str, int, str]]:
    from accounts.models import Company

    rows = Company.history.filter(external_id__startswith=DEMO_PREFIX, history_user__isnull=False).count()
    return [("audit history", rows, "changes to demo accounts by the demo people")]
