"""Contact metrics and coverage flags per company, as annotations on any company queryset.

Every metric is a correlated subquery (or ``EXISTS``) on an index — stakeholders by company,
interactions by company and recency — so the database computes them for the rows actually
fetched (a page, the top 25 of a team) and playbook signals can filter on them set-based::

    company_with_contact_metrics(Company.objects.filter(tier="enterprise")).filter(flag_single_threaded=True)

Definitions (what the weekly review shows):

* **Known stakeholders**: active stakeholders (people who left the company do not count).
* **Contacted in 30 days**: active stakeholders whose last contact falls within the last 30
  calendar days in ``zone`` (``days_since ≤ 30``, the same rule as the "recent" colour).
* **Fewer than five known** (``few_stakeholders``): fewer than five known stakeholders.
* **No economic buyer or executive sponsor** (``no_buyer_or_sponsor``): neither an active
  economic buyer nor an active executive sponsor is known — nobody with budget or executive
  power is mapped.
* **Single-threaded** (``single_threaded``): exactly one stakeholder contacted in 30 days: the
  whole relationship hangs on one person. Zero is not single-threaded but "all stale".
* **All contacts stale** (``all_stale``): no active stakeholder contacted in 30 days (also true
  for an account with no stakeholders at all).
* **Next steps overdue** (``overdue_next_steps``): at least one open next step (not done) of
  the company's interactions is due before today in ``zone``.
"""
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Company
from stakeholders.models import Interaction, Stakeholder

FRESH_DAYS = 14
RECENT_DAYS = 30
KEY_COUNT = 5

FLAGS: list[tuple[str, str, str]] = [
    ("few_stakeholders", "Fewer than 5 known", "Fewer than five active stakeholders are known on the account."),
    ("no_buyer_or_sponsor", "No buyer or sponsor",
     "Neither an economic buyer nor an executive sponsor is mapped."),
    ("single_threaded", "Single-threaded",
     f"Only one stakeholder was contacted in the last {RECENT_DAYS} days."),
    ("all_stale", "All contacts stale", f"No stakeholder was contacted in the last {RECENT_DAYS} days."),
    ("overdue_next_steps", "Next steps overdue", "At least one open next step is past its due date."),
]
FLAG_KEYS = [key for key, _label, _help in FLAGS]
FLAG_LABELS = {key: label for key, label, _help in FLAGS}


def freshness(days: int | None) -> str:
    """The colour class of a last contact: fresh (≤ 14 days), recent (≤ 30), stale, never."""
    if days is None:
        return "never"
    if days <= FRESH_DAYS:
        return "fresh"
    if days <= RECENT_DAYS:
        return "recent"
    return "stale"


def contact_cutoffs(*, now: datetime | None = None, zone: ZoneInfo | None = None) -> tuple[datetime, date]:
    """(start of the 30-day window as an aware instant, today) for ``now`` in ``zone``.

    The window starts at midnight of the day 30 calendar days ago, so "contacted in 30 days"
    is exactly ``days_since(last_contacted_at) <= 30`` in that zone.
    """
    zone = zone or timezone.get_current_timezone()
    now = now or timezone.now()
    today = timezone.localtime(now, zone).date()
    start_day = today - timedelta(days=RECENT_DAYS)
    since = datetime.combine(start_day, time.min).replace(tzinfo=zone)
    return since, today


def _count(qs: QuerySet) -> Coalesce:
    counted = qs.order_by().values("company").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def company_with_contact_metrics(
    qs: QuerySet[Company] | None = None, *, now: datetime | None = None, zone: ZoneInfo | None = None,
    flags: bool = True,
) -> QuerySet[Company]:
    """Annotate companies with contact metrics and the five coverage flags (see the module docstring).

    Adds: last_contacted_at (latest interaction with the company, any stakeholder),
    last_contacted_by_id, known_stakeholders, contacted_30d, has_economic_buyer,
    has_executive_sponsor, overdue_next_steps (count) and flag_<key> for each key of FLAGS.
    ``zone`` defaults to the active time zone (the viewer's, set by the middleware).

    ``flags=False`` leaves the flag_<key> annotations out, for callers that only read the rows
    (``flags_from_metrics`` gives the same flags from the metrics): in SQL each flag repeats the
    subquery of its metric, so the flags double the statement and the work of the database.
    """
    qs = Company.objects.all() if qs is None else qs
    since, today = contact_cutoffs(now=now, zone=zone)
    active = Stakeholder.objects.filter(company=OuterRef("pk"), is_active=True)
    latest = Interaction.objects.filter(company=OuterRef("pk")).order_by("-occurred_at", "-id")
    open_overdue = Interaction.objects.filter(
        company=OuterRef("pk"), next_step_due__lt=today, next_step_done_at__isnull=True
    ).exclude(next_step="")
    qs = qs.annotate(
        last_contacted_at=Subquery(latest.values("occurred_at")[:1]),
        last_contacted_by_id=Subquery(latest.values("logged_by")[:1]),
        known_stakeholders=_count(active),
        contacted_30d=_count(active.filter(last_contacted_at__gte=since)),
        has_economic_buyer=Exists(active.filter(role=Stakeholder.Role.ECONOMIC_BUYER)),
        has_executive_sponsor=Exists(active.filter(role=Stakeholder.Role.EXECUTIVE_SPONSOR)),
        overdue_next_steps=_count(open_overdue),
    )
    if not flags:
        return qs
    return qs.annotate(
        flag_few_stakeholders=_bool(Q(known_stakeholders__lt=KEY_COUNT)),
        flag_no_buyer_or_sponsor=_bool(Q(has_economic_buyer=False, has_executive_sponsor=False)),
        flag_single_threaded=_bool(Q(contacted_30d=1)),
        flag_all_stale=_bool(Q(contacted_30d=0)),
        flag_overdue_next_steps=_bool(Q(overdue_next_steps__gt=0)),
    )


def _bool(condition: Q) -> Case:
    return Case(When(condition, then=Value(True)), default=Value(False), output_field=BooleanField())


def company_flags(company: Company) -> dict[str, bool]:
    """The flags of a company annotated by ``company_with_contact_metrics`` (with or without the flag
    annotations), in display order: derived from its metrics by the rules the annotations use."""
    return flags_from_metrics(
        known_stakeholders=company.known_stakeholders, contacted_30d=company.contacted_30d,
        has_economic_buyer=company.has_economic_buyer, has_executive_sponsor=company.has_executive_sponsor,
        overdue_next_steps=company.overdue_next_steps,
    )


def flags_from_metrics(
    *, known_stakeholders: int, contacted_30d: int, has_economic_buyer: bool, has_executive_sponsor: bool,
    overdue_next_steps: int,
) -> dict[str, bool]:
    """The five flags from a company's metrics, by the same rules as the flag_<key> annotations."""
    return {
        "few_stakeholders": known_stakeholders < KEY_COUNT,
        "no_buyer_or_sponsor": not has_economic_buyer and not has_executive_sponsor,
        "single_threaded": contacted_30d == 1,
        "all_stale": contacted_30d == 0,
        "overdue_next_steps": overdue_next_steps > 0,
    }


def flag_filter(key: str) -> Q:
    """A filter on one flag of an annotated queryset, e.g. ``qs.filter(flag_filter("all_stale"))``."""
    if key not in FLAG_KEYS:
        raise ValueError(f"Unknown coverage flag {key!r}.")
    return Q(**{f"flag_{key}": True})


__all__ = [
    "FLAGS", "FLAG_KEYS", "FLAG_LABELS", "FRESH_DAYS", "RECENT_DAYS", "company_flags",
    "company_with_contact_metrics", "contact_cutoffs", "flag_filter", "flags_from_metrics", "freshness",
]
