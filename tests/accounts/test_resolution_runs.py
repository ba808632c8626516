"""Resolution runs: manual decisions survive, incremental equals full, runs are idempotent, chunks
give the result of one process, the run record, the nightly schedule and the import hook."""

from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command

from accounts.models import (
    Company,
    CompanyDomain,
    EmailDomainRule,
    MatchFields,
    ProductUser,
    ResolutionRun,
    ResolutionSettings,
    Workspace,
    WorkspaceMembership,
)
from accounts.services import resolution
from accounts.services.resolution import (
    Selection,
    context_load,
    product_users_resolve,
    resolution_run_start,
    users_resolve,
    workspaces_resolve,
)
from tests.accounts.scenario_resolution import ADMIN, build, decide_manually, snapshot

pytestmark = pytest.mark.django_db

CONFIRMED, REJECTED, AUTO = MatchFields.Status.CONFIRMED, MatchFields.Status.REJECTED, MatchFields.Status.AUTO


def run(*args: str) -> ResolutionRun:
    call_command("resolve_accounts", *args, stdout=StringIO())
    return ResolutionRun.objects.order_by("-id").first()


def test_manual_decisions_survive_full_and_incremental_runs(admin_user):
    data = build()
    acme, globex = data["companies"][:2]
    confirmed = ProductUser.objects.get(external_id="SU1")  # on acme.com; a person says Globex
    rejected = ProductUser.objects.get(external_id="SU2")
    unmatched_by_hand = ProductUser.objects.get(external_id="SU3")
    decide_manually(confirmed, company=globex, status=CONFIRMED, by=admin_user)
    decide_manually(rejected, company=None, status=REJECTED, by=admin_user)
    decide_manually(unmatched_by_hand, company=None, status=MatchFields.Status.UNMATCHED, by=admin_user)
    space = data["workspaces"][0]
    decide_manually(space, company=globex, status=CONFIRMED, by=admin_user)
    before = {r.pk: (r.company_id, r.match_status, r.match_method, r.matched_at, r.matched_by_id)
              for r in (confirmed, rejected, unmatched_by_hand)}

    run("--full")
    ProductUser.objects.filter(pk__in=before).update(company_name="Acme Corporation")  # "changed" since
    run()
    run("--full")

    for user in (confirmed, rejected, unmatched_by_hand):
        user.refresh_from_db()
        assert (user.company_id, user.match_status, user.match_method, user.matched_at,
                user.matched_by_id) == before[user.pk]
    space.refresh_from_db()
    assert (space.company, space.match_status, space.match_method, space.matched_by) == (
        globex, CONFIRMED, "manual", admin_user)
    # everyone else was resolved by the engine, which signs nothing
    assert not ProductUser.objects.exclude(match_method="manual").filter(matched_by__isnull=False).exists()
    assert not ProductUser.objects.filter(match_status="").exists()


def test_a_persons_decision_is_an_anchor_for_colleagues():
    data = build(workspaces=0)
    globex = data["companies"][1]
    space = Workspace.objects.create(external_id="W-anchor", name="Sandbox")
    boss = ProductUser.objects.create(external_id="U-boss", email="boss@gmail.com")
    helper = ProductUser.objects.create(external_id="U-helper", email="helper@yahoo.com")
    for user, role in ((boss, ADMIN), (helper, WorkspaceMembership.Role.MEMBER)):
        WorkspaceMembership.objects.create(user=user, workspace=space, role=role)
    decide_manually(boss, company=globex, status=CONFIRMED)
    run("--full")
    helper.refresh_from_db()
    space.refresh_from_db()
    assert (helper.suggested_company, helper.match_method) == (globex, "colleagues")
    assert (space.company, space.match_status) == (globex, AUTO)


def test_a_second_run_changes_nothing():
    build()
    first = run("--full")
    assert first.counts["users"]["changed"] > 0
    state = snapshot()
    stamps = dict(ProductUser.objects.values_list("id", "matched_at"))
    second = run("--full")
    assert second.counts["users"]["changed"] == 0
    assert second.counts["workspaces"]["changed"] == 0
    assert snapshot() == state
    assert dict(ProductUser.objects.values_list("id", "matched_at")) == stamps


def _mutate(data: dict, admin_user) -> None:
    """Changes of every kind an incremental run must see."""
    acme, globex, initech = data["companies"][:3]
    spaces = data["workspaces"]
    # new people joining existing workspaces, on a corporate address and on free-mail
    for n, (email, typed) in enumerate([("new1@initech.com", ""), ("new2@gmail.com", ""),
                                        ("new3@gmail.com", "Globex Industries"), ("new4@newco.io", "")]):
        user = ProductUser.objects.create(external_id=f"NEW{n}", email=email, company_name=typed)
        WorkspaceMembership.objects.create(user=user, workspace=spaces[n + 1])
    # a domain newly registered to a company: its people were unmatched until now
    CompanyDomain.objects.create(company=initech, domain="unknown-firm0.io")
    # a renamed workspace, a changed typed name, a human decision
    Workspace.objects.filter(pk=spaces[3].pk).update(name="Globex Industries Marketing")
    spaces[3].save(update_fields=["name"])
    free = ProductUser.objects.filter(email__endswith="@gmail.com").order_by("id")
    changed = free[0]
    changed.company_name = "Acme Corporation"
    changed.save()
    # a person's decision in a workspace nothing else touches: its colleagues' evidence changes
    untouched = ProductUser.objects.filter(workspaces=spaces[10], email__endswith=".com").exclude(
        email__endswith="mail.com").exclude(email__endswith="yahoo.com").order_by("id")
    decide_manually(untouched[0], company=globex, status=CONFIRMED, by=admin_user)
    decide_manually(untouched[1], company=globex, status=CONFIRMED, by=admin_user)
    # a new workspace of two people, one of them already known
    new_space = Workspace.objects.create(external_id="NEWW", name="Skunkworks")
    WorkspaceMembership.objects.create(workspace=new_space, user=ProductUser.objects.get(external_id="NEW0"),
                                       role=ADMIN)
    WorkspaceMembership.objects.create(workspace=new_space, user=free[1])
    free[1].save()  # the import touches a user whose memberships change


def test_incremental_gives_what_full_gives_on_the_same_data(admin_user):
    data = build()
    run("--full")
    _mutate(data, admin_user)

    incremental = run()
    assert incremental.mode == ResolutionRun.Mode.INCREMENTAL
    assert "escalated" not in incremental.counts
    assert incremental.counts["users"]["changed"] > 0
    after_incremental = snapshot()
    # it looked at the affected records only
    assert sum(v for k, v in incremental.counts["users"].items() if not k.startswith("method:")
               and k not in ("changed", "locked")) < ProductUser.objects.count()

    full = run("--full")
    assert full.counts["users"]["changed"] == 0, "full found something incremental missed"
    assert full.counts["workspaces"]["changed"] == 0
    assert snapshot() == after_incremental
    new1 = ProductUser.objects.get(external_id="NEW0")
    assert (new1.company, new1.match_method) == (data["companies"][2], "domain")
    registered = ProductUser.objects.get(email="x0@unknown-firm0.io")
    assert (registered.company, registered.match_method) == (data["companies"][2], "domain")


@pytest.mark.parametrize(
    "change, why",
    [
        (lambda: Company.objects.filter(name="Hooli Inc").update(name="Hooli XYZ"), "company names changed"),
        (lambda: Company.objects.create(external_id="NEWC", name="Globex Labs"), "company names changed"),
        (lambda: CompanyDomain.objects.filter(domain="acme.com").delete(), "domains were removed"),
        (lambda: EmailDomainRule.objects.create(domain="acme.com", kind="free"), "email-domain rules changed"),
        (lambda: ResolutionSettings.objects.update_or_create(pk=1, defaults={"auto_threshold": 0.95}),
         "thresholds changed"),
    ],
)
def test_a_change_that_can_affect_anyone_turns_incremental_into_full(change, why):
    build()
    run("--full")
    change()
    incremental = run()
    assert incremental.mode == ResolutionRun.Mode.FULL
    assert why in incremental.counts["escalated"]
    state = snapshot()
    assert run("--full").counts["users"]["changed"] == 0
    assert snapshot() == state


def test_the_first_incremental_run_is_full():
    build(workspaces=2)
    first = run()
    assert (first.mode, first.counts["escalated"]) == (ResolutionRun.Mode.FULL, "no earlier successful run")


def test_records_whose_company_was_deleted_are_resolved_again():
    data = build()
    run("--full")
    doomed = data["companies"][4]
    users = list(ProductUser.objects.filter(company=doomed).values_list("id", flat=True))
    assert users
    doomed.delete()
    run()
    assert not ProductUser.objects.filter(id__in=users, match_status=AUTO, company__isnull=True).exists()
    assert not Workspace.objects.filter(match_status=AUTO, company__isnull=True).exists()


def test_users_resolved_in_chunks_give_the_result_of_one_pass():
    build()
    ctx = context_load()
    users_resolve(ctx=ctx, selection=Selection())
    workspaces_resolve(ctx=ctx, selection=Selection())
    whole = snapshot()
    ProductUser.objects.update(company=None, suggested_company=None, match_method="", match_status="",
                               match_confidence=None, match_reason="", matched_at=None)
    Workspace.objects.update(company=None, suggested_company=None, match_method="", match_status="",
                             match_confidence=None, match_reason="", matched_at=None)
    ids = sorted(ProductUser.objects.values_list("id", flat=True))
    bounds = [ids[0], ids[len(ids) // 3], ids[2 * len(ids) // 3], ids[-1] + 1]
    for lo, hi in reversed(list(zip(bounds, bounds[1:]))):  # any order
        users_resolve(ctx=context_load(), selection=Selection(lo=lo, hi=hi - 1))
    workspaces_resolve(ctx=context_load(), selection=Selection())
    assert snapshot() == whole


def test_a_chunked_full_run_fans_out_and_completes(monkeypatch, django_capture_on_commit_callbacks):
    build()
    reference_run = run("--full")
    reference = snapshot()
    ProductUser.objects.update(company=None, suggested_company=None, match_method="", match_status="",
                               match_confidence=None, match_reason="", matched_at=None)
    monkeypatch.setattr(resolution.runs, "_eager", lambda: False)
    with django_capture_on_commit_callbacks(execute=True):
        started = resolution_run_start(mode=ResolutionRun.Mode.FULL, trigger=ResolutionRun.Trigger.MANUAL,
                                       chunk_size=40)
    started.refresh_from_db()
    assert started.status == ResolutionRun.Status.DONE, started.error
    assert started.total_chunks == started.done_chunks >= 3
    assert sorted(started.counts["done"]) == list(range(started.total_chunks))
    assert snapshot() == reference
    users = started.counts["users"]
    assert users["auto"] == reference_run.counts["users"]["auto"]
    assert started.counts["workspaces"]["changed"] == 0


def test_a_chunk_delivered_twice_counts_once(monkeypatch, django_capture_on_commit_callbacks):
    build(workspaces=4)
    monkeypatch.setattr(resolution.runs, "_eager", lambda: False)
    started = resolution.resolution_run_create(mode="full", trigger="manual", chunk_size=10)
    resolution.resolution_run_claim(run_id=started.pk)
    with django_capture_on_commit_callbacks(execute=False):  # keep the chunk tasks from running
        resolution.resolution_run_execute(run_id=started.pk)
    resolution.resolution_chunk_execute(run_id=started.pk, chunk=0)
    resolution.resolution_chunk_execute(run_id=started.pk, chunk=0)
    started.refresh_from_db()
    assert (started.done_chunks, started.counts["done"], started.status) == (1, [0], ResolutionRun.Status.RUNNING)


def test_product_users_resolve_resolves_them_and_what_depends_on_them():
    data = build(workspaces=3)
    run("--full")
    space = data["workspaces"][1]
    newcomer = ProductUser.objects.create(external_id="EV1", email="ev@globex.com")
    for n in range(3):
        user = ProductUser.objects.create(external_id=f"EV{n + 2}", email=f"ev{n}@globex.com")
        WorkspaceMembership.objects.create(user=user, workspace=space, role=ADMIN)
    WorkspaceMembership.objects.create(user=newcomer, workspace=space)
    ids = list(ProductUser.objects.filter(external_id__startswith="EV").values_list("id", flat=True))
    product_users_resolve(user_ids=ids)
    newcomer.refresh_from_db()
    space.refresh_from_db()
    assert (newcomer.company, newcomer.match_method) == (data["companies"][1], "domain")
    state = snapshot()
    assert run("--full").counts["users"]["changed"] == 0
    assert snapshot() == state


def test_a_failing_run_is_recorded_as_failed(monkeypatch):
    build(workspaces=1)

    def boom(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(resolution.runs, "users_resolve", boom)
    started = resolution.resolution_run_create(mode="full", trigger="manual")
    resolution.resolution_run_claim(run_id=started.pk)
    with pytest.raises(RuntimeError):
        resolution.resolution_run_execute(run_id=started.pk)
    started.refresh_from_db()
    assert started.status == ResolutionRun.Status.FAILED
    assert started.error == "RuntimeError: disk on fire"
    assert started.finished_at is not None


def test_runs_are_claimed_once():
    started = resolution.resolution_run_create(mode="full", trigger="manual")
    assert resolution.resolution_run_claim(run_id=started.pk) is True
    assert resolution.resolution_run_claim(run_id=started.pk) is False


def test_queued_incremental_runs_are_coalesced(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        first = resolution_run_start(mode="incremental", trigger="import")
        second = resolution_run_start(mode="incremental", trigger="import")
    assert first.pk == second.pk
    assert ResolutionRun.objects.count() == 1


def test_the_nightly_run_is_scheduled():
    entries = [e for e in settings.CELERY_BEAT_SCHEDULE.values()
               if e["task"] == "accounts.tasks.resolution_nightly_task"]
    assert len(entries) == 1


def test_the_nightly_task_runs_a_full_resolution(django_capture_on_commit_callbacks):
    from accounts.tasks import resolution_nightly_task

    build(workspaces=2)
    with django_capture_on_commit_callbacks(execute=True):
        resolution_nightly_task.delay()
    nightly = ResolutionRun.objects.get()
    assert (nightly.mode, nightly.trigger, nightly.status) == ("full", "schedule", "done")
    assert not ProductUser.objects.filter(match_status="").exists()
