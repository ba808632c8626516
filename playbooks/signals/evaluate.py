"""Set-based evaluation of a signal: one annotated, filtered query over every company.

1. Validate and normalise the signal.
2. Annotate the companies with each metric the signal (and the why) reads.
3. Thresholds that depend on the whole population — "above the Nth percentile", "above average"
   — come from one extra aggregate query (PERCENTILE_CONT on PostgreSQL; elsewhere the grouped
   distribution of the values, interpolated the same way); the size-band percentile rank from one
   grouped query of (band, workspace count, companies). Never a query per company.
4. Build one ``Q`` from the tree (AND/OR) and filter.

Semantics: thresholds and ranks are computed over all companies whose value is known; a
condition on an unknown value is false (an unknown potential is neither above nor below 10 %),
except for "days since" metrics, where never counts as longer ago than any number of days.
"""
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Aggregate, Avg, Case, Count, F, FloatField, Q, QuerySet, Value, When
from django.utils import timezone

from accounts.models import Company
from accounts.selectors.consolidation import percentile_cont
from playbooks.signals.registry import (
    AGE,
    DATE,
    METRICS,
    MONEY,
    MONEY_T,
    RANK,
    TEAM,
    USER,
    Context,
    format_value,
    metric_annotate,
)
from playbooks.signals.tree import iter_conditions, signal_validate

NOTHING = Q(pk__in=[])


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate: continuous percentile with linear interpolation."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


@dataclass
class Evaluation:
    signal: dict  # normalised, with each condition's "_path"
    ctx: Context
    queryset: QuerySet  # the matching companies, annotated
    names: dict[str, str] = field(default_factory=dict)  # condition path -> annotation
    thresholds: dict[str, float | None] = field(default_factory=dict)  # condition path -> threshold
    rank_table: dict[tuple[str, int], float] | None = None  # (band, workspace count) -> rank 0–100
    why_metrics: list[tuple[str, dict, str]] = field(default_factory=list)  # (key, params, annotation)

    def count(self) -> int:
        return self.queryset.count()

    def rows(self) -> list[dict]:
        """pk, owner_id, m_value and every why metric, one query."""
        fields = {"pk", "owner_id", "m_value", *(name for _key, _params, name in self.why_metrics)}
        if self.rank_table is not None:
            fields |= {"m_workspace_count", "m_workspace_rank_band"}
        return list(self.queryset.values(*sorted(fields)))

    def rank_of(self, row: dict) -> float | None:
        count = row.get("m_workspace_count") or 0
        if self.rank_table is None or count < 1:
            return None
        return self.rank_table.get((row["m_workspace_rank_band"], count))

    def why(self, row: dict, *, names: dict | None = None) -> list[dict]:
        """The metric values that explain the match, in signal order then context metrics."""
        items = []
        for key, params, name in self.why_metrics:
            metric = METRICS[key]
            raw = self.rank_of(row) if metric.type == RANK else row.get(name)
            if metric.type == AGE:
                raw = None if raw is None else (self.ctx.today - raw.astimezone(UTC).date()).days
            if metric.type == DATE and raw is not None:
                raw = raw.astimezone(UTC).date().isoformat()
            value = float(raw) if isinstance(raw, Decimal) else raw
            items.append({
                "metric": key,
                "label": metric.label,
                "value": value,
                "text": format_value(metric, raw if metric.type != DATE or raw is None else date.fromisoformat(raw),
                                     params=params, today=self.ctx.today, names=names),
            })
        return items

    def why_names(self, rows: list[dict]) -> dict:
        """Display names of the users and teams the why mentions (one query per kind at most)."""
        from django.contrib.auth import get_user_model

        from accounts.models import Team

        wanted: dict[str, set] = {USER: set(), TEAM: set()}
        for key, _params, name in self.why_metrics:
            kind = METRICS[key].type
            if kind in wanted:
                wanted[kind] |= {row[name] for row in rows if row.get(name) is not None}
        names = {}
        if wanted[USER]:
            for user in get_user_model().objects.filter(pk__in=wanted[USER]):
                names[(USER, user.pk)] = user.get_full_name() or user.get_username()
        if wanted[TEAM]:
            for team in Team.objects.filter(pk__in=wanted[TEAM]):
                names[(TEAM, team.pk)] = team.name
        return names


def _threshold_queries(conditions: list[tuple[str, dict]], ctx: Context) -> dict[str, float | None]:
    """Percentile and average thresholds over all companies: one aggregate query on PostgreSQL."""
    wanted = [(path, c) for path, c in conditions if c["operator"] in ("above_percentile", "above_average")]
    if not wanted:
        return {}
    qs = Company.objects.all()
    names = {}
    for path, condition in wanted:
        qs, names[path] = metric_annotate(qs, condition["metric"], ctx=ctx, params=condition.get("params"))
    thresholds: dict[str, float | None] = {}
    aggregates = {}
    for index, (path, condition) in enumerate(wanted):
        name = names[path]
        if condition["operator"] == "above_average":
            aggregates[f"t{index}"] = Avg(name, output_field=FloatField())
        elif connection.vendor == "postgresql":
            aggregates[f"t{index}"] = PercentileCont(name, condition["value"] / 100)
    if aggregates:
        result = qs.aggregate(**aggregates)
        for index, (path, _condition) in enumerate(wanted):
            if f"t{index}" in aggregates:
                value = result[f"t{index}"]
                thresholds[path] = None if value is None else float(value)
    for path, condition in wanted:
        if path in thresholds:
            continue
        # No PERCENTILE_CONT here: the distribution of values, grouped, interpolated like PostgreSQL.
        name = names[path]
        rows = qs.exclude(**{f"{name}__isnull": True}).order_by().values(name).annotate(n=Count("pk"))
        distribution = {float(row[name]): row["n"] for row in rows}
        thresholds[path] = percentile_cont(distribution, condition["value"] / 100) if distribution else None
    return thresholds


def rank_table(ctx: Context) -> dict[tuple[str, int], float]:
    """(size band, workspace count) → percentile rank 0–100 among the band's companies with workspaces."""
    qs, count = metric_annotate(Company.objects.all(), "workspace_count", ctx=ctx)
    qs, band = metric_annotate(qs, "workspace_rank", ctx=ctx)
    rows = qs.filter(**{f"{count}__gte": 1}).order_by().values(band, count).annotate(n=Count("pk"))
    per_band: dict[str, list[tuple[int, int]]] = {}
    for row in rows:
        per_band.setdefault(row[band], []).append((row[count], row["n"]))
    table = {}
    for band_key, counts in per_band.items():
        total = sum(n for _c, n in counts)
        running = 0
        for value, n in sorted(counts):
            running += n
            table[(band_key, value)] = 100.0 * running / total
    return table


def _compare(name: str, op: str, value) -> Q:
    if op == "eq":
        return Q(**{name: value})
    if op == "ne":
        return Q(**{f"{name}__isnull": False}) & ~Q(**{name: value})
    if op in ("gt", "gte", "lt", "lte"):
        return Q(**{f"{name}__{op}": value})
    if op == "between":
        return Q(**{f"{name}__gte": value[0], f"{name}__lte": value[1]})
    if op == "in":
        return Q(**{f"{name}__in": value})
    raise ValueError(op)  # pragma: no cover - validation keeps other operators out


def _matches(op: str, left: float, value) -> bool:
    return {
        "eq": lambda: left == value,
        "ne": lambda: left != value,
        "gt": lambda: left > value,
        "gte": lambda: left >= value,
        "lt": lambda: left < value,
        "lte": lambda: left <= value,
        "between": lambda: value[0] <= left <= value[1],
    }[op]()


def _age_q(name: str, op: str, value, today: date) -> Q:
    """days_since(ts) compared with N, as a range of ts; never (NULL) is longer ago than anything."""
    def ago(days: int) -> datetime:
        return _start_of(today - timedelta(days=days))

    never = Q(**{f"{name}__isnull": True})
    if op == "gt":
        return Q(**{f"{name}__lt": ago(value)}) | never
    if op == "gte":
        return Q(**{f"{name}__lt": ago(value - 1)}) | never
    if op == "lt":
        return Q(**{f"{name}__gte": ago(value - 1)})
    if op == "lte":
        return Q(**{f"{name}__gte": ago(value)})
    if op == "eq":
        return Q(**{f"{name}__gte": ago(value), f"{name}__lt": ago(value - 1)})
    if op == "ne":
        return ~Q(**{f"{name}__gte": ago(value), f"{name}__lt": ago(value - 1)}) | never
    low, high = value
    return Q(**{f"{name}__gte": ago(high), f"{name}__lt": ago(low - 1)})


def _condition_q(path: str, condition: dict, ev: Evaluation) -> Q:
    metric = METRICS[condition["metric"]]
    name = ev.names[path]
    op, value = condition["operator"], condition.get("value")
    if op in ("above_percentile", "above_average"):
        threshold = ev.thresholds.get(path)
        return NOTHING if threshold is None else Q(**{f"{name}__gt": threshold})
    if metric.type == DATE:
        return Q(**{f"{name}__gte": _start_of(ev.ctx.today - timedelta(days=value))})
    if metric.type == AGE:
        return _age_q(name, op, value, ev.ctx.today)
    if metric.type == RANK:
        wanted: dict[str, list[int]] = {}
        for (band, count), rank in ev.rank_table.items():
            if _matches(op, rank, value):
                wanted.setdefault(band, []).append(count)
        q = NOTHING
        for band, counts in wanted.items():
            q |= Q(**{"m_workspace_rank_band": band, "m_workspace_count__in": sorted(counts)})
        return q
    if metric.type == MONEY_T:
        value = [Decimal(str(v)) for v in value] if isinstance(value, list) else Decimal(str(value))
    return _compare(name, op, value)


def _tree_q(node: dict, ev: Evaluation) -> Q:
    parts = [
        _tree_q(child, ev) if "conditions" in child else _condition_q(child["_path"], child, ev)
        for child in node["conditions"]
    ]
    combined = parts[0]
    for part in parts[1:]:
        combined = combined & part if node["match"] == "all" else combined | part
    return combined


def _value_expression():
    """Unclosed potential (potential − ARR, not below zero), or the ARR when no potential is set."""
    return Case(
        When(potential_arr__gt=F("m_arr"), then=F("potential_arr") - F("m_arr")),
        When(potential_arr__isnull=False, then=Value(Decimal(0))),
        default=F("m_arr"),
        output_field=MONEY,
    )


def signal_evaluate(
    signal: dict,
    *,
    now: datetime | None = None,
    base: QuerySet[Company] | None = None,
    context_metrics: list[str] = (),
) -> Evaluation:
    """The companies matching ``signal`` as one queryset (see the module docstring)."""
    tree = signal_validate(signal, keep_paths=True)
    ctx = Context(now=now or timezone.now())
    conditions = list(iter_conditions(tree))
    qs = Company.objects.all() if base is None else base
    ev = Evaluation(signal=tree, ctx=ctx, queryset=qs)
    seen: set[str] = set()
    for path, condition in conditions:
        qs, name = metric_annotate(qs, condition["metric"], ctx=ctx, params=condition.get("params"))
        ev.names[path] = name
        if name not in seen:
            seen.add(name)
            ev.why_metrics.append((condition["metric"], METRICS[condition["metric"]].defaults(condition.get("params")), name))
    for key in context_metrics:
        if key not in METRICS or not METRICS[key].available():
            continue
        qs, name = metric_annotate(qs, key, ctx=ctx)
        if name not in seen:
            seen.add(name)
            ev.why_metrics.append((key, METRICS[key].defaults(None), name))
    qs, _ = metric_annotate(qs, "arr", ctx=ctx)
    qs = qs.annotate(m_value=_value_expression())
    ev.thresholds = _threshold_queries(conditions, ctx)
    if any(METRICS[key].type == RANK for key, _p, _n in ev.why_metrics):
        ev.rank_table = rank_table(ctx)
        qs, _ = metric_annotate(qs, "workspace_count", ctx=ctx)
    ev.queryset = qs.filter(_tree_q(tree, ev))
    return ev


def signal_count(signal: dict, *, now: datetime | None = None) -> int:
    """How many companies match now ("N accounts match now" in the admin)."""
    return signal_evaluate(signal, now=now).count()
