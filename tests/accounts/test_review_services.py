"""Review decisions at the service level: the rules the page and the API share."""

from unittest import mock

import pytest
from django.core.exceptions import ValidationError

from accounts.models import MatchFields, ProductUser, Workspace
from accounts.services import review
from tests.factories import CompanyFactory, ProductUserFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db


def in_review(factory=WorkspaceFactory, **kwargs):
    kwargs.setdefault("suggested_company", CompanyFactory())
    return factory(match_status="review", match_method="name", match_confidence=0.7, match_reason="typed", **kwargs)


@pytest.fixture(autouse=True)
def resolution_task():
    with mock.patch("accounts.tasks.resolve_product_users_task", create=True) as task:
        yield task


def test_confirm_refuses_when_the_proposed_company_is_gone(admin_user):
    workspace = in_review()
    workspace.suggested_company.delete()  # SET_NULL on the proposal
    workspace.refresh_from_db()

    with pytest.raises(ValidationError) as caught:
        review.match_confirm(record=workspace, by=admin_user)

    assert "suggested_company" in caught.value.message_dict
    workspace.refresh_from_db()
    assert workspace.match_status == "review"


def test_bulk_confirm_is_one_update_whatever_the_number_of_rows(admin_user, django_assert_max_num_queries):
    workspaces = [in_review() for _ in range(40)]
    # savepoint, lock+select ids, which have history, update, read + insert their history rows, release
    with django_assert_max_num_queries(7):
        outcome = review.match_bulk_confirm(model=Workspace, ids=[w.pk for w in workspaces], by=admin_user)
    assert len(outcome.decided) == 40 and outcome.skipped == []
    assert Workspace.history.filter(history_user=admin_user, match_status="confirmed").count() == 40
    assert (
        Workspace.objects.filter(match_status="confirmed", company_id__isnull=False, matched_by=admin_user).count()
        == 40
    )
    assert all(w.company_id == w.suggested_company_id for w in Workspace.objects.all())


def test_bulk_confirm_skips_records_without_a_proposal_and_unknown_ids(admin_user):
    proposed, orphan = in_review(), in_review(suggested_company=None)

    outcome = review.match_bulk_confirm(model=Workspace, ids=[proposed.pk, orphan.pk, 987654], by=admin_user)

    assert outcome.decided == [proposed.pk] and outcome.skipped == sorted([orphan.pk, 987654])
    orphan.refresh_from_db()
    assert orphan.match_status == "review"


def test_bulk_refuses_more_than_the_limit(admin_user):
    with pytest.raises(ValidationError) as caught:
        review.match_bulk_reject(model=Workspace, ids=range(1, review.BULK_MAX + 2), by=admin_user)
    assert "ids" in caught.value.message_dict


def test_bulk_confirm_of_users_queues_resolution_for_the_decided_ones(
    admin_user, resolution_task, django_capture_on_commit_callbacks
):
    first, second = in_review(ProductUserFactory), in_review(ProductUserFactory)
    decided_elsewhere = in_review(ProductUserFactory)
    ProductUser.objects.filter(pk=decided_elsewhere.pk).update(match_status="confirmed")

    with django_capture_on_commit_callbacks(execute=True):
        review.match_bulk_confirm(model=ProductUser, ids=[first.pk, second.pk, decided_elsewhere.pk], by=admin_user)

    resolution_task.delay.assert_called_once_with(sorted([first.pk, second.pk]))


def test_rejecting_users_queues_nothing(admin_user, resolution_task, django_capture_on_commit_callbacks):
    user = in_review(ProductUserFactory)
    with django_capture_on_commit_callbacks(execute=True):
        review.match_bulk_reject(model=ProductUser, ids=[user.pk], by=admin_user)
        review.match_reject(record=in_review(ProductUserFactory), by=admin_user)
    resolution_task.delay.assert_not_called()


def test_bulk_reject_clears_nothing_but_the_company(admin_user):
    workspace = in_review()
    review.match_bulk_reject(model=Workspace, ids=[workspace.pk], by=admin_user)
    workspace.refresh_from_db()
    assert (workspace.match_status, workspace.company_id, workspace.match_method) == ("rejected", None, "name")
    assert workspace.suggested_company_id is not None and workspace.matched_at is not None


@pytest.mark.parametrize("role", ["admin_user", "manager"])
def test_admins_and_managers_decide(role, request):
    assert review.can_decide_matches(request.getfixturevalue(role))


@pytest.mark.parametrize("role", ["rep", "other_rep"])
def test_reps_do_not_decide(role, request):
    assert not review.can_decide_matches(request.getfixturevalue(role))


def test_a_decision_never_leaves_the_contract(admin_user):
    """company is set only for confirmed (and auto/manual); review and rejected never carry one."""
    confirmed, rejected, reassigned = in_review(), in_review(), in_review()
    target = CompanyFactory()
    review.match_confirm(record=confirmed, by=admin_user)
    review.match_reject(record=rejected, by=admin_user)
    review.match_reassign(record=reassigned, company=target, by=admin_user)
    rows = {w.pk: w for w in Workspace.objects.all()}
    assert rows[confirmed.pk].company_id == confirmed.suggested_company_id
    assert rows[rejected.pk].company_id is None
    assert (rows[reassigned.pk].company_id, rows[reassigned.pk].match_method) == (target.pk, MatchFields.Method.MANUAL)
    assert not Workspace.objects.filter(match_status="review").exists()
