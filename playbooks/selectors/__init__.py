"""Reads of the playbooks area: plays (inbox, account, weekly review) and reporting."""
from playbooks.selectors.plays import (  # noqa: F401
    SCOPES,
    company_plays,
    inbox_plays,
    inbox_scopes,
    managed_team_ids,
    open_plays_by_company,
    play_get,
    playbook_runs,
    plays_visible_to,
)
from playbooks.selectors.reporting import (  # noqa: F401
    PlaybookSummary,
    PlayReport,
    WeekPoint,
    play_report,
    playbook_summaries,
    playbook_timeline,
    run_report,
)
