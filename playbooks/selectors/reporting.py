"""Did the play work? Figures per playbook and per run.

Definitions (what the reporting page, the API and the tests mean):

* **Surfaced**: plays created (by the playbook, or by the run).
* **Actioned within 7 days**: plays whose first action (start, a step ticked, a note, a close)
  came at most 7 days after surfacing.
* **Converted**: plays closed as converted (linked to an opportunity).
* **Committed revenue influenced**: Σ outcome amount of converted plays.
* **Median time to first action**: over plays with a first action.
* **Lift**: conversion of surfaced accounts (converted ÷ surfaced) against the conversion of
  comparable accounts not surfaced — companies of the same tiers as the surfaced ones that this
  playbook never surfaced — where an account converts when an opportunity was created for it since
  the first surfacing in scope. Lift = surfaced conversion ÷ comparable conversion (unknown when
  no comparable account converted).

Each report is a fixed number of queries: one aggregate over the plays, one list of first-action
delays for the median, one aggregate over the comparable accounts.
"""
import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Exists, F, Max, Min, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone

from accounts.models import Company
from playbooks.models import Play, Playbook, PlaybookRun

ACTION_WINDOW = timedelta(days=7)
ZERO = Decimal("0")


@dataclass(frozen=True)
class PlayReport:
    surfaced: int
    open: int
    actioned_7d: int
    converted: int
    done: int
    disqualified: int
    committed: Decimal
    median_first_action: timedelta | None
    since: datetime | None
    comparable_accounts: int
    comparable_converted: int

    @staticmethod
    def _ratio(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def conversion_rate(self) -> float | None:
        return self._ratio(self.converted, self.surfaced)

    @property
    def actioned_rate(self) -> float | None:
        return self._ratio(self.actioned_7d, self.surfaced)

    @property
    def comparable_rate(self) -> float | None:
        return self._ratio(self.comparable_converted, self.comparable_accounts)

    @property
    def lift(self) -> float | None:
        if self.conversion_rate is None or not self.comparable_rate:
            return None
        return self.conversion_rate / self.comparable_rate

    @property
    def median_days_to_first_action(self) -> float | None:
        if self.median_first_action is None:
            return None
        return self.median_first_action.total_seconds() / 86400


def _actioned_in_window() -> Q:
    return Q(first_action_at__isnull=False, first_action_at__lte=F("surfaced_at") + ACTION_WINDOW)


def play_report(*, playbook: Playbook, plays: QuerySet[Play] | None = None) -> PlayReport:
    """The figures of ``plays`` (default: every play of the playbook); see the module docstring."""
    plays = (plays if plays is not None else Play.objects.filter(playbook=playbook)).order_by()
    agg = plays.aggregate(
        surfaced=Count("pk"),
        open=Count("pk", filter=Q(status__in=Play.OPEN_STATES)),
        actioned_7d=Count("pk", filter=_actioned_in_window()),
        converted=Count("pk", filter=Q(status=Play.Status.CONVERTED)),
        done=Count("pk", filter=Q(status=Play.Status.DONE)),
        disqualified=Count("pk", filter=Q(status=Play.Status.DISQUALIFIED)),
        committed=Sum("outcome_amount", filter=Q(status=Play.Status.CONVERTED)),
        since=Min("surfaced_at"),
    )
    delays = [
        first - surfaced
        for surfaced, first in plays.filter(first_action_at__isnull=False).values_list("surfaced_at", "first_action_at")
    ]
    comparable_accounts = comparable_converted = 0
    if agg["surfaced"]:
        from forecasting.models import Opportunity

        tiers = plays.values("company__tier").distinct()
        comparable = Company.objects.filter(tier__in=Subquery(tiers)).exclude(
            pk__in=Play.objects.filter(playbook=playbook).values("company_id")
        )
        new_opportunity = Exists(Opportunity.objects.filter(company=OuterRef("pk"), created_at__gte=agg["since"]))
        counts = comparable.aggregate(total=Count("pk"), converted=Count("pk", filter=Q(new_opportunity)))
        comparable_accounts, comparable_converted = counts["total"], counts["converted"]
    return PlayReport(
        surfaced=agg["surfaced"], open=agg["open"], actioned_7d=agg["actioned_7d"], converted=agg["converted"],
        done=agg["done"], disqualified=agg["disqualified"], committed=agg["committed"] or ZERO,
        median_first_action=statistics.median(delays) if delays else None, since=agg["since"],
        comparable_accounts=comparable_accounts, comparable_converted=comparable_converted,
    )


def run_report(*, run: PlaybookRun) -> PlayReport:
    return play_report(playbook=run.playbook, plays=Play.objects.filter(run=run))


@dataclass(frozen=True)
class WeekPoint:
    week: date
    surfaced: int
    actioned_7d: int
    converted: int


def playbook_timeline(*, playbook: Playbook, weeks: int = 12, today: date | None = None) -> list[WeekPoint]:
    """Per week of surfacing (Monday), the last ``weeks`` weeks: surfaced, actioned within 7 days and
    converted (so far) — one grouped query; empty weeks are zero."""
    today = today or timezone.localdate()
    this_monday = today - timedelta(days=today.weekday())
    first = this_monday - timedelta(weeks=weeks - 1)
    start = timezone.make_aware(datetime.combine(first, datetime.min.time()))
    rows = (
        Play.objects.filter(playbook=playbook, surfaced_at__gte=start)
        .annotate(week=TruncWeek("surfaced_at"))
        .order_by().values("week")
        .annotate(
            surfaced=Count("pk"),
            actioned=Count("pk", filter=_actioned_in_window()),
            converted=Count("pk", filter=Q(status=Play.Status.CONVERTED)),
        )
    )
    by_week = {}
    for row in rows:
        week = row["week"]
        week = week.date() if isinstance(week, datetime) else week
        by_week[week] = row
    points = []
    for i in range(weeks):
        week = first + timedelta(weeks=i)
        row = by_week.get(week, {})
        points.append(WeekPoint(week=week, surfaced=row.get("surfaced", 0), actioned_7d=row.get("actioned", 0),
                                converted=row.get("converted", 0)))
    return points


@dataclass(frozen=True)
class PlaybookSummary:
    playbook: Playbook
    open: int
    surfaced_30d: int
    surfaced: int
    converted: int
    committed: Decimal
    last_run: PlaybookRun | None

    @property
    def conversion_rate(self) -> float | None:
        return self.converted / self.surfaced if self.surfaced else None


def playbook_summaries(*, playbooks: QuerySet[Playbook] | None = None) -> list[PlaybookSummary]:
    """The library page: each playbook with its headline figures (three queries in all)."""
    playbooks = list((playbooks if playbooks is not None else Playbook.objects.all())
                     .select_related("owner_team").prefetch_related("supporting_teams", "steps"))
    since = timezone.now() - timedelta(days=30)
    figures = {
        row["playbook"]: row
        for row in Play.objects.order_by().values("playbook").annotate(
            open=Count("pk", filter=Q(status__in=Play.OPEN_STATES)),
            surfaced_30d=Count("pk", filter=Q(surfaced_at__gte=since)),
            surfaced=Count("pk"),
            converted=Count("pk", filter=Q(status=Play.Status.CONVERTED)),
            committed=Sum("outcome_amount", filter=Q(status=Play.Status.CONVERTED)),
        )
    }
    latest_ids = PlaybookRun.objects.values("playbook").annotate(last=Max("id")).values("last")
    last_runs = {run.playbook_id: run for run in PlaybookRun.objects.filter(id__in=latest_ids)}
    summaries = []
    for playbook in playbooks:
        row = figures.get(playbook.pk, {})
        summaries.append(PlaybookSummary(
            playbook=playbook, open=row.get("open", 0), surfaced_30d=row.get("surfaced_30d", 0),
            surfaced=row.get("surfaced", 0), converted=row.get("converted", 0),
            committed=row.get("committed") or ZERO, last_run=last_runs.get(playbook.pk),
        ))
    return summaries
