"""Runs: idempotent, cooldown, constant query count, failures recorded, schedule claimed once."""
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from playbooks.models import Play, Playbook, PlaybookRun
from playbooks.services import playbook_run_create, playbook_run_execute, playbooks_schedule_check, schedule_due_moment
from revops.errors import ApplicationError
from tests.factories import CompanyFactory, WorkspaceFactory
from tests.playbooks.factories import PlaybookFactory, PlaybookStepFactory

pytestmark = pytest.mark.django_db


def run(playbook, now=None):
    created = playbook_run_create(playbook=playbook, trigger=PlaybookRun.Trigger.MANUAL)
    return playbook_run_execute(run_id=created.pk, now=now)


def company_with_workspaces(n, **fields):
    company = CompanyFactory(**fields)
    for _ in range(n):
        WorkspaceFactory(company=company, mrr=Decimal("100"))
    return company


def test_run_surfaces_matches_with_checklist_why_and_value():
    playbook = PlaybookFactory(context_metrics=["mrr"])
    PlaybookStepFactory(playbook=playbook, position=1, title="Research", due_after_days=3)
    PlaybookStepFactory(playbook=playbook, position=2, title="Pitch", due_after_days=10)
    big = company_with_workspaces(3, potential_arr=Decimal("50000"))
    company_with_workspaces(1)
    now = datetime(2026, 2, 2, 8, tzinfo=UTC)
    result = run(playbook, now=now)
    assert (result.status, result.matched, result.new_plays, result.skipped_open) == ("succeeded", 1, 1, 0)
    play = Play.objects.get()
    assert play.company == big and play.status == "open" and play.surfaced_at == now
    assert play.value == Decimal("46400.00")  # 50,000 − 3 × 100 × 12
    assert [item["text"] for item in play.why] == ["3 workspaces", "$300 MRR"]
    assert list(play.steps.values_list("title", "due_date")) == [
        ("Research", now.date() + timedelta(days=3)), ("Pitch", now.date() + timedelta(days=10))]


def test_running_twice_creates_no_duplicate_open_plays():
    playbook = PlaybookFactory()
    for _ in range(3):
        company_with_workspaces(2)
    first, second = run(playbook), run(playbook)
    assert (first.new_plays, second.new_plays, second.skipped_open, second.matched) == (3, 0, 3, 3)
    assert Play.objects.filter(status__in=Play.OPEN_STATES).count() == 3


def test_database_refuses_a_second_open_play_for_the_same_account():
    from django.db import IntegrityError, transaction

    playbook = PlaybookFactory()
    company = company_with_workspaces(2)
    run(playbook)
    with pytest.raises(IntegrityError), transaction.atomic():
        Play.objects.create(playbook=playbook, company=company, surfaced_at=timezone.now())


def test_cooldown_keeps_a_closed_account_quiet_then_it_resurfaces():
    playbook = PlaybookFactory(cooldown_days=30)
    company = company_with_workspaces(2)
    run(playbook)
    closed_at = timezone.now()
    Play.objects.update(status=Play.Status.DONE, closed_at=closed_at)
    within = run(playbook, now=closed_at + timedelta(days=29))
    assert (within.matched, within.new_plays, within.skipped_cooldown) == (1, 0, 1)
    after = run(playbook, now=closed_at + timedelta(days=31))
    assert (after.new_plays, after.skipped_cooldown) == (1, 0)
    assert Play.objects.filter(company=company).count() == 2


def test_query_count_does_not_grow_with_companies():
    def queries_for(n):
        playbook = PlaybookFactory()
        PlaybookStepFactory(playbook=playbook)
        for _ in range(n):
            company_with_workspaces(2)
        return run(playbook).queries

    small = queries_for(3)
    Play.objects.all().delete()
    assert queries_for(40) == small


def test_invalid_signal_is_refused_before_queueing():
    playbook = PlaybookFactory(signal={"match": "all", "conditions": [{"metric": "nope", "operator": "eq", "value": 1}]})
    with pytest.raises(ApplicationError, match="unknown metric"):
        playbook_run_create(playbook=playbook, trigger="manual")
    assert not PlaybookRun.objects.exists()


def test_failing_run_is_recorded_with_its_error(monkeypatch):
    playbook = PlaybookFactory()
    company_with_workspaces(2)
    created = playbook_run_create(playbook=playbook, trigger="manual")

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("playbooks.services.runs.signal_evaluate", boom)
    result = playbook_run_execute(run_id=created.pk)
    created.refresh_from_db()
    assert (created.status, created.error) == ("failed", "RuntimeError: disk on fire")
    assert result.status == "failed" and not Play.objects.exists()
    assert playbook_run_execute(run_id=created.pk) is None  # not transient: never claimed again


def test_transient_error_fails_the_run_and_lets_celery_retry(monkeypatch):
    from django.db import OperationalError

    playbook = PlaybookFactory()
    company_with_workspaces(2)
    created = playbook_run_create(playbook=playbook, trigger="manual")
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("server closed the connection")
        from playbooks.signals import signal_evaluate
        return signal_evaluate(*args, **kwargs)

    monkeypatch.setattr("playbooks.services.runs.signal_evaluate", flaky)
    with pytest.raises(OperationalError):
        playbook_run_execute(run_id=created.pk)
    created.refresh_from_db()
    assert created.status == "failed" and "server closed the connection" in created.error
    assert playbook_run_execute(run_id=created.pk).status == "succeeded"  # the retry claims it
    assert Play.objects.count() == 1


def test_a_claimed_run_is_not_run_twice():
    playbook = PlaybookFactory()
    company_with_workspaces(2)
    created = playbook_run_create(playbook=playbook, trigger="manual")
    assert playbook_run_execute(run_id=created.pk) is not None
    assert playbook_run_execute(run_id=created.pk) is None
    assert Play.objects.count() == 1


def test_schedule_due_moments():
    daily = PlaybookFactory(schedule=Playbook.Schedule.DAILY, schedule_hour=6)
    weekly = PlaybookFactory(schedule=Playbook.Schedule.WEEKLY, schedule_hour=6, schedule_weekday=0)
    tuesday_5am = datetime(2026, 3, 10, 5, tzinfo=UTC)
    assert schedule_due_moment(daily, now=tuesday_5am) == datetime(2026, 3, 9, 6, tzinfo=UTC)
    assert schedule_due_moment(daily, now=tuesday_5am + timedelta(hours=2)) == datetime(2026, 3, 10, 6, tzinfo=UTC)
    assert schedule_due_moment(weekly, now=tuesday_5am) == datetime(2026, 3, 9, 6, tzinfo=UTC)
    assert schedule_due_moment(PlaybookFactory(), now=tuesday_5am) is None


def test_schedule_check_queues_each_due_run_once():
    Playbook.objects.all().delete()  # the shipped ones are weekly too
    daily = PlaybookFactory(schedule=Playbook.Schedule.DAILY, schedule_hour=6)
    PlaybookFactory(schedule=Playbook.Schedule.DAILY, is_active=False)
    PlaybookFactory()  # manual
    queued = []

    def dispatch(*, playbook, trigger):
        run = playbook_run_create(playbook=playbook, trigger=trigger)
        queued.append(run)
        return run

    now = datetime(2026, 3, 10, 7, tzinfo=UTC)
    assert [r.playbook for r in playbooks_schedule_check(now=now, dispatch=dispatch)] == [daily]
    assert playbooks_schedule_check(now=now + timedelta(minutes=5), dispatch=dispatch) == []
    assert len(playbooks_schedule_check(now=now + timedelta(days=1), dispatch=dispatch)) == 1
    assert [r.trigger for r in queued] == ["schedule", "schedule"]


def test_schedule_task_runs_due_playbooks_eagerly(django_capture_on_commit_callbacks):
    from playbooks.tasks import playbooks_schedule_check_task

    Playbook.objects.all().delete()
    PlaybookFactory(schedule=Playbook.Schedule.DAILY, schedule_hour=0)
    company_with_workspaces(2)
    with django_capture_on_commit_callbacks(execute=True):
        assert playbooks_schedule_check_task() == 1
    run_ = PlaybookRun.objects.get()
    assert (run_.trigger, run_.status, run_.new_plays) == ("schedule", "succeeded", 1)
