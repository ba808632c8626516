"""The forecasting demo: contracts of every kind and status, opportunities in every stage and type, owned
like their accounts, burn-downs in more than one state, deterministic and safe to re-run."""
from collections import Counter
from datetime import date

import pytest
from django.db.models import F

from accounts.services.demo import demo_seed as accounts_demo_seed
from forecasting.models import Contract, Opportunity
from forecasting.selectors.revenue import active_contracts
from forecasting.selectors.retention import retention_report
from forecasting.services import demo
from forecasting.services.burndown import commit_burndowns

pytestmark = pytest.mark.django_db
TODAY = date(2026, 5, 20)


@pytest.fixture
def seeded(settings):
    settings.REVOPS_DEMO_EXTENSIONS = []
    accounts_demo_seed(seed=7, companies=120, today=TODAY)
    counts = demo.demo_seed(seed=7, today=TODAY)
    return counts


def snapshot():
    return (
        sorted(Contract.objects.values_list("external_id", "kind", "status", "start_date", "end_date",
                                            "committed_amount", "renewal_of__external_id")),
        sorted(Opportunity.objects.values_list("external_id", "stage", "type", "amount", "close_date",
                                               "forecast_category")),
    )


def test_every_kind_status_stage_and_type_is_there(seeded):
    assert seeded["contracts"] == Contract.objects.count() > 0
    assert set(Contract.objects.values_list("kind", flat=True)) == set(Contract.Kind.values)
    assert set(Contract.objects.values_list("status", flat=True)) == set(Contract.Status.values)
    assert set(Opportunity.objects.values_list("stage", flat=True)) == set(Opportunity.Stage.values)
    assert set(Opportunity.objects.values_list("type", flat=True)) == set(Opportunity.Type.values)
    assert Opportunity.objects.filter(category_overridden=True).exists()
    assert Contract.objects.filter(renewal_of__isnull=False).exists()
    assert Contract.objects.filter(kind="commit", rollover_fraction__gt=0).exists()
    assert set(Contract.objects.filter(kind="commit").values_list("billing", flat=True)) == {"prepaid", "postpaid"}


def test_owners_are_the_account_owners(seeded):
    assert not Contract.objects.exclude(owner=F("company__owner")).exists()
    assert not Opportunity.objects.exclude(owner=F("company__owner")).exists()
    assert not Contract.objects.filter(owner__isnull=True).exists()


def test_burn_downs_and_retention_have_something_to_say(seeded):
    burns = commit_burndowns(contracts=list(active_contracts(on=TODAY).filter(kind="commit")), today=TODAY)
    assert len(Counter(b.status for b in burns.values())) >= 2
    report = retention_report(basis="arr", months=6, as_of=date(2026, 4, 1))
    assert report.latest.customers > 0 and report.latest.nrr is not None


def test_rerun_is_deterministic_and_replaces_its_rows(seeded):
    first = snapshot()
    again = demo.demo_seed(seed=7, today=TODAY)
    assert snapshot() == first
    assert again["contracts"] == Contract.objects.count()
    labels = [label for label, _, _ in demo.demo_summary()]
    assert labels == ["contracts", "opportunities"]
