"""A long-lived process (a Celery worker) keeps the resolution context between runs and reuses it only
while the database still says the same: thresholds, rules, company names and domains."""

import gc
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import (
    Company,
    CompanyDomain,
    EmailDomainRule,
    ProductUser,
    ResolutionRun,
    ResolutionSettings,
)
from accounts.services.resolution import context as context_module
from accounts.services.resolution import engine
from accounts.services.resolution.context import _context_read, _current_digests, context_keep, context_load
from tests.accounts.scenario_resolution import build, snapshot
from tests.accounts.test_resolution_runs import _mutate

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_cache(settings, tmp_path):
    from accounts.services.resolution import cache

    settings.RESOLUTION_CACHE_DIR = str(tmp_path / "cache")
    cache._INDEXES.clear()
    yield
    cache._INDEXES.clear()


@pytest.fixture
def kept():
    context_keep(True)
    yield
    context_keep(False)


def run(*args: str) -> ResolutionRun:
    call_command("resolve_accounts", *args, stdout=StringIO())
    return ResolutionRun.objects.order_by("-id").first()


def test_a_process_keeps_nothing_unless_told():
    build(workspaces=2)
    assert context_load() is not context_load()


def test_the_kept_context_is_reused_while_nothing_changed(kept):
    build(workspaces=2)
    first = context_load()
    first.decide_many(["Acme Corporation"])
    again = context_load()
    assert again is first
    assert "Acme Corporation" in again._decisions  # decisions made before are kept with it


@pytest.mark.parametrize(
    "change",
    [
        lambda: Company.objects.filter(name="Hooli Inc").update(name="Hooli XYZ"),  # no updated_at: still seen
        lambda: Company.objects.create(external_id="NEWC", name="Globex Labs"),
        lambda: Company.objects.filter(name="Hooli Inc").delete(),
        lambda: CompanyDomain.objects.create(company=Company.objects.get(name="Hooli Inc"), domain="hooli.io"),
        lambda: CompanyDomain.objects.filter(domain="acme.com").update(
            company=Company.objects.get(name="Hooli Inc")),
        lambda: CompanyDomain.objects.filter(domain="acme.com").delete(),
        lambda: EmailDomainRule.objects.create(domain="acme.com", kind="free"),
        lambda: ResolutionSettings.objects.update_or_create(pk=1, defaults={"auto_threshold": 0.95}),
        lambda: ResolutionSettings.objects.update_or_create(pk=1, defaults={"colleague_factor": 0.5}),
    ],
    ids=["renamed", "company added", "company deleted", "domain added", "domain moved", "domain removed",
         "rule added", "threshold", "colleague factor"],
)
def test_any_change_it_derives_from_loads_a_new_context(kept, change):
    build(workspaces=2)
    first = context_load()
    change()
    fresh = context_load()
    assert fresh is not first
    assert fresh.state == _context_read().state
    assert (fresh.company_names, fresh.domain_owner, fresh.rules, fresh.thresholds) == (
        _context_read().company_names, _context_read().domain_owner, _context_read().rules,
        _context_read().thresholds)
    assert context_load() is fresh


def test_the_digests_of_the_database_are_those_of_the_rows_read():
    build(workspaces=2)
    company = Company.objects.create(external_id="U1", name="Société Générale — «Ünïcode» O'Brien & Co.")
    CompanyDomain.objects.create(company=company, domain="societe-generale.fr")
    ctx = _context_read()
    assert _current_digests() == (ctx.state["names"], ctx.state["domains"])


@pytest.mark.django_db(transaction=True)
def test_the_server_digests_on_postgresql_are_those_of_the_rows_read(require_postgres):
    build(workspaces=2)
    company = Company.objects.create(external_id="U1", name="Société Générale — «Ünïcode» O'Brien & Co.")
    CompanyDomain.objects.create(company=company, domain="societe-generale.fr")
    ctx = _context_read()
    assert _current_digests() == (ctx.state["names"], ctx.state["domains"])


def test_runs_in_a_process_that_keeps_the_context_give_what_fresh_runs_give(kept, admin_user):
    data = build()
    run("--full")
    kept_context = context_module.context_kept()
    assert kept_context is not None
    _mutate(data, admin_user)  # a new domain among the changes: the next run reads a new context
    incremental = run()
    assert incremental.mode == ResolutionRun.Mode.INCREMENTAL
    assert context_module.context_kept() is not kept_context
    Company.objects.filter(name="Hooli Inc").update(name="Hooli XYZ")
    ProductUser.objects.create(external_id="R1", email="r1@gmail.com", company_name="Hooli XYZ")
    escalated = run()
    assert "company names changed" in escalated.counts["escalated"]
    assert ProductUser.objects.get(external_id="R1").company.name == "Hooli XYZ"
    after = snapshot()

    context_keep(False)  # the reference: a process that keeps nothing
    full = run("--full")
    assert (full.counts["users"]["changed"], full.counts["workspaces"]["changed"]) == (0, 0)
    assert snapshot() == after


def test_a_worker_keeps_the_context_unless_the_setting_says_no(settings):
    from accounts.tasks import resolution_context_keep

    try:
        resolution_context_keep()
        assert context_module._keep
        settings.RESOLUTION_KEEP_CONTEXT = False
        resolution_context_keep()
        assert not context_module._keep
    finally:
        context_keep(False)


def test_a_run_pauses_the_cycle_collector_and_restores_it(monkeypatch):
    build(workspaces=2)
    seen = []
    users_resolve = engine.users_resolve

    def spy(**kwargs):
        seen.append(gc.isenabled())
        return users_resolve(**kwargs)

    from accounts.services.resolution import runs

    monkeypatch.setattr(runs, "users_resolve", spy)
    assert gc.isenabled()
    run("--full")
    assert seen == [False]
    assert gc.isenabled()
