"""The labelled name-matching set (tests/accounts/matching_set.py) run THROUGH account resolution:
the CRM companies in the database, one free-mail product user per labelled typed name, a full run,
then precision and recall measured on what the run wrote."""

import pytest
from django.core.management import call_command

from accounts.models import Company, MatchFields, ProductUser
from tests.accounts.matching_set import CRM, typed_names

AUTO, REVIEW = MatchFields.Status.AUTO, MatchFields.Status.REVIEW
FREE_MAIL = ("gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "icloud.com", "gmx.de")


@pytest.fixture
def resolved(db):
    companies = Company.objects.bulk_create(
        Company(external_id=f"Q{c.id:04d}", name=c.name, country=c.country) for c in CRM
    )
    crm_to_db = {c.id: company.pk for c, company in zip(CRM, companies)}
    names = typed_names()
    ProductUser.objects.bulk_create(
        ProductUser(external_id=f"QU{n}", email=f"person{n}@{FREE_MAIL[n % len(FREE_MAIL)]}", company_name=name.text)
        for n, name in enumerate(names)
    )
    call_command("resolve_accounts", "--full")
    users = {
        int(external_id[2:]): (status, company_id, suggested_id)
        for external_id, status, company_id, suggested_id in ProductUser.objects.values_list(
            "external_id", "match_status", "company_id", "suggested_company_id"
        )
    }
    return [(name, crm_to_db.get(name.company_id), users[n]) for n, name in enumerate(names)]


def test_the_labelled_set_through_resolution_is_precise_at_auto_accept_and_recalls_90_percent(resolved):
    assert len(resolved) >= 600
    autos = [(name, truth, company) for name, truth, (status, company, _) in resolved if status == AUTO]
    correct = [a for a in autos if a[2] == a[1]]
    positives = [(name, truth, outcome) for name, truth, outcome in resolved if truth is not None]
    recalled = [
        p for p in positives
        if p[2][0] in (AUTO, REVIEW) and (p[2][1] or p[2][2]) == p[1]
    ]
    precision = len(correct) / len(autos)
    recall = len(recalled) / len(positives)
    print(f"\nthrough resolution: {len(resolved)} users, {len(positives)} labelled with a company; "
          f"auto {len(autos)}, precision {precision:.4f}, recall (auto+review) {recall:.4f}")
    assert len(positives) >= 600
    assert precision >= 0.99, [(n.text, n.source) for n, truth, company in autos if company != truth]
    assert recall >= 0.90


def test_no_name_of_a_company_outside_the_crm_is_auto_accepted(resolved):
    outside = [name.text for name, truth, (status, _, _) in resolved
               if name.variant in ("not_in_crm", "junk") and status == AUTO]
    assert outside == []
