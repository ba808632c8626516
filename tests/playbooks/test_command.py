"""manage.py run_playbook SLUG."""
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from playbooks.models import Play, PlaybookRun
from tests.factories import CompanyFactory, WorkspaceFactory
from tests.playbooks.factories import PlaybookFactory

pytestmark = pytest.mark.django_db


def test_run_playbook_command_surfaces_plays_and_reports():
    playbook = PlaybookFactory(slug="sprawl", name="Sprawl")
    company = CompanyFactory()
    WorkspaceFactory(company=company)
    WorkspaceFactory(company=company)
    out = StringIO()
    call_command("run_playbook", "sprawl", stdout=out)
    assert "Sprawl: 1 matched, 1 new plays, 0 already open" in out.getvalue()
    assert Play.objects.get().company == company
    assert PlaybookRun.objects.get(playbook=playbook).trigger == "command"


def test_unknown_slug_and_invalid_signal_fail_loudly():
    with pytest.raises(CommandError, match="No playbook 'nope'"):
        call_command("run_playbook", "nope")
    PlaybookFactory(slug="broken", signal={"match": "all", "conditions": []})
    with pytest.raises(CommandError, match="The signal is empty"):
        call_command("run_playbook", "broken")
    assert not PlaybookRun.objects.filter(playbook__slug="broken").exists()
