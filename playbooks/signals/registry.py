"""The metric registry: every account metric a signal may test, as a set-based annotation.

Each metric adds one annotation ``m_<key>`` (``m_<key>_<param>`` for a metric with a parameter) to
a company queryset — a column, a correlated subquery on an index, or an expression over other
metrics — so a whole signal is one ``SELECT … FROM company WHERE …`` however many companies there are.

Types decide the operators a condition may use (see ``TYPE_OPERATORS``):

* number, money, percent — counts, amounts (Decimal) and percentages (10 means 10 %);
* text, choice, user, team — compared for (in)equality or membership;
* date — a moment, tested with "within the last N days";
* age — days since a moment (calendar days, UTC); an account where it never happened counts as
  infinitely long ago, so "days since last contact > 30" includes accounts never contacted;
* rank — a percentile rank 0–100 computed per size band from one extra grouped query.

Metrics of other areas (stakeholder contact metrics, the commit burn ratio) import their selectors
lazily; when a selector is not installed the metric is listed as unavailable and a signal using it
is refused by validation.
"""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.humanize.templatetags.humanize import ordinal
from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    FloatField,
    IntegerField,
    Max,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce

from accounts.models import Company, ProductUser, UsageRecord, Workspace
from accounts.selectors.consolidation import SIZE_BANDS, UNKNOWN_BAND
from revops.templatetags.revops_tags import money_short

MONEY = DecimalField(max_digits=16, decimal_places=2)
ACTIVE_DAYS = 30

NUMBER, MONEY_T, PERCENT, TEXT, CHOICE, USER, TEAM, DATE, AGE, RANK = (
    "number", "money", "percent", "text", "choice", "user", "team", "date", "age", "rank",
)

OPERATORS = {
    "eq": "=",
    "ne": "≠",
    "gt": ">",
    "gte": "≥",
    "lt": "<",
    "lte": "≤",
    "in": "in",
    "between": "between",
    "above_percentile": "above the Nth percentile",
    "above_average": "above average",
    "within_days": "within the last N days",
}
_COMPARE = ("eq", "ne", "gt", "gte", "lt", "lte", "between")
TYPE_OPERATORS: dict[str, tuple[str, ...]] = {
    NUMBER: (*_COMPARE, "in", "above_percentile", "above_average"),
    MONEY_T: (*_COMPARE, "above_percentile", "above_average"),
    PERCENT: (*_COMPARE, "above_percentile", "above_average"),
    TEXT: ("eq", "ne", "in"),
    CHOICE: ("eq", "ne", "in"),
    USER: ("eq", "ne", "in"),
    TEAM: ("eq", "ne", "in"),
    DATE: ("within_days",),
    AGE: _COMPARE,
    RANK: _COMPARE,
}


@dataclass(frozen=True)
class Param:
    key: str
    label: str
    default: int
    low: int
    high: int


@dataclass(frozen=True)
class Context:
    """What every annotation of one evaluation shares: the moment it is evaluated at."""

    now: datetime

    @property
    def today(self) -> date:
        return self.now.date()


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    type: str
    help: str
    # (queryset, context, params) -> queryset with the metric's annotation added
    build: Callable[[QuerySet, Context, dict], QuerySet]
    phrase: str = "{value} {label}"  # how the why reads, e.g. "4 workspaces"
    params: tuple[Param, ...] = ()
    choices: Callable[[], list[tuple]] | None = None
    available: Callable[[], bool] = lambda: True
    area: str = "Accounts"
    depends: tuple[str, ...] = ()  # metrics (without params) whose annotations the expression reads
    source_field: str | None = None  # date/age metrics: the moment they are computed from

    @property
    def operators(self) -> tuple[str, ...]:
        return TYPE_OPERATORS[self.type]

    def field_name(self, params: dict | None = None) -> str:
        if not self.params:
            return f"m_{self.key}"
        values = {**{p.key: p.default for p in self.params}, **(params or {})}
        return "m_" + "_".join([self.key, *(str(values[p.key]) for p in self.params)])

    def defaults(self, params: dict | None) -> dict:
        return {**{p.key: p.default for p in self.params}, **(params or {})}


def _count(qs: QuerySet, fk: str = "company"):
    counted = qs.filter(**{fk: OuterRef("pk")}).order_by().values(fk).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _sum(qs: QuerySet, value: str, output_field, fk: str = "company"):
    summed = qs.filter(**{fk: OuterRef("pk")}).order_by().values(fk).annotate(t=Sum(value)).values("t")
    return Coalesce(Subquery(summed, output_field=output_field), Value(0), output_field=output_field)


def _annotate(name: str, expression_fn):
    def build(qs, ctx, params):
        return qs.annotate(**{name: expression_fn(ctx, params)})

    return build


def _field(name: str, field_name: str):
    return _annotate(name, lambda ctx, params: F(field_name))


# --- size bands (the consolidation page's) -------------------------------------------------------------


def band_expression():
    whens = [When(employee_count__isnull=True, then=Value(UNKNOWN_BAND[0])),
             When(employee_count__lt=1, then=Value(UNKNOWN_BAND[0]))]
    for key, _label, _low, high in SIZE_BANDS:
        if high is not None:
            whens.append(When(employee_count__lte=high, then=Value(key)))
    return Case(*whens, default=Value(SIZE_BANDS[-1][0]))


# --- usage growth ----------------------------------------------------------------------------------------


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def growth_windows(today: date, months: int) -> tuple[date, date, date]:
    """(start of the previous window, start of the recent window, end of it, exclusive): the last
    ``months`` complete months and the ``months`` before them."""
    end = month_start(today)
    recent = add_months(end, -months)
    return add_months(recent, -months), recent, end


def _usage_sum(start: date, end: date):
    in_window = UsageRecord.objects.filter(period__gte=start, period__lt=end)
    through_workspaces = _sum(in_window, "amount", MONEY, fk="workspace__company")
    booked_on_company = _sum(in_window, "amount", MONEY, fk="company")
    return through_workspaces + booked_on_company


def _build_usage_growth(qs, ctx, params):
    months = params["months"]
    previous_start, recent_start, end = growth_windows(ctx.today, months)
    name = METRICS["usage_growth"].field_name(params)
    recent, previous = f"{name}_recent", f"{name}_previous"
    qs = qs.annotate(**{recent: _usage_sum(recent_start, end), previous: _usage_sum(previous_start, recent_start)})
    return qs.annotate(**{name: Case(
        When(**{f"{previous}__gt": 0}, then=(Cast(F(recent), FloatField()) - Cast(F(previous), FloatField()))
             * Value(100.0) / Cast(F(previous), FloatField())),
        default=None, output_field=FloatField(),
    )})


# --- metrics of other areas (lazy) ---------------------------------------------------------------------


def _contact_metrics_available() -> bool:
    try:
        from stakeholders.selectors.metrics import company_with_contact_metrics  # noqa: F401
    except ImportError:
        return False
    return True


def _with_contact_metrics(qs, ctx):
    from stakeholders.selectors.metrics import company_with_contact_metrics

    if "known_stakeholders" in qs.query.annotations:
        return qs
    from django.utils import timezone

    return company_with_contact_metrics(qs, now=ctx.now, zone=timezone.get_default_timezone())


def _contact(name: str, source: str):
    def build(qs, ctx, params):
        qs = _with_contact_metrics(qs, ctx)
        return qs.annotate(**{name: F(source)})

    return build


def _burn_available() -> bool:
    try:
        from forecasting.selectors.burn import company_with_burn_ratio  # noqa: F401
    except ImportError:
        return False
    return True


def _build_burn(qs, ctx, params):
    from forecasting.selectors.burn import company_with_burn_ratio

    if "burn_ratio" not in qs.query.annotations:
        qs = company_with_burn_ratio(qs, today=ctx.today)
    return qs.annotate(m_burn_ratio=Cast(F("burn_ratio"), FloatField()))


def _build_open_pipeline(qs, ctx, params):
    from forecasting.models import Opportunity

    open_expansion = Opportunity.objects.filter(
        type__in=[Opportunity.Type.EXPANSION, Opportunity.Type.CROSS_SELL],
    ).exclude(stage__in=[Opportunity.Stage.CLOSED_WON, Opportunity.Stage.CLOSED_LOST])
    return qs.annotate(m_open_pipeline=_sum(open_expansion, "amount", MONEY))


def _build_contracts(qs, ctx, params):
    from forecasting.models import Contract

    active = Contract.objects.filter(
        status=Contract.Status.ACTIVE, start_date__lte=ctx.today, end_date__gte=ctx.today
    )
    return qs.annotate(m_active_contracts=_count(active))


# --- choices ---------------------------------------------------------------------------------------------


def _tier_choices():
    return list(Company.Tier.choices)


def _user_choices():
    users = get_user_model().objects.filter(owned_companies__isnull=False).distinct().order_by("first_name", "username")
    return [(u.pk, u.get_full_name() or u.get_username()) for u in users]


def _team_choices():
    from accounts.models import Team

    return [(t.pk, t.name) for t in Team.objects.order_by("name")]


def _industry_choices():
    values = Company.objects.exclude(industry="").order_by("industry").values_list("industry", flat=True).distinct()
    return [(v, v) for v in values]


# --- the registry ----------------------------------------------------------------------------------------


def _penetration(ctx, params):
    return Case(
        When(potential_arr__gt=0, then=Cast(F("m_arr"), FloatField()) * Value(100.0) / Cast(F("potential_arr"), FloatField())),
        default=None,
        output_field=FloatField(),
    )


_METRICS = (
    Metric("workspace_count", "Workspaces", NUMBER, "Product workspaces tied to the company (its own, not its subsidiaries').",
           _annotate("m_workspace_count", lambda ctx, p: _count(Workspace.objects.all())), phrase="{value} workspace{s}"),
    Metric("workspace_rank", "Workspace count percentile in size band", RANK,
           "Percentile rank (0–100) of the company's workspace count among companies of its size band (by employee "
           "count, as on the consolidation page) that have at least one workspace: the share of them with as many "
           "workspaces or fewer. Companies without workspaces have none.",
           _annotate("m_workspace_rank_band", lambda ctx, p: band_expression()),
           phrase="{value} percentile of its size band", depends=("workspace_count",)),
    Metric("seats", "Seats", NUMBER, "Σ seats of the company's workspaces.",
           _annotate("m_seats", lambda ctx, p: _sum(Workspace.objects.all(), "seats", IntegerField())), phrase="{value} seat{s}"),
    Metric("active_users", "Active users (30 d)", NUMBER,
           "Product users of the company active in the last 30 days.",
           _annotate("m_active_users", lambda ctx, p: _count(
               ProductUser.objects.filter(last_active_at__gte=ctx.now - timedelta(days=ACTIVE_DAYS)))),
           phrase="{value} active user{s} (30 d)"),
    Metric("mrr", "MRR", MONEY_T, "Σ MRR of the company's workspaces.",
           _annotate("m_mrr", lambda ctx, p: _sum(Workspace.objects.all(), "mrr", MONEY)), phrase="{value} MRR"),
    Metric("arr", "ARR", MONEY_T, "MRR × 12.",
           _annotate("m_arr", lambda ctx, p: F("m_mrr") * Value(Decimal(12), output_field=MONEY)),
           phrase="{value} ARR", depends=("mrr",)),
    Metric("potential_arr", "Potential ARR", MONEY_T, "What the customer could spend with us per year (CRM).",
           _field("m_potential_arr", "potential_arr"), phrase="{value} potential"),
    Metric("penetration", "Penetration", PERCENT, "ARR ÷ potential ARR, in percent (unknown without a potential).",
           _annotate("m_penetration", _penetration), phrase="{value} penetration", depends=("arr",)),
    Metric("usage_growth", "Usage growth", PERCENT,
           "Usage amount of the last N complete months against the N months before, in percent (unknown when "
           "there was no usage before).",
           _build_usage_growth, phrase="{value} usage growth ({months} mo)",
           params=(Param("months", "Months", 3, 1, 12),)),
    Metric("burn_ratio", "Commit burn ratio", NUMBER,
           "Consumed so far ÷ the share of the commit elapsed time predicts (above 1: ahead of commit).",
           _build_burn, phrase="burn ratio {value}", available=_burn_available, area="Forecasting"),
    Metric("active_contracts", "Active contracts", NUMBER, "Contracts in force today.",
           _build_contracts, phrase="{value} active contract{s}", area="Forecasting"),
    Metric("open_pipeline", "Open expansion pipeline", MONEY_T,
           "Σ amount of open expansion and cross-sell opportunities.",
           _build_open_pipeline, phrase="{value} open expansion pipeline", area="Forecasting"),
    Metric("known_stakeholders", "Known stakeholders", NUMBER, "Active stakeholders mapped on the account.",
           _contact("m_known_stakeholders", "known_stakeholders"), phrase="{value} known stakeholder{s}",
           available=_contact_metrics_available, area="Stakeholders"),
    Metric("contacted_30d", "Stakeholders contacted in 30 days", NUMBER,
           "Active stakeholders whose last contact is at most 30 days ago.",
           _contact("m_contacted_30d", "contacted_30d"), phrase="{value} contacted in 30 days",
           available=_contact_metrics_available, area="Stakeholders"),
    Metric("days_since_contact", "Days since last stakeholder contact", AGE,
           "Calendar days since the latest interaction with anyone at the account; never contacted counts as "
           "longer than any number of days.",
           _contact("m_days_since_contact", "last_contacted_at"), phrase="{value}",
           available=_contact_metrics_available, area="Stakeholders"),
    Metric("last_contact", "Last stakeholder contact", DATE, "The latest interaction with anyone at the account.",
           _contact("m_last_contact", "last_contacted_at"), phrase="last contact {value}",
           available=_contact_metrics_available, area="Stakeholders"),
    Metric("newest_workspace", "Newest workspace created", DATE,
           "When the company's most recent workspace was created in the product.",
           _annotate("m_newest_workspace", lambda ctx, p: Subquery(
               Workspace.objects.filter(company=OuterRef("pk")).order_by().values("company")
               .annotate(t=Max("created_at")).values("t"))),
           phrase="newest workspace {value}"),
    Metric("employee_count", "Employees", NUMBER, "Employee count (CRM).",
           _field("m_employee_count", "employee_count"), phrase="{value} employee{s}"),
    Metric("industry", "Industry", TEXT, "Industry (CRM).", _field("m_industry", "industry"),
           phrase="{value}", choices=_industry_choices),
    Metric("tier", "Tier", CHOICE, "Account tier.", _field("m_tier", "tier"), phrase="{value}", choices=_tier_choices),
    Metric("owner", "Owner", USER, "The account owner.", _field("m_owner", "owner_id"), phrase="owner {value}",
           choices=_user_choices),
    Metric("owner_team", "Owner's team", TEAM, "The team of the account owner.",
           _field("m_owner_team", "owner__profile__team_id"), phrase="{value}", choices=_team_choices),
)

METRICS: dict[str, Metric] = {metric.key: metric for metric in _METRICS}


def metric_keys() -> list[str]:
    return list(METRICS)


def metric_get(key: str) -> Metric | None:
    return METRICS.get(key)


def metric_annotate(qs: QuerySet, key: str, *, ctx: Context, params: dict | None = None) -> tuple[QuerySet, str]:
    """Add the metric's annotation (and the ones it depends on) unless already there; returns its name."""
    metric = METRICS[key]
    for dependency in metric.depends:
        qs, _ = metric_annotate(qs, dependency, ctx=ctx)
    params = metric.defaults(params)
    name = metric.field_name(params)
    if key == "workspace_rank":
        name = "m_workspace_rank_band"
    if name not in qs.query.annotations:
        qs = metric.build(qs, ctx, params)
    return qs, name


def registry_for_builder() -> list[dict]:
    """The registry as the signal builder (admin) and the API describe it."""
    rows = []
    for metric in _METRICS:
        rows.append({
            "key": metric.key,
            "label": metric.label,
            "type": metric.type,
            "area": metric.area,
            "help": metric.help,
            "available": metric.available(),
            "operators": [{"key": op, "label": OPERATORS[op]} for op in metric.operators],
            "params": [{"key": p.key, "label": p.label, "default": p.default, "min": p.low, "max": p.high}
                       for p in metric.params],
            "choices": [[str(k), str(v)] for k, v in (metric.choices() if metric.choices and metric.available() else [])],
        })
    return rows


# --- the why -------------------------------------------------------------------------------------------


def format_value(metric: Metric, value, *, params: dict | None = None, today: date | None = None,
                 names: dict | None = None) -> str:
    """One metric value as the why reads it: "4 workspaces", "$8.1K MRR", "41 days since last contact"."""
    params = metric.defaults(params)
    if metric.type == AGE:
        return "never contacted" if value is None else f"{value} day{'s' if value != 1 else ''} since last contact"
    if value is None:
        return f"{metric.label}: unknown"
    if metric.type == MONEY_T:
        text = money_short(value)
    elif metric.type == PERCENT:
        number = float(value)
        text = "<0.1%" if 0 < number < 0.1 else f"{'+' if metric.key == 'usage_growth' and number > 0 else ''}{round(number, 1):g}%"
    elif metric.type == RANK:
        text = ordinal(round(float(value)))
    elif metric.type == NUMBER:
        number = float(value)
        text = f"{int(number):,}" if number == int(number) else f"{number:,.2f}"
    elif metric.type == DATE:
        text = value if isinstance(value, str) else value.strftime("%b %-d, %Y")
    elif metric.type == CHOICE:
        text = dict(metric.choices()).get(value, value) or "Untiered"
    elif metric.type in (USER, TEAM):
        text = (names or {}).get((metric.type, value), f"#{value}")
    else:
        text = str(value)
    plural = "" if isinstance(value, int | float | Decimal) and value == 1 else "s"
    return metric.phrase.format(value=text, label=metric.label.lower(), s=plural, **params)


def condition_text(condition: dict) -> str:
    """A condition in words: "Workspaces ≥ 3", "MRR above the 90th percentile"."""
    metric = METRICS.get(condition.get("metric"))
    label = metric.label if metric else str(condition.get("metric"))
    if metric and metric.params:
        params = metric.defaults(condition.get("params"))
        label += " (" + ", ".join(f"{p.label.lower()} {params[p.key]}" for p in metric.params) + ")"
    op, value = condition.get("operator"), condition.get("value")
    if op == "above_average":
        return f"{label} above average"
    if op == "above_percentile":
        return f"{label} above the {value}th percentile"
    if op == "within_days":
        return f"{label} within the last {value} days"
    if op == "between" and isinstance(value, list) and len(value) == 2:
        return f"{label} between {value[0]} and {value[1]}"
    if op == "in" and isinstance(value, list):
        return f"{label} in {', '.join(map(str, value))}"
    return f"{label} {OPERATORS.get(op, op)} {value}"


def signal_text(node: dict) -> str:
    """A whole signal in words, groups in parentheses."""
    if "conditions" in node:
        joiner = " and " if node.get("match", "all") == "all" else " or "
        parts = [signal_text(child) if "conditions" not in child else f"({signal_text(child)})"
                 for child in node.get("conditions", [])]
        return joiner.join(parts)
    return condition_text(node)


__all__ = [
    "AGE", "CHOICE", "DATE", "METRICS", "MONEY_T", "NUMBER", "OPERATORS", "PERCENT", "RANK", "TEAM", "TEXT",
    "TYPE_OPERATORS", "USER", "Context", "Metric", "Param", "band_expression", "condition_text", "format_value",
    "growth_windows", "metric_annotate", "metric_get", "metric_keys", "registry_for_builder", "signal_text",
]
