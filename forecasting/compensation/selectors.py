"""Reads of the compensation area, set-based: what each rep is credited with, and who sees what.

Credit rules
* Deals: a closed-won opportunity is credited on its close date. Without split rows its owner gets
  100 %; with split rows each split rep gets their percentage; overlay rows credit on top.
* Consumption: the usage revenue (Σ UsageRecord.amount) of the companies the rep owns, by month.
* Manager overlay plans (credit scope "team") credit the manager with every deal owned by, and every
  account of, the reps of the team they manage.
"""
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from accounts.models import Company, Profile, UsageRecord
from forecasting.models import Assignment, CreditSplit, Opportunity, PeriodLock, Statement
from revops.roles import is_manager, is_revops_admin

ZERO = Decimal("0")
HUNDRED = Decimal("100")
WON = Opportunity.Stage.CLOSED_WON
OPEN_STAGES = [s for s in Opportunity.Stage.values if s not in {Opportunity.Stage.CLOSED_WON, Opportunity.Stage.CLOSED_LOST}]


@dataclass(frozen=True)
class DealCredit:
    opportunity_id: int
    name: str
    company_id: int
    company_name: str
    type: str
    stage: str
    amount: Decimal
    close_date: date
    share: Decimal  # 1 = 100 %
    kind: str  # owner, split, overlay, team

    @property
    def credited(self) -> Decimal:
        return self.amount * self.share


@dataclass(frozen=True)
class AccountCredit:
    company_id: int
    company_name: str
    amount: Decimal


@dataclass(frozen=True)
class Scope:
    """Whose deals and accounts credit one statement."""

    rep_id: int
    team: bool = False


def team_members(manager_ids: Iterable[int]) -> dict[int, set[int]]:
    """manager id → user ids of the reps in the teams they manage (one query)."""
    members: dict[int, set[int]] = defaultdict(set)
    rows = Profile.objects.filter(team__manager_id__in=list(manager_ids))
    for manager_id, user_id in rows.values_list("team__manager_id", "user_id"):
        if user_id != manager_id:
            members[manager_id].add(user_id)
    return members


def deal_credits(*, scopes: Iterable[Scope], start: date, end: date, keep_ids: Iterable[int] = (),
                 extra_ids: Iterable[int] = ()) -> dict[int, list[DealCredit]]:
    """rep id → deals credited in [start, end] (three queries whatever the number of reps).

    ``keep_ids``: deals credited although no longer won (recomputing a locked period: their cancellation
    is a clawback, not a correction). ``extra_ids``: open deals counted as if won in this period (what-if).
    """
    scopes = list(scopes)
    own = [s.rep_id for s in scopes if not s.team]
    managers = [s.rep_id for s in scopes if s.team]
    keep_ids, extra_ids = list(keep_ids), list(extra_ids)
    in_period = Q(close_date__gte=start, close_date__lte=end) & (Q(stage=WON) | Q(id__in=keep_ids))
    counted = in_period | Q(id__in=extra_ids, stage__in=OPEN_STAGES)
    fields = ("id", "name", "company_id", "company__name", "type", "stage", "amount", "close_date")
    out: dict[int, list[DealCredit]] = defaultdict(list)

    def credit(row: dict, rep_id: int, share: Decimal, kind: str) -> None:
        out[rep_id].append(DealCredit(
            opportunity_id=row["id"], name=row["name"], company_id=row["company_id"], company_name=row["company__name"],
            type=row["type"], stage=row["stage"], amount=row["amount"],
            close_date=row["close_date"] if row["id"] not in extra_ids else max(min(date.today(), end), start),
            share=share, kind=kind,
        ))

    if own:
        has_split = CreditSplit.objects.filter(opportunity=OuterRef("pk"), kind=CreditSplit.Kind.SPLIT)
        owned = Opportunity.objects.filter(counted, owner_id__in=own).exclude(Exists(has_split))
        for row in owned.values("owner_id", *fields):
            credit(row, row["owner_id"], Decimal("1"), "owner")
        splits = CreditSplit.objects.filter(rep_id__in=own, opportunity__in=Opportunity.objects.filter(counted))
        for split in splits.values("rep_id", "kind", "percent", *(f"opportunity__{f}" for f in fields)):
            row = {f: split[f"opportunity__{f}"] for f in fields}
            credit(row, split["rep_id"], split["percent"] / HUNDRED, split["kind"])
    if managers:
        members = team_members(managers)
        owner_to_managers: dict[int, list[int]] = defaultdict(list)
        for manager_id, users in members.items():
            for user_id in users:
                owner_to_managers[user_id].append(manager_id)
        if owner_to_managers:
            for row in Opportunity.objects.filter(counted, owner_id__in=list(owner_to_managers)).values("owner_id", *fields):
                for manager_id in owner_to_managers[row["owner_id"]]:
                    credit(row, manager_id, Decimal("1"), "team")
    for rows in out.values():
        rows.sort(key=lambda d: (d.close_date, d.opportunity_id))
    return out


def consumption_by_owner(*, owner_ids: Iterable[int], start: date, end: date) -> dict[int, dict[int, Decimal]]:
    """owner id → {company id → usage revenue in [start, end]} for the companies they own (one query)."""
    owner_ids = list(owner_ids)
    if not owner_ids:
        return {}
    rows = (
        UsageRecord.objects.filter(period__gte=start.replace(day=1), period__lte=end)
        .filter(Q(company__owner_id__in=owner_ids) | Q(workspace__company__owner_id__in=owner_ids))
        .annotate(owner=Coalesce("company__owner_id", "workspace__company__owner_id"),
                  account=Coalesce("company_id", "workspace__company_id"))
        .values("owner", "account")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    out: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for row in rows:
        out[row["owner"]][row["account"]] = row["total"] or ZERO
    return out


def account_credits(*, scopes: Iterable[Scope], start: date, end: date) -> dict[int, list[AccountCredit]]:
    """rep id → accounts with their consumption revenue in [start, end] (two or three queries)."""
    scopes = list(scopes)
    members = team_members([s.rep_id for s in scopes if s.team])
    owners = {s.rep_id: ({s.rep_id} if not s.team else members.get(s.rep_id, set())) for s in scopes}
    by_owner = consumption_by_owner(owner_ids={o for group in owners.values() for o in group}, start=start, end=end)
    company_ids = {cid for accounts in by_owner.values() for cid in accounts}
    names = dict(Company.objects.filter(id__in=company_ids).values_list("id", "name")) if company_ids else {}
    out: dict[int, list[AccountCredit]] = {}
    for rep_id, group in owners.items():
        totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for owner in group:
            for cid, amount in by_owner.get(owner, {}).items():
                totals[cid] += amount
        out[rep_id] = sorted((AccountCredit(cid, names.get(cid, ""), amount) for cid, amount in totals.items()),
                             key=lambda a: (-a.amount, a.company_name))
    return out


def open_pipeline(*, user, limit: int = 50) -> QuerySet[Opportunity]:
    """The rep's open deals (owned without splits, or split to them), largest first: the what-if list."""
    has_split = CreditSplit.objects.filter(opportunity=OuterRef("pk"), kind=CreditSplit.Kind.SPLIT)
    mine = Q(owner=user) & ~Q(Exists(has_split)) | Q(credit_splits__rep=user)
    return (Opportunity.objects.filter(mine, stage__in=OPEN_STAGES).select_related("company").distinct()
            .order_by("-amount", "close_date")[:limit])


# --- visibility --------------------------------------------------------------------------------

def visible_rep_ids(user) -> set[int] | None:
    """Whose statements a user may see: None = everyone (admins); managers their team and themselves."""
    if is_revops_admin(user):
        return None
    ids = {user.pk}
    if is_manager(user):
        ids |= set(Profile.objects.filter(team__manager=user).values_list("user_id", flat=True))
    return ids


def statements_visible_to(user) -> QuerySet[Statement]:
    qs = Statement.objects.select_related("rep", "assignment__plan")
    ids = visible_rep_ids(user)
    return qs if ids is None else qs.filter(rep_id__in=ids)


def assignments_visible_to(user) -> QuerySet[Assignment]:
    qs = Assignment.objects.select_related("rep", "plan").prefetch_related("quotas__component")
    ids = visible_rep_ids(user)
    return qs if ids is None else qs.filter(rep_id__in=ids)


def statement_detail(*, pk: int) -> Statement:
    return (Statement.objects.select_related("rep", "assignment__plan")
            .prefetch_related("components__component", "lines__component", "lines__opportunity__company")
            .get(pk=pk))


def team_statements(*, user, period: str, team_id: int | None = None) -> list[Statement]:
    """Statements of one period that ``user`` may see (optionally one team), with their components."""
    qs = statements_visible_to(user).filter(period=period).prefetch_related("components")
    if team_id:
        qs = qs.filter(rep__profile__team_id=team_id)
    return sorted(qs, key=lambda s: (-(s.commission or 0), s.rep.get_full_name() or s.rep.get_username()))


def periods_with_statements(user) -> list[str]:
    return list(statements_visible_to(user).order_by("-period_start").values_list("period", flat=True).distinct())


def locked_periods() -> set[str]:
    return set(PeriodLock.objects.values_list("period", flat=True))

