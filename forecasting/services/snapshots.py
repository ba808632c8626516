"""Weekly forecast snapshots: the roll-up as it stood in a week, to compare with actuals later.

One row per (week, scope, scope id, horizon): the total, each team and each rep, for the three
horizons. Taking the snapshot again in the same week replaces that week's rows in one
transaction, so the Monday beat and the snapshot after each forecast run never duplicate rows.
"""
from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from forecasting.models import ForecastSnapshot
from forecasting.services.rollup import FIGURE_FIELDS, Figures, Rollup, forecast_rollup
from revops.timezones import week_start


def _row(week: date, scope: str, scope_id: int, horizon, figures: Figures) -> ForecastSnapshot:
    return ForecastSnapshot(
        week_start=week, scope=scope, scope_id=scope_id, horizon=horizon.key,
        period_start=horizon.start, period_end=horizon.end,
        **{name: getattr(figures, name) for name in FIGURE_FIELDS},
    )


@transaction.atomic
def forecast_snapshot_take(*, today: date | None = None, rollup: Rollup | None = None) -> int:
    """Store this week's snapshot (total, teams, reps × three horizons); returns the rows written."""
    today = today or timezone.localdate()
    rollup = rollup or forecast_rollup(today=today)
    week = week_start(today)
    rows = []
    for horizon_rollup in rollup.horizons.values():
        horizon = horizon_rollup.horizon
        rows.append(_row(week, ForecastSnapshot.Scope.TOTAL, 0, horizon, horizon_rollup.total))
        rows += [_row(week, ForecastSnapshot.Scope.TEAM, line.id, horizon, line.figures)
                 for line in horizon_rollup.by_team]
        rows += [_row(week, ForecastSnapshot.Scope.REP, line.id, horizon, line.figures)
                 for line in horizon_rollup.by_rep]
    # Replace the whole week: a rep or team with figures earlier this week but none now must not
    # keep stale numbers (scope id 0 = the total, unassigned deals or reps without a team).
    ForecastSnapshot.objects.filter(week_start=week).delete()
    ForecastSnapshot.objects.bulk_create(rows, batch_size=1000)
    return len(rows)
