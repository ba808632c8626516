"""Consolidation candidates: hierarchies whose self-serve usage one enterprise agreement could unite.

Definitions (what the page, the API and `export_data consolidation` all mean):

* Everything is rolled up to the ultimate parent: a group's workspaces are those of every
  company in its hierarchy, at any depth. Churned workspaces are left out (nothing left to
  consolidate). A candidate has at least two workspaces.
* Size band: the ultimate parent's employee count (the group's headcount, as CRMs record it
  on the global ultimate) — 1–49, 50–249, 250–999, 1,000–4,999, 5,000+, or "unknown size"
  when the CRM has no count.
* "More than typical": the group's workspace count is above the Nth percentile
  (ResolutionSettings.consolidation_percentile, 90 by default) of workspace counts among the
  groups of the same band that use the product (one workspace or more); companies without
  any workspace would drag every percentile to zero. Continuous percentile (linear
  interpolation, as PostgreSQL's PERCENTILE_CONT): computed in the database on PostgreSQL,
  from the per-band distribution of counts (one grouped query) elsewhere.
* Today's spend: Σ workspace MRR, × 12 as the annual run-rate. Workspaces on the enterprise
  plan are already under contract, so their spend counts as committed; the rest is
  self-serve, month to month, and not committed.
* The agreement: the enterprise plan for the combined seats at the volume tier they reach
  (accounts.services.pricing.enterprise_quote).
* Customer's saving = today's annual spend − the agreement's annual price (negative: the
  customer would pay more, so price alone is no incentive → "needs an incentive").
  A saving above GENEROUS_SAVING_SHARE of today's spend is flagged too: the volume price gives
  away more margin than it takes to move the customer.
* Committed uplift = the agreement's annual value − the spend already committed today: how
  much more revenue would be under contract.

Set-based: the closure of every hierarchy is computed once per query by a recursive CTE from
the top-level companies down (the recursive step probes the `parent_id` index), workspaces
are joined and grouped per ultimate parent, and filtering, sorting and paging happen in the
database. A page costs a fixed handful of queries whatever the number of companies.
"""
import math
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Prefetch

from accounts.models import Company, ProductUser, ResolutionSettings, Workspace, WorkspaceMembership
from accounts.selectors.companies import subquery_count
from accounts.selectors.hierarchy import COMPANY_TABLE, USER_TABLE, WORKSPACE_TABLE, active_since
from accounts.services.companies import MAX_HIERARCHY_DEPTH
from accounts.services.pricing import PriceBook, Quote, price_book_load

_q = connection.ops.quote_name
MEMBERSHIP_TABLE = _q(WorkspaceMembership._meta.db_table)

MIN_WORKSPACES = 2
GENEROUS_SAVING_SHARE = Decimal("0.25")
TWELVE = Decimal(12)
ADMINS_SHOWN = 3

# key, label, lowest employee count, highest (None: open-ended)
SIZE_BANDS = (
    ("1-49", "1–49 employees", 1, 49),
    ("50-249", "50–249 employees", 50, 249),
    ("250-999", "250–999 employees", 250, 999),
    ("1000-4999", "1,000–4,999 employees", 1000, 4999),
    ("5000+", "5,000+ employees", 5000, None),
)
UNKNOWN_BAND = ("unknown", "Unknown size")
BAND_LABELS = dict([(key, label) for key, label, _, _ in SIZE_BANDS] + [UNKNOWN_BAND])

SORTS = {
    "uplift": "committed_uplift",
    "workspaces": "workspace_count",
    "seats": "seats",
    "saving": "saving",
    "arr": "current_arr",
    "name": "LOWER(name)",
}
DEFAULT_SORT = "-uplift"


def size_band(employee_count: int | None) -> str:
    if not employee_count or employee_count < 1:
        return UNKNOWN_BAND[0]
    for key, _, low, high in SIZE_BANDS:
        if employee_count >= low and (high is None or employee_count <= high):
            return key
    return UNKNOWN_BAND[0]  # unreachable: the bands cover every positive count


def _band_sql(column: str) -> str:
    whens = " ".join(
        f"WHEN {column} <= {high} THEN '{key}'" if high is not None else f"ELSE '{key}'" for key, _, _, high in SIZE_BANDS
    )
    return f"(CASE WHEN {column} IS NULL OR {column} < 1 THEN '{UNKNOWN_BAND[0]}' {whens} END)"


def _tree_cte(anchor_where: str) -> str:
    """`tree(id, root_id, depth)`: every company under the anchors, with the anchor it hangs from."""
    return (
        "tree(id, root_id, depth) AS ("
        f"SELECT id, id, 0 FROM {COMPANY_TABLE} WHERE {anchor_where} "
        "UNION ALL "
        f"SELECT child.id, tree.root_id, tree.depth + 1 FROM {COMPANY_TABLE} child "
        f"JOIN tree ON child.parent_id = tree.id WHERE tree.depth < {MAX_HIERARCHY_DEPTH})"
    )


def _footprint_sql(*, committed_plan: str, anchor_where: str = "parent_id IS NULL", anchor_params=()) -> tuple[str, list]:
    """`WITH RECURSIVE tree …, footprint …`: per ultimate parent, its live workspaces summed.

    The recursion walks only the companies below the anchors (down the `parent_id` index or a
    hash of it), not every top-level company: most companies have no parent, and a workspace of
    a top-level company needs no walk at all.
    """
    anchors = f"SELECT id FROM {COMPANY_TABLE} WHERE {anchor_where}"
    sql = (
        "WITH RECURSIVE tree(id, root_id, depth) AS ("
        f"SELECT child.id, child.parent_id, 1 FROM {COMPANY_TABLE} child WHERE child.parent_id IN ({anchors}) "
        "UNION ALL "
        f"SELECT child.id, tree.root_id, tree.depth + 1 FROM {COMPANY_TABLE} child "
        f"JOIN tree ON child.parent_id = tree.id WHERE tree.depth < {MAX_HIERARCHY_DEPTH}), "
        "footprint AS (SELECT COALESCE(tree.root_id, anchor.id) AS company_id, COUNT(*) AS workspace_count, "
        "COUNT(DISTINCT w.company_id) AS company_count, SUM(w.seats) AS seats, SUM(w.mrr) AS mrr, "
        "SUM(CASE WHEN LOWER(w.plan) = %s THEN w.mrr ELSE 0 END) AS committed_mrr "
        f"FROM {WORKSPACE_TABLE} w LEFT JOIN tree ON tree.id = w.company_id "
        f"LEFT JOIN ({anchors}) anchor ON anchor.id = w.company_id "
        "WHERE w.status <> %s AND (tree.id IS NOT NULL OR anchor.id IS NOT NULL) "
        "GROUP BY COALESCE(tree.root_id, anchor.id))"
    )
    return sql, [*anchor_params, committed_plan, *anchor_params, Workspace.Status.CHURNED]


# --- percentiles per size band --------------------------------------------------------------------------


@dataclass(frozen=True)
class BandStat:
    band: str
    groups: int  # groups in the band with one workspace or more
    typical: float  # the Nth percentile of their workspace counts

    @property
    def label(self) -> str:
        return BAND_LABELS[self.band]


def percentile_cont(distribution: dict[int, int], fraction: float) -> float:
    """PERCENTILE_CONT over values given as {value: how many times}: linear interpolation
    between the two values around position fraction × (n − 1) of the sorted values."""
    n = sum(distribution.values())
    if n == 0:
        raise ValueError("empty distribution")
    position = fraction * (n - 1)
    lower_index, upper_index = math.floor(position), math.ceil(position)
    lower = upper = None
    seen = 0
    for value in sorted(distribution):
        seen += distribution[value]
        if lower is None and lower_index < seen:
            lower = value
        if upper_index < seen:
            upper = value
            break
    return lower + (position - lower_index) * (upper - lower)


def consolidation_band_stats(*, percentile: int | None = None, price_book: PriceBook | None = None) -> dict[str, BandStat]:
    """The typical workspace count per size band (one query)."""
    percentile = percentile or ResolutionSettings.load().consolidation_percentile
    committed_plan = price_book.plan_code if price_book else ""
    footprint, params = _footprint_sql(committed_plan=committed_plan)
    per_group = (
        f"SELECT {_band_sql('c.employee_count')} AS band, footprint.workspace_count AS n "
        f"FROM footprint JOIN {COMPANY_TABLE} c ON c.id = footprint.company_id"
    )
    fraction = percentile / 100
    stats: dict[str, BandStat] = {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"{footprint} SELECT band, COUNT(*), PERCENTILE_CONT(%s) WITHIN GROUP (ORDER BY n) "
                f"FROM ({per_group}) g GROUP BY band",
                [*params, fraction],
            )
            for band, groups, typical in cursor.fetchall():
                stats[band] = BandStat(band=band, groups=groups, typical=float(typical))
        else:
            cursor.execute(f"{footprint} SELECT band, n, COUNT(*) FROM ({per_group}) g GROUP BY band, n", params)
            distributions: dict[str, dict[int, int]] = defaultdict(dict)
            for band, n, count in cursor.fetchall():
                distributions[band][n] = count
            for band, distribution in distributions.items():
                stats[band] = BandStat(
                    band=band, groups=sum(distribution.values()), typical=percentile_cont(distribution, fraction)
                )
    return stats


# --- filters ----------------------------------------------------------------------------------------------


class ConsolidationFilterForm(forms.Form):
    """The page's and the API's query parameters."""

    q = forms.CharField(required=False, max_length=100, label="Search")
    more_than_typical = forms.BooleanField(required=False, label="More than typical only")
    owner = forms.ModelChoiceField(queryset=get_user_model().objects.all(), required=False)
    tier = forms.ChoiceField(choices=[("", "Any tier"), *[c for c in Company.Tier.choices if c[0]]], required=False)
    min_workspaces = forms.IntegerField(required=False, min_value=MIN_WORKSPACES, max_value=100_000)
    sort = forms.ChoiceField(
        required=False, choices=[(f"{d}{key}", f"{d}{key}") for key in SORTS for d in ("", "-")]
    )


@dataclass(frozen=True)
class ConsolidationFilters:
    q: str = ""
    more_than_typical: bool = False
    owner_id: int | None = None
    tier: str = ""
    min_workspaces: int = MIN_WORKSPACES
    sort: str = DEFAULT_SORT

    @classmethod
    def from_form(cls, form: ConsolidationFilterForm) -> "ConsolidationFilters":
        data = form.cleaned_data
        return cls(
            q=(data.get("q") or "").strip(),
            more_than_typical=bool(data.get("more_than_typical")),
            owner_id=data["owner"].pk if data.get("owner") else None,
            tier=data.get("tier") or "",
            min_workspaces=data.get("min_workspaces") or MIN_WORKSPACES,
            sort=data.get("sort") or DEFAULT_SORT,
        )


# --- candidates -------------------------------------------------------------------------------------------


@dataclass
class WorkspaceLine:
    workspace: Workspace
    active_users: int
    admins: list[ProductUser] = field(default_factory=list)
    admins_hidden: int = 0


@dataclass
class Candidate:
    company: Company
    workspace_count: int
    company_count: int  # companies of the group that have workspaces
    seats: int
    mrr: Decimal
    committed_mrr: Decimal
    band: str
    typical: float | None
    quote: Quote
    percentile: int
    workspaces: list[WorkspaceLine] = field(default_factory=list)
    active_users: int = 0

    @property
    def band_label(self) -> str:
        return BAND_LABELS[self.band]

    @property
    def more_than_typical(self) -> bool:
        return self.typical is not None and self.workspace_count > self.typical

    @property
    def current_arr(self) -> Decimal:
        return self.mrr * TWELVE

    @property
    def committed_arr(self) -> Decimal:
        return self.committed_mrr * TWELVE

    @property
    def saving(self) -> Decimal:
        """What the customer saves per year with the agreement (negative: they would pay more)."""
        return self.current_arr - self.quote.annual

    @property
    def saving_monthly(self) -> Decimal:
        return self.mrr - self.quote.monthly

    @property
    def saving_share(self) -> float | None:
        return float(self.saving / self.current_arr) if self.current_arr else None

    @property
    def committed_uplift(self) -> Decimal:
        return self.quote.annual - self.committed_arr

    @property
    def revenue_change(self) -> Decimal:
        """Our annual run-rate after the agreement minus before (the customer's saving, reversed)."""
        return -self.saving

    @property
    def needs_incentive(self) -> bool:
        return self.saving <= 0

    @property
    def margin_at_risk(self) -> bool:
        return self.current_arr > 0 and self.saving > self.current_arr * GENEROUS_SAVING_SHARE

    @property
    def break_even_discount(self) -> float | None:
        """The discount off the agreement at which the customer pays what they pay today."""
        if not self.needs_incentive or not self.quote.annual:
            return None
        return float(1 - self.current_arr / self.quote.annual)

    @property
    def verdict(self) -> str:
        if self.needs_incentive:
            return "needs_incentive"
        return "margin_at_risk" if self.margin_at_risk else "tangible"


@dataclass(frozen=True)
class CandidateSummary:
    candidates: int
    more_than_typical: int
    current_arr: Decimal
    agreement_annual: Decimal
    committed_uplift: Decimal
    workspaces: int
    seats: int


class CandidateSet:
    """Lazily evaluated candidates for one set of filters: `.count()` and slicing for Paginator
    (one query each), `.summary()` for totals, `.iterator()` for exports."""

    def __init__(
        self,
        *,
        filters: ConsolidationFilters,
        price_book: PriceBook,
        bands: dict[str, BandStat],
        percentile: int,
        now: datetime | None = None,
        anchor_where: str = "parent_id IS NULL",
        anchor_params: tuple = (),
    ):
        self.filters, self.price_book, self.bands, self.percentile = filters, price_book, bands, percentile
        self.now = now
        self.anchor_where, self.anchor_params = anchor_where, anchor_params
        self._summary: CandidateSummary | None = None
        self._window: tuple[int, int, list[tuple]] | None = None

    # -- SQL --

    def _scored_sql(self) -> tuple[str, list]:
        footprint, params = _footprint_sql(
            committed_plan=self.price_book.plan_code, anchor_where=self.anchor_where, anchor_params=self.anchor_params
        )
        price_sql, price_params = self.price_book.price_per_seat_sql("footprint.seats")
        where, where_params = ["footprint.workspace_count >= %s"], [max(MIN_WORKSPACES, self.filters.min_workspaces)]
        if self.filters.owner_id:
            where.append("c.owner_id = %s")
            where_params.append(self.filters.owner_id)
        if self.filters.tier:
            where.append("c.tier = %s")
            where_params.append(self.filters.tier)
        if self.filters.q:
            where.append("UPPER(c.name) LIKE UPPER(%s)")
            where_params.append(f"%{self.filters.q}%")
        typical_whens, typical_params = [], []
        for band, stat in self.bands.items():
            typical_whens.append("WHEN %s THEN %s")
            typical_params += [band, stat.typical]
        typical_sql = f"(CASE band {' '.join(typical_whens)} ELSE NULL END)" if typical_whens else "NULL"
        sql = (
            f"{footprint}, "
            "candidates AS (SELECT footprint.company_id, footprint.workspace_count, footprint.company_count, "
            "footprint.seats, footprint.mrr, footprint.committed_mrr, c.name, "
            f"{_band_sql('c.employee_count')} AS band, {price_sql} AS price_per_seat "
            f"FROM footprint JOIN {COMPANY_TABLE} c ON c.id = footprint.company_id WHERE {' AND '.join(where)}), "
            f"scored AS (SELECT candidates.*, {typical_sql} AS typical, "
            "12 * mrr AS current_arr, 12 * price_per_seat * seats AS agreement_annual, "
            "12 * mrr - 12 * price_per_seat * seats AS saving, "
            "12 * price_per_seat * seats - 12 * committed_mrr AS committed_uplift FROM candidates)"
        )
        params = [*params, *price_params, *where_params, *typical_params]
        outer_where = " WHERE typical IS NOT NULL AND workspace_count > typical" if self.filters.more_than_typical else ""
        return sql, params, outer_where

    def _order_by(self) -> str:
        sort = self.filters.sort if self.filters.sort.lstrip("-") in SORTS else DEFAULT_SORT
        column = SORTS[sort.lstrip("-")]
        direction = "DESC" if sort.startswith("-") else "ASC"
        return f"{column} {direction}, LOWER(name) ASC, company_id ASC"

    _TOTALS = (
        "COUNT(*), SUM(CASE WHEN typical IS NOT NULL AND workspace_count > typical THEN 1 ELSE 0 END), "
        "SUM(current_arr), SUM(agreement_annual), SUM(committed_uplift), SUM(workspace_count), SUM(seats)"
    )
    _COLUMNS = "company_id, workspace_count, company_count, seats, mrr, committed_mrr, band, typical"

    def _rows(self, *, limit: int | None = None, offset: int = 0, with_totals: bool = False) -> list[tuple]:
        sql, params, outer_where = self._scored_sql()
        # Window totals ride along with the page, so one pass serves both the rows and the counts.
        totals = ", " + ", ".join(f"{part.strip()} OVER ()" for part in self._TOTALS.split(", ")) if with_totals else ""
        sql += f" SELECT {self._COLUMNS}{totals} FROM scored{outer_where} ORDER BY {self._order_by()}"
        if limit is not None:
            sql += " LIMIT %s OFFSET %s"
            params = [*params, limit, offset]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def prefetch(self, *, offset: int, limit: int) -> None:
        """Fetch one page and the totals in a single query; `count()`, `summary()` and the same
        slice then need no query of their own (a page past the end falls back to them)."""
        rows = self._rows(limit=limit, offset=offset, with_totals=True)
        if rows:
            self._summary = self._make_summary(rows[0][8:])
            self._window = (offset, offset + limit, [row[:8] for row in rows])

    # -- Paginator protocol --

    @staticmethod
    def _make_summary(row) -> CandidateSummary:
        money = [Decimal(str(v or 0)).quantize(Decimal("0.01")) for v in row[2:5]]
        return CandidateSummary(
            candidates=int(row[0] or 0),
            more_than_typical=int(row[1] or 0),
            current_arr=money[0],
            agreement_annual=money[1],
            committed_uplift=money[2],
            workspaces=int(row[5] or 0),
            seats=int(row[6] or 0),
        )

    def summary(self) -> CandidateSummary:
        if self._summary is None:
            sql, params, outer_where = self._scored_sql()
            sql += f" SELECT {self._TOTALS} FROM scored{outer_where}"
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                self._summary = self._make_summary(cursor.fetchone())
        return self._summary

    def count(self) -> int:
        return self.summary().candidates

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            raise TypeError("CandidateSet supports slices only")
        start = index.start or 0
        limit = None if index.stop is None else max(0, index.stop - start)
        if self._window is not None:
            window_start, window_stop, rows = self._window
            # Paginator asks for the prefetched page, or for the part of it that exists (last page).
            if start == window_start and index.stop in (window_stop, start + len(rows)):
                return self._hydrate(rows)
        return self._hydrate(self._rows(limit=limit, offset=start))

    def iterator(self, *, chunk_size: int = 500) -> Iterator[Candidate]:
        """Every candidate in order, with its workspaces; one query per chunk for the details."""
        rows = self._rows()
        for start in range(0, len(rows), chunk_size):
            yield from self._hydrate(rows[start : start + chunk_size])

    # -- details for the rows shown --

    def _hydrate(self, rows: list[tuple]) -> list[Candidate]:
        if not rows:
            return []
        ids = [row[0] for row in rows]
        companies = Company.objects.select_related("owner").in_bulk(ids)
        candidates = []
        for company_id, workspace_count, company_count, seats, mrr, committed_mrr, band, typical in rows:
            seats = int(seats or 0)
            candidates.append(
                Candidate(
                    company=companies[company_id],
                    workspace_count=int(workspace_count),
                    company_count=int(company_count),
                    seats=seats,
                    mrr=_money(mrr),
                    committed_mrr=_money(committed_mrr),
                    band=band,
                    typical=None if typical is None else float(typical),
                    quote=self.price_book.quote(seats),
                    percentile=self.percentile,
                )
            )
        _attach_workspaces(candidates, now=self.now)
        return candidates


def _money(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def _attach_workspaces(candidates: list[Candidate], *, now: datetime | None = None) -> None:
    """Each candidate's live workspaces with active users and admins, and its distinct active users.

    Four queries for any number of candidates: company → group, workspaces, admins, active users.
    """
    by_root = {c.company.pk: c for c in candidates}
    placeholders = ", ".join(["%s"] * len(by_root))
    tree = _tree_cte(f"id IN ({placeholders})")
    with connection.cursor() as cursor:
        cursor.execute(f"WITH RECURSIVE {tree} SELECT id, root_id FROM tree", list(by_root))
        root_of = dict(cursor.fetchall())
    cutoff = active_since(now)
    active_members = WorkspaceMembership.objects.filter(user__last_active_at__gte=cutoff)
    workspaces = list(
        Workspace.objects.filter(company_id__in=list(root_of))
        .exclude(status=Workspace.Status.CHURNED)
        .select_related("company")
        .annotate(active_users=subquery_count(active_members, "workspace"))
        .order_by("-mrr", "name", "pk")
    )
    lines: dict[int, WorkspaceLine] = {}
    for workspace in workspaces:
        line = WorkspaceLine(workspace=workspace, active_users=workspace.active_users)
        lines[workspace.pk] = line
        by_root[root_of[workspace.company_id]].workspaces.append(line)
    admins = (
        WorkspaceMembership.objects.filter(workspace_id__in=list(lines), role=WorkspaceMembership.Role.ADMIN)
        .select_related("user")
        .order_by("user__email")
    )
    for membership in admins:
        line = lines[membership.workspace_id]
        if len(line.admins) < ADMINS_SHOWN:
            line.admins.append(membership.user)
        else:
            line.admins_hidden += 1
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH RECURSIVE {tree} SELECT tree.root_id, COUNT(DISTINCT m.user_id) FROM tree "
            f"JOIN {WORKSPACE_TABLE} w ON w.company_id = tree.id "
            f"JOIN {MEMBERSHIP_TABLE} m ON m.workspace_id = w.id "
            f"JOIN {USER_TABLE} u ON u.id = m.user_id "
            "WHERE w.status <> %s AND u.last_active_at >= %s GROUP BY tree.root_id",
            [*by_root, Workspace.Status.CHURNED, cutoff],
        )
        for root_id, active in cursor.fetchall():
            by_root[root_id].active_users = int(active)


# --- entry points ---------------------------------------------------------------------------------------


def consolidation_candidates(
    *,
    filters: ConsolidationFilters | None = None,
    price_book: PriceBook | None = None,
    settings: ResolutionSettings | None = None,
    now: datetime | None = None,
) -> CandidateSet:
    """Every consolidation candidate matching `filters`, lazily (see CandidateSet).

    Raises ApplicationError when the price book has no enterprise plan.
    """
    settings = settings or ResolutionSettings.load()
    price_book = price_book or price_book_load()
    bands = consolidation_band_stats(percentile=settings.consolidation_percentile, price_book=price_book)
    return CandidateSet(
        filters=filters or ConsolidationFilters(),
        price_book=price_book,
        bands=bands,
        percentile=settings.consolidation_percentile,
        now=now,
    )


def consolidation_candidate_get(
    *, company: Company, price_book: PriceBook | None = None, settings: ResolutionSettings | None = None,
    now: datetime | None = None,
) -> Candidate | None:
    """The candidate for one ultimate parent, or None when its group has fewer than two live workspaces."""
    if company.parent_id is not None:
        return None
    settings = settings or ResolutionSettings.load()
    price_book = price_book or price_book_load()
    bands = consolidation_band_stats(percentile=settings.consolidation_percentile, price_book=price_book)
    found = CandidateSet(
        filters=ConsolidationFilters(),
        price_book=price_book,
        bands=bands,
        percentile=settings.consolidation_percentile,
        now=now,
        anchor_where="id = %s AND parent_id IS NULL",
        anchor_params=(company.pk,),
    )[0:1]
    return found[0] if found else None
