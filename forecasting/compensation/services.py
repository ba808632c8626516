"""Writes of the compensation area: plans, assignments, splits, statement calculation, locks, adjustments.

Statements are recalculated idempotently: the same inputs give the same statement, line for line.
A locked period is never recalculated; what changed afterwards reaches the rep's next open period:
* a paid deal that is no longer won → a clawback line (−what it earned) in the open period containing
  the cancellation date (or the next open one), attainment unchanged;
* anything else (late usage, an amount or quota corrected, a split changed) → a correction line: what the
  locked period would pay now minus what it paid and minus corrections already paid.
"""
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError, Q
from django.utils import timezone

from forecasting.compensation import calculator as calc
from forecasting.compensation.periods import Period, period_parse
from forecasting.compensation.selectors import (
    AccountCredit,
    DealCredit,
    Scope,
    account_credits,
    deal_credits,
)
from forecasting.models import (
    Adjustment,
    Assignment,
    AssignmentQuota,
    CompPlan,
    CreditSplit,
    Opportunity,
    PeriodLock,
    PlanComponent,
    PlanTier,
    Statement,
    StatementComponent,
    StatementLine,
)
from revops.errors import ApplicationError

logger = logging.getLogger(__name__)
ZERO = Decimal("0")
ONE = Decimal("1")
HUNDRED = Decimal("100")
Measure = PlanComponent.Measure
DEAL_MEASURES = {Measure.COMMITTED_BOOKINGS, Measure.NET_NEW_ARR}
ACCOUNT_MEASURES = {Measure.CONSUMPTION_REVENUE, Measure.CONSUMPTION_GROWTH}


# --- validation shared by admin, API and services -----------------------------------------------

def components_validate(components: list[dict]) -> None:
    """Rules a plan's components must keep together; errors are keyed by the field at fault.

    Each dict: name, measure, weight, method, mode, tiers (list of calculator.Tier), and optionally
    decelerator_threshold, decelerator_rate.
    """
    errors: dict[str, list[str]] = defaultdict(list)
    if not components:
        errors["components"].append("A plan needs at least one component.")
    total = sum((Decimal(c.get("weight") or 0) for c in components), ZERO)
    if components and total != ONE:
        errors["weight"].append(f"The weights of a plan must sum to 1 (100 %); these sum to {total.normalize():f}.")
    seen = set()
    for c in components:
        label = c.get("name") or c.get("measure")
        if c.get("measure") in seen:
            errors["measure"].append(f"Two components measure {c.get('measure')}; a plan credits each measure once.")
        seen.add(c.get("measure"))
        for problem in calc.tiers_problems(list(c.get("tiers") or [])):
            errors["tiers"].append(f"{label}: {problem}")
        if (c.get("decelerator_threshold") is None) != (c.get("decelerator_rate") is None):
            errors["decelerator_rate"].append(f"{label}: a decelerator needs both a threshold and a rate.")
    if errors:
        raise ValidationError(dict(errors))


def assignment_validate(*, rep, plan: CompPlan, period: str, target_incentive, draw_type: str, draw_amount,
                        quotas: dict[int, Decimal] | None, exclude_pk: int | None = None) -> Period:
    """The rules of an assignment; raises ValidationError naming the field. Returns the parsed period."""
    errors: dict[str, list[str]] = defaultdict(list)
    try:
        p = period_parse(period)
    except ApplicationError as exc:
        raise ValidationError({"period": [exc.message]}) from exc
    if p.kind != plan.period_type:
        errors["period"].append(f"{plan.name} pays by {plan.get_period_type_display().lower()}; "
                                f"{p.key} is a {p.kind}.")
    if p.start < plan.effective_from or (plan.effective_to and p.end > plan.effective_to):
        errors["period"].append(f"{plan.name} is effective {plan.effective_from:%d %b %Y}–"
                                f"{plan.effective_to.strftime('%d %b %Y') if plan.effective_to else 'open'}; "
                                f"{p.key} is outside it.")
    overlapping = Assignment.objects.filter(rep=rep, period_start__lte=p.end, period_end__gte=p.start)
    if exclude_pk:
        overlapping = overlapping.exclude(pk=exclude_pk)
    other = overlapping.select_related("plan").first()
    if other:
        errors["period"].append(f"{rep.get_full_name() or rep.get_username()} already has {other.plan.name} for "
                                f"{other.period}; a rep has one plan per period.")
    if PeriodLock.objects.filter(period_start__lte=p.end, period_end__gte=p.start).exists():
        errors["period"].append(f"{p.key} is locked; assignments of a paid period cannot change.")
    if target_incentive is None or Decimal(target_incentive) <= 0:
        errors["target_incentive"].append("The target incentive must be greater than zero.")
    draw_amount = Decimal(draw_amount or 0)
    if draw_amount < 0:
        errors["draw_amount"].append("A draw cannot be negative.")
    if draw_type == Assignment.DrawType.NONE and draw_amount:
        errors["draw_type"].append("Choose recoverable or non-recoverable for a draw.")
    if draw_type != Assignment.DrawType.NONE and not draw_amount:
        errors["draw_amount"].append("Enter the draw amount, or choose no draw.")
    if quotas is not None:
        components = list(plan.components.all())
        for component in components:
            value = quotas.get(component.pk)
            if value is None:
                errors["quotas"].append(f"Enter a quota for {component.name}.")
            elif Decimal(value) <= 0:
                errors["quotas"].append(f"The quota for {component.name} must be greater than zero.")
        unknown = set(quotas) - {c.pk for c in components}
        if unknown:
            errors["quotas"].append("A quota names a component of another plan.")
    if errors:
        raise ValidationError(dict(errors))
    return p


def splits_validate(splits: list[tuple[int, str, Decimal]]) -> None:
    """(rep id, kind, percent) rows of one deal: splits sum to exactly 100 %, one row per rep and kind."""
    errors: dict[str, list[str]] = defaultdict(list)
    keys = [(rep_id, kind) for rep_id, kind, _ in splits]
    if len(keys) != len(set(keys)):
        errors["splits"].append("A rep appears twice with the same kind of credit.")
    for _, _, percent in splits:
        if not (ZERO < Decimal(percent) <= HUNDRED):
            errors["percent"].append("Each share must be above 0 % and at most 100 %.")
    total = sum((Decimal(p) for _, kind, p in splits if kind == CreditSplit.Kind.SPLIT), ZERO)
    if any(kind == CreditSplit.Kind.SPLIT for _, kind, _ in splits) and total != HUNDRED:
        errors["percent"].append(f"Split shares must sum to 100 %; these sum to {total.normalize():f} %.")
    if errors:
        raise ValidationError(dict(errors))


# --- plan, assignment, split writes -------------------------------------------------------------

@transaction.atomic
def plan_save(*, plan: CompPlan | None = None, data: dict, components: list[dict]) -> CompPlan:
    """Create or update a plan with its components and tiers (components matched by measure)."""
    components_validate(components)
    plan = plan or CompPlan()
    for key, value in data.items():
        setattr(plan, key, value)
    plan.full_clean()
    plan.save()
    existing = {c.measure: c for c in plan.components.all()}
    keep = set()
    for position, spec in enumerate(components):
        component = existing.get(spec["measure"]) or PlanComponent(plan=plan, measure=spec["measure"])
        for key in ("name", "weight", "method", "mode", "decelerator_threshold", "decelerator_rate",
                    "retroactive_unlock", "cap_multiple"):
            if key in spec:
                setattr(component, key, spec[key])
        component.position = position
        component.full_clean(exclude=["plan"])
        component.save()
        _tiers_save(component, spec["tiers"])
        keep.add(component.pk)
    try:
        plan.components.exclude(pk__in=keep).delete()
    except ProtectedError as exc:
        raise ApplicationError("A component that statements were calculated with cannot be removed; "
                               "create a new plan instead.", {"components": ["Used by statements."]}) from exc
    return plan


def _tiers_save(component: PlanComponent, tiers) -> None:
    """The component's tiers become `tiers`, changing only what differs (tiers are matched by their
    lower bound), so the audit history shows what an edit really changed."""
    existing = {tier.lower: tier for tier in component.tiers.all()}
    wanted = {Decimal(t.lower): t for t in tiers}
    component.tiers.exclude(lower__in=list(wanted)).delete()
    for lower, spec in wanted.items():
        tier = existing.get(lower)
        if tier is None:
            PlanTier.objects.create(component=component, lower=lower, upper=spec.upper, rate=spec.rate)
        elif (tier.upper, tier.rate) != (spec.upper, spec.rate):
            tier.upper, tier.rate = spec.upper, spec.rate
            tier.save(update_fields=["upper", "rate"])


@transaction.atomic
def assignment_save(*, assignment: Assignment | None = None, rep, plan: CompPlan, period: str, target_incentive,
                    draw_type: str = Assignment.DrawType.NONE, draw_amount=ZERO,
                    quotas: dict[int, Decimal]) -> Assignment:
    if assignment and assignment.statements.filter(status=Statement.Status.LOCKED).exists():
        raise ApplicationError("This assignment's period is locked; it can no longer change.")
    p = assignment_validate(rep=rep, plan=plan, period=period, target_incentive=target_incentive, draw_type=draw_type,
                            draw_amount=draw_amount, quotas=quotas, exclude_pk=assignment.pk if assignment else None)
    assignment = assignment or Assignment()
    assignment.rep, assignment.plan, assignment.period = rep, plan, p.key
    assignment.period_start, assignment.period_end = p.start, p.end
    assignment.target_incentive, assignment.draw_type = Decimal(target_incentive), draw_type
    assignment.draw_amount = Decimal(draw_amount or 0)
    assignment.save()
    assignment.quotas.exclude(component_id__in=list(quotas)).delete()
    for component_id, value in quotas.items():
        AssignmentQuota.objects.update_or_create(assignment=assignment, component_id=component_id,
                                                 defaults={"quota": Decimal(value)})
    return assignment


@transaction.atomic
def assignment_delete(*, assignment: Assignment) -> None:
    if assignment.statements.filter(status=Statement.Status.LOCKED).exists():
        raise ApplicationError("This assignment was paid in a locked period; it cannot be deleted.")
    assignment.statements.all().delete()
    assignment.delete()


@transaction.atomic
def credit_splits_set(*, opportunity: Opportunity, splits: list[tuple]) -> list[CreditSplit]:
    """Replace a deal's credit splits: (rep, kind, percent) rows; an empty list gives the owner 100 %."""
    splits_validate([(rep.pk, kind, Decimal(percent)) for rep, kind, percent in splits])
    opportunity.credit_splits.all().delete()
    return CreditSplit.objects.bulk_create(
        CreditSplit(opportunity=opportunity, rep=rep, kind=kind, percent=Decimal(percent)) for rep, kind, percent in splits
    )


@transaction.atomic
def adjustment_create(*, rep, period: str, amount, reason: str, by=None) -> Adjustment:
    p = period_parse(period)
    if PeriodLock.objects.filter(period=p.key).exists():
        raise ValidationError({"period": [f"{p.key} is locked; put the adjustment in the next open period."]})
    if not Decimal(amount or 0):
        raise ValidationError({"amount": ["Enter a non-zero amount."]})
    if not Assignment.objects.filter(rep=rep, period=p.key).exists():
        raise ValidationError({"period": [f"{rep.get_username()} has no plan for {p.key}."]})
    adjustment = Adjustment.objects.create(rep=rep, period=p.key, amount=Decimal(amount), reason=reason, created_by=by)
    return adjustment


# --- calculation --------------------------------------------------------------------------------

@dataclass
class LineDraft:
    kind: str
    description: str
    component_key: int | None = None
    opportunity_id: int | None = None
    company_id: int | None = None
    adjustment_id: int | None = None
    source_period: str = ""
    on_date: date | None = None
    amount: Decimal = ZERO
    share: Decimal | None = None
    credited: Decimal = ZERO
    earnings: Decimal = ZERO


@dataclass
class Computation:
    """A statement's commission before clawbacks, corrections and draws (what a locked period is compared on)."""

    assignment: Assignment
    results: list[calc.ComponentResult]
    lines: list[LineDraft]
    plan_cap_reduction: Decimal

    @property
    def commission(self) -> Decimal:
        return sum((r.earnings for r in self.results), ZERO) - self.plan_cap_reduction


@dataclass
class CalculationReport:
    period: str
    calculated: int = 0
    skipped: list[str] = field(default_factory=list)


def _rule(component: PlanComponent) -> calc.ComponentRule:
    return calc.ComponentRule(
        key=component.pk, name=component.name, measure=component.measure, weight=component.weight,
        method=component.method, mode=component.mode,
        tiers=tuple(calc.Tier(t.lower, t.upper, t.rate) for t in component.tiers.all()),
        decelerator_threshold=component.decelerator_threshold, decelerator_rate=component.decelerator_rate,
        retroactive_unlock=component.retroactive_unlock, cap_multiple=component.cap_multiple,
    )


def _assignments(qs) -> list[Assignment]:
    return list(qs.select_related("rep", "plan").prefetch_related("plan__components__tiers", "quotas"))


def _deal_lines(component: PlanComponent, deals: list[DealCredit]) -> list[LineDraft]:
    if component.measure == Measure.NET_NEW_ARR:
        deals = [d for d in deals if d.type != Opportunity.Type.RENEWAL]
    return [LineDraft(kind=StatementLine.Kind.DEAL, description=d.name, component_key=component.pk,
                      opportunity_id=d.opportunity_id, company_id=d.company_id, on_date=d.close_date, amount=d.amount,
                      share=d.share, credited=calc.money(d.credited)) for d in deals]


def _account_lines(component: PlanComponent, accounts: list[AccountCredit], prior: list[AccountCredit] | None,
                   ) -> list[LineDraft]:
    if component.measure == Measure.CONSUMPTION_REVENUE:
        return [LineDraft(kind=StatementLine.Kind.ACCOUNT, description=a.company_name, component_key=component.pk,
                          company_id=a.company_id, amount=a.amount, credited=calc.money(a.amount))
                for a in accounts if a.amount]
    before = {a.company_id: a for a in prior or []}
    now = {a.company_id: a for a in accounts}
    lines = []
    for cid in set(before) | set(now):
        current = now[cid].amount if cid in now else ZERO
        earlier = before[cid].amount if cid in before else ZERO
        if current == earlier:
            continue
        name = (now.get(cid) or before.get(cid)).company_name
        lines.append(LineDraft(kind=StatementLine.Kind.ACCOUNT, description=f"{name} (a year earlier {earlier:,.0f})",
                               component_key=component.pk, company_id=cid, amount=current,
                               credited=calc.money(current - earlier)))
    return sorted(lines, key=lambda line: -line.credited)


def compute(assignments: list[Assignment], period: Period, *, keep_ids: Iterable[int] = (),
            extra_ids: Iterable[int] = ()) -> tuple[dict[int, Computation], list[str]]:
    """Commission of each assignment of one period, in memory (a fixed number of queries)."""
    measures = {c.measure for a in assignments for c in a.plan.components.all()}
    scopes = [Scope(a.rep_id, team=a.plan.credit_scope == CompPlan.CreditScope.TEAM) for a in assignments]
    deals = deal_credits(scopes=scopes, start=period.start, end=period.end, keep_ids=keep_ids, extra_ids=extra_ids) \
        if measures & DEAL_MEASURES else {}
    accounts = account_credits(scopes=scopes, start=period.start, end=period.end) \
        if measures & ACCOUNT_MEASURES else {}
    earlier = period.year_earlier()
    prior = account_credits(scopes=scopes, start=earlier.start, end=earlier.end) \
        if Measure.CONSUMPTION_GROWTH in measures else {}
    out, problems = {}, []
    for assignment in assignments:
        quotas = {q.component_id: q.quota for q in assignment.quotas.all()}
        results, lines = [], []
        missing = [c.name for c in assignment.plan.components.all() if c.pk not in quotas]
        if missing:
            problems.append(f"{assignment.rep.get_username()} {period.key}: no quota for {', '.join(missing)}.")
            continue
        for component in assignment.plan.components.all():
            if component.measure in DEAL_MEASURES:
                component_lines = _deal_lines(component, deals.get(assignment.rep_id, []))
            else:
                component_lines = _account_lines(component, accounts.get(assignment.rep_id, []),
                                                 prior.get(assignment.rep_id) if prior else None)
            credited = sum((line.credited for line in component_lines), ZERO)
            result = calc.component_calculate(_rule(component), credited=credited, quota=quotas[component.pk],
                                              target_incentive=assignment.target_incentive)
            if credited > 0:  # each line's share of the component's earnings: what a clawback takes back
                for line in component_lines:
                    line.earnings = calc.money(result.earnings * line.credited / credited)
            results.append(result)
            lines.extend(component_lines)
        reduction = calc.plan_cap_reduction(total=sum((r.earnings for r in results), ZERO),
                                            cap_multiple=assignment.plan.cap_multiple,
                                            target_incentive=assignment.target_incentive)
        out[assignment.pk] = Computation(assignment, results, lines, reduction)
    return out, problems


def _carry_ins(assignments: list[Assignment], period: Period) -> dict[int, list[LineDraft]]:
    """rep id → clawback, correction and adjustment lines that land in ``period``.

    1. the reps' assignments and locks tell, for each locked statement, which period is the next open one;
    2. clawbacks: deals paid in a locked statement that are no longer won, landing in the open period that
       contains the cancellation date (or the next open one), once;
    3. corrections: each locked statement whose next open period is this one is recomputed per period
       in one batch (paid-then-cancelled deals kept in: they are clawed back, not corrected);
    4. manual adjustments of this period.
    """
    rep_ids = [a.rep_id for a in assignments]
    out: dict[int, list[LineDraft]] = defaultdict(list)
    locked_keys = set(PeriodLock.objects.values_list("period", flat=True))
    open_periods: dict[int, list[tuple[date, date, str]]] = defaultdict(list)
    for rep_id, start, end, key in Assignment.objects.filter(rep_id__in=rep_ids).values_list(
            "rep_id", "period_start", "period_end", "period"):
        if key not in locked_keys:
            open_periods[rep_id].append((start, end, key))
    for spans in open_periods.values():
        spans.sort()

    def lands_here(rep_id: int, after: date, on: date | None = None) -> bool:
        """Is this period the rep's first open one after ``after`` (and ending on/after ``on``)?"""
        for start, end, key in open_periods.get(rep_id, []):
            if start > after and (on is None or end >= on):
                return key == period.key
        return False

    locked = list(Statement.objects.filter(rep_id__in=rep_ids, status=Statement.Status.LOCKED,
                                           period_end__lt=period.start).select_related("assignment"))
    locked_by_id = {s.pk: s for s in locked}
    paid_lines = (StatementLine.objects.filter(statement_id__in=list(locked_by_id), kind=StatementLine.Kind.DEAL)
                  .exclude(opportunity__stage=Opportunity.Stage.CLOSED_WON).exclude(opportunity__isnull=True)
                  .values("statement_id", "opportunity_id", "opportunity__name", "opportunity__updated_at", "earnings"))
    already_clawed = set(StatementLine.objects.filter(
        statement__rep_id__in=rep_ids, statement__status=Statement.Status.LOCKED, kind=StatementLine.Kind.CLAWBACK,
    ).values_list("statement__rep_id", "opportunity_id", "source_period"))
    cancelled: dict[tuple[int, int], dict] = {}
    keep_by_statement: dict[int, set[int]] = defaultdict(set)
    for row in paid_lines:
        statement = locked_by_id[row["statement_id"]]
        keep_by_statement[statement.pk].add(row["opportunity_id"])
        key = (statement.pk, row["opportunity_id"])
        entry = cancelled.setdefault(key, {**row, "earnings": ZERO, "statement": statement})
        entry["earnings"] += row["earnings"]
    for (statement_id, opportunity_id), row in cancelled.items():
        statement = row["statement"]
        if (statement.rep_id, opportunity_id, statement.period) in already_clawed or not row["earnings"]:
            continue
        cancelled_on = timezone.localdate(row["opportunity__updated_at"])
        if lands_here(statement.rep_id, statement.period_end, cancelled_on):
            out[statement.rep_id].append(LineDraft(
                kind=StatementLine.Kind.CLAWBACK, opportunity_id=opportunity_id, source_period=statement.period,
                description=f"{row['opportunity__name']} cancelled after it was paid in {statement.period}",
                on_date=cancelled_on, earnings=-row["earnings"]))

    due = [s for s in locked if lands_here(s.rep_id, s.period_end)]
    if due:
        paid_corrections: dict[tuple[int, str], Decimal] = defaultdict(lambda: ZERO)
        for rep_id, source, earnings in StatementLine.objects.filter(
                statement__rep_id__in=rep_ids, statement__status=Statement.Status.LOCKED,
                kind=StatementLine.Kind.CORRECTION).values_list("statement__rep_id", "source_period", "earnings"):
            paid_corrections[(rep_id, source)] += earnings
        by_period: dict[str, list[Statement]] = defaultdict(list)
        for statement in due:
            by_period[statement.period].append(statement)
        for key, statements in by_period.items():
            assignments_then = _assignments(Assignment.objects.filter(pk__in=[s.assignment_id for s in statements]))
            keep = {o for s in statements for o in keep_by_statement.get(s.pk, ())}
            now, _ = compute(assignments_then, period_parse(key), keep_ids=keep)
            for statement in statements:
                if statement.assignment_id not in now:
                    continue
                delta = calc.money(now[statement.assignment_id].commission - statement.commission
                                   - paid_corrections[(statement.rep_id, key)])
                if delta:
                    out[statement.rep_id].append(LineDraft(
                        kind=StatementLine.Kind.CORRECTION, source_period=key, earnings=delta,
                        description=f"Correction of {key} (locked): recalculated commission changed by {delta:,.2f}"))

    for adjustment in Adjustment.objects.filter(rep_id__in=rep_ids, period=period.key).order_by("created_at", "pk"):
        out[adjustment.rep_id].append(LineDraft(
            kind=StatementLine.Kind.ADJUSTMENT, adjustment_id=adjustment.pk, description=adjustment.reason,
            on_date=timezone.localdate(adjustment.created_at), earnings=adjustment.amount))
    return out


@transaction.atomic
def statements_calculate(*, period: str, rep_ids: Iterable[int] | None = None) -> CalculationReport:
    """(Re)calculate every open statement of a period: same inputs, same statements."""
    p = period_parse(period)
    if PeriodLock.objects.filter(period=p.key).exists():
        raise ApplicationError(f"{p.key} is locked: its statements never change. Corrections appear in the next "
                               f"open period.")
    qs = Assignment.objects.filter(period=p.key)
    if rep_ids is not None:
        qs = qs.filter(rep_id__in=list(rep_ids))
    # Serialise concurrent runs over the same assignments (a nightly run meeting a post-import one).
    list(qs.select_for_update().values_list("pk", flat=True))
    assignments = _assignments(qs)
    report = CalculationReport(period=p.key)
    computations, report.skipped = compute(assignments, p)
    carry = _carry_ins(assignments, p)
    reps = [a.rep_id for a in assignments]
    previous: dict[int, Statement] = {}
    for statement in Statement.objects.filter(rep_id__in=reps, period_end__lt=p.start).order_by("period_start"):
        previous[statement.rep_id] = statement  # the latest earlier statement wins
    ytd: dict[int, tuple[Decimal, Decimal]] = defaultdict(lambda: (ZERO, ZERO))
    for statement in Statement.objects.filter(rep_id__in=reps, period_start__year=p.start.year,
                                              period_start__lt=p.start):
        paid, earned = ytd[statement.rep_id]
        ytd[statement.rep_id] = (paid + statement.payable, earned + statement.earned)
    existing = {s.rep_id: s for s in Statement.objects.filter(rep_id__in=reps, period_start=p.start)}
    stale = Statement.objects.filter(period=p.key, status=Statement.Status.OPEN).exclude(
        assignment_id__in=[a.pk for a in assignments])
    if rep_ids is not None:
        stale = stale.filter(rep_id__in=list(rep_ids))
    stale.delete()

    now = timezone.now()
    for assignment in assignments:
        computation = computations.get(assignment.pk)
        if computation is None:
            continue
        statement = existing.get(assignment.rep_id) or Statement(rep_id=assignment.rep_id, period_start=p.start)
        if statement.status == Statement.Status.LOCKED:
            continue
        extra = carry.get(assignment.rep_id, [])
        clawbacks = sum((line.earnings for line in extra if line.kind == StatementLine.Kind.CLAWBACK), ZERO)
        adjustments = sum((line.earnings for line in extra if line.kind != StatementLine.Kind.CLAWBACK), ZERO)
        earned = computation.commission + clawbacks + adjustments
        before = previous.get(assignment.rep_id)
        balance_start = before.balance_end if before else ZERO
        draw = calc.draw_settle(earned=earned, draw_type=assignment.draw_type, draw_amount=assignment.draw_amount,
                                balance_start=balance_start)
        paid, earned_before = ytd[assignment.rep_id]
        statement.assignment = assignment
        statement.period, statement.period_end = p.key, p.end
        statement.target_incentive = assignment.target_incentive
        statement.commission, statement.plan_cap_reduction = computation.commission, computation.plan_cap_reduction
        statement.clawbacks, statement.adjustments, statement.earned = clawbacks, adjustments, earned
        statement.draw_type, statement.draw_amount = assignment.draw_type, assignment.draw_amount
        statement.draw_topup, statement.recovered, statement.payable = draw.topup, draw.recovered, draw.payable
        statement.balance_start, statement.balance_end = balance_start, draw.balance_end
        statement.ytd_payable, statement.ytd_earned = paid + draw.payable, earned_before + earned
        statement.calculated_at = now
        statement.save()
        statement.lines.all().delete()
        statement.components.all().delete()
        made = StatementComponent.objects.bulk_create(
            StatementComponent(
                statement=statement, component_id=r.rule.key, name=r.rule.name, measure=r.rule.measure,
                weight=r.rule.weight, target=r.target, quota=r.quota, credited=r.credited,
                attainment=r.attainment.quantize(calc.FACTOR_PLACES), factor=r.factor,
                earnings_uncapped=r.earnings_uncapped, earnings=r.earnings,
                breakdown=[s.as_dict() for s in r.slices], notes=r.notes, position=i)
            for i, r in enumerate(computation.results))
        by_component = {c.component_id: c for c in made}
        StatementLine.objects.bulk_create(
            StatementLine(
                statement=statement, component=by_component.get(line.component_key), kind=line.kind,
                opportunity_id=line.opportunity_id, company_id=line.company_id, adjustment_id=line.adjustment_id,
                source_period=line.source_period, description=line.description[:255], on_date=line.on_date,
                amount=line.amount, share=line.share, credited=line.credited, earnings=line.earnings)
            for line in [*computation.lines, *extra])
        report.calculated += 1
    return report


def statements_calculate_open(*, today: date | None = None) -> list[CalculationReport]:
    """Every open period that has started, oldest first (draw balances carry forward in order)."""
    today = today or timezone.localdate()
    locked = set(PeriodLock.objects.values_list("period", flat=True))
    keys = (Assignment.objects.filter(period_start__lte=today).exclude(period__in=locked)
            .order_by("period_start").values_list("period", flat=True).distinct())
    reports = []
    for key in dict.fromkeys(keys):
        reports.append(statements_calculate(period=key))
    return reports


@transaction.atomic
def period_lock(*, period: str, by=None) -> PeriodLock:
    """Calculate a period one last time, then freeze its statements: they are what payroll paid."""
    p = period_parse(period)
    if PeriodLock.objects.filter(period=p.key).exists():
        raise ApplicationError(f"{p.key} is already locked.")
    statements_calculate(period=p.key)
    lock = PeriodLock.objects.create(period=p.key, period_start=p.start, period_end=p.end, locked_by=by)
    Statement.objects.filter(period=p.key, status=Statement.Status.OPEN).update(
        status=Statement.Status.LOCKED, locked_at=lock.locked_at)
    return lock


@dataclass
class Preview:
    statement: Statement
    results: list[calc.ComponentResult]
    commission: Decimal
    payable: Decimal
    deals: list[Opportunity]

    @property
    def commission_delta(self) -> Decimal:
        return self.commission - self.statement.commission

    @property
    def payable_delta(self) -> Decimal:
        return self.payable - self.statement.payable


def statement_preview(*, statement: Statement, opportunity_ids: Iterable[int]) -> Preview:
    """What the statement would pay if these open deals closed in its period (nothing is written)."""
    ids = [int(i) for i in opportunity_ids][:100]
    p = period_parse(statement.period)
    assignments = _assignments(Assignment.objects.filter(pk=statement.assignment_id))
    computed, _ = compute(assignments, p, extra_ids=ids)
    computation = computed.get(statement.assignment_id)
    if computation is None:
        raise ApplicationError("This statement's plan is missing a quota; ask your RevOps admin.")
    earned = computation.commission + statement.clawbacks + statement.adjustments
    draw = calc.draw_settle(earned=earned, draw_type=statement.draw_type, draw_amount=statement.draw_amount,
                            balance_start=statement.balance_start)
    credited_ids = {line.opportunity_id for line in computation.lines if line.opportunity_id in set(ids)}
    deals = list(Opportunity.objects.filter(pk__in=credited_ids).select_related("company"))
    return Preview(statement, computation.results, computation.commission, draw.payable, deals)
