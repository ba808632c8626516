"""The Monday digest through the locmem email backend."""
from decimal import Decimal

import pytest
from django.core import mail

from stakeholders.models import Stakeholder, WeeklyDigest
from stakeholders.tasks import weekly_digest_task
from tests.factories import CompanyFactory

from .factories import StakeholderFactory, log_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def accounts(rep, rep2, other_rep):
    acme = CompanyFactory(owner=rep, name="Acme", potential_arr=Decimal("900000"))
    fresh = StakeholderFactory(company=acme, name="Fresh Fiona", role=Stakeholder.Role.ECONOMIC_BUYER)
    stale = StakeholderFactory(company=acme, name="Stale Sam", role=Stakeholder.Role.CHAMPION, key_rank=1)
    StakeholderFactory(company=acme, name="Never Nora")
    StakeholderFactory(company=acme, name="Gone Gary", is_active=False)
    log_contact(fresh, by=rep, days_ago=2)
    log_contact(stale, by=rep, days_ago=45)
    globex = CompanyFactory(owner=rep2, name="Globex", potential_arr=Decimal("500000"))
    for i in range(5):
        person = StakeholderFactory(company=globex, name=f"Globex {i}",
                                    role=Stakeholder.Role.EXECUTIVE_SPONSOR if i == 0 else Stakeholder.Role.END_USER)
        log_contact(person, by=rep2, days_ago=3)
    CompanyFactory(owner=other_rep, name="Elsewhere")
    return acme, globex


def test_digest_emails_managers_their_flags_and_reps_their_stale_people(manager, rep, rep2, other_rep, accounts):
    result = weekly_digest_task.delay().get()
    assert result["managers"] == 2 and result["reps"] == 1  # Rosa's people are fresh; Oscar has none
    otto = other_rep.profile.team.manager
    by_recipient = {tuple(m.to): m for m in mail.outbox}
    manager_mail = by_recipient[(manager.email,)]
    assert manager_mail.subject == "Weekly review: 1 of Enterprise East's top accounts flagged"
    assert "1. Acme" in manager_mail.body and "Single-threaded" in manager_mail.body
    assert "Fewer than 5 known" in manager_mail.body
    assert "Globex" not in manager_mail.body.split("need attention:")[1]
    assert "Elsewhere" not in manager_mail.body
    rep_mail = by_recipient[(rep.email,)]
    assert rep_mail.subject == "2 stale stakeholders on your accounts"
    assert "Acme: Stale Sam (Champion — key #1), 45 days ago" in rep_mail.body
    assert "Acme: Never Nora (Influencer), never contacted" in rep_mail.body
    assert "Fresh Fiona" not in rep_mail.body and "Gone Gary" not in rep_mail.body
    assert (rep2.email,) not in by_recipient
    assert "Elsewhere" in by_recipient[(otto.email,)].body and "Acme" not in by_recipient[(otto.email,)].body
    run = WeeklyDigest.objects.get()
    assert (run.manager_emails, run.rep_emails) == (2, 1) and run.finished_at is not None


def test_digest_goes_out_once_per_week(manager, rep, accounts):
    weekly_digest_task.delay().get()
    sent = len(mail.outbox)
    again = weekly_digest_task.delay().get()
    assert again["skipped"] is True
    assert len(mail.outbox) == sent
    assert WeeklyDigest.objects.count() == 1


def test_digest_skips_users_without_email_and_teams_without_accounts(manager, rep, team):
    rep.email = ""
    rep.save()
    StakeholderFactory(company=CompanyFactory(owner=rep), name="Stale")
    result = weekly_digest_task.delay().get()
    assert result["reps"] == 0
    assert [m.to for m in mail.outbox] == [[manager.email]]
