"""Admin of account resolution: settings (one row), email-domain rules, runs (read-only + run now)."""

import pytest
from django.urls import reverse

from accounts.models import EmailDomainRule, ProductUser, ResolutionRun, ResolutionSettings
from tests.factories import CompanyDomainFactory, ProductUserFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def su_client(client):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    return client


def test_the_settings_list_opens_the_single_row_which_saves_and_cannot_be_added_or_deleted(su_client):
    response = su_client.get(reverse("admin:accounts_resolutionsettings_changelist"))
    assert response.status_code == 302
    assert response.url == reverse("admin:accounts_resolutionsettings_change", args=[1])
    url = response.url
    page = su_client.get(url)
    assert page.status_code == 200
    assert b"Delete" not in page.content
    data = {"auto_threshold": "0.93", "review_threshold": "0.55", "ambiguity_margin": "0.08",
            "colleague_factor": "0.8", "small_deal_penetration": "0.1", "small_deal_min_potential": "100000",
            "consolidation_percentile": "90"}
    assert su_client.post(url, data).status_code == 302
    saved = ResolutionSettings.load()
    assert (saved.auto_threshold, saved.review_threshold, saved.colleague_factor) == (0.93, 0.55, 0.8)
    assert saved.updated_by.username == "root"
    assert su_client.get(reverse("admin:accounts_resolutionsettings_add")).status_code == 403
    assert su_client.post(reverse("admin:accounts_resolutionsettings_delete", args=[1])).status_code == 403
    assert ResolutionSettings.objects.count() == 1


def test_thresholds_out_of_order_are_refused(su_client):
    url = reverse("admin:accounts_resolutionsettings_change", args=[ResolutionSettings.load().pk])
    data = {"auto_threshold": "0.5", "review_threshold": "0.7", "ambiguity_margin": "0.08",
            "colleague_factor": "0.8", "small_deal_penetration": "0.1", "small_deal_min_potential": "100000",
            "consolidation_percentile": "90"}
    response = su_client.post(url, data)
    assert response.status_code == 200  # the form again, with the error
    assert ResolutionSettings.load().auto_threshold == 0.90


def test_email_domain_rules_are_added_normalised_listed_and_searched(su_client):
    response = su_client.post(reverse("admin:accounts_emaildomainrule_add"),
                              {"domain": " Contractor@Partner-Mail.COM ", "kind": "free", "note": "agency"})
    assert response.status_code == 302
    rule = EmailDomainRule.objects.get()
    assert (rule.domain, rule.kind, rule.created_by.username) == ("partner-mail.com", "free", "root")
    EmailDomainRule.objects.create(domain="yandex.ru", kind="corporate")
    listing = su_client.get(reverse("admin:accounts_emaildomainrule_changelist"), {"q": "partner"})
    assert listing.status_code == 200
    assert [r.domain for r in listing.context["cl"].result_list] == ["partner-mail.com"]
    change = su_client.get(reverse("admin:accounts_emaildomainrule_change", args=[rule.pk]))
    assert change.status_code == 200


def test_runs_are_read_only_and_the_button_runs_a_full_resolution(su_client, django_capture_on_commit_callbacks):
    CompanyDomainFactory(domain="acme.com")
    user = ProductUserFactory(email="jane@acme.com")
    listing = su_client.get(reverse("admin:accounts_resolutionrun_changelist"))
    assert listing.status_code == 200
    assert b"Run full resolution now" in listing.content
    assert su_client.get(reverse("admin:accounts_resolutionrun_add")).status_code == 403

    with django_capture_on_commit_callbacks(execute=True):
        response = su_client.post(reverse("admin:accounts_resolutionrun_run_full"))
    assert response.status_code == 302
    run = ResolutionRun.objects.get()
    assert (run.mode, run.trigger, run.status, run.created_by.username) == ("full", "manual", "done", "root")
    user.refresh_from_db()
    assert user.match_status == "auto"

    listing = su_client.get(reverse("admin:accounts_resolutionrun_changelist"))
    assert b"auto 1" in listing.content
    detail = su_client.get(reverse("admin:accounts_resolutionrun_change", args=[run.pk]))
    assert detail.status_code == 200
    assert b"all users and workspaces" in detail.content
    assert su_client.post(reverse("admin:accounts_resolutionrun_delete", args=[run.pk])).status_code == 403


def test_the_run_action_queues_a_full_run(su_client, django_capture_on_commit_callbacks):
    ProductUserFactory(email="a@gmail.com")
    existing = ResolutionRun.objects.create(mode="incremental", trigger="import", status="done")
    with django_capture_on_commit_callbacks(execute=True):
        response = su_client.post(reverse("admin:accounts_resolutionrun_changelist"),
                                  {"action": "run_full_now", "_selected_action": [existing.pk]})
    assert response.status_code == 302
    assert ResolutionRun.objects.filter(mode="full", status="done").count() == 1
    assert ProductUser.objects.get().match_status == "unmatched"


def test_only_staff_reach_the_run_button(client):
    client.force_login(UserFactory(username="plain"))
    response = client.post(reverse("admin:accounts_resolutionrun_run_full"))
    assert response.status_code == 302
    assert "/admin/login/" in response.url
    assert not ResolutionRun.objects.exists()
