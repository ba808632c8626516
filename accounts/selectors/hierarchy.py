"""Company hierarchies: ancestors, subtrees and roll-ups, with recursive CTEs (PostgreSQL and SQLite).

Two shapes, for two kinds of work:

* Per-row annotators (`company_annotate_rollups`, `company_annotate_penetration`) add correlated
  scalar subqueries to any company queryset. Each walks one company's subtree down the
  `parent_id` index and sums its own figures (`CompanyFigures`) and users by `company_id`, so the
  cost follows the rows actually fetched and the querysets stay composable (filter, order_by,
  OuterRef). `company_attach_penetration` gives rows already fetched (a page of the account
  list) the same figures in one query: PostgreSQL evaluates a correlated subquery again for
  every place an annotation is referenced.
* Whole-table passes (`company_small_deal_ids`, the consolidation selectors) compute the
  closure of every hierarchy once, set-based, for selections over all companies.

The account page's tree loads a whole hierarchy in two queries (ancestors, then every node
with its own figures) and rolls the figures up in Python, so the query count does not grow
with the size of the tree.

Roll-up rules (what a sales leader reads on the account page):
  * ARR, MRR, seats, workspaces, users, active users: sums over the company and every
    company below it, at any depth. Active = `last_active_at` within the last 30 days.
  * Potential: a parent's potential is usually entered top-down for the whole group (the
    "global ultimate" figure), while subsidiaries carry their own parts. Summing both would
    count the group twice, so the hierarchy's potential is the larger of the company's own
    potential and the sum of the potentials set below it. Only the root has one → the
    root's; only subsidiaries have one → their sum; none → unknown.
  * Penetration: rolled-up ARR ÷ rolled-up potential (unknown when the potential is unknown
    or zero).
  * Small deal at a big company: there is a deal (ARR > 0), the potential is at least
    `ResolutionSettings.small_deal_min_potential`, and the penetration is below
    `ResolutionSettings.small_deal_penetration` (strictly). A company without any ARR is
    whitespace, not a small deal.
"""
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    DecimalField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from accounts.models import Company, CompanyFigures, ProductUser, ResolutionSettings, Workspace
from accounts.services.companies import MAX_HIERARCHY_DEPTH

ACTIVE_DAYS = 30
MONEY = DecimalField(max_digits=16, decimal_places=2)
TWELVE = Decimal(12)

_q = connection.ops.quote_name
COMPANY_TABLE = _q(Company._meta.db_table)
WORKSPACE_TABLE = _q(Workspace._meta.db_table)
# each company's own workspace figures, kept by triggers (accounts/services/figures.py)
FIGURES_TABLE = _q(CompanyFigures._meta.db_table)
USER_TABLE = _q(ProductUser._meta.db_table)


def active_since(now: datetime | None = None) -> datetime:
    """The cut-off for an "active" product user: last active within the last 30 days."""
    return (now or timezone.now()) - timedelta(days=ACTIVE_DAYS)


# --- rules shared by SQL and Python ---------------------------------------------------------------


def rollup_potential(own: Decimal | None, below: Decimal | None) -> Decimal | None:
    """The hierarchy's potential: the larger of the company's own and the sum set below it."""
    if own is None:
        return below
    if below is None or own >= below:
        return own
    return below


def penetration_ratio(arr: Decimal | None, potential: Decimal | None) -> float | None:
    if arr is None or not potential:
        return None
    return float(arr) / float(potential)


def is_small_deal(arr: Decimal | None, potential: Decimal | None, *, settings: ResolutionSettings) -> bool:
    if not arr or arr <= 0 or potential is None or potential < settings.small_deal_min_potential:
        return False
    return arr < potential * settings.small_deal_penetration


# --- SQL building blocks ----------------------------------------------------------------------------


def _subtree_cte(anchor: str) -> str:
    """`subtree(id, depth)`: the anchor company and everything below it. The depth bound keeps a
    corrupt (cyclic) chain finite; the services refuse cycles, so real trees never reach it."""
    return (
        f"WITH RECURSIVE subtree(id, depth) AS ("
        f"SELECT {anchor}, 0 "
        f"UNION ALL "
        f"SELECT child.id, subtree.depth + 1 FROM {COMPANY_TABLE} child "
        f"JOIN subtree ON child.parent_id = subtree.id WHERE subtree.depth < {MAX_HIERARCHY_DEPTH}"
        f")"
    )


class SubtreeScalar(Func):
    """A scalar subquery over the subtree of the outer row's company.

    `select` is the SELECT that follows the CTE; it reads the `subtree(id, depth)` relation.
    """

    def __init__(self, select: str, params: Iterable = (), *, output_field):
        super().__init__(F("pk"), output_field=output_field)
        self.select, self.extra_params = select, tuple(params)

    def as_sql(self, compiler, connection, **extra_context):
        pk_sql, pk_params = compiler.compile(self.source_expressions[0])
        return f"({_subtree_cte(pk_sql)} {self.select})", (*pk_params, *self.extra_params)


class UltimateParentId(Func):
    """The id of the top of the outer row's hierarchy (itself for a top-level company)."""

    output_field = IntegerField()

    def __init__(self):
        super().__init__(F("pk"), F("parent_id"))

    def as_sql(self, compiler, connection, **extra_context):
        pk_sql, pk_params = compiler.compile(self.source_expressions[0])
        parent_sql, parent_params = compiler.compile(self.source_expressions[1])
        sql = (
            f"(WITH RECURSIVE chain(id, parent_id, depth) AS ("
            f"SELECT {pk_sql}, {parent_sql}, 0 "
            f"UNION ALL "
            f"SELECT up.id, up.parent_id, chain.depth + 1 FROM {COMPANY_TABLE} up "
            f"JOIN chain ON up.id = chain.parent_id WHERE chain.depth < {MAX_HIERARCHY_DEPTH}"
            f") SELECT chain.id FROM chain WHERE chain.parent_id IS NULL)"
        )
        return sql, (*pk_params, *parent_params)


_POTENTIAL_SELECT = (
    "SELECT CASE WHEN agg.own IS NULL THEN agg.below "
    "WHEN agg.below IS NULL OR agg.own >= agg.below THEN agg.own ELSE agg.below END "
    "FROM (SELECT MAX(CASE WHEN subtree.depth = 0 THEN c.potential_arr END) AS own, "
    "SUM(CASE WHEN subtree.depth > 0 THEN c.potential_arr END) AS below "
    f"FROM {COMPANY_TABLE} c JOIN subtree ON c.id = subtree.id) agg"
)


ROLLUP_FIELDS = (
    "mrr",
    "seats",
    "workspace_count",
    "user_count",
    "active_user_count",
    "potential",
    "subsidiary_count",
    "ultimate_parent_id",
)


def _rollup_expressions(now: datetime | None) -> dict:
    figures = f"FROM {FIGURES_TABLE} f JOIN subtree ON f.company_id = subtree.id"
    users = f"FROM {USER_TABLE} u JOIN subtree ON u.company_id = subtree.id"
    return {
        "mrr": ("rollup_mrr", lambda: SubtreeScalar(f"SELECT COALESCE(SUM(f.mrr), 0) {figures}", output_field=MONEY)),
        "seats": (
            "rollup_seats",
            lambda: SubtreeScalar(f"SELECT COALESCE(SUM(f.seats), 0) {figures}", output_field=IntegerField()),
        ),
        "workspace_count": (
            "rollup_workspace_count",
            lambda: SubtreeScalar(f"SELECT COALESCE(SUM(f.workspaces), 0) {figures}", output_field=IntegerField()),
        ),
        "user_count": ("rollup_user_count", lambda: SubtreeScalar(f"SELECT COUNT(u.id) {users}", output_field=IntegerField())),
        "active_user_count": (
            "rollup_active_user_count",
            lambda: SubtreeScalar(
                f"SELECT COUNT(u.id) {users} WHERE u.last_active_at >= %s", [active_since(now)], output_field=IntegerField()
            ),
        ),
        "potential": ("rollup_potential", lambda: SubtreeScalar(_POTENTIAL_SELECT, output_field=MONEY)),
        "subsidiary_count": (
            "subsidiary_count",
            lambda: SubtreeScalar("SELECT COUNT(*) - 1 FROM subtree", output_field=IntegerField()),
        ),
        "ultimate_parent_id": (
            "ultimate_parent_id",
            lambda: Coalesce(UltimateParentId(), F("pk"), output_field=IntegerField()),
        ),
    }


def company_annotate_rollups(
    qs: QuerySet[Company], *, fields: Iterable[str] = ROLLUP_FIELDS, now: datetime | None = None
) -> QuerySet[Company]:
    """Annotate each company with figures over itself and everything below it.

    rollup_mrr and rollup_arr, rollup_seats, rollup_workspace_count, rollup_user_count,
    rollup_active_user_count, rollup_potential (see the module's rule), subsidiary_count
    (companies below, any depth) and ultimate_parent_id (itself when top-level). `fields`
    picks some of them (names without the `rollup_` prefix) when a caller needs fewer.
    """
    expressions = _rollup_expressions(now)
    unknown = set(fields) - set(expressions)
    if unknown:
        raise ValueError(f"Unknown roll-up field(s): {', '.join(sorted(unknown))}")
    qs = qs.annotate(**{name: build() for key, (name, build) in expressions.items() if key in fields})
    if "mrr" in fields:
        qs = qs.annotate(rollup_arr=ExpressionWrapper(F("rollup_mrr") * Value(TWELVE), output_field=MONEY))
    return qs


def company_annotate_penetration(
    qs: QuerySet[Company], *, settings: ResolutionSettings | None = None, now: datetime | None = None
) -> QuerySet[Company]:
    """Annotate rolled-up penetration, the money left on the table and the small-deal flag.

    rollup_penetration (float ratio or None), unclosed_potential (potential − ARR, never below
    zero; None when the potential is unknown), small_deal (bool). Adds the roll-ups it needs
    (rollup_arr, rollup_potential, subsidiary_count) when the queryset does not have them yet.
    """
    settings = settings or ResolutionSettings.load()
    missing = [key for key, name in (("mrr", "rollup_arr"), ("potential", "rollup_potential"), ("subsidiary_count", "subsidiary_count")) if name not in qs.query.annotations]
    if missing:
        qs = company_annotate_rollups(qs, fields=missing, now=now)
    arr, potential = F("rollup_arr"), F("rollup_potential")
    return qs.annotate(
        rollup_penetration=Case(
            When(rollup_potential__gt=0, then=Cast(arr, FloatField()) / Cast(potential, FloatField())),
            default=None,
            output_field=FloatField(),
        ),
        unclosed_potential=Case(
            When(rollup_potential__isnull=True, then=None),
            When(rollup_potential__gt=arr, then=ExpressionWrapper(potential - arr, output_field=MONEY)),
            default=Value(Decimal(0)),
            output_field=MONEY,
        ),
        small_deal=Case(
            When(
                Q(rollup_arr__gt=0, rollup_potential__gte=settings.small_deal_min_potential)
                & Q(rollup_arr__lt=ExpressionWrapper(potential * Value(settings.small_deal_penetration), output_field=MONEY)),
                then=Value(True),
            ),
            default=Value(False),
            output_field=BooleanField(),
        ),
    )


# --- whole-table passes -----------------------------------------------------------------------------

# Every (ancestor, descendant) pair, including each company with itself at depth 0.
_CLOSURE_CTE = (
    "closure(ancestor_id, descendant_id, depth) AS ("
    f"SELECT id, id, 0 FROM {COMPANY_TABLE} "
    "UNION ALL "
    f"SELECT closure.ancestor_id, child.id, closure.depth + 1 FROM {COMPANY_TABLE} child "
    f"JOIN closure ON child.parent_id = closure.descendant_id WHERE closure.depth < {MAX_HIERARCHY_DEPTH})"
)


def company_small_deal_ids(*, settings: ResolutionSettings | None = None) -> RawSQL:
    """The ids of every small-deal company, in one set-based pass over all hierarchies.

    Use as `Company.objects.filter(pk__in=company_small_deal_ids())`; same rule as
    `company_annotate_penetration`.
    """
    settings = settings or ResolutionSettings.load()
    sql = (
        f"WITH RECURSIVE {_CLOSURE_CTE}, "
        "agg AS (SELECT closure.ancestor_id AS id, 12 * COALESCE(SUM(own_mrr.mrr), 0) AS arr, "
        "MAX(CASE WHEN closure.depth = 0 THEN c.potential_arr END) AS own, "
        "SUM(CASE WHEN closure.depth > 0 THEN c.potential_arr END) AS below "
        f"FROM closure JOIN {COMPANY_TABLE} c ON c.id = closure.descendant_id "
        f"LEFT JOIN {FIGURES_TABLE} own_mrr ON own_mrr.company_id = closure.descendant_id GROUP BY closure.ancestor_id), "
        "pot AS (SELECT id, arr, CASE WHEN own IS NULL THEN below "
        "WHEN below IS NULL OR own >= below THEN own ELSE below END AS potential FROM agg) "
        "SELECT id FROM pot WHERE arr > 0 AND potential >= CAST(%s AS NUMERIC) AND arr < potential * CAST(%s AS NUMERIC)"
    )
    return RawSQL(sql, (settings.small_deal_min_potential, settings.small_deal_penetration))


def company_attach_penetration(
    companies: list[Company], *, settings: ResolutionSettings | None = None
) -> list[Company]:
    """`company_annotate_penetration`'s figures for rows already fetched, in one query for all of them.

    Sets rollup_mrr, rollup_arr, rollup_potential, subsidiary_count, rollup_penetration,
    unclosed_potential and small_deal on each company. For a page of rows this replaces the
    correlated subqueries, which PostgreSQL evaluates once for every place an annotation is
    referenced (the subtree of each row was walked ~10 times for ARR, potential, penetration, the
    money left and the flag); here each page's subtrees are walked once, and the derived figures
    follow the module's rules in Python.
    """
    settings = settings or ResolutionSettings.load()
    ids = [c.pk for c in companies]
    if not ids:
        return companies
    # The walk carries each node's potential, so nothing joins the companies again: PostgreSQL cannot
    # estimate a recursive CTE's size and hashed every company (100,000 rows) to join ~80 nodes.
    sql = (
        "WITH RECURSIVE closure(ancestor_id, descendant_id, depth, potential) AS ("
        f"SELECT id, id, 0, potential_arr FROM {COMPANY_TABLE} WHERE id IN ({', '.join(['%s'] * len(ids))}) "
        "UNION ALL "
        f"SELECT closure.ancestor_id, child.id, closure.depth + 1, child.potential_arr FROM {COMPANY_TABLE} child "
        f"JOIN closure ON child.parent_id = closure.descendant_id WHERE closure.depth < {MAX_HIERARCHY_DEPTH}) "
        "SELECT ancestor_id, COALESCE(SUM(own_mrr), 0), MAX(CASE WHEN depth = 0 THEN potential END), "
        "SUM(CASE WHEN depth > 0 THEN potential END), COUNT(*) - 1 "
        "FROM (SELECT closure.ancestor_id, closure.depth, closure.potential, "
        f"(SELECT f.mrr FROM {FIGURES_TABLE} f WHERE f.company_id = closure.descendant_id) AS own_mrr "
        "FROM closure) nodes "
        "GROUP BY ancestor_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, ids)
        figures = {row[0]: row[1:] for row in cursor.fetchall()}
    for company in companies:
        mrr, own, below, subsidiaries = figures.get(company.pk, (0, None, None, 0))
        mrr = _decimal(mrr or 0)
        potential = rollup_potential(_decimal(own), _decimal(below))
        arr = mrr * TWELVE
        company.rollup_mrr, company.rollup_arr, company.rollup_potential = mrr, arr, potential
        company.subsidiary_count = int(subsidiaries or 0)
        company.rollup_penetration = penetration_ratio(arr, potential)
        company.unclosed_potential = None if potential is None else max(potential - arr, Decimal(0))
        company.small_deal = is_small_deal(arr, potential, settings=settings)
    return companies


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.01"))


def company_filter_small_deal(qs: QuerySet[Company], value: bool | None) -> QuerySet[Company]:
    if value is None:
        return qs
    ids = company_small_deal_ids()
    return qs.filter(pk__in=ids) if value else qs.exclude(pk__in=ids)


# --- ancestors and trees ----------------------------------------------------------------------------


def company_ancestors(*, company: Company) -> list[Company]:
    """Root first, immediate parent last, in one query (a recursive CTE up the chain)."""
    if company.parent_id is None:
        return []
    sql = (
        f"WITH RECURSIVE chain(id, parent_id, depth) AS ("
        f"SELECT id, parent_id, 1 FROM {COMPANY_TABLE} WHERE id = %s "
        "UNION ALL "
        f"SELECT up.id, up.parent_id, chain.depth + 1 FROM {COMPANY_TABLE} up "
        f"JOIN chain ON up.id = chain.parent_id WHERE chain.depth < {MAX_HIERARCHY_DEPTH}) "
        "SELECT id FROM chain"
    )
    rows = {c.pk: c for c in Company.objects.filter(pk__in=RawSQL(sql, (company.parent_id,))).only("id", "name", "parent_id")}
    chain: list[Company] = []
    seen = {company.pk}
    parent_id = company.parent_id
    while parent_id in rows and parent_id not in seen:  # a corrupt cycle stops here
        seen.add(parent_id)
        chain.append(rows[parent_id])
        parent_id = rows[parent_id].parent_id
    chain.reverse()
    return chain


def subtree_ids(*, root_id: int) -> RawSQL:
    """The ids of a company and everything below it, for `pk__in=`."""
    return RawSQL(f"{_subtree_cte('CAST(%s AS BIGINT)')} SELECT id FROM subtree", (root_id,))


@dataclass
class TreeNode:
    """One company of a hierarchy with its own figures and the roll-up over its subtree."""

    company: Company
    depth: int = 0
    children: list["TreeNode"] = field(default_factory=list)
    own_mrr: Decimal = Decimal(0)
    own_seats: int = 0
    own_workspaces: int = 0
    own_users: int = 0
    own_active_users: int = 0
    mrr: Decimal = Decimal(0)
    seats: int = 0
    workspace_count: int = 0
    user_count: int = 0
    active_user_count: int = 0
    potential_below: Decimal | None = None
    descendant_count: int = 0
    is_current: bool = False
    on_path: bool = False

    @property
    def pk(self) -> int:
        return self.company.pk

    @property
    def own_arr(self) -> Decimal:
        return self.own_mrr * TWELVE

    @property
    def arr(self) -> Decimal:
        return self.mrr * TWELVE

    @property
    def potential(self) -> Decimal | None:
        return rollup_potential(self.company.potential_arr, self.potential_below)

    @property
    def penetration(self) -> float | None:
        return penetration_ratio(self.arr, self.potential)

    @property
    def unclosed(self) -> Decimal | None:
        potential = self.potential
        return None if potential is None else max(Decimal(0), potential - self.arr)

    def small_deal(self, settings: ResolutionSettings) -> bool:
        return is_small_deal(self.arr, self.potential, settings=settings)


@dataclass
class Hierarchy:
    root: TreeNode
    nodes: dict[int, TreeNode]
    current: TreeNode
    ancestors: list[Company]

    @property
    def size(self) -> int:
        return len(self.nodes)


def _tree_nodes(*, root_id: int, now: datetime | None = None) -> dict[int, TreeNode]:
    """Every company of root's subtree with its own figures: one query, whatever the tree's size."""
    from accounts.selectors.companies import company_with_metrics, subquery_count

    active = ProductUser.objects.filter(last_active_at__gte=active_since(now))
    companies = company_with_metrics(
        Company.objects.filter(pk__in=subtree_ids(root_id=root_id)).select_related("owner")
    ).annotate(active_user_count=subquery_count(active, "company"))
    return {
        c.pk: TreeNode(
            company=c,
            own_mrr=c.mrr,
            own_seats=c.seats,
            own_workspaces=c.workspace_count,
            own_users=c.user_count,
            own_active_users=c.active_user_count,
        )
        for c in companies.order_by("name", "pk")
    }


def _link_and_roll_up(nodes: dict[int, TreeNode], root_id: int) -> TreeNode:
    """Attach children (by name) and sum every node's subtree, bottom-up, without recursion."""
    for node in nodes.values():  # already ordered by name
        parent = nodes.get(node.company.parent_id)
        if parent is not None and node.pk != root_id:
            parent.children.append(node)
    root = nodes[root_id]
    order: list[TreeNode] = []
    stack = [(root, 0)]
    seen: set[int] = set()
    while stack:
        node, depth = stack.pop()
        if node.pk in seen:
            continue
        seen.add(node.pk)
        node.depth = depth
        order.append(node)
        stack.extend((child, depth + 1) for child in reversed(node.children))
    for node in reversed(order):  # children before parents
        node.mrr, node.seats = node.own_mrr, node.own_seats
        node.workspace_count, node.user_count = node.own_workspaces, node.own_users
        node.active_user_count, node.descendant_count = node.own_active_users, 0
        below: Decimal | None = None
        for child in node.children:
            node.mrr += child.mrr
            node.seats += child.seats
            node.workspace_count += child.workspace_count
            node.user_count += child.user_count
            node.active_user_count += child.active_user_count
            node.descendant_count += 1 + child.descendant_count
            for value in (child.company.potential_arr, child.potential_below):
                if value is not None:
                    below = value if below is None else below + value
        node.potential_below = below
    return root


def company_hierarchy(*, company: Company, now: datetime | None = None) -> Hierarchy:
    """The whole hierarchy `company` belongs to, from its ultimate parent, rolled up. Two queries."""
    ancestors = company_ancestors(company=company)
    root_id = ancestors[0].pk if ancestors else company.pk
    nodes = _tree_nodes(root_id=root_id, now=now)
    root = _link_and_roll_up(nodes, root_id)
    current = nodes[company.pk]
    current.is_current = True
    for ancestor in ancestors:
        nodes[ancestor.pk].on_path = True
    return Hierarchy(root=root, nodes=nodes, current=current, ancestors=ancestors)


def company_subtree(*, company: Company, now: datetime | None = None) -> TreeNode:
    """`company` and everything below it, rolled up (for loading a collapsed branch). One query."""
    nodes = _tree_nodes(root_id=company.pk, now=now)
    return _link_and_roll_up(nodes, company.pk)
