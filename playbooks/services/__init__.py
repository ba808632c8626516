"""Writes of the playbooks area: runs (runs.py), assignment (assignment.py), play state changes (plays.py)."""
from playbooks.services.plays import (  # noqa: F401
    STATUS_ACTIONS,
    can_work_play,
    play_assign,
    play_close,
    play_convert_new_opportunity,
    play_notes_update,
    play_reopen,
    play_set_status,
    play_start,
    play_step_set,
)
from playbooks.services.runs import (  # noqa: F401
    playbook_run_create,
    playbook_run_execute,
    playbook_run_request,
    playbooks_schedule_check,
    schedule_due_moment,
)
