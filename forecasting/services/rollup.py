"""The forecast roll-up: committed + consumption + weighted pipeline for three horizons.

Horizons (``forecast_horizons``): the current calendar quarter; the next 12 months and the next
36 months, both starting with the current month.

Per company and month, over every month any horizon touches (set-based: a few queries, then
numpy over all companies at once):

* **Committed** — subscription, commit and hybrid fees of contracts that are neither draft nor
  cancelled, recognised ratably by day over the term (the rule of services/recognition.py,
  unrounded per month).
* **Consumption** — usage revenue. Months before the current one are actual usage; the current
  month is the larger of its usage so far and the forecast for the whole month; later months are
  the latest consumption forecast (with its 80 % interval). Usage under a commit or hybrid
  contract first draws down that contract's allowance (commit: the committed amount; hybrid: the
  included units at the overage price), from the term's start, so a commit is not counted twice —
  once as committed and again as usage; only what goes beyond it is consumption (overage).
  Simplifications against the billing ledger of selectors/revenue.py: monthly usage is split
  by the days each contract covers, rollover balances are not carried in, and a hybrid whose
  overage price is unknown has no allowance in money (its usage counts in full).
* **Weighted pipeline** — open opportunities (not closed, not omitted): amount × probability.
  The amount is the deal's annual value, so it is recognised ratably over the 365 days from the
  close date (a deal closing in March adds 1/12 to roughly each month from March to February);
  an open deal whose close date has passed is placed from today (it has slipped, not vanished).
* **Category roll-ups** — the same placement of the *unweighted* amount per forecast category
  (commit, best case, pipeline). The calls a leader reads: commit = committed + consumption +
  commit deals; best case = commit + best-case deals; pipeline = best case + pipeline deals.

The consumption interval of a group is the sum of its companies' lows and highs (the range if
every account lands at the same end; conservative, and additive, so teams add up to the total).

Scopes: total; by rep (the company's owner; a deal's own owner, else its company's owner); by
team (the rep's profile team); by account, rolled up through the hierarchy to the top company
(accounts/selectors/hierarchy.py's rule: a company counts for itself and every company above it).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from decimal import Decimal
from time import monotonic, sleep

import numpy as np
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Max
from django.utils import timezone

from accounts.models import Company, Profile, Team
from accounts.services.companies import MAX_HIERARCHY_DEPTH
from forecasting.models import Contract, ForecastRun, ForecastSnapshot, Opportunity
from forecasting.selectors.forecast import ForecastArrays, MonthMatrix, forecast_arrays, month_index, usage_matrix
from forecasting.services.recognition import add_months, month_start

COUNTED = (Contract.Status.ACTIVE, Contract.Status.EXPIRED)
FEE_KINDS = (Contract.Kind.SUBSCRIPTION, Contract.Kind.COMMIT, Contract.Kind.HYBRID)
METERED_KINDS = (Contract.Kind.COMMIT, Contract.Kind.HYBRID)
_q = connection.ops.quote_name
OPEN_CATEGORIES = (Opportunity.Category.COMMIT, Opportunity.Category.BEST_CASE, Opportunity.Category.PIPELINE)
CLOSED_STAGES = (Opportunity.Stage.CLOSED_WON, Opportunity.Stage.CLOSED_LOST)
DRAWDOWN_HISTORY_MONTHS = 36
TOP_ACCOUNTS = 50
# The cache key holds everything the roll-up reads (see _data_version) and the local date, so an entry
# is never stale while its key is asked for; this only bounds how long entries of past versions stay.
# (It used to be ten minutes, as a safety net for the people's names and teams, which the key did not
# hold: every ten minutes somebody's forecast page took the ~5 s of a recomputation, and everybody
# asking meanwhile waited for it.)
CACHE_SECONDS = 60 * 60 * 24
# Longest a request waits for another one computing the roll-up before computing it itself.
ROLLUP_LOCK_SECONDS = 60
_EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class Horizon:
    key: str
    label: str
    start: date  # first day
    end: date  # last day, inclusive

    @property
    def months(self) -> list[date]:
        count = month_index(self.end) - month_index(self.start) + 1
        return [add_months(self.start, k) for k in range(count)]


def forecast_horizons(today: date) -> list[Horizon]:
    quarter_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    current = month_start(today)
    return [
        Horizon(ForecastSnapshot.Horizon.QUARTER.value, f"Q{(today.month - 1) // 3 + 1} {today.year}", quarter_start,
                add_months(quarter_start, 3) - timedelta(days=1)),
        Horizon(ForecastSnapshot.Horizon.YEAR.value, "Next 12 months", current, add_months(current, 12) - timedelta(days=1)),
        Horizon(ForecastSnapshot.Horizon.THREE_YEARS.value, "Next 36 months", current,
                add_months(current, 36) - timedelta(days=1)),
    ]


@dataclass
class Figures:
    committed: Decimal = Decimal(0)
    consumption: Decimal = Decimal(0)
    consumption_low: Decimal = Decimal(0)
    consumption_high: Decimal = Decimal(0)
    pipeline_weighted: Decimal = Decimal(0)
    category_commit: Decimal = Decimal(0)
    category_best_case: Decimal = Decimal(0)
    category_pipeline: Decimal = Decimal(0)

    @classmethod
    def from_row(cls, row) -> Figures:
        return cls(*(Decimal(repr(round(float(v), 2))) for v in row))

    @property
    def forecast(self) -> Decimal:
        """Committed + consumption + weighted pipeline: the expected revenue."""
        return self.committed + self.consumption + self.pipeline_weighted

    @property
    def call_commit(self) -> Decimal:
        return self.committed + self.consumption + self.category_commit

    @property
    def call_best_case(self) -> Decimal:
        return self.call_commit + self.category_best_case

    @property
    def call_pipeline(self) -> Decimal:
        return self.call_best_case + self.category_pipeline

    def as_dict(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out.update(forecast=self.forecast, call_commit=self.call_commit, call_best_case=self.call_best_case,
                   call_pipeline=self.call_pipeline)
        return out


FIGURE_FIELDS = [f.name for f in fields(Figures)]


@dataclass
class Line:
    """One row of a table: a rep, a team or an account, with its figures."""

    id: int
    name: str
    figures: Figures
    extra: dict = field(default_factory=dict)


@dataclass
class HorizonRollup:
    horizon: Horizon
    total: Figures
    months: list[tuple[date, Figures]]
    by_rep: list[Line]
    by_team: list[Line]
    top_accounts: list[Line]


@dataclass
class Rollup:
    today: date
    run_id: int | None
    run_as_of: date | None
    companies: int
    horizons: dict[str, HorizonRollup]
    stale: bool = False  # the latest run's first month is before the current month


# --- the per-company month matrices -------------------------------------------------------------------


def _days(values) -> np.ndarray:
    return np.array([(v - _EPOCH).days for v in values], dtype=np.int64)


def ratable_matrix(starts: np.ndarray, ends: np.ndarray, month_days: np.ndarray) -> np.ndarray:
    """Share of each term (rows; day numbers, inclusive) falling in each month (columns).

    ``month_days`` holds the first day of each month and, last, the first day after the range."""
    total = (ends - starts + 1).astype(float)
    first = np.maximum(starts[:, None], month_days[None, :-1])
    last = np.minimum(ends[:, None], month_days[None, 1:] - 1)
    overlap = np.clip(last - first + 1, 0, None)
    return overlap / np.maximum(total, 1)[:, None]


def _coverage(starts, ends, month_days) -> np.ndarray:
    """Share of each month's days (columns) inside each term (rows)."""
    first = np.maximum(starts[:, None], month_days[None, :-1])
    last = np.minimum(ends[:, None], month_days[None, 1:] - 1)
    overlap = np.clip(last - first + 1, 0, None)
    return overlap / (month_days[1:] - month_days[:-1])[None, :]


@dataclass
class _Frame:
    """Company × month matrices over [first, first + months)."""

    first: date
    months: int
    ids: np.ndarray
    parent: np.ndarray  # row of the parent (−1)
    owner: np.ndarray  # user id (0 when none)
    committed: np.ndarray
    consumption: np.ndarray
    low: np.ndarray
    high: np.ndarray


def _company_frame() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows = list(Company.objects.order_by("id").values_list("id", "parent_id", "owner_id"))
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    parents = np.array([r[1] or 0 for r in rows], dtype=np.int64)
    owners = np.array([r[2] or 0 for r in rows], dtype=np.int64)
    parent_rows = np.searchsorted(ids, parents)
    parent_rows = np.where((parents > 0) & (parent_rows < len(ids)), parent_rows, -1)
    valid = parent_rows >= 0
    valid[valid] = ids[parent_rows[valid]] == parents[valid]
    return ids, np.where(valid, parent_rows, -1), owners


def _rows_of(ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    if len(ids) == 0:
        return np.full(len(wanted), -1)
    pos = np.minimum(np.searchsorted(ids, wanted), len(ids) - 1)
    return np.where(ids[pos] == wanted, pos, -1)


def _place(target: np.ndarray, source: MonthMatrix, ids: np.ndarray, first: date) -> None:
    """Add ``source``'s columns into ``target`` (rows = ``ids``, columns from ``first``)."""
    if source.values.size == 0:
        return
    rows = _rows_of(ids, source.ids)
    keep = rows >= 0
    offset = month_index(source.first) - month_index(first)
    lo, hi = max(0, offset), min(target.shape[1], offset + source.values.shape[1])
    if hi <= lo:
        return
    target[rows[keep], lo:hi] += source.values[keep][:, lo - offset:hi - offset]


def _frame(today: date, months_from: date, months: int, forecast: ForecastArrays) -> _Frame:
    """1. companies; 2. committed fees; 3. usage (actual, then forecast); 4. commit/hybrid draw-down."""
    ids, parent, owner = _company_frame()
    n = len(ids)
    history_first = add_months(months_from, -DRAWDOWN_HISTORY_MONTHS)
    span = DRAWDOWN_HISTORY_MONTHS + months  # draw-down timeline: history, then the horizons
    month_days = _days([add_months(history_first, k) for k in range(span + 1)])
    current = month_index(month_start(today)) - month_index(history_first)

    contracts = list(
        Contract.objects.filter(status__in=COUNTED, end_date__gte=history_first)
        .order_by("start_date", "id")
        .values_list("company_id", "kind", "start_date", "end_date", "committed_amount", "included_units",
                     "overage_price")
    )
    c_rows = _rows_of(ids, np.array([c[0] for c in contracts], dtype=np.int64))
    c_kind = np.array([c[1] for c in contracts], dtype=object)
    c_start, c_end = _days([c[2] for c in contracts]), _days([c[3] for c in contracts])
    c_amount = np.array([float(c[4]) for c in contracts])

    committed = np.zeros((n, span))
    fee = np.isin(c_kind, FEE_KINDS) & (c_rows >= 0) if len(contracts) else np.zeros(0, dtype=bool)
    if fee.any():
        shares = ratable_matrix(c_start[fee], c_end[fee], month_days) * c_amount[fee][:, None]
        np.add.at(committed, c_rows[fee], shares)

    usage = np.zeros((n, span))
    # Actual usage: the horizons' past months for everyone; the months before them only for companies
    # whose commit/hybrid contracts need them (what was drawn down before).
    recent = DRAWDOWN_HISTORY_MONTHS
    _place(usage, usage_matrix(first=months_from, months=current - recent + 1), ids, history_first)
    metered_terms = [c for c in contracts if c[1] in METERED_KINDS]
    if metered_terms:
        earliest = max(history_first, month_start(min(c[2] for c in metered_terms)))
        if earliest < months_from:
            metered_sql = (
                f"SELECT company_id FROM {_q(Contract._meta.db_table)} WHERE kind IN (%s, %s) "
                "AND status IN (%s, %s) AND end_date >= %s AND start_date < %s",
                [*METERED_KINDS, *COUNTED, earliest, months_from],
            )
            before = month_index(months_from) - month_index(earliest)
            _place(usage, usage_matrix(first=earliest, months=before, companies_sql=metered_sql), ids, history_first)
    low, high = usage.copy(), usage.copy()
    if forecast.run is not None:
        for target, which in ((usage, "value"), (low, "low"), (high, "high")):
            projected = np.zeros((n, span))
            _place(projected, forecast.as_matrix(which), ids, history_first)
            future = slice(current + 1, span)
            target[:, future] = projected[:, future]
            target[:, current] = np.maximum(target[:, current], projected[:, current])

    metered = np.isin(c_kind, METERED_KINDS) & (c_rows >= 0) if len(contracts) else \
        np.zeros(0, dtype=bool)
    if metered.any():
        allowance = np.array([
            float(c[4]) if c[1] == Contract.Kind.COMMIT else
            (float(c[5]) * float(c[6]) if c[5] is not None and c[6] is not None else 0.0)
            for c, m in zip(contracts, metered) if m
        ])
        cover = _coverage(c_start[metered], c_end[metered], month_days)
        rows = c_rows[metered]
        for target in (usage, low, high):
            _draw_down(target, rows, cover, allowance)
    slice_ = slice(DRAWDOWN_HISTORY_MONTHS, span)
    return _Frame(months_from, months, ids, parent, owner, committed[:, slice_], usage[:, slice_], low[:, slice_],
                  high[:, slice_])


def _draw_down(usage: np.ndarray, rows: np.ndarray, cover: np.ndarray, allowance: np.ndarray) -> None:
    """Take each contract's covered usage out of ``usage`` (in place) until its allowance is spent.

    A company's contracts apply in start order, each drawing from what earlier ones left: round r
    takes every company's r-th contract, so each round is one vectorised step over companies."""
    order = np.lexsort((np.arange(len(rows)), rows))  # contracts arrive in start order; keep it per company
    sorted_rows = rows[order]
    first_of_company = np.r_[True, sorted_rows[1:] != sorted_rows[:-1]]
    group_start = np.maximum.accumulate(np.where(first_of_company, np.arange(len(rows)), 0))
    rank = np.empty(len(rows), dtype=np.int64)
    rank[order] = np.arange(len(rows)) - group_start
    for round_ in range(int(rank.max()) + 1 if len(rank) else 0):
        pick = np.flatnonzero(rank == round_)
        target = rows[pick]
        covered = usage[target] * cover[pick]
        drawn = np.minimum(np.cumsum(covered, axis=1), allowance[pick][:, None])
        usage[target] -= np.diff(drawn, axis=1, prepend=0.0)


# --- pipeline -----------------------------------------------------------------------------------------


def _pipeline(today: date, months_from: date, months: int, ids: np.ndarray, owner: np.ndarray):
    """(company rows, owner ids, weighted, commit, best case, pipeline) — opportunity × month matrices."""
    opps = list(
        Opportunity.objects.exclude(stage__in=CLOSED_STAGES)
        .filter(forecast_category__in=OPEN_CATEGORIES)
        .values_list("company_id", "owner_id", "amount", "probability", "close_date", "forecast_category")
    )
    month_days = _days([add_months(months_from, k) for k in range(months + 1)])
    if not opps:
        empty = np.zeros((0, months))
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), empty, empty, empty, empty
    rows = _rows_of(ids, np.array([o[0] for o in opps], dtype=np.int64))
    amount = np.array([float(o[2]) for o in opps])
    probability = np.array([float(o[3]) for o in opps])
    today_days = (today - _EPOCH).days
    starts = np.maximum(_days([o[4] for o in opps]), today_days)
    ends = starts + 364
    share = ratable_matrix(starts, ends, month_days) * amount[:, None]
    opp_owner = np.array([o[1] or 0 for o in opps], dtype=np.int64)
    opp_owner = np.where((opp_owner == 0) & (rows >= 0), owner[np.maximum(rows, 0)], opp_owner)
    category = np.array([o[5] for o in opps], dtype=object)
    split = [share * (category == c)[:, None] for c in OPEN_CATEGORIES]
    return rows, opp_owner, share * probability[:, None], *split


# --- aggregation ------------------------------------------------------------------------------------------


def _group_sum(keys: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Σ values (n × k) by integer key in [0, size)."""
    out = np.zeros((size, values.shape[1]))
    if len(keys):
        np.add.at(out, keys, values)
    return out


def _roots(parent: np.ndarray) -> np.ndarray:
    """Each company's top company (row); the depth bound stops a corrupt cycle."""
    root = np.arange(len(parent))
    for _ in range(MAX_HIERARCHY_DEPTH):
        up = parent[root]
        moving = up >= 0
        if not moving.any():
            break
        root = np.where(moving, up, root)
    return root


def forecast_rollup_cached(*, today: date | None = None) -> Rollup:
    """The roll-up for pages and the API: cached until the data it reads changes (old keys expire after a day)."""
    today = today or timezone.localdate()
    version = ":".join(str(part) for part in (today, *_data_version()))
    key = "forecast-rollup:" + hashlib.sha1(version.encode()).hexdigest()
    rollup = cache.get(key)
    if rollup is None:
        rollup = _rollup_single_flight(key, today)
    return rollup


def _rollup_single_flight(key: str, today: date) -> Rollup:
    """Compute the roll-up once for everybody who asks while it is missing.

    It takes seconds of CPU at 100,000 companies; under load every request arriving in those seconds
    would compute it again (each holding a server thread and the worker's GIL) and the pages queue
    behind them. The first request takes a lock in the cache and computes; the others wait for its
    result, and compute themselves only if the lock goes away without one (its holder failed).
    """
    def compute() -> Rollup:
        rollup = forecast_rollup(today=today)
        cache.set(key, rollup, CACHE_SECONDS)
        return rollup

    lock = f"{key}:computing"
    if cache.add(lock, 1, timeout=ROLLUP_LOCK_SECONDS):
        try:
            return compute()
        finally:
            cache.delete(lock)
    deadline = monotonic() + ROLLUP_LOCK_SECONDS
    while monotonic() < deadline:
        sleep(0.1)
        rollup = cache.get(key)
        if rollup is not None:
            return rollup
        if not cache.get(lock):
            break
    return compute()


def _data_version() -> tuple:
    """What the roll-up depends on, cheaply: the latest run, per table its row count (a deletion) and
    the last change, and the people it names. MAX(updated_at) is read off an index apart from the count:
    asked in one aggregate, PostgreSQL read every row of the three tables (~110 ms at 100k rows each, on
    every forecast page). Users, their teams and the teams' names have no change stamp; they are few
    (the sales team, not the customers), so their rows are hashed."""
    run = ForecastRun.objects.filter(status=ForecastRun.Status.SUCCEEDED).aggregate(last=Max("id"))["last"]
    version = [run]
    for model in (Contract, Opportunity, Company):
        version += [model.objects.aggregate(n=Count("*"))["n"], model.objects.aggregate(at=Max("updated_at"))["at"]]
    people = hashlib.sha1()
    for rows in (
        get_user_model().objects.order_by("pk").values_list("pk", "first_name", "last_name", "username"),
        Profile.objects.exclude(team=None).order_by("user_id").values_list("user_id", "team_id"),
        Team.objects.order_by("pk").values_list("pk", "name"),
    ):
        people.update(repr(list(rows)).encode())
    version.append(people.hexdigest())
    return tuple(version)


def forecast_rollup(*, today: date | None = None, run: ForecastRun | None = None, top: int = TOP_ACCOUNTS) -> Rollup:
    """Every horizon's figures: total, per month, by rep, by team and the top accounts (hierarchies)."""
    today = today or timezone.localdate()
    horizons = forecast_horizons(today)
    first = min(h.start for h in horizons)
    last = max(h.end for h in horizons)
    months = month_index(last) - month_index(first) + 1
    forecast = forecast_arrays(run=run)
    frame = _frame(today, first, months, forecast)
    n = len(frame.ids)
    o_rows, o_owner, o_weighted, o_commit, o_best, o_pipeline = _pipeline(today, first, months, frame.ids, frame.owner)

    company_matrices = (frame.committed, frame.consumption, frame.low, frame.high)
    deal_matrices = (o_weighted, o_commit, o_best, o_pipeline)
    known = o_rows >= 0

    users = _user_index(frame.owner, o_owner)
    company_user = users.index(frame.owner)
    deal_user = users.index(o_owner)
    roots = _roots(frame.parent)

    out: dict[str, HorizonRollup] = {}
    for horizon in horizons:
        lo = month_index(horizon.start) - month_index(first)
        hi = month_index(horizon.end) - month_index(first) + 1
        own = np.stack([m[:, lo:hi].sum(axis=1) for m in company_matrices], axis=1)  # n × 4
        deals = np.stack([m[:, lo:hi].sum(axis=1) for m in deal_matrices], axis=1) if len(o_rows) else \
            np.zeros((0, 4))
        company_totals = np.concatenate([own, _group_sum(o_rows[known], deals[known], n)], axis=1)  # n × 8
        month_totals = np.stack(
            [m[:, lo:hi].sum(axis=0) if len(m) else np.zeros(hi - lo) for m in (*company_matrices, *deal_matrices)],
            axis=1,
        )
        # reps: contracts and consumption by the company's owner, deals by the deal's owner
        rep_values = _group_sum(company_user, np.concatenate([own, np.zeros((n, 4))], axis=1), len(users.ids))
        if len(o_rows):
            rep_values += _group_sum(deal_user, np.concatenate([np.zeros((len(o_rows), 4)), deals], axis=1),
                                     len(users.ids))
        team_values = _group_sum(users.teams, rep_values, len(users.team_ids))
        account_values = _group_sum(roots, company_totals, n)
        out[horizon.key] = HorizonRollup(
            horizon=horizon,
            total=Figures.from_row(company_totals.sum(axis=0) if n else np.zeros(8)),
            months=[(add_months(horizon.start, k), Figures.from_row(month_totals[k])) for k in range(hi - lo)],
            by_rep=users.rep_lines(rep_values),
            by_team=users.team_lines(team_values),
            top_accounts=_account_lines(frame.ids, account_values, roots, top),
        )
    run_obj = forecast.run
    return Rollup(
        today=today,
        run_id=run_obj.pk if run_obj else None,
        run_as_of=run_obj.as_of if run_obj else None,
        companies=n,
        horizons=out,
        stale=bool(run_obj and run_obj.as_of < month_start(today)),
    )


@dataclass
class _Users:
    ids: np.ndarray  # sorted user ids; position 0 is "no owner" (id 0)
    team_ids: np.ndarray  # position 0 is "no team"
    teams: np.ndarray  # team position per user position
    names: dict[int, str]
    team_names: dict[int, str]

    def index(self, user_ids: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.ids, user_ids)

    def rep_lines(self, values: np.ndarray) -> list[Line]:
        lines = []
        for pos, user_id in enumerate(self.ids):
            if not values[pos].any():
                continue
            name = self.names.get(int(user_id), "Unassigned") if user_id else "Unassigned"
            team = int(self.team_ids[self.teams[pos]])
            lines.append(Line(int(user_id), name, Figures.from_row(values[pos]),
                              {"team_id": team or None, "team": self.team_names.get(team, "")}))
        return sorted(lines, key=lambda line: line.figures.forecast, reverse=True)

    def team_lines(self, values: np.ndarray) -> list[Line]:
        lines = []
        for pos, team_id in enumerate(self.team_ids):
            if not values[pos].any():
                continue
            lines.append(Line(int(team_id), self.team_names.get(int(team_id), "No team"), Figures.from_row(values[pos])))
        return sorted(lines, key=lambda line: line.figures.forecast, reverse=True)


def _user_index(*owner_arrays: np.ndarray) -> _Users:
    ids = np.unique(np.concatenate([np.zeros(1, dtype=np.int64), *owner_arrays]))
    user_model = get_user_model()
    names = {}
    for pk, first, last, username in user_model.objects.filter(pk__in=[int(i) for i in ids if i]).values_list(
        "pk", "first_name", "last_name", "username"
    ):
        names[pk] = f"{first} {last}".strip() or username
    team_by_user = dict(Profile.objects.filter(user_id__in=[int(i) for i in ids if i], team__isnull=False)
                        .values_list("user_id", "team_id"))
    team_ids = np.unique(np.array([0, *team_by_user.values()], dtype=np.int64))
    teams = np.searchsorted(team_ids, np.array([team_by_user.get(int(u), 0) for u in ids], dtype=np.int64))
    team_names = dict(Team.objects.filter(pk__in=[int(t) for t in team_ids if t]).values_list("pk", "name"))
    return _Users(ids, team_ids, teams, names, team_names)


def _account_lines(ids: np.ndarray, values: np.ndarray, roots: np.ndarray, top: int) -> list[Line]:
    forecast = values[:, 0] + values[:, 1] + values[:, 4]
    candidates = np.flatnonzero(forecast > 0)
    order = candidates[np.argsort(-forecast[candidates], kind="stable")][:top]
    if not len(order):
        return []
    members = np.bincount(roots, minlength=len(ids))
    chosen = [int(ids[i]) for i in order]
    names = dict(Company.objects.filter(pk__in=chosen).values_list("pk", "name"))
    owners = dict(Company.objects.filter(pk__in=chosen).values_list("pk", "owner__username"))
    return [
        Line(int(ids[i]), names.get(int(ids[i]), "?"), Figures.from_row(values[i]),
             {"companies": int(members[i]), "owner": owners.get(int(ids[i])) or ""})
        for i in order
    ]
