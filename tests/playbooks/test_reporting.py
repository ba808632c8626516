"""Reporting figures on a small hand-checked dataset."""
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from forecasting.models import Opportunity
from playbooks.models import Play
from playbooks.selectors import play_report, playbook_summaries, playbook_timeline, run_report
from tests.factories import CompanyFactory
from tests.playbooks.factories import PlaybookFactory, PlayFactory

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)  # a Monday


def opportunity(company, **fields):
    return Opportunity.objects.create(company=company, external_id=f"O-{company.pk}-{Opportunity.objects.count()}",
                                      name="Expansion", amount=Decimal("50000"), close_date=date(2026, 6, 30),
                                      probability=Decimal("0.1"), forecast_category="pipeline", **fields)


@pytest.fixture
def dataset():
    """Four plays of one playbook on enterprise accounts, plus five comparable accounts never surfaced.

    play 1: converted (first action after 1 day, outcome 30,000)
    play 2: converted (first action after 3 days, outcome 20,000)
    play 3: disqualified (first action after 10 days)
    play 4: open, never touched
    comparable: five enterprise accounts, one with a new opportunity; one SMB account with one (not comparable)
    """
    playbook = PlaybookFactory()
    plays = []
    for i, (status, delay, amount) in enumerate([
        (Play.Status.CONVERTED, 1, "30000"), (Play.Status.CONVERTED, 3, "20000"),
        (Play.Status.DISQUALIFIED, 10, None), (Play.Status.OPEN, None, None),
    ]):
        company = CompanyFactory(tier="enterprise")
        surfaced = T0 + timedelta(days=i)
        first = surfaced + timedelta(days=delay) if delay else None
        closed = first + timedelta(days=1) if status in Play.CLOSED_STATES else None
        play = PlayFactory(playbook=playbook, company=company, status=status, surfaced_at=surfaced,
                           first_action_at=first, closed_at=closed,
                           outcome_amount=Decimal(amount) if amount else None,
                           disqualify_reason="No budget" if status == Play.Status.DISQUALIFIED else "",
                           opportunity=opportunity(company) if status == Play.Status.CONVERTED else None)
        plays.append(play)
    comparable = [CompanyFactory(tier="enterprise") for _ in range(5)]
    opportunity(comparable[0])
    opportunity(CompanyFactory(tier="smb"))
    return playbook, plays


def test_playbook_report_matches_hand_computation(dataset):
    playbook, _plays = dataset
    report = play_report(playbook=playbook)
    assert (report.surfaced, report.open, report.converted, report.disqualified) == (4, 1, 2, 1)
    assert report.actioned_7d == 2  # 1 and 3 days; 10 days is too late
    assert report.committed == Decimal("50000")
    assert report.median_first_action == timedelta(days=3)  # 1, 3, 10
    assert report.conversion_rate == 0.5
    assert (report.comparable_accounts, report.comparable_converted) == (5, 1)
    assert report.lift == pytest.approx(0.5 / 0.2)


def test_run_report_covers_only_the_run(dataset):
    from playbooks.models import PlaybookRun

    playbook, plays = dataset
    run = PlaybookRun.objects.create(playbook=playbook, status="succeeded")
    Play.objects.filter(pk__in=[plays[0].pk, plays[3].pk]).update(run=run)
    report = run_report(run=run)
    assert (report.surfaced, report.converted, report.committed, report.actioned_7d) == (2, 1, Decimal("30000"), 1)


def test_timeline_counts_per_week_of_surfacing(dataset):
    playbook, _ = dataset
    points = playbook_timeline(playbook=playbook, weeks=3, today=date(2026, 1, 20))
    assert [(p.week, p.surfaced, p.actioned_7d, p.converted) for p in points] == [
        (date(2026, 1, 5), 4, 2, 2), (date(2026, 1, 12), 0, 0, 0), (date(2026, 1, 19), 0, 0, 0)]


def test_summaries_in_three_queries(dataset, django_assert_max_num_queries):
    playbook, _ = dataset
    with django_assert_max_num_queries(5):
        summaries = {s.playbook.pk: s for s in playbook_summaries()}
    mine = summaries[playbook.pk]
    assert (mine.open, mine.surfaced, mine.converted, mine.committed) == (1, 4, 2, Decimal("50000"))


def test_no_lift_without_converted_comparables():
    playbook = PlaybookFactory()
    PlayFactory(playbook=playbook, company=CompanyFactory(tier="smb"), surfaced_at=T0)
    report = play_report(playbook=playbook)
    assert report.lift is None and report.conversion_rate == 0
