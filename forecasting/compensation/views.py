"""Pages of compensation: a rep's statement with a what-if preview, the team table, payroll export."""
import csv
from collections import OrderedDict
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.models import Profile, Team
from forecasting.compensation import selectors, services
from forecasting.compensation.charts import attainment_chart
from forecasting.compensation.periods import period_parse
from forecasting.models import Statement, StatementLine
from revops import history
from revops.errors import ApplicationError
from revops.roles import is_manager, is_revops_admin


def _can_see(user, statement: Statement) -> bool:
    """True when visible; PermissionDenied for a teammate's statement; 404 for anyone else's, so
    nobody learns which statement ids exist outside their team by guessing."""
    ids = selectors.visible_rep_ids(user)
    if ids is None or statement.rep_id in ids:
        return True
    teams = set(Team.objects.filter(manager=user).values_list("id", flat=True))
    teams |= set(Profile.objects.filter(user=user, team__isnull=False).values_list("team_id", flat=True))
    if not Profile.objects.filter(user_id=statement.rep_id, team_id__in=teams).exists():
        raise Http404("No such statement.")
    return False


def _default_period(periods: list[str]) -> str | None:
    """The period containing today if there is one, else the latest."""
    today = timezone.localdate()
    for key in periods:
        if period_parse(key).contains(today):
            return key
    return periods[0] if periods else None


def compensation(request):
    """Managers and admins land on the team table; reps on their own statement."""
    if is_revops_admin(request.user) or is_manager(request.user):
        return team(request)
    return my_statement(request)


def my_statement(request):
    own = list(Statement.objects.filter(rep=request.user).order_by("-period_start").values_list("pk", "period"))
    periods = [key for _, key in own]
    wanted = request.GET.get("period") or _default_period(periods)
    chosen = next((pk for pk, key in own if key == wanted), None)
    if chosen is None:
        return render(request, "forecasting/compensation/statement.html",
                      {"statement": None, "active_nav": "compensation", "own": True,
                       "show_team_tab": is_revops_admin(request.user) or is_manager(request.user),
                       "can_admin": is_revops_admin(request.user)})
    return _statement_page(request, chosen, own=True, periods=periods)


def statement_detail(request, pk: int):
    statement = get_object_or_404(Statement.objects.only("rep_id"), pk=pk)
    if not _can_see(request.user, statement):
        raise PermissionDenied("You can see your own statements only.")
    return _statement_page(request, pk, own=statement.rep_id == request.user.pk)


def _statement_page(request, pk: int, *, own: bool, periods: list[str] | None = None):
    statement = selectors.statement_detail(pk=pk)
    components = list(statement.components.all())
    lines_by_component: dict[int, list[StatementLine]] = {c.pk: [] for c in components}
    carried = []
    for line in statement.lines.all():
        if line.component_id:
            lines_by_component.setdefault(line.component_id, []).append(line)
        else:
            carried.append(line)
    for component in components:
        component.line_items = lines_by_component.get(component.pk, [])
        component.deal_measure = component.measure in services.DEAL_MEASURES
        component.bar_pct = _bar(component.attainment)
        if component.factor is not None:
            component.factor_text = f"{component.factor.quantize(Decimal('0.001')).normalize():f}"
    pipeline = list(selectors.open_pipeline(user=statement.rep)) if statement.status == Statement.Status.OPEN else []
    if periods is None:
        periods = list(Statement.objects.filter(rep_id=statement.rep_id).order_by("-period_start")
                       .values_list("period", flat=True))
    context = {
        "statement": statement, "components": components, "carried": carried, "pipeline": pipeline,
        "own": own, "periods": periods, "active_nav": "compensation", "period": period_parse(statement.period),
        "can_admin": is_revops_admin(request.user), "quota_mark": _bar(Decimal(1)),
        "show_team_tab": is_revops_admin(request.user) or is_manager(request.user),
        # what changed in the plan and the assignment the statement was calculated from, and who changed it
        "history_entries": history.entries(history.compensation_sources(
            plan_id=statement.assignment.plan_id, assignment_id=statement.assignment_id), limit=30),
    }
    return render(request, "forecasting/compensation/statement.html", context)


METER_MAX = Decimal("1.5")  # attainment meters run to 150 %: the quota sits two thirds along


def _bar(attainment) -> str:
    return f"{max(Decimal(0), min(Decimal(attainment or 0) / METER_MAX, Decimal(1))) * 100:.1f}"


@vary_on_headers("HX-Request")
def statement_what_if(request, pk: int):
    """The statement as it would be if the selected open deals closed this period (htmx partial)."""
    statement = get_object_or_404(Statement, pk=pk)
    if not _can_see(request.user, statement):
        raise PermissionDenied("You can see your own statements only.")
    if statement.status != Statement.Status.OPEN:
        raise Http404("A locked statement has no what-if.")
    ids = [value for value in request.GET.getlist("deal") if value.isdigit()]
    preview = services.statement_preview(statement=statement, opportunity_ids=ids) if ids else None
    current = {c.component_id: c for c in statement.components.all()}
    rows = []
    if preview:
        for result in preview.results:
            before = current.get(result.rule.key)
            rows.append({"name": result.rule.name, "before": before, "after": result,
                         "delta": result.earnings - (before.earnings if before else 0)})
    template = "forecasting/compensation/_what_if.html"
    context = {"statement": statement, "preview": preview, "rows": rows, "selected": len(ids)}
    if request.htmx:
        return render(request, template, context)
    return render(request, "forecasting/compensation/what_if_page.html", context)


def team(request):
    user = request.user
    admin = is_revops_admin(user)
    if not (admin or is_manager(user)):
        raise PermissionDenied("The team view is for managers and RevOps admins.")
    periods = selectors.periods_with_statements(user)
    period = request.GET.get("period") or _default_period(periods)
    teams = list(Team.objects.order_by("name")) if admin else list(Team.objects.filter(manager=user))
    team_id = request.GET.get("team")
    team_id = int(team_id) if team_id and team_id.isdigit() else None
    statements = selectors.team_statements(user=user, period=period, team_id=team_id) if period else []
    names: "OrderedDict[str, None]" = OrderedDict()
    for statement in statements:
        statement.component_list = list(statement.components.all())
        for component in statement.component_list:
            names[component.name] = None
    columns = list(names)
    for statement in statements:
        by_name = {c.name: c for c in statement.component_list}
        statement.cells = [by_name.get(name) for name in columns]
        statement.carried_total = statement.clawbacks + statement.adjustments
        for cell in statement.cells:
            if cell is not None:
                cell.bar_pct = _bar(cell.attainment)
    chart = attainment_chart(
        [{"name": s.rep.get_full_name() or s.rep.get_username(),
          "attainment": {c.name: c.attainment for c in s.component_list}} for s in statements],
        columns,
    )
    totals = {
        "payable": sum((s.payable for s in statements), 0),
        "commission": sum((s.commission for s in statements), 0),
        "target": sum((s.target_incentive for s in statements), 0),
        "at_quota": sum(1 for s in statements if s.component_list and all(c.attainment >= 1 for c in s.component_list)),
    }
    locked = period in selectors.locked_periods() if period else False
    context = {
        "statements": statements, "columns": columns, "chart": chart, "periods": periods, "period": period,
        "period_obj": period_parse(period) if period else None, "teams": teams, "team_id": team_id,
        "totals": totals, "locked": locked, "can_admin": admin, "active_nav": "compensation",
        "show_team_tab": True, "quota_mark": _bar(Decimal(1)),
        "own_statement": Statement.objects.filter(rep=user, period=period).values_list("pk", flat=True).first(),
    }
    return render(request, "forecasting/compensation/team.html", context)


class _Echo:
    def write(self, value: str) -> str:
        return value


EXPORT_COLUMNS = ("period", "status", "username", "name", "email", "team", "plan", "target_incentive", "commission",
                  "plan_cap_reduction", "clawbacks", "adjustments", "earned", "draw_type", "draw_amount", "draw_topup",
                  "recovered", "balance_start", "balance_end", "payable", "ytd_payable", "locked_at")


def payroll_export(request):
    """CSV for payroll: one row per statement of the period (RevOps admins)."""
    if not is_revops_admin(request.user):
        raise PermissionDenied("Only RevOps admins export payroll.")
    period = period_parse(request.GET.get("period") or "").key if request.GET.get("period") else None
    qs = Statement.objects.select_related("rep__profile__team", "assignment__plan").order_by("period_start", "rep__username")
    if period:
        qs = qs.filter(period=period)

    def rows():
        writer = csv.writer(_Echo())
        yield writer.writerow(EXPORT_COLUMNS)
        for s in qs.iterator(chunk_size=500):
            team = getattr(getattr(s.rep, "profile", None), "team", None)
            yield writer.writerow([
                s.period, s.status, s.rep.get_username(), s.rep.get_full_name(), s.rep.email, team.name if team else "",
                s.assignment.plan.name, s.target_incentive, s.commission, s.plan_cap_reduction, s.clawbacks,
                s.adjustments, s.earned, s.draw_type, s.draw_amount, s.draw_topup, s.recovered, s.balance_start,
                s.balance_end, s.payable, s.ytd_payable, s.locked_at.isoformat() if s.locked_at else "",
            ])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="payroll-{period or "all"}.csv"'
    return response


@require_POST
def period_action(request, period: str, action: str):
    if not is_revops_admin(request.user):
        raise PermissionDenied("Only RevOps admins recalculate or lock periods.")
    try:
        key = period_parse(period).key
        if action == "lock":
            services.period_lock(period=key, by=request.user)
            messages.success(request, f"{key} is locked. Later corrections will appear in the next open period.")
        else:
            report = services.statements_calculate(period=key)
            note = f" Skipped: {' '.join(report.skipped)}" if report.skipped else ""
            messages.success(request, f"Recalculated {report.calculated} statement(s) for {key}.{note}")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect(f"{request.path.rsplit('/periods/', 1)[0]}/team/?period={period}")


urlpatterns = [
    path("compensation/me/", my_statement, name="comp_my_statement"),
    path("compensation/team/", team, name="comp_team"),
    path("compensation/statements/<int:pk>/", statement_detail, name="comp_statement"),
    path("compensation/statements/<int:pk>/what-if/", statement_what_if, name="comp_what_if"),
    path("compensation/export.csv", payroll_export, name="comp_export"),
    path("compensation/periods/<str:period>/recalculate/", period_action, {"action": "recalculate"},
         name="comp_period_recalculate"),
    path("compensation/periods/<str:period>/lock/", period_action, {"action": "lock"}, name="comp_period_lock"),
]
