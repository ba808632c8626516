"""The Monday digest: each manager gets the coverage flags of their team's top accounts, each rep
the stale stakeholders of the accounts they own. Sent through Django's email backend (console by
default, SMTP or anything else by EMAIL_BACKEND).

Reads are set-based: the review selectors per team (a constant number of queries each) and one
query for every rep's stale stakeholders. ``weekly_digest_send`` claims the week first, so a
retried or doubled beat never emails anybody twice.
"""
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Team
from revops import roles
from revops.timezones import days_since, user_zone
from stakeholders.models import Stakeholder, WeeklyDigest
from stakeholders.selectors.metrics import FLAG_LABELS, RECENT_DAYS, contact_cutoffs
from stakeholders.selectors.review import (
    DEFAULT_TOP_N,
    review_accounts,
    review_summary,
    user_display,
    week_start,
)

MAX_LINES = 50


@dataclass
class DigestResult:
    week_start: object
    manager_emails: int = 0
    rep_emails: int = 0
    skipped: bool = False


def _site_url() -> str:
    return getattr(settings, "REVOPS_SITE_URL", "").rstrip("/")


def manager_digest(*, team: Team, manager, now: datetime) -> EmailMessage | None:
    """The manager's email: each flagged top account with its flags; None when the team has no accounts."""
    accounts = review_accounts(team=team, top_n=DEFAULT_TOP_N, viewer=manager, now=now)
    if not accounts:
        return None
    summary = review_summary(team=team, accounts=accounts, now=now, viewer=manager)
    flagged = [a for a in accounts if any(a.flags.values())]
    lines = [
        f"Hello {manager.first_name or user_display(manager)},",
        "",
        f"{team.name}'s top {len(accounts)} accounts by potential ARR, as of this morning.",
        "",
        "Accounts per flag:",
    ]
    for key, count in summary.flag_counts.items():
        change = summary.flag_change[key]
        shown = "" if change is None else f" ({change:+d} since last review)"
        lines.append(f"  {FLAG_LABELS[key]}: {count}{shown}")
    lines += ["", f"{len(flagged)} of {len(accounts)} accounts need attention:" if flagged else
              "No account raises a flag this week."]
    for account in flagged[:MAX_LINES]:
        company = account.company
        flags = ", ".join(FLAG_LABELS[key] for key, on in account.flags.items() if on)
        lines.append(f"  {account.rank}. {company.name} (owner {user_display(company.owner) or 'none'}): {flags}")
    if _site_url():
        lines += ["", f"Open the review: {_site_url()}/review/"]
    subject = f"Weekly review: {len(flagged)} of {team.name}'s top accounts flagged"
    return EmailMessage(subject=subject, body="\n".join(lines), to=[manager.email])


def rep_stale_stakeholders(*, reps, now: datetime) -> dict[int, list[Stakeholder]]:
    """Owner id → active stakeholders of their accounts not contacted in 30 days (or never), one query.

    Key stakeholders first, then by influence; the 30-day window is the site's zone here and each
    rep's own zone when the email is written.
    """
    since, _today = contact_cutoffs(now=now)
    people = (
        Stakeholder.objects.filter(company__owner__in=reps, is_active=True)
        .filter(Q(last_contacted_at__lt=since) | Q(last_contacted_at__isnull=True))
        .select_related("company")
        .order_by("company__owner_id", F("key_rank").asc(nulls_last=True), "-influence",
                  F("last_contacted_at").asc(nulls_first=True), "company__name", "name")
    )
    by_owner: dict[int, list[Stakeholder]] = {}
    for person in people:
        by_owner.setdefault(person.company.owner_id, []).append(person)
    return by_owner


def rep_digest(*, rep, stale: list[Stakeholder], now: datetime) -> EmailMessage | None:
    zone = user_zone(rep)
    today = timezone.localtime(now, zone).date()
    rows = []
    for person in stale:
        days = days_since(person.last_contacted_at, zone=zone, today=today)
        if days is not None and days <= RECENT_DAYS:
            continue  # inside the window in the rep's own zone
        rows.append((person, days))
    if not rows:
        return None
    lines = [
        f"Hello {rep.first_name or user_display(rep)},",
        "",
        f"{len(rows)} stakeholder{'s' if len(rows) != 1 else ''} on your accounts "
        f"{'have' if len(rows) != 1 else 'has'} not been contacted in the last {RECENT_DAYS} days:",
        "",
    ]
    for person, days in rows[:MAX_LINES]:
        key = f" — key #{person.key_rank}" if person.key_rank else ""
        when = "never contacted" if days is None else f"{days} days ago"
        lines.append(f"  {person.company.name}: {person.name} ({person.get_role_display()}{key}), {when}")
    if len(rows) > MAX_LINES:
        lines.append(f"  … and {len(rows) - MAX_LINES} more.")
    subject = f"{len(rows)} stale stakeholder{'s' if len(rows) != 1 else ''} on your accounts"
    return EmailMessage(subject=subject, body="\n".join(lines), to=[rep.email])


def weekly_digest_messages(*, now: datetime | None = None) -> tuple[list[EmailMessage], list[EmailMessage]]:
    """(manager emails, rep emails) for this week; users without an email address are skipped."""
    now = now or timezone.now()
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    managers = []
    teams = Team.objects.filter(manager__in=users).select_related("manager", "manager__profile").order_by("name")
    for team in teams:
        message = manager_digest(team=team, manager=team.manager, now=now)
        if message is not None:
            managers.append(message)
    reps = list(users.filter(groups__name=roles.REP).select_related("profile").distinct().order_by("id"))
    stale = rep_stale_stakeholders(reps=reps, now=now)
    rep_messages = [m for m in (rep_digest(rep=r, stale=stale.get(r.pk, []), now=now) for r in reps) if m is not None]
    return managers, rep_messages


def weekly_digest_send(*, now: datetime | None = None, force: bool = False) -> DigestResult:
    """Claim this week's digest and send it; a second call in the same week sends nothing (unless forced)."""
    now = now or timezone.now()
    monday = week_start(timezone.localtime(now).date())
    if force:
        WeeklyDigest.objects.filter(week_start=monday).delete()
    try:
        with transaction.atomic():
            run = WeeklyDigest.objects.create(week_start=monday)
    except IntegrityError:
        return DigestResult(week_start=monday, skipped=True)  # another worker, or an earlier run, sent it
    managers, reps = weekly_digest_messages(now=now)
    with get_connection() as connection:
        connection.send_messages([*managers, *reps])
    WeeklyDigest.objects.filter(pk=run.pk).update(
        finished_at=timezone.now(), manager_emails=len(managers), rep_emails=len(reps)
    )
    return DigestResult(week_start=monday, manager_emails=len(managers), rep_emails=len(reps))
