"""Schemathesis over every operation of /api/schema/, as a RevOps admin and as a rep (API tokens).

Each operation is one test; every generated request (valid and deliberately invalid data) must get
no 5xx and a response that conforms to the schema (status code, content type, body, headers), and
invalid data must be refused with a 4xx. The database holds a small book of business (companies,
stakeholders, contracts, a playbook with a play, a compensation plan …) and generated ids and
foreign keys are pointed at those rows half of the time, so requests reach the services rather
than stopping at "not found".

Phases: schemathesis's coverage phase (deterministic valid, boundary, wrong-type and missing-field
cases, by far most of the requests) runs for every operation as the admin, with JSON bodies, and its
valid cases for the reads as the rep; the fuzzing phase (FUZZ_EXAMPLES drawn examples, any media type)
runs for every operation and role.

The book is built once for the module inside an outer transaction (rolled back at the end); each
test runs in pytest-django's savepoint and each generated request in one more, rolled back after
it, so no write leaks into the next request or test and every request meets the same rows (which
also keeps Hypothesis's replays and shrinking honest). FUZZ_EXAMPLES (default 5) sets the examples
per operation and role; FUZZ_SEED a seed (default: derandomized, so runs are reproducible).
"""
import os
from datetime import timedelta
from decimal import Decimal

import factory.random
import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from django.contrib.auth import get_user_model
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.utils import timezone
from hypothesis import HealthCheck, seed, settings
from rest_framework.authtoken.models import Token
from schemathesis.specs.openapi.checks import positive_data_acceptance

from accounts.models import Company, ProductUser, Team, UsageRecord, Workspace
from forecasting.models import (
    Assignment,
    CompPlan,
    Contract,
    ForecastRun,
    Opportunity,
    PlanComponent,
    Statement,
)
from playbooks.models import Play, Playbook, PlaybookRun
from revops import roles
from stakeholders.models import ActionItem, Interaction, ReviewSession, Stakeholder
from tests.factories import (
    CompanyFactory,
    ProductUserFactory,
    ProfileFactory,
    TeamFactory,
    UsageRecordFactory,
    UserFactory,
    WorkspaceFactory,
    WorkspaceMembershipFactory,
)
from tests.forecasting.comp_builders import assign, hybrid_plan
from tests.forecasting.factories import ContractFactory, OpportunityFactory, book_usage
from tests.playbooks.factories import PlaybookFactory, PlaybookStepFactory, PlayFactory
from tests.stakeholders.factories import ActionItemFactory, ReviewSessionFactory, StakeholderFactory, log_contact

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))
SEED = os.environ.get("FUZZ_SEED")

# Loaded while collecting (Django is configured by then): the schema view is public and reads no rows.
# (A lazy `schemathesis.pytest.from_fixture` schema would fit the test database better, but its
# subtest runner does not work with pytest 9.)
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


def _variant(config: dict):
    """The same schema and app with other schemathesis settings."""
    variant = schemathesis.openapi.from_dict(schema.raw_schema, config=SchemathesisConfig.from_dict(config))
    variant.app, variant.location = schema.app, schema.location
    return variant


# As the rep, the coverage phase's invalid cases are left out: they test input validation (wrong types,
# out-of-range values, missing fields), the same code for every role, and run fully as the admin; as a
# rep most writes are refused (403) before validation anyway. The rep's reads keep the coverage phase's
# valid cases (what a rep sees is scoped to the rep); the rep's writes are checked with the fuzzing
# phase's examples.
rep_reads = _variant({"phases": {"coverage": {"generation": {"mode": "positive"}}}}).include(method="GET")
rep_writes = _variant({"phases": {"coverage": {"enabled": False}}}).exclude(method="GET")

pytestmark = pytest.mark.django_db


# Path prefix → the model its {id} names (longest prefix wins).
PATH_MODELS = {
    "/api/v1/companies/": Company,
    "/api/v1/consolidation/": Company,
    "/api/v1/forecast/companies/": Company,
    "/api/v1/weekly-review/accounts/": Company,
    "/api/v1/workspaces/": Workspace,
    "/api/v1/review/workspaces/": Workspace,
    "/api/v1/users/": ProductUser,
    "/api/v1/review/users/": ProductUser,
    "/api/v1/usage/": UsageRecord,
    "/api/v1/contracts/": Contract,
    "/api/v1/opportunities/": Opportunity,
    "/api/v1/compensation/opportunities/": Opportunity,
    "/api/v1/compensation/plans/": CompPlan,
    "/api/v1/compensation/assignments/": Assignment,
    "/api/v1/compensation/statements/": Statement,
    "/api/v1/forecast/runs/": ForecastRun,
    "/api/v1/stakeholders/": Stakeholder,
    "/api/v1/interactions/": Interaction,
    "/api/v1/review-sessions/": ReviewSession,
    "/api/v1/action-items/": ActionItem,
    "/api/v1/playbooks/": Playbook,
    "/api/v1/playbook-runs/": PlaybookRun,
    "/api/v1/plays/": Play,
}
# Body fields that hold the id of a row.
FIELD_MODELS = {
    "company": Company, "parent": Company, "session": ReviewSession, "team": Team, "owner_team": Team,
    "supporting_teams": Team, "stakeholder": Stakeholder, "stakeholders": Stakeholder, "reports_to": Stakeholder,
    "product_user": ProductUser, "workspace": Workspace, "playbook": Playbook, "plan": CompPlan,
    "component": PlanComponent, "renewal_of": Contract, "opportunity": Opportunity, "run": PlaybookRun,
    "owner": "user", "assignee": "user", "rep": "user", "created_by": "user",
}


def _ids(model) -> list[int]:
    if model == "user":
        model = get_user_model()
    return list(model.objects.order_by("pk").values_list("pk", flat=True)[:20])


def _point(value, ids: list[int]):
    """Half of the non-negative whole numbers become the id of an existing row (same for each value)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value % 2:
        return value
    return ids[(value // 2) % len(ids)] if ids else value


def _point_body(body, ids: dict):
    if isinstance(body, list):
        return [_point_body(item, ids) for item in body]
    if not isinstance(body, dict):
        return body
    out = {}
    for key, value in body.items():
        model = FIELD_MODELS.get(key)
        if model is not None and isinstance(value, list):
            out[key] = [_point(item, ids[model]) for item in value]
        elif model is not None:
            out[key] = _point(value, ids[model])
        else:
            out[key] = _point_body(value, ids)
    return out


def _point_case(case, ids: dict) -> None:
    path = case.operation.path
    if case.path_parameters:
        prefix = max((p for p in PATH_MODELS if path.startswith(p)), key=len, default=None)
        if prefix is not None:
            for name, value in case.path_parameters.items():
                case.path_parameters[name] = _point(value, ids[PATH_MODELS[prefix]])
    if isinstance(case.body, (dict, list)):
        case.body = _point_body(case.body, ids)


@pytest.fixture(scope="module", autouse=True)
def _keep_the_test_connection():
    """The WSGI app closes "old" database connections around each request, as in production; inside the
    test's transaction that closes the connection on PostgreSQL. Django's test client switches it off
    the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def book(django_db_setup, django_db_blocker):
    """The book of business, built once for the module in an outer transaction rolled back at its end
    (each test then runs in pytest-django's savepoint inside it, each request in its own)."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield _build_book()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _build_book() -> dict:
    """A small book of business touching every area the API serves: team East (maria, ravi, rosa) and
    team West (otto, oscar), as tests/conftest.py names them, and a RevOps admin."""
    factory.random.reseed_random("revops-api-fuzz")  # the same names and values in every run
    today = timezone.localdate()
    admin_user = UserFactory(username="ada.admin", role=roles.REVOPS_ADMIN)
    manager = UserFactory(username="maria.manager", role=roles.MANAGER)
    team = TeamFactory(name="Enterprise East", manager=manager)
    ProfileFactory(user=manager, team=team)
    rep, rep2 = (UserFactory(username=name, role=roles.REP) for name in ("ravi.rep", "rosa.rep"))
    ProfileFactory(user=rep, team=team)
    ProfileFactory(user=rep2, team=team)
    west = TeamFactory(name="Mid-market West", manager=UserFactory(username="otto.manager", role=roles.MANAGER))
    other_rep = UserFactory(username="oscar.rep", role=roles.REP)
    ProfileFactory(user=other_rep, team=west)

    parent = CompanyFactory(name="Acme Group", owner=rep, potential_arr=Decimal("900000"))
    acme = CompanyFactory(name="Acme", owner=rep, parent=parent, potential_arr=Decimal("500000"))
    globex = CompanyFactory(name="Globex", owner=rep2)
    initech = CompanyFactory(name="Initech", owner=other_rep)
    workspace = WorkspaceFactory(company=acme)
    person = ProductUserFactory(company=acme)
    WorkspaceMembershipFactory(user=person, workspace=workspace)
    UsageRecordFactory(workspace=workspace)
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    for company in (acme, globex, initech):
        book_usage(company, last_month, "120.00")

    buyer = StakeholderFactory(company=acme, role="economic_buyer", key_rank=1)
    champion = StakeholderFactory(company=acme, reports_to=buyer)
    StakeholderFactory(company=initech)
    log_contact([buyer, champion], by=rep, next_step="Send the proposal", next_step_due=today + timedelta(days=3))
    session = ReviewSessionFactory(team=team, started_by=team.manager)
    ActionItemFactory(session=session, company=acme, assignee=rep, created_by=team.manager)

    commit = ContractFactory(company=acme, owner=rep, kind=Contract.Kind.COMMIT, start_date=today - timedelta(days=90),
                             end_date=today + timedelta(days=275))
    ContractFactory(company=globex, owner=rep2, start_date=today - timedelta(days=30), end_date=today + timedelta(days=335))
    ContractFactory(company=initech, owner=other_rep, renewal_of=None, status=Contract.Status.DRAFT)
    OpportunityFactory(company=acme, owner=rep, close_date=today + timedelta(days=20))
    OpportunityFactory(company=initech, owner=other_rep, close_date=today + timedelta(days=40))
    assert commit.pk

    playbook = PlaybookFactory(name="Multi-workspace expansion", owner_team=team)
    PlaybookStepFactory(playbook=playbook, title="Call the champion")
    PlayFactory(playbook=playbook, company=acme, assignee=rep)
    PlayFactory(playbook=playbook, company=initech, assignee=other_rep)
    PlaybookRun.objects.create(playbook=playbook, trigger=PlaybookRun.Trigger.MANUAL,
                               status=PlaybookRun.Status.SUCCEEDED)

    plan = hybrid_plan()
    assign(rep, plan, period=f"{today.year}-Q{(today.month - 1) // 3 + 1}")
    ForecastRun.objects.create(status=ForecastRun.Status.SUCCEEDED, as_of=today.replace(day=1), horizon_months=12)
    models = {*PATH_MODELS.values(), *FIELD_MODELS.values()}
    return {
        "admin": admin_user, "rep": rep, "acme": acme,
        "tokens": {user.pk: Token.objects.create(user=user).key for user in (admin_user, rep)},
        "ids": {model: _ids(model) for model in models},  # the rows every request meets
    }


def refusals_name_the_field(ctx, response, case):
    """A 400 names what was wrong: a field of the request, `non_field_errors` or a `detail`.

    Stands in for schemathesis's positive_data_acceptance, which wants every schema-valid request
    accepted: business rules (an end before a start, a duplicate external id, an unknown company
    in a filter) cannot all be written into an OpenAPI schema, and refusing them is correct.
    """
    if response.status_code != 400 or case.method.upper() == "DELETE":  # a refused delete names the object
        return None
    body = response.json()
    assert isinstance(body, dict) and body, f"400 without a JSON object naming the problem: {response.text[:300]}"
    named = {"non_field_errors", "detail", *(case.query or {}), *(case.path_parameters or {})}
    if isinstance(case.body, dict):
        named |= set(case.body)
    if isinstance(case.body, list) or case.operation.body:  # fields of the request body, sent or missing
        named |= _body_properties(case)
    fields = body.get("fields") if isinstance(body.get("fields"), dict) else {}  # ApplicationError's extra
    unknown = (set(body) - named - {"fields"}) | (set(fields) - named - {"__all__"})
    assert not unknown, f"400 names {sorted(unknown)}, which the request does not have: {response.text[:300]}"
    return None


def _body_properties(case) -> set[str]:
    raw = case.operation.schema.raw_schema
    operation = raw["paths"][case.operation.path][case.operation.method.lower()]
    names = set()
    for media in operation.get("requestBody", {}).get("content", {}).values():
        names |= _properties(raw, media.get("schema", {}))
    return names


def _properties(raw, node, depth=0) -> set[str]:
    """Property names of a request body schema, nested objects and arrays included (services name them)."""
    if depth > 4 or not isinstance(node, dict):
        return set()
    if "$ref" in node:
        node = raw["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    names = set(node.get("properties", {}))
    for child in [*node.get("properties", {}).values(), node.get("items"), *node.get("allOf", [])]:
        names |= _properties(raw, child, depth + 1)
    return names


# The coverage phase's bodies in JSON only. It repeats every boundary and wrong-type case in each media
# type the schema lists, but form and multipart data reach the same serializers as text (where a wrong
# JSON type does not exist), so those copies would double the module's time for little; the fuzzing
# phase still sends form and multipart bodies (its media type is drawn), and the coverage phase's probes
# of malformed and unsupported content types still run.
FORM_MEDIA_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


def _run(case, book, user) -> None:
    """One generated request, in a savepoint rolled back after it: what it writes (or deletes, or the
    token it rotates) is gone before the next request, so every request meets the same book."""
    if case.meta is not None and case.meta.phase.name == "coverage" and case.media_type in FORM_MEDIA_TYPES:
        return
    _point_case(case, book["ids"])
    with transaction.atomic():
        case.call_and_validate(headers={"Authorization": f"Token {book['tokens'][user.pk]}"},
                               excluded_checks=[positive_data_acceptance],
                               additional_checks=[refusals_name_the_field])
        transaction.set_rollback(True)


HYPOTHESIS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=SEED is None,
    suppress_health_check=list(HealthCheck),
)


def _seeded(test):
    return seed(int(SEED))(test) if SEED else test


@schema.parametrize()
@HYPOTHESIS
@_seeded
def test_api_as_revops_admin(case, book):
    _run(case, book, book["admin"])


@rep_reads.parametrize()
@HYPOTHESIS
@_seeded
def test_api_reads_as_rep(case, book):
    _run(case, book, book["rep"])


@rep_writes.parametrize()
@HYPOTHESIS
@_seeded
def test_api_writes_as_rep(case, book):
    _run(case, book, book["rep"])
