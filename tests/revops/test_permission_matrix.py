"""Walk the permission matrix (tests/revops/permission_data.py) through real URLs as every role.

The dataset is built once per module inside an outer transaction (rolled back at the end); each case
runs in its own savepoint, so an action that deletes or closes something does not leak into the next.
Set PERMISSION_MATRIX_WRITE=1 to regenerate docs/permissions.md from the matrix.
"""
import json
import os
from datetime import date, datetime, timezone

import pytest
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import ImportJob, Workspace
from forecasting.compensation import services as comp_services
from forecasting.models import Assignment, ForecastRun, Statement
from playbooks.models import Play, PlaybookRun, PlayStep
from revops import roles
from stakeholders.models import Interaction
from tests.factories import (
    CompanyFactory,
    ProductUserFactory,
    ProfileFactory,
    TeamFactory,
    UsageRecordFactory,
    UserFactory,
    WorkspaceFactory,
)
from tests.forecasting.comp_builders import Q3, assign, hybrid_plan, won
from tests.forecasting.factories import ContractFactory
from tests.playbooks.factories import PlaybookFactory, PlayFactory
from tests.revops import permission_data as matrix
from tests.stakeholders.factories import ActionItemFactory, ReviewSessionFactory, StakeholderFactory

ROLE_USERS = {"rep": "ravi.rep", "manager": "maria.manager", "admin": "ada.admin"}


def _build() -> dict:
    """Two teams (East: maria + ravi + rosa; West: otto + oscar), each rep owning an account with a
    stakeholder, an interaction, a contract, a won deal, a play, a review session with an action item
    and a Q3 compensation statement."""
    admin = UserFactory(username="ada.admin", role=roles.REVOPS_ADMIN)
    maria = UserFactory(username="maria.manager", role=roles.MANAGER)
    otto = UserFactory(username="otto.manager", role=roles.MANAGER)
    east = TeamFactory(name="Enterprise East", manager=maria)
    west = TeamFactory(name="Mid-market West", manager=otto)
    ProfileFactory(user=maria, team=east)
    ProfileFactory(user=otto, team=west)
    people = {}
    for username, team in (("ravi.rep", east), ("rosa.rep", east), ("oscar.rep", west)):
        people[username] = UserFactory(username=username, role=roles.REP)
        ProfileFactory(user=people[username], team=team)
    ravi, rosa, oscar = people["ravi.rep"], people["rosa.rep"], people["oscar.rep"]
    plan = hybrid_plan()
    playbook = PlaybookFactory(owner_team=east)
    ids = {"admin_user": admin.pk, "team_east": east.pk, "team_west": west.pk, "plan": plan.pk, "playbook": playbook.pk,
           "playbook_slug": playbook.slug}
    for scope, rep, team, manager in (("own", ravi, east, maria), ("team", rosa, east, maria),
                                      ("other", oscar, west, otto)):
        company = CompanyFactory(owner=rep, name=f"Account {scope}")
        person = StakeholderFactory(company=company, created_by=rep)
        interaction = Interaction.objects.create(company=company, logged_by=rep, summary="Call",
                                                 occurred_at=datetime(2026, 1, 5, tzinfo=timezone.utc),
                                                 next_step="Send pricing", next_step_due=date(2026, 1, 20))
        contract = ContractFactory(company=company, owner=rep, kind="commit")
        deal = won(rep, 50000, company=company)
        play = PlayFactory(playbook=playbook, company=company, assignee=rep)
        step = PlayStep.objects.create(play=play, position=1, title="Call the champion")
        assignment = assign(rep, plan)
        ids.update({f"company_{scope}": company.pk, f"stakeholder_{scope}": person.pk,
                    f"interaction_{scope}": interaction.pk, f"contract_{scope}": contract.pk,
                    f"opportunity_{scope}": deal.pk, f"play_{scope}": play.pk, f"play_{scope}_step": step.pk,
                    f"assignment_{scope}": assignment.pk})
    # Review sessions: East's (holding an item for ravi and one for rosa) and West's.
    session_east = ReviewSessionFactory(team=east, started_by=maria)
    session_west = ReviewSessionFactory(team=west, started_by=otto)
    ids["session_team"], ids["session_other"] = session_east.pk, session_west.pk
    ids["action_own"] = ActionItemFactory(session=session_east, company_id=ids["company_own"], assignee=ravi).pk
    ids["action_team"] = ActionItemFactory(session=session_east, company_id=ids["company_team"], assignee=rosa).pk
    ids["action_other"] = ActionItemFactory(session=session_west, company_id=ids["company_other"], assignee=oscar).pk
    comp_services.statements_calculate(period=Q3)
    for scope, rep in (("own", ravi), ("team", rosa), ("other", oscar)):
        ids[f"statement_{scope}"] = Statement.objects.get(rep=rep, period=Q3).pk
    workspace = WorkspaceFactory(company_id=ids["company_own"])
    review_ws = WorkspaceFactory(match_status="review", suggested_company_id=ids["company_own"])
    review_user = ProductUserFactory(match_status="review", suggested_company_id=ids["company_own"])
    ids.update({"workspace": workspace.pk, "workspace_review": review_ws.pk, "product_user_review": review_user.pk,
                "product_user": ProductUserFactory(company_id=ids["company_own"]).pk,
                "usage": UsageRecordFactory(workspace=workspace).pk,
                "playbook_run": PlaybookRun.objects.create(playbook=playbook, created_by=admin).pk,
                "forecast_run": ForecastRun.objects.create(as_of=date(2026, 2, 1)).pk})
    job = ImportJob(kind="companies", original_name="c.csv", created_by=admin)
    job.file.save("c.csv", ContentFile(b"external_id,name\n"), save=False)
    job.save()
    ids["import_job"] = job.pk
    assert Workspace.objects.filter(match_status="review").exists() and Assignment.objects.count() == 3
    assert Play.objects.count() == 3
    return ids


@pytest.fixture(scope="module")
def dataset(django_db_setup, django_db_blocker, tmp_path_factory):
    from django.conf import settings

    with django_db_blocker.unblock():
        media, settings.MEDIA_ROOT = settings.MEDIA_ROOT, str(tmp_path_factory.mktemp("media"))
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield _build()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            settings.MEDIA_ROOT = media


def _clients() -> dict:
    from django.contrib.auth import get_user_model

    clients = {"anon": Client()}
    for role, username in ROLE_USERS.items():
        client = Client()
        client.force_login(get_user_model().objects.get(username=username))
        clients[role] = client
    return clients


def _request(client: Client, case: matrix.Case, ids: dict):
    path = case.path.format(**ids)
    if case.method == "GET":
        return client.get(path)
    data = {k: (v.format(**ids) if isinstance(v, str) else v) for k, v in case.data.items()}
    if path.startswith("/api/"):
        return client.generic(case.method, path, json.dumps(data), content_type="application/json")
    return client.generic(case.method, path, _urlencode(data), content_type="application/x-www-form-urlencoded")


def _urlencode(data: dict) -> str:
    from urllib.parse import urlencode

    return urlencode(data)


def _outcome(response, case: matrix.Case):
    """The observed status, with a redirect to a login page reported as LOGIN."""
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith(("/login/", "/admin/login/")) and not case.name.endswith(("login", "logout")):
            return matrix.LOGIN
    return response.status_code


def _check(case: matrix.Case, ids: dict) -> None:
    mismatches = []
    for role, expected in zip(matrix.ROLES, case.expect):
        # Each role acts in its own savepoint: one role's delete or close does not change the next's answer.
        sid = transaction.savepoint()
        try:
            got = _outcome(_request(_clients_cache()[role], case, ids), case)
        finally:
            transaction.savepoint_rollback(sid)
        if got != expected:
            mismatches.append(f"{role}: expected {expected}, got {got}")
    assert not mismatches, f"{case.method} {case.path.format(**ids)}: " + "; ".join(mismatches)


_CLIENTS: dict = {}


def _clients_cache() -> dict:
    if not _CLIENTS:
        _CLIENTS.update(_clients())
    return _CLIENTS


@pytest.fixture
def walk(dataset, db):
    _CLIENTS.clear()  # sessions live in the per-test transaction: log in again in each test
    _clients_cache()
    return lambda case: _check(case, dataset)


def _param(case: matrix.Case):
    marks = [pytest.mark.xfail(strict=True, reason=matrix.BUGS[case.bug])] if case.bug else []
    return pytest.param(case, id=case.id, marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in matrix.ALL])
def test_permission_matrix(walk, case):
    walk(case)


ADMIN_MODEL_CASES = [
    matrix.Case(url_name, "GET", "", (matrix.LOGIN, matrix.LOGIN, matrix.LOGIN,
                                      matrix.ADMIN_MODEL_STATUS.get(url_name, 200)))
    for label, changelist, add in matrix.admin_changelists() for url_name in (changelist, add)
]


@pytest.mark.parametrize("case", ADMIN_MODEL_CASES, ids=[c.name for c in ADMIN_MODEL_CASES])
def test_admin_model_pages_are_for_staff_only(walk, case):
    walk(matrix.Case(case.name, "GET", reverse(case.name), case.expect))


def _url_names(patterns, namespace=None):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace and (f"{namespace}:{p.namespace}" if namespace else p.namespace) or namespace
            yield from _url_names(p.url_patterns, ns)
        elif isinstance(p, URLPattern):
            name = p.name or str(p.pattern)
            yield f"{namespace}:{name}" if namespace else name


def test_every_url_pattern_is_in_the_matrix():
    covered = {case.name for case in matrix.ALL}
    covered |= {name for _, changelist, add in matrix.admin_changelists() for name in (changelist, add)}
    missing = []
    for name in set(_url_names(get_resolver().url_patterns)):
        suffix = next((s for s in matrix.ADMIN_OBJECT_SUFFIXES if name.endswith(s)), None)
        if name.startswith("admin:") and suffix:
            model_prefix = name.removesuffix(suffix)
            if f"{model_prefix}_changelist" in covered:
                continue
        if name not in covered:
            missing.append(name)
    assert not missing, f"URL patterns missing from tests/revops/permission_data.py: {sorted(missing)}"


def test_docs_permissions_md_is_generated_from_the_matrix():
    models = [(label, reverse(changelist)) for label, changelist, _ in matrix.admin_changelists()]
    if os.environ.get("PERMISSION_MATRIX_WRITE"):
        matrix.write_doc()
    assert matrix.DOC_PATH.read_text() == matrix.render_markdown(models), (
        "docs/permissions.md is stale: run `.venv/bin/python -m tests.revops.permission_data`")
