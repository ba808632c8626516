"""Two runs at once on PostgreSQL never create two open plays for one account (the database says no)."""
from decimal import Decimal

import pytest

from playbooks.models import Play, PlaybookRun
from playbooks.services import playbook_run_create, playbook_run_execute
from tests.concurrency import run_at_once
from tests.factories import CompanyFactory, WorkspaceFactory
from tests.playbooks.factories import PlaybookFactory, PlaybookStepFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_runs_create_no_duplicate_open_plays(require_postgres):
    playbook = PlaybookFactory()
    PlaybookStepFactory(playbook=playbook)
    companies = []
    for _ in range(60):
        company = CompanyFactory(potential_arr=Decimal("100000"))
        WorkspaceFactory(company=company)
        WorkspaceFactory(company=company)
        companies.append(company)
    runs = [playbook_run_create(playbook=playbook, trigger=PlaybookRun.Trigger.MANUAL) for _ in range(4)]
    results = run_at_once(*(lambda run_id=r.pk: playbook_run_execute(run_id=run_id) for r in runs))
    assert all(r.status == "succeeded" for r in results)
    open_plays = Play.objects.filter(status__in=Play.OPEN_STATES)
    assert open_plays.count() == 60
    assert open_plays.values("company").distinct().count() == 60
    assert sum(r.new_plays for r in results) == 60
    assert sum(r.skipped_open for r in results) == 60 * (len(runs) - 1)
    assert all(p.steps.count() == 1 for p in open_plays)  # each play's checklist copied once
