"""Demo data: every coverage flag on maria's review at first run, deterministic and re-runnable."""
from datetime import date

import pytest
from django.contrib.auth import get_user_model

from accounts.models import Team
from accounts.services.demo import demo_seed as seed_all
from stakeholders.models import ActionItem, Interaction, ReviewSession, Stakeholder
from stakeholders.selectors.metrics import FLAG_KEYS
from stakeholders.selectors.review import review_accounts, review_summary
from stakeholders.selectors.sessions import session_detail
from stakeholders.services import demo

pytestmark = pytest.mark.django_db
TODAY = date.today()  # the review reads "now": the demo is anchored on today, as seed_demo does


@pytest.fixture(autouse=True)
def only_this_extension(settings):
    settings.REVOPS_DEMO_EXTENSIONS = ["stakeholders.services.demo"]


def people_snapshot():
    return sorted(Stakeholder.objects.filter(external_id__startswith="DEMO-").values_list(
        "external_id", "name", "email", "role", "influence", "key_rank", "is_active", "reports_to__external_id",
        "last_contacted_at"))


def test_demo_seed_shows_every_flag_on_marias_review_and_reruns_identically():
    result = seed_all(size="small", seed=7, companies=60, today=TODAY)
    assert result.counts["stakeholders"] > 150 and result.counts["interactions"] > 500
    maria = get_user_model().objects.get(username="maria")
    team = Team.objects.get(manager=maria)
    accounts = review_accounts(team=team, viewer=maria)
    counts = review_summary(team=team, accounts=accounts, viewer=maria).flag_counts
    assert all(counts[key] >= 1 for key in FLAG_KEYS), counts
    assert any(not any(a.flags.values()) for a in accounts)  # and some healthy accounts
    assert all(a.key_stakeholders for a in accounts)
    # Every demo company has a map with reporting lines, and two years of history overall.
    assert not Stakeholder.objects.filter(external_id__startswith="DEMO-").values("company").distinct().count() < 60
    assert Stakeholder.objects.filter(reports_to__isnull=False).exists()
    oldest = Interaction.objects.order_by("occurred_at").first().occurred_at.date()
    assert (TODAY - oldest).days > 365
    # Last week's session with action items, some done: the carry-over of this week's review.
    last_week = ReviewSession.objects.get(team=team)
    assert ActionItem.objects.filter(session=last_week, status="done").exists()
    assert ActionItem.objects.filter(session=last_week, status="open").exists()
    assert session_detail(session=last_week).rows

    before = people_snapshot()
    seed_all(size="small", seed=7, companies=60, today=TODAY)
    assert people_snapshot() == before
    assert ReviewSession.objects.filter(team=team).count() == 1
    labels = [label for label, _total, _detail in demo.demo_summary()]
    assert labels == ["stakeholders", "interactions", "review sessions"]
