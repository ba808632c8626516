"""Coverage flags and contact metrics on hand-built accounts."""
from datetime import datetime, timedelta, timezone as dt_timezone
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.models import Company
from stakeholders.models import Stakeholder
from stakeholders.selectors.metrics import (
    FLAG_KEYS,
    company_flags,
    company_with_contact_metrics,
    flag_filter,
    freshness,
)
from stakeholders.services import next_step_complete
from tests.factories import CompanyFactory

from .factories import StakeholderFactory, log_contact

pytestmark = pytest.mark.django_db
R = Stakeholder.Role


def metrics(company):
    return company_with_contact_metrics(Company.objects.filter(pk=company.pk)).get()


def healthy_account():
    """Five known stakeholders incl. an economic buyer, two contacted recently, no overdue step."""
    company = CompanyFactory()
    people = [StakeholderFactory(company=company, role=role) for role in
              (R.ECONOMIC_BUYER, R.CHAMPION, R.TECHNICAL_EVALUATOR, R.PROCUREMENT, R.END_USER)]
    log_contact(people[0], days_ago=3)
    log_contact(people[1], days_ago=10)
    return company, people


def test_healthy_account_raises_no_flag():
    company, _people = healthy_account()
    row = metrics(company)
    assert row.known_stakeholders == 5
    assert row.contacted_30d == 2
    assert row.has_economic_buyer and not row.has_executive_sponsor
    assert company_flags(row) == {key: False for key in FLAG_KEYS}


def test_fewer_than_five_known_counts_only_people_still_there():
    company, people = healthy_account()
    Stakeholder.objects.filter(pk=people[4].pk).update(is_active=False)
    row = metrics(company)
    assert row.known_stakeholders == 4
    assert company_flags(row)["few_stakeholders"] is True
    assert sum(company_flags(row).values()) == 1


def test_no_buyer_or_sponsor_only_when_both_missing():
    company, people = healthy_account()
    Stakeholder.objects.filter(pk=people[0].pk).update(role=R.CHAMPION)
    assert company_flags(metrics(company))["no_buyer_or_sponsor"] is True
    StakeholderFactory(company=company, role=R.EXECUTIVE_SPONSOR)
    assert company_flags(metrics(company))["no_buyer_or_sponsor"] is False
    # A sponsor who left the company does not count.
    Stakeholder.objects.filter(company=company, role=R.EXECUTIVE_SPONSOR).update(is_active=False)
    assert company_flags(metrics(company))["no_buyer_or_sponsor"] is True


def test_single_threaded_when_exactly_one_person_contacted_in_30_days():
    company, people = healthy_account()
    # Move the second contact out of the window: only the buyer was spoken to in 30 days.
    Stakeholder.objects.filter(pk=people[1].pk).update(last_contacted_at=timezone.now() - timedelta(days=45))
    row = metrics(company)
    assert row.contacted_30d == 1
    flags = company_flags(row)
    assert flags["single_threaded"] is True and flags["all_stale"] is False


def test_all_stale_when_nobody_contacted_in_30_days():
    company, people = healthy_account()
    Stakeholder.objects.filter(company=company).update(last_contacted_at=timezone.now() - timedelta(days=31, hours=1))
    flags = company_flags(metrics(company))
    assert flags["all_stale"] is True and flags["single_threaded"] is False


def test_company_without_stakeholders_is_all_stale_and_few():
    company = CompanyFactory()
    flags = company_flags(metrics(company))
    assert flags["few_stakeholders"] and flags["all_stale"] and flags["no_buyer_or_sponsor"]
    assert not flags["single_threaded"] and not flags["overdue_next_steps"]


def test_thirty_day_window_counts_calendar_days_in_the_zone():
    company = CompanyFactory()
    person = StakeholderFactory(company=company)
    zone = ZoneInfo("America/Los_Angeles")
    now = datetime(2026, 3, 20, 18, 0, tzinfo=dt_timezone.utc)  # 11:00 on the 20th in Los Angeles
    # 30 calendar days back in LA is Feb 18; 00:30 LA on Feb 18 = 08:30 UTC.
    Stakeholder.objects.filter(pk=person.pk).update(last_contacted_at=datetime(2026, 2, 18, 8, 30, tzinfo=dt_timezone.utc))
    row = company_with_contact_metrics(Company.objects.filter(pk=company.pk), now=now, zone=zone).get()
    assert row.contacted_30d == 1
    # In Tokyo the same instants are Feb 18 17:30 and Mar 21 03:00: 31 days, outside the window.
    row = company_with_contact_metrics(Company.objects.filter(pk=company.pk), now=now, zone=ZoneInfo("Asia/Tokyo")).get()
    assert row.contacted_30d == 0


def test_overdue_next_steps_counts_open_steps_due_before_today():
    company, people = healthy_account()
    today = timezone.localdate()
    overdue = log_contact(people[2], days_ago=2, next_step="Send pricing", next_step_due=today - timedelta(days=1))
    log_contact(people[3], days_ago=2, next_step="Book demo", next_step_due=today)  # due today: not overdue
    row = metrics(company)
    assert row.overdue_next_steps == 1
    assert company_flags(row)["overdue_next_steps"] is True
    next_step_complete(interaction=overdue, by=None)
    assert company_flags(metrics(company))["overdue_next_steps"] is False


def test_last_contacted_at_is_the_latest_interaction_of_the_company():
    company, people = healthy_account()
    row = metrics(company)
    assert row.last_contacted_at == Stakeholder.objects.get(pk=people[0].pk).last_contacted_at


def test_flags_filter_set_based_across_companies(django_assert_num_queries):
    healthy, _ = healthy_account()
    empty = CompanyFactory()
    with django_assert_num_queries(1):
        ids = set(company_with_contact_metrics().filter(flag_filter("all_stale")).values_list("pk", flat=True))
    assert empty.pk in ids and healthy.pk not in ids


@pytest.mark.parametrize(("days", "expected"), [
    (None, "never"), (0, "fresh"), (14, "fresh"), (15, "recent"), (30, "recent"), (31, "stale"),
])
def test_freshness_bands(days, expected):
    assert freshness(days) == expected


def test_flags_from_the_metrics_alone_equal_the_sql_flags():
    """The review reads the metrics without the flag annotations and derives the flags in Python."""
    today = timezone.localdate()
    companies = [CompanyFactory()]  # nobody known: few, no buyer, all stale
    healthy, people = healthy_account()
    companies.append(healthy)
    few, few_people = healthy_account()
    Stakeholder.objects.filter(pk=few_people[4].pk).update(is_active=False)
    companies.append(few)
    single = CompanyFactory()
    log_contact(StakeholderFactory(company=single, role=R.EXECUTIVE_SPONSOR), days_ago=5,
                next_step="Send pricing", next_step_due=today - timedelta(days=2))
    companies.append(single)
    stale, stale_people = healthy_account()
    log_contact(stale_people, days_ago=45)
    Stakeholder.objects.filter(company=stale).update(last_contacted_at=timezone.now() - timedelta(days=45))
    companies.append(stale)
    ids = [c.pk for c in companies]
    with_flags = {c.pk: {key: bool(getattr(c, f"flag_{key}")) for key in FLAG_KEYS}  # the SQL annotations
                  for c in company_with_contact_metrics(Company.objects.filter(pk__in=ids))}
    plain = company_with_contact_metrics(Company.objects.filter(pk__in=ids), flags=False)
    from_metrics = {c.pk: company_flags(c) for c in plain}
    assert not hasattr(plain[0], "flag_all_stale")
    assert from_metrics == with_flags
    # every flag is raised somewhere and cleared somewhere, so the comparison covers both outcomes
    assert all(any(f[key] for f in with_flags.values()) and not all(f[key] for f in with_flags.values())
               for key in FLAG_KEYS)
