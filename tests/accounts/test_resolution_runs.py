"""Resolution runs: manual decisions survive, incremental equals full, runs are idempotent, chunks
give the result of one process, the run record, the nightly schedule and the import hook."""

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

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

FREE_MAIL = r"@(gmail|yahoo|hotmail)\.com$"
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


def test_incremental_finds_quiet_changes_and_gives_what_full_gives():
    """Changes an incremental run finds through the indexes of migration 0006 rather than through
    ``updated_at``, and colleagues whose anchors it takes from their stored outcomes."""
    data = build()
    spaces = data["workspaces"]
    initech = data["companies"][2]
    # a free-mail person in two workspaces: when it changes, its colleagues there are not re-read
    wanderer = ProductUser.objects.create(external_id="WANDER", email="wander@gmail.com", company_name="Globex")
    for space in spaces[7:9]:
        WorkspaceMembership.objects.create(user=wanderer, workspace=space)
    since = run("--full").started_at
    # it joins a third workspace (the import touches a user whose memberships change)
    WorkspaceMembership.objects.create(user=wanderer, workspace=spaces[9])
    wanderer.save()
    # a user added while the last run was reading: stamped before it started, never resolved
    late = ProductUser.objects.create(external_id="LATE", email="late@gmail.com", company_name="Initech")
    WorkspaceMembership.objects.create(user=late, workspace=spaces[6])
    ProductUser.objects.filter(pk=late.pk).update(updated_at=since - timedelta(seconds=5))
    colleagues = ProductUser.objects.filter(workspaces=spaces[5], email__regex=FREE_MAIL)
    before = dict(colleagues.values_list("id", "match_reason"))
    # a decision recorded without touching updated_at
    decided = ProductUser.objects.filter(workspaces=spaces[5]).exclude(email__regex=FREE_MAIL).order_by("id")[0]
    ProductUser.objects.filter(pk=decided.pk).update(company=initech, match_method="manual", match_status=CONFIRMED,
                                                     match_reason="decided by a person", matched_at=timezone.now())

    incremental = run()
    assert incremental.mode == ResolutionRun.Mode.INCREMENTAL
    late.refresh_from_db()
    assert late.match_status != "", "the never-resolved user was not found"
    assert dict(colleagues.values_list("id", "match_reason")) != before, "the decision did not reach its colleagues"
    after_incremental = snapshot()
    full = run("--full")
    assert (full.counts["users"]["changed"], full.counts["workspaces"]["changed"]) == (0, 0)
    assert snapshot() == after_incremental


@pytest.mark.django_db(transaction=True)
def test_incremental_on_postgresql_with_overlapping_connections_gives_what_full_gives(require_postgres, monkeypatch):
    """Outside a transaction the run loads the context, prefetches workspaces and writes users on
    other connections at the same time, and applies small writes through the primary key."""
    from accounts.services.resolution import writes

    monkeypatch.setattr(writes, "BY_KEY_SHARE", 1.0)
    data = build()
    run("--full")
    _mutate(data, get_user_model().objects.create(username="decider"))
    incremental = run()
    assert incremental.mode == ResolutionRun.Mode.INCREMENTAL
    assert incremental.counts["users"]["changed"] > 0
    after_incremental = snapshot()
    full = run("--full")
    assert (full.counts["users"]["changed"], full.counts["workspaces"]["changed"]) == (0, 0)
    assert snapshot() == after_incremental


def test_an_incremental_run_reads_only_what_changed(admin_user):
    """The scope comes from indexed lookups: a run after a change to one user looks at that user's
    workspace and its colleagues, not at everyone."""
    data = build()
    run("--full")
    user = ProductUser.objects.filter(workspaces=data["workspaces"][2], email__regex=FREE_MAIL).first()
    user.company_name = "Acme Corporation"
    user.save()
    incremental = run()

    def looked_at(counts: dict) -> int:
        return sum(v for k, v in counts.items() if not k.startswith("method:") and k not in ("changed", "locked"))

    assert incremental.mode == ResolutionRun.Mode.INCREMENTAL
    assert 1 <= looked_at(incremental.counts["users"]) <= 8  # the workspace's members at most
    assert looked_at(incremental.counts["workspaces"]) == 1


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


# --- what is kept between runs: the name index and the rankings of names -------------------------


@pytest.fixture
def private_cache(settings, tmp_path):
    from accounts.services.resolution import cache

    settings.RESOLUTION_CACHE_DIR = str(tmp_path / "cache")
    cache._INDEXES.clear()
    yield tmp_path / "cache"
    cache._INDEXES.clear()


def test_a_second_run_scores_no_name_again_and_decides_the_same(private_cache, monkeypatch):
    from accounts.matching import CompanyNameIndex

    build()
    run("--full")
    state = snapshot()
    assert list(private_cache.glob("rankings-*.sqlite3")) and list(private_cache.glob("names-*.pickle"))

    def no_scoring(self, texts):
        raise AssertionError(f"scored again: {texts[:3]}")

    monkeypatch.setattr(CompanyNameIndex, "rank_many", no_scoring)
    ProductUser.objects.update(company=None, suggested_company=None, match_method="", match_status="",
                               match_confidence=None, match_reason="", matched_at=None)
    run("--full")
    assert snapshot() == state


def test_kept_rankings_follow_the_thresholds_and_give_what_a_cold_run_gives(private_cache):
    build()
    run("--full")
    ResolutionSettings.objects.update_or_create(pk=1, defaults={"auto_threshold": 0.99})
    escalated = run()
    assert "thresholds changed" in escalated.counts["escalated"]
    warm = snapshot()
    assert any(row[4] == "review" and "below auto-accept 0.99" in row[5] for row in warm["users"].values())
    call_command("resolve_accounts", "--cold", stdout=StringIO())  # forget everything cached
    assert not list(private_cache.glob("rankings-*"))
    cold = run("--full")
    assert cold.counts["users"]["changed"] == 0
    assert snapshot() == warm


def test_renamed_companies_are_matched_with_fresh_rankings(private_cache):
    build()
    run("--full")
    user = ProductUser.objects.create(external_id="R1", email="r1@gmail.com", company_name="Hooli XYZ")
    run()
    user.refresh_from_db()
    assert user.match_status == "unmatched"
    Company.objects.filter(name="Hooli Inc").update(name="Hooli XYZ")
    run()
    user.refresh_from_db()
    assert (user.company.name, user.match_status, user.match_method) == ("Hooli XYZ", "auto", "name")
    assert len(list(private_cache.glob("rankings-*.sqlite3"))) == 2


@pytest.fixture(autouse=True)
def _own_cache(private_cache):
    """Every test here keeps its name index and rankings apart from this machine's real cache (whose
    least recently used entries the tests' many small sets of names would otherwise evict)."""
    yield
