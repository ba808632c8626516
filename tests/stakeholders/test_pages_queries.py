"""The account page's stakeholder panel costs a constant number of queries whatever the account holds."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import CompanyFactory

from .factories import StakeholderFactory, log_contact

pytestmark = pytest.mark.django_db


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_account_page_queries_do_not_grow_with_stakeholders_or_interactions(manager_client, rep, rep2):
    company = CompanyFactory(owner=rep)
    url = reverse("accounts:company_detail", args=[company.pk])
    first = StakeholderFactory(company=company, key_rank=1)
    log_contact(first, by=rep)
    manager_client.get(url)  # the first request of a session also stores the user's time zone
    small = _queries(manager_client, url)

    boss = first
    for index in range(30):
        person = StakeholderFactory(company=company, reports_to=boss, key_rank=index + 2 if index < 4 else None,
                                    is_active=index % 9 != 8)
        if index % 5 == 0:
            boss = person
        log_contact([person, first], by=rep if index % 2 else rep2, days_ago=index, summary=f"Call {index}",
                    next_step="Follow up" if index % 3 == 0 else "")
    big = _queries(manager_client, url)
    html = manager_client.get(url).content.decode()
    assert html.count('<article class="sh-card') == 31 and html.count('class="tl-item"') == 8
    assert big == small, f"{small} queries with one stakeholder, {big} with thirty-one"


def test_panel_refresh_queries_are_constant(rep_client, rep):
    company = CompanyFactory(owner=rep)
    url = reverse("stakeholders:panel", args=[company.pk])
    log_contact(StakeholderFactory(company=company), by=rep)
    rep_client.get(url)  # the first request of a session also stores the user's time zone
    small = _queries(rep_client, url)
    for index in range(20):
        log_contact(StakeholderFactory(company=company), by=rep, days_ago=index)
    assert _queries(rep_client, url) == small
