"""The review queue page: ordering by value at stake, one-click decisions (htmx and plain POST),
bulk actions, reassign search, permissions per role, filters and the empty state."""

import re
from decimal import Decimal
from unittest import mock

import pytest
from django.urls import reverse

from accounts.models import MatchFields, ProductUser, Workspace
from accounts.tasks import resolve_product_users_task as real_resolution_task
from tests.factories import (
    CompanyDomainFactory,
    CompanyFactory,
    ProductUserFactory,
    UserFactory,
    WorkspaceFactory,
    WorkspaceMembershipFactory,
)

pytestmark = pytest.mark.django_db
QUEUE = "/accounts/review/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def decide_url(kind: str, pk: int, action: str) -> str:
    return reverse("accounts:review_decide", args=[kind, pk, action])


def in_review(factory=WorkspaceFactory, *, proposed=None, confidence=0.75, method="name", **kwargs):
    return factory(
        match_status=MatchFields.Status.REVIEW,
        match_method=method,
        match_confidence=confidence,
        match_reason=kwargs.pop("reason", "typed 'ACME' ≈ 'Acme Corporation' (82)"),
        suggested_company=proposed or CompanyFactory(),
        **kwargs,
    )


@pytest.fixture
def acme():
    company = CompanyFactory(name="Acme Corporation")
    CompanyDomainFactory(company=company, domain="acme.example")
    return company


@pytest.fixture(autouse=True)
def resolution_task():
    """The task R provides in accounts.tasks; patched so these tests see what gets queued."""
    with mock.patch("accounts.tasks.resolve_product_users_task", create=True) as task:
        yield task


def row_ids(html: str, kind: str) -> list[int]:
    return [int(pk) for pk in re.findall(rf'id="review-{kind}-(\d+)"', html)]


# --- reading --------------------------------------------------------------------------------------


def test_workspaces_are_listed_by_mrr_then_seats(rep_client):
    small = in_review(mrr=Decimal("100"), seats=50)
    big = in_review(mrr=Decimal("900"), seats=5)
    tie_more_seats = in_review(mrr=Decimal("100"), seats=80)
    WorkspaceFactory(mrr=Decimal("5000"), match_status=MatchFields.Status.AUTO)  # not in review

    response = rep_client.get(QUEUE + "?kind=workspaces")

    assert response.status_code == 200
    assert row_ids(response.content.decode(), "workspaces") == [big.pk, tie_more_seats.pk, small.pk]


def test_users_are_listed_by_the_value_of_their_workspaces(rep_client):
    rich, poor, alone = (in_review(ProductUserFactory) for _ in range(3))
    for user, workspaces in (
        (rich, [WorkspaceFactory(mrr=Decimal("700"), seats=3), WorkspaceFactory(mrr=Decimal("600"), seats=2)]),
        (poor, [WorkspaceFactory(mrr=Decimal("1000"), seats=90)]),
    ):
        for workspace in workspaces:
            WorkspaceMembershipFactory(user=user, workspace=workspace)

    response = rep_client.get(QUEUE + "?kind=users")

    html = response.content.decode()
    assert row_ids(html, "users") == [rich.pk, poor.pk, alone.pk]
    assert "$1,300" in html and "2 workspaces" in html


def test_page_shows_proposal_confidence_method_reason_and_member_count(rep_client, acme):
    workspace = in_review(name="Acme Design", proposed=acme, confidence=0.83, method="members")
    WorkspaceMembershipFactory.create_batch(3, workspace=workspace)

    html = rep_client.get(QUEUE).content.decode()

    assert "Acme Design" in html and "Acme Corporation" in html
    assert "83%" in html and "Members" in html and "typed &#x27;ACME&#x27;" in html
    assert re.search(r'data-label="Members">3<', html)


def test_counts_per_tab_follow_the_filters(rep_client, acme):
    in_review(name="Acme Web", proposed=acme)
    in_review(name="Globex Ops")
    in_review(ProductUserFactory, email="ann@acme.example", proposed=acme)

    html = rep_client.get(QUEUE + "?q=acme").content.decode()

    assert re.search(r'id="count-workspaces">1<', html) and re.search(r'id="count-users">1<', html)
    assert "Globex Ops" not in html


def test_filters_by_method_and_confidence_range(rep_client):
    low = in_review(confidence=0.62, method="name")
    high = in_review(confidence=0.88, method="name")
    other_method = in_review(confidence=0.85, method="domain")

    html = rep_client.get(QUEUE + "?method=name&confidence_min=0.8").content.decode()
    assert row_ids(html, "workspaces") == [high.pk]
    html = rep_client.get(QUEUE + "?confidence_max=0.7").content.decode()
    assert row_ids(html, "workspaces") == [low.pk]
    assert other_method.pk not in row_ids(rep_client.get(QUEUE + "?method=name").content.decode(), "workspaces")


def test_pages_of_the_queue_do_not_repeat_rows(rep_client):
    for index in range(30):
        in_review(mrr=Decimal(index), seats=1)
    first = row_ids(rep_client.get(QUEUE + "?page=1").content.decode(), "workspaces")
    second = row_ids(rep_client.get(QUEUE + "?page=2").content.decode(), "workspaces")
    assert len(first) == 25 and len(second) == 5 and not set(first) & set(second)


def test_empty_queue_says_nothing_is_left_to_review(rep_client):
    WorkspaceFactory(match_status=MatchFields.Status.AUTO)
    html = rep_client.get(QUEUE).content.decode()
    assert "Nothing to review — every product account is matched or unmatched with confidence" in html


def test_empty_tab_points_to_the_other_kind(rep_client):
    in_review(ProductUserFactory)
    html = rep_client.get(QUEUE + "?kind=workspaces").content.decode()
    assert "No workspaces to review" in html and "1 user waits for a decision" in html


def test_htmx_filter_request_returns_only_the_results_block(rep_client):
    in_review(name="Acme Web")
    response = rep_client.get(QUEUE + "?q=acme", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="review-results")
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html and 'id="review-results"' in html


def test_queue_renders_in_a_fixed_number_of_queries(admin_client, django_assert_max_num_queries):
    for _ in range(20):
        user = in_review(ProductUserFactory)
        WorkspaceMembershipFactory(user=user)
    with django_assert_max_num_queries(12):
        response = admin_client.get(QUEUE + "?kind=users")
    assert len(row_ids(response.content.decode(), "users")) == 20


# --- permissions ----------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(client):
    workspace = in_review()
    assert client.get(QUEUE).status_code == 302
    response = client.post(decide_url("workspaces", workspace.pk, "confirm"))
    assert response.status_code == 302 and "/login/" in response["Location"]
    workspace.refresh_from_db()
    assert workspace.match_status == MatchFields.Status.REVIEW


def test_reps_see_the_queue_without_decision_buttons(rep_client):
    in_review()
    html = rep_client.get(QUEUE).content.decode()
    assert "RevOps admins and managers confirm" in html
    assert ">Confirm<" not in html and 'id="bulk-form"' not in html and 'type="checkbox" name="ids"' not in html


@pytest.mark.parametrize("action", ["confirm", "reject"])
def test_reps_cannot_decide(rep_client, action):
    workspace = in_review()
    response = rep_client.post(decide_url("workspaces", workspace.pk, action), **HTMX)
    assert response.status_code == 403
    workspace.refresh_from_db()
    assert (workspace.match_status, workspace.company_id, workspace.matched_by_id) == ("review", None, None)


def test_reps_cannot_bulk_decide(rep_client):
    workspace = in_review()
    response = rep_client.post(
        reverse("accounts:review_bulk"), {"kind": "workspaces", "action": "confirm", "ids": [workspace.pk]}
    )
    assert response.status_code == 403
    workspace.refresh_from_db()
    assert workspace.match_status == MatchFields.Status.REVIEW


def test_managers_decide(manager_client, manager, acme):
    workspace = in_review(proposed=acme)
    response = manager_client.post(decide_url("workspaces", workspace.pk, "confirm"), **HTMX)
    assert response.status_code == 200
    workspace.refresh_from_db()
    assert (workspace.match_status, workspace.company, workspace.matched_by) == ("confirmed", acme, manager)


# --- one-click decisions --------------------------------------------------------------------------


def test_confirm_with_htmx_swaps_the_row_and_records_who_and_when(admin_client, admin_user, acme):
    workspace = in_review(proposed=acme, name="Acme Web")
    in_review(name="Still waiting")

    response = admin_client.post(decide_url("workspaces", workspace.pk, "confirm"), **HTMX)

    html = response.content.decode()
    assert response.status_code == 200 and html.count("<tr") == 1
    assert f'id="review-workspaces-{workspace.pk}"' in html and "Confirmed" in html
    assert re.search(r'id="count-workspaces" hx-swap-oob="true">1<', html)
    workspace.refresh_from_db()
    assert workspace.company == acme and workspace.match_status == "confirmed"
    assert workspace.matched_by == admin_user and workspace.matched_at is not None
    assert workspace.match_method == "name" and workspace.suggested_company == acme  # the evidence stays


def test_confirm_without_javascript_redirects_back_with_the_filters(admin_client, acme):
    workspace = in_review(proposed=acme)
    response = admin_client.post(
        decide_url("workspaces", workspace.pk, "confirm"), {"next": "/accounts/review/?kind=workspaces&q=acme"}
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/review/?kind=workspaces&q=acme"
    workspace.refresh_from_db()
    assert workspace.company == acme and workspace.match_status == "confirmed"


def test_redirect_after_a_plain_post_never_leaves_the_site(admin_client):
    workspace = in_review()
    response = admin_client.post(decide_url("workspaces", workspace.pk, "reject"), {"next": "https://evil.example/"})
    assert response["Location"] == QUEUE


def test_reject_leaves_the_record_without_a_company(admin_client, admin_user):
    user = in_review(ProductUserFactory)
    response = admin_client.post(decide_url("users", user.pk, "reject"), **HTMX)
    assert response.status_code == 200 and "Rejected" in response.content.decode()
    user.refresh_from_db()
    assert (user.match_status, user.company_id, user.matched_by) == ("rejected", None, admin_user)


def test_reassign_picks_another_company_as_a_manual_confirmed_match(
    admin_client, admin_user, acme, resolution_task, django_capture_on_commit_callbacks
):
    user = in_review(ProductUserFactory)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(decide_url("users", user.pk, "reassign"), {"company": acme.pk}, **HTMX)

    assert response.status_code == 200 and "Acme Corporation" in response.content.decode()
    user.refresh_from_db()
    assert (user.company, user.match_status, user.match_method, user.match_confidence) == (
        acme,
        "confirmed",
        "manual",
        1.0,
    )
    assert user.matched_by == admin_user and "Reassigned to Acme Corporation by ada.admin" in user.match_reason
    resolution_task.delay.assert_called_once_with([user.pk])


def test_confirming_a_user_queues_resolution_of_their_workspaces(
    admin_client, resolution_task, django_capture_on_commit_callbacks
):
    user = in_review(ProductUserFactory)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(decide_url("users", user.pk, "confirm"), **HTMX)
    resolution_task.delay.assert_called_once_with([user.pk])


def test_deciding_a_workspace_queues_no_user_resolution(
    admin_client, resolution_task, django_capture_on_commit_callbacks
):
    workspace = in_review()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(decide_url("workspaces", workspace.pk, "confirm"), **HTMX)
    resolution_task.delay.assert_not_called()


def test_reassign_to_an_unknown_company_changes_nothing_and_says_why(admin_client):
    workspace = in_review()
    response = admin_client.post(decide_url("workspaces", workspace.pk, "reassign"), {"company": 999999}, **HTMX)
    assert "No company with id 999999" in response.content.decode()
    workspace.refresh_from_db()
    assert (workspace.match_status, workspace.company_id, workspace.matched_by_id) == ("review", None, None)


def test_a_record_decided_elsewhere_is_not_decided_again(admin_client, manager, acme):
    workspace = in_review(proposed=acme)
    Workspace.objects.filter(pk=workspace.pk).update(match_status="rejected", matched_by=manager)

    response = admin_client.post(decide_url("workspaces", workspace.pk, "confirm"), **HTMX)

    assert "not in review: it is rejected by maria.manager" in response.content.decode()
    workspace.refresh_from_db()
    assert (workspace.match_status, workspace.company_id, workspace.matched_by) == ("rejected", None, manager)


def test_plain_post_of_a_stale_decision_reports_the_error(admin_client):
    workspace = in_review()
    Workspace.objects.filter(pk=workspace.pk).update(match_status="confirmed")
    response = admin_client.post(decide_url("workspaces", workspace.pk, "reject"), follow=True)
    assert "is not in review" in response.content.decode()
    workspace.refresh_from_db()
    assert workspace.match_status == "confirmed"


def test_unknown_kind_or_action_is_404(admin_client):
    workspace = in_review()
    assert admin_client.post(decide_url("companies", workspace.pk, "confirm")).status_code == 404
    assert admin_client.post(decide_url("workspaces", workspace.pk, "approve")).status_code == 404


def test_decisions_need_post(admin_client):
    workspace = in_review()
    assert admin_client.get(decide_url("workspaces", workspace.pk, "confirm")).status_code == 405


def test_htmx_posts_need_the_csrf_token(admin_user, acme):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    workspace = in_review(proposed=acme)
    assert client.post(decide_url("workspaces", workspace.pk, "confirm"), **HTMX).status_code == 403
    page = client.get(QUEUE).content.decode()
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)  # base.html's hx-headers
    response = client.post(decide_url("workspaces", workspace.pk, "confirm"), HTTP_X_CSRFTOKEN=token, **HTMX)
    assert response.status_code == 200
    workspace.refresh_from_db()
    assert workspace.match_status == "confirmed"


# --- bulk -------------------------------------------------------------------------------------------


def test_bulk_confirm_decides_the_selected_rows_only(admin_client, admin_user, acme):
    chosen = [in_review(proposed=acme) for _ in range(3)]
    untouched = in_review(proposed=acme)

    response = admin_client.post(
        reverse("accounts:review_bulk"),
        {"kind": "workspaces", "action": "confirm", "ids": [w.pk for w in chosen]},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="review-results",
    )

    html = response.content.decode()
    assert response.status_code == 200 and "Confirmed 3 workspaces." in html
    assert row_ids(html, "workspaces") == [untouched.pk]
    for workspace in chosen:
        workspace.refresh_from_db()
        assert (workspace.company, workspace.match_status, workspace.matched_by) == (acme, "confirmed", admin_user)
        assert workspace.matched_at is not None
    untouched.refresh_from_db()
    assert untouched.match_status == "review"


def test_bulk_reject_without_javascript_redirects_with_a_message(admin_client):
    users = [in_review(ProductUserFactory) for _ in range(2)]
    response = admin_client.post(
        reverse("accounts:review_bulk"),
        {"kind": "users", "action": "reject", "ids": [u.pk for u in users]},
        follow=True,
    )
    assert "Rejected 2 users." in response.content.decode()
    assert set(ProductUser.objects.values_list("match_status", flat=True)) == {"rejected"}


def test_bulk_reports_rows_decided_elsewhere(admin_client, acme):
    fresh, stale = in_review(proposed=acme), in_review(proposed=acme)
    Workspace.objects.filter(pk=stale.pk).update(match_status="rejected")
    response = admin_client.post(
        reverse("accounts:review_bulk"),
        {"kind": "workspaces", "action": "confirm", "ids": [fresh.pk, stale.pk]},
        **HTMX,
    )
    assert "Confirmed 1 workspace. 1 skipped" in response.content.decode()
    stale.refresh_from_db()
    assert stale.match_status == "rejected" and stale.company_id is None


def test_bulk_without_a_selection_changes_nothing(admin_client):
    in_review()
    response = admin_client.post(reverse("accounts:review_bulk"), {"kind": "workspaces", "action": "confirm"}, **HTMX)
    assert "Select at least one row first." in response.content.decode()
    assert Workspace.objects.get().match_status == "review"


# --- reassign search ----------------------------------------------------------------------------


def test_company_search_finds_by_name_and_domain_names_first(admin_client, acme):
    CompanyFactory(name="Globex")
    by_domain = CompanyFactory(name="Zeta Holdings")
    CompanyDomainFactory(company=by_domain, domain="acmezeta.example")
    url = reverse("accounts:review_company_search")

    html = admin_client.get(url, {"company_q": "acme"}).content.decode()

    assert html.index("Acme Corporation") < html.index("Zeta Holdings") and "Globex" not in html
    assert f'name="company" value="{acme.pk}"' in html and "acme.example" in html
    assert (
        "No company matches “nothing-like-it”"
        in admin_client.get(url, {"company_q": "nothing-like-it"}).content.decode()
    )
    assert "Type two or more" in admin_client.get(url, {"company_q": "a"}).content.decode()


def test_reassign_box_is_a_labelled_search_field_with_htmx(admin_client):
    workspace = in_review(name="Acme Web")
    html = admin_client.get(QUEUE).content.decode()
    assert f'<label for="reassign-workspaces-{workspace.pk}">' in html
    assert f'hx-get="{reverse("accounts:review_company_search")}"' in html
    assert '<button type="submit" class="btn btn-sm btn-confirm"' in html


def test_tabs_link_the_accounts_pages(rep_client):
    html = rep_client.get(QUEUE).content.decode()
    assert 'href="/accounts/"' in html and 'aria-current="page">Review queue' in html


def test_people_without_a_role_only_read(client):
    in_review()
    client.force_login(UserFactory(username="no.role"))
    assert client.get(QUEUE).status_code == 200
    assert (
        client.post(reverse("accounts:review_bulk"), {"kind": "workspaces", "action": "reject", "ids": [1]}).status_code
        == 403
    )


def test_confirming_a_user_resolves_their_workspace_end_to_end(admin_client, acme, django_capture_on_commit_callbacks):
    """With R's real task (eager Celery): the confirmed user is evidence for their workspace."""
    user = in_review(ProductUserFactory, email="ana@gmail.com", proposed=acme)
    workspace = WorkspaceFactory(name="Growth team")
    WorkspaceMembershipFactory(user=user, workspace=workspace, role="admin")

    with mock.patch("accounts.tasks.resolve_product_users_task", real_resolution_task):
        with django_capture_on_commit_callbacks(execute=True):
            admin_client.post(decide_url("users", user.pk, "confirm"), **HTMX)

    workspace.refresh_from_db()
    user.refresh_from_db()
    assert (user.company, user.match_status) == (acme, "confirmed")  # the run left the decision alone
    assert workspace.match_method == "members" and acme.pk in (workspace.company_id, workspace.suggested_company_id)


def test_reassign_without_javascript_takes_the_one_company_the_text_finds(admin_client, acme):
    CompanyFactory(name="Globex")
    workspace, other = in_review(), in_review()

    admin_client.post(decide_url("workspaces", workspace.pk, "reassign"), {"company_q": "acme.example"})
    response = admin_client.post(decide_url("workspaces", other.pk, "reassign"), {"company_q": "co"}, follow=True)

    workspace.refresh_from_db()
    other.refresh_from_db()
    assert (workspace.company, workspace.match_method) == (acme, "manual")
    assert other.match_status == "review" and "Several companies match “co”" in response.content.decode()
