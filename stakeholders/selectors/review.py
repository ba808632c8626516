"""The managers' weekly review: a team's top accounts, their five key stakeholders and coverage flags.

``review_accounts`` runs a fixed number of queries whatever ``top_n`` is:

1. the team's top companies, ranked, with their figures (ARR, potential, penetration, owner);
2. the contact metrics of exactly those companies (correlated subqueries on indexes; the flags follow
   from them in Python);
3. the five key stakeholders of every one of those companies (one query, a window function
   numbering each company's active stakeholders);
4. the open action items of earlier review sessions for those companies (one query);
plus, at most once, the viewer's profile for their time zone.

The five key stakeholders of an account: active stakeholders with a key rank 1–5 first (in rank
order), then — when fewer than five are ranked — the others by influence (highest first), then by
most recent contact (never contacted last), then by name. People who left the company never count.
"""
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import F, FloatField, QuerySet, Window
from django.db.models.functions import Cast, RowNumber
from django.utils import timezone

from accounts.models import Company, Team
from accounts.selectors.companies import company_with_metrics
from revops.roles import is_manager, is_revops_admin
from revops.timezones import days_since, user_zone, week_start
from stakeholders.models import ActionItem, ReviewSession, Stakeholder

from .metrics import FLAG_KEYS, KEY_COUNT, company_flags, company_with_contact_metrics, freshness

CONTACT_METRICS = (
    "last_contacted_at", "last_contacted_by_id", "known_stakeholders", "contacted_30d", "has_economic_buyer",
    "has_executive_sponsor", "overdue_next_steps",
)

RANKINGS = {"potential": "Potential ARR", "arr": "ARR", "gap": "Gap (potential − ARR)"}
DEFAULT_RANKING = "potential"
DEFAULT_TOP_N = 25
MAX_TOP_N = 200


@dataclass
class KeyStakeholder:
    id: int
    name: str
    title: str
    role: str
    role_label: str
    last_contacted_at: datetime | None
    last_contacted_by: str
    days_since: int | None
    freshness: str
    contact_note: str = ""  # "last contact Mar 3, 2026 by Ravi Patel" / "never contacted", in the viewer's zone


@dataclass
class ReviewAccount:
    company: Company
    rank: int
    key_stakeholders: list[KeyStakeholder]
    known_stakeholders: int
    flags: dict[str, bool]
    last_contacted_at: datetime | None
    open_action_items: list[ActionItem] = field(default_factory=list)

    @property
    def flag_count(self) -> int:
        return sum(self.flags.values())


@dataclass
class ReviewSummary:
    accounts: int
    flag_counts: dict[str, int]
    flag_change: dict[str, int | None]


# What user_display reads: a list that names people loads these columns of their user rows only.
NAME_COLUMNS = ("first_name", "last_name", "username")


def user_display(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def name_from_columns(first_name: str | None, last_name: str | None, username: str | None) -> str:
    """user_display's rule for a user read as NAME_COLUMNS (None for nobody): full name, else username."""
    return f"{first_name or ''} {last_name or ''}".strip() or username or ""


def viewer_zone(viewer) -> ZoneInfo:
    return user_zone(viewer) if viewer is not None else timezone.get_current_timezone()


# --- whose review --------------------------------------------------------------------------------

def review_team_for(user, team_id: int | None = None) -> Team | None:
    """The team whose review ``user`` sees.

    Admins may pick any team (``team_id``), otherwise their own team or the first team; a
    manager gets the team they manage (one of theirs when they manage several); a rep gets
    their own team, read-only. None when there is nothing to show.
    """
    if not getattr(user, "is_authenticated", False):
        return None
    own_team_id = Team.objects.filter(members__user=user).values_list("id", flat=True).first()
    if is_revops_admin(user):
        if team_id is not None:
            return Team.objects.filter(pk=team_id).first()
        return Team.objects.filter(pk=own_team_id).first() or Team.objects.order_by("name").first()
    if is_manager(user):
        managed = Team.objects.filter(manager=user).order_by("name")
        if team_id is not None:
            return managed.filter(pk=team_id).first()
        return managed.filter(pk=own_team_id).first() or managed.first()
    if own_team_id is not None and (team_id is None or team_id == own_team_id):
        return Team.objects.get(pk=own_team_id)
    return None


def team_companies(team: Team) -> QuerySet[Company]:
    """A team's accounts: companies owned by a member of the team."""
    return Company.objects.filter(owner__profile__team=team)


# --- the review rows ------------------------------------------------------------------------------

def _ranked(qs: QuerySet[Company], ranking: str) -> QuerySet[Company]:
    if ranking not in RANKINGS:
        raise ValueError(f"Unknown ranking {ranking!r}; choose one of {', '.join(RANKINGS)}.")
    if ranking == "potential":
        order = [F("potential_arr").desc(nulls_last=True), F("arr").desc(), "name", "pk"]
    elif ranking == "arr":
        order = [F("arr").desc(), F("potential_arr").desc(nulls_last=True), "name", "pk"]
    else:
        qs = qs.annotate(gap=Cast(F("potential_arr"), FloatField()) - Cast(F("arr"), FloatField()))
        order = [F("gap").desc(nulls_last=True), F("potential_arr").desc(nulls_last=True), "name", "pk"]
    return qs.order_by(*order)


def _key_stakeholders(company_ids: list[int]) -> dict[int, list[dict]]:
    """Each company's five key people, as the columns a review row shows (not whole model rows)."""
    if not company_ids:
        return {}
    people = (
        Stakeholder.objects.filter(company_id__in=company_ids, is_active=True)
        .annotate(
            position=Window(
                RowNumber(),
                partition_by=[F("company_id")],
                order_by=[
                    F("key_rank").asc(nulls_last=True), F("influence").desc(),
                    F("last_contacted_at").desc(nulls_last=True), F("name").asc(), F("id").asc(),
                ],
            )
        )
        .filter(position__lte=KEY_COUNT)
        .order_by("company_id", "position")
        .values("id", "company_id", "name", "title", "role", "last_contacted_at",
                *(f"last_contacted_by__{column}" for column in NAME_COLUMNS))
    )
    by_company: dict[int, list[dict]] = {}
    for person in people:
        by_company.setdefault(person["company_id"], []).append(person)
    return by_company


def _open_items(company_ids: list[int], *, before_week: date) -> dict[int, list[ActionItem]]:
    if not company_ids:
        return {}
    items = (
        ActionItem.objects.filter(company_id__in=company_ids, status=ActionItem.Status.OPEN,
                                  session__week_start__lt=before_week)
        .select_related("assignee", "session")
        .defer("session__snapshot")  # each earlier session's copy of its review: not shown, slow to decode
        .order_by(F("due_date").asc(nulls_last=True), "id")
    )
    by_company: dict[int, list[ActionItem]] = {}
    for item in items:
        by_company.setdefault(item.company_id, []).append(item)
    return by_company


ROLE_LABELS = dict(Stakeholder.Role.choices)


def _key_row(person: dict, *, zone: ZoneInfo, today: date) -> KeyStakeholder:
    last = person["last_contacted_at"]
    days = days_since(last, zone=zone, today=today)
    if days is not None and days < 0:
        days = 0  # logged a little ahead of `now` (clock skew, or a review held on a past day)
    by = name_from_columns(*(person[f"last_contacted_by__{column}"] for column in NAME_COLUMNS))
    if last is None:
        note = "never contacted"
    else:
        local = timezone.localtime(last, zone)
        note = f"last contact {local:%b} {local.day}, {local.year}"  # "Mar 3, 2026" (the product is in English)
        note += f" by {by}" if by else ""
    role = person["role"]
    return KeyStakeholder(
        id=person["id"], name=person["name"], title=person["title"], role=role, role_label=ROLE_LABELS.get(role, role),
        last_contacted_at=last, last_contacted_by=by, days_since=days, freshness=freshness(days), contact_note=note,
    )


def _build(companies: list[Company], *, zone: ZoneInfo, now: datetime, first_rank: int = 1) -> list[ReviewAccount]:
    today = timezone.localtime(now, zone).date()
    ids = [c.pk for c in companies]
    people = _key_stakeholders(ids)
    items = _open_items(ids, before_week=week_start(today))
    return [
        ReviewAccount(
            company=company,
            rank=first_rank + index,
            key_stakeholders=[_key_row(p, zone=zone, today=today) for p in people.get(company.pk, [])],
            known_stakeholders=company.known_stakeholders,
            flags=company_flags(company),
            last_contacted_at=company.last_contacted_at,
            open_action_items=items.get(company.pk, []),
        )
        for index, company in enumerate(companies)
    ]


def _annotated(qs: QuerySet[Company], *, now: datetime, zone: ZoneInfo) -> QuerySet[Company]:
    return company_with_contact_metrics(company_with_metrics(qs.select_related("owner")), now=now, zone=zone)


def review_accounts(
    *, team: Team, ranking: str = DEFAULT_RANKING, top_n: int = DEFAULT_TOP_N, viewer=None,
    now: datetime | None = None,
) -> list[ReviewAccount]:
    """The team's top ``top_n`` accounts by ``ranking``, each with its key stakeholders and flags.

    Companies carry arr, potential_arr, penetration, owner and the contact metrics. Days since
    last contact count calendar days in the viewer's zone (the active zone without a viewer).
    """
    now = now or timezone.now()
    zone = viewer_zone(viewer)
    top_n = max(1, min(int(top_n), MAX_TOP_N))
    ranked = _ranked(company_with_metrics(team_companies(team).select_related("owner")), ranking)
    companies = list(ranked[:top_n])
    # The contact metrics in a second query, for exactly these rows: planned for a few dozen ids, their
    # subqueries stay index lookups (in one query with the ranking, PostgreSQL may plan the EXISTS as
    # hashed scans of every stakeholder, sized for the whole team — a second per review at 500k people).
    metrics = {
        row["pk"]: row
        for row in company_with_contact_metrics(Company.objects.filter(pk__in=[c.pk for c in companies]),
                                                now=now, zone=zone, flags=False).values("pk", *CONTACT_METRICS)
    } if companies else {}
    for company in companies:
        for name, value in metrics[company.pk].items():
            if name != "pk":
                setattr(company, name, value)
    return _build(companies, zone=zone, now=now)


def review_account(*, company: Company | int, viewer=None, now: datetime | None = None, rank: int = 0) -> ReviewAccount:
    """One review row, fresh from the database (to redraw a row after logging a contact)."""
    now = now or timezone.now()
    zone = viewer_zone(viewer)
    pk = company.pk if isinstance(company, Company) else int(company)
    annotated = _annotated(Company.objects.filter(pk=pk), now=now, zone=zone).get()
    return _build([annotated], zone=zone, now=now, first_rank=rank)[0]


def flag_counts(accounts: list[ReviewAccount]) -> dict[str, int]:
    return {key: sum(1 for a in accounts if a.flags.get(key)) for key in FLAG_KEYS}


def review_summary(*, team: Team, accounts: list[ReviewAccount], now: datetime | None = None,
                   viewer=None) -> ReviewSummary:
    """Accounts with each flag, and the change since the team's last review before this week.

    The comparison is the summary stored in the latest earlier session's snapshot; the change
    is None when the team has held no earlier session.
    """
    now = now or timezone.now()
    this_week = week_start(timezone.localtime(now, viewer_zone(viewer)).date())
    counts = flag_counts(accounts)
    # only the counts out of the stored snapshot (the whole one holds every row and its five people)
    previous = (
        ReviewSession.objects.filter(team=team, week_start__lt=this_week).order_by("-week_start")
        .values_list("snapshot__summary__flag_counts", flat=True).first()
    )
    before = previous if isinstance(previous, dict) else None
    change = {
        key: (counts[key] - int(before[key])) if before is not None and key in before else None
        for key in FLAG_KEYS
    }
    return ReviewSummary(accounts=len(accounts), flag_counts=counts, flag_change=change)


# --- snapshots ------------------------------------------------------------------------------------

def _money(value) -> str | None:
    return None if value is None else str(Decimal(value).quantize(Decimal("0.01")))


def review_account_snapshot(account: ReviewAccount) -> dict:
    """A review row as plain JSON, as a review session keeps it."""
    company = account.company
    return {
        "company_id": company.pk,
        "company_name": company.name,
        "rank": account.rank,
        "owner_id": company.owner_id,
        "owner": user_display(company.owner),
        "arr": _money(getattr(company, "arr", None)),
        "potential_arr": _money(company.potential_arr),
        "penetration": getattr(company, "penetration", None),
        "known_stakeholders": account.known_stakeholders,
        "last_contacted_at": account.last_contacted_at.isoformat() if account.last_contacted_at else None,
        "flags": dict(account.flags),
        "key_stakeholders": [
            {
                "id": k.id, "name": k.name, "title": k.title, "role": k.role, "role_label": k.role_label,
                "last_contacted_at": k.last_contacted_at.isoformat() if k.last_contacted_at else None,
                "last_contacted_by": k.last_contacted_by, "days_since": k.days_since, "freshness": k.freshness,
            }
            for k in account.key_stakeholders
        ],
    }


__all__ = [
    "DEFAULT_RANKING", "DEFAULT_TOP_N", "RANKINGS", "KeyStakeholder", "ReviewAccount", "ReviewSummary",
    "flag_counts", "review_account", "review_account_snapshot", "review_accounts", "review_summary",
    "review_team_for", "team_companies", "user_display", "week_start",
]
