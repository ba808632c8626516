"""The permission matrix: who gets what on every URL of the product, as one Python structure.

``tests/revops/test_permission_matrix.py`` walks it through real URLs against the dataset built by
``build_dataset`` and fails when a URL pattern is missing from it; ``python -m tests.revops.permission_data``
(or the test with ``PERMISSION_MATRIX_WRITE=1``) regenerates docs/permissions.md from it, so the
document and the test cannot drift.

Roles: anonymous, rep (``ravi``, team East), manager (``maria``, manages East), RevOps admin.
Object URLs name the object's scope: ``own`` (the rep's), ``team`` (a teammate's, in maria's team)
and ``other`` (team West's). The rule: an object outside the user's scope is 404; an object in scope
the user may read but not change is 403.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

ROLES = ("anon", "rep", "manager", "admin")
ROLE_TITLES = {"anon": "anonymous", "rep": "rep", "manager": "manager", "admin": "RevOps admin"}
LOGIN = "login"  # 302 to the login page (pages) or to the admin's login (admin)


@dataclass(frozen=True)
class Case:
    name: str  # URL pattern name (namespace:name)
    method: str
    path: str  # with {placeholders} filled from the dataset's ids
    expect: tuple  # one status (or LOGIN) per role, in ROLES order
    scope: str = ""  # own / team / other for object URLs
    data: dict = field(default_factory=dict)
    note: str = ""
    bug: str = ""  # a known deviation, reported and not yet fixed (the test expects it to fail: xfail strict)

    @property
    def id(self) -> str:
        return f"{self.method} {self.name}" + (f" [{self.scope}]" if self.scope else "") + (
            f" ({self.note})" if self.note and not self.scope else "")


def _c(name, method, path, anon, rep, manager, admin, *, scope="", data=None, note="", bug=""):
    return Case(name, method, path, (anon, rep, manager, admin), scope, data or {}, note, bug)


L = LOGIN
# Pages and actions. A POST's expected code for allowed roles is what the action answers (a redirect
# after success, 200 with a form's errors, 400 for a refused value).
PAGES: list[Case] = [
    _c("home", "GET", "/", L, 302, 302, 302),
    _c("healthz", "GET", "/healthz", 200, 200, 200, 200),
    _c("login", "GET", "/login/", 200, 302, 302, 302, note="signed in: sent on to the app"),
    _c("logout", "POST", "/logout/", 302, 302, 302, 302),
    _c("api_access", "GET", "/settings/api-access/", L, 200, 200, 200),
    # accounts
    _c("accounts:company_list", "GET", "/accounts/", L, 200, 200, 200),
    _c("accounts:company_detail", "GET", "/accounts/{company_own}/", L, 200, 200, 200, scope="own"),
    _c("accounts:company_detail", "GET", "/accounts/{company_other}/", L, 200, 200, 200, scope="other",
       note="accounts are shared reference data: everyone reads every account"),
    _c("accounts:company_tree", "GET", "/accounts/{company_own}/tree/", L, 200, 200, 200),
    _c("accounts:company_history", "GET", "/accounts/{company_other}/history/", L, 200, 200, 200, scope="other",
       note="the account's change history: readable with the account"),
    _c("accounts:consolidation", "GET", "/accounts/consolidation/", L, 200, 200, 200),
    _c("accounts:consolidation_export", "GET", "/accounts/consolidation/export.csv", L, 200, 200, 200),
    _c("accounts:review_queue", "GET", "/accounts/review/", L, 200, 200, 200),
    _c("accounts:review_bulk", "POST", "/accounts/review/bulk/", L, 403, 302, 302,
       data={"kind": "workspaces", "action": "confirm", "ids": "{workspace_review}"}),
    _c("accounts:review_company_search", "GET", "/accounts/review/companies/?q=Co", L, 200, 200, 200),
    _c("accounts:review_decide", "POST", "/accounts/review/workspaces/{workspace_review}/confirm/",
       L, 403, 302, 302),
    _c("accounts:import_list", "GET", "/imports/", L, 403, 403, 200),
    _c("accounts:import_detail", "GET", "/imports/{import_job}/", L, 403, 403, 200),
    _c("accounts:import_progress", "GET", "/imports/{import_job}/progress/", L, 403, 403, 200),
    # playbooks
    _c("playbooks:index", "GET", "/playbooks/", L, 200, 200, 200),
    _c("playbooks:inbox", "GET", "/playbooks/plays/", L, 200, 200, 200),
    _c("playbooks:playbook_detail", "GET", "/playbooks/{playbook_slug}/", L, 200, 200, 200),
    _c("playbooks:playbook_run", "POST", "/playbooks/{playbook_slug}/run/", L, 403, 403, 302),
    _c("playbooks:run_detail", "GET", "/playbooks/runs/{playbook_run}/", L, 200, 200, 200),
    _c("playbooks:play_detail", "GET", "/playbooks/plays/{play_own}/", L, 200, 200, 200, scope="own"),
    _c("playbooks:play_detail", "GET", "/playbooks/plays/{play_team}/", L, 200, 200, 200, scope="team"),
    _c("playbooks:play_detail", "GET", "/playbooks/plays/{play_other}/", L, 404, 404, 200, scope="other"),
    _c("playbooks:play_status", "POST", "/playbooks/plays/{play_own}/status/", L, 302, 302, 302, scope="own",
       data={"action": "start"}),
    _c("playbooks:play_status", "POST", "/playbooks/plays/{play_team}/status/", L, 403, 302, 302, scope="team",
       data={"action": "start"}),
    _c("playbooks:play_status", "POST", "/playbooks/plays/{play_other}/status/", L, 404, 404, 302,
       scope="other", data={"action": "start"}),
    _c("playbooks:play_step", "POST", "/playbooks/plays/{play_own}/steps/{play_own_step}/", L, 302, 302, 302,
       scope="own", data={"done": "1"}),
    _c("playbooks:play_step", "POST", "/playbooks/plays/{play_team}/steps/{play_team_step}/", L, 403, 302, 302,
       scope="team", data={"done": "1"}),
    _c("playbooks:play_step", "POST", "/playbooks/plays/{play_other}/steps/{play_other_step}/", L, 404, 404, 302,
       scope="other", data={"done": "1"}),
    _c("playbooks:play_notes", "POST", "/playbooks/plays/{play_own}/notes/", L, 302, 302, 302, scope="own",
       data={"notes": "n"}),
    _c("playbooks:play_notes", "POST", "/playbooks/plays/{play_team}/notes/", L, 403, 302, 302, scope="team",
       data={"notes": "n"}),
    _c("playbooks:play_notes", "POST", "/playbooks/plays/{play_other}/notes/", L, 404, 404, 302, scope="other",
       data={"notes": "n"}),
    # weekly review, account panel, interactions, stakeholders
    _c("stakeholders:index", "GET", "/review/", L, 200, 200, 200),
    _c("stakeholders:review_row", "GET", "/review/rows/{company_own}/", L, 200, 200, 200),
    _c("stakeholders:panel", "GET", "/review/accounts/{company_own}/panel/", L, 200, 200, 200),
    _c("stakeholders:interaction_create", "GET", "/review/accounts/{company_own}/log/", L, 200, 200, 200),
    _c("stakeholders:interaction_create", "POST", "/review/accounts/{company_own}/log/", L, 200, 200, 200,
       note="empty form: errors"),
    _c("stakeholders:stakeholder_create", "GET", "/review/accounts/{company_own}/stakeholders/new/",
       L, 200, 200, 200),
    _c("stakeholders:product_user_hint", "GET", "/review/accounts/{company_own}/product-user/?email=a@b.example",
       L, 200, 200, 200),
    _c("stakeholders:interaction_edit", "GET", "/review/interactions/{interaction_own}/edit/", L, 200, 200, 200,
       scope="own"),
    _c("stakeholders:interaction_edit", "GET", "/review/interactions/{interaction_team}/edit/", L, 403, 200, 200,
       scope="team"),
    _c("stakeholders:interaction_edit", "GET", "/review/interactions/{interaction_other}/edit/", L, 403, 403, 200,
       scope="other", note="interactions show on the account page, which everyone reads"),
    _c("stakeholders:interaction_delete", "POST", "/review/interactions/{interaction_own}/delete/",
       L, 302, 302, 302, scope="own"),
    _c("stakeholders:interaction_delete", "POST", "/review/interactions/{interaction_team}/delete/",
       L, 403, 302, 302, scope="team"),
    _c("stakeholders:interaction_delete", "POST", "/review/interactions/{interaction_other}/delete/",
       L, 403, 403, 302, scope="other"),
    _c("stakeholders:next_step_done", "POST", "/review/interactions/{interaction_own}/next-step/",
       L, 302, 302, 302, scope="own"),
    _c("stakeholders:next_step_done", "POST", "/review/interactions/{interaction_team}/next-step/",
       L, 403, 302, 302, scope="team"),
    _c("stakeholders:next_step_done", "POST", "/review/interactions/{interaction_other}/next-step/",
       L, 403, 403, 302, scope="other"),
    _c("stakeholders:stakeholder_edit", "GET", "/review/stakeholders/{stakeholder_own}/edit/", L, 200, 200, 200,
       scope="own"),
    _c("stakeholders:stakeholder_edit", "GET", "/review/stakeholders/{stakeholder_team}/edit/", L, 403, 200, 200,
       scope="team"),
    _c("stakeholders:stakeholder_edit", "GET", "/review/stakeholders/{stakeholder_other}/edit/", L, 403, 403, 200,
       scope="other", note="stakeholders belong to accounts, which everyone reads"),
    _c("stakeholders:stakeholder_delete", "POST", "/review/stakeholders/{stakeholder_own}/delete/",
       L, 302, 302, 302, scope="own"),
    _c("stakeholders:stakeholder_delete", "POST", "/review/stakeholders/{stakeholder_team}/delete/",
       L, 403, 302, 302, scope="team"),
    _c("stakeholders:stakeholder_delete", "POST", "/review/stakeholders/{stakeholder_other}/delete/",
       L, 403, 403, 302, scope="other"),
    # review sessions
    _c("stakeholders:session_list", "GET", "/review/sessions/", L, 200, 200, 200),
    _c("stakeholders:session_start", "POST", "/review/sessions/start/", L, 403, 302, 302,
       data={"team": "{team_east}"}),
    _c("stakeholders:session_detail", "GET", "/review/sessions/{session_team}/", L, 200, 200, 200, scope="team"),
    _c("stakeholders:session_detail", "GET", "/review/sessions/{session_other}/", L, 404, 404, 200,
       scope="other"),
    _c("stakeholders:session_close", "POST", "/review/sessions/{session_team}/close/", L, 403, 302, 302,
       scope="team"),
    _c("stakeholders:session_close", "POST", "/review/sessions/{session_other}/close/", L, 404, 404, 302,
       scope="other"),
    _c("stakeholders:session_export", "GET", "/review/sessions/{session_team}/export.csv", L, 200, 200, 200,
       scope="team"),
    _c("stakeholders:session_export", "GET", "/review/sessions/{session_other}/export.csv", L, 404, 404, 200,
       scope="other"),
    _c("stakeholders:note_save", "POST", "/review/sessions/{session_team}/accounts/{company_own}/notes/",
       L, 403, 302, 302, scope="team", data={"notes": "n"}),
    _c("stakeholders:note_save", "POST", "/review/sessions/{session_other}/accounts/{company_other}/notes/",
       L, 404, 404, 302, scope="other", data={"notes": "n"}),
    _c("stakeholders:action_create", "POST", "/review/sessions/{session_team}/accounts/{company_own}/actions/",
       L, 403, 302, 302, scope="team", data={"description": "Call"}),
    _c("stakeholders:action_create", "POST", "/review/sessions/{session_other}/accounts/{company_other}/actions/",
       L, 404, 404, 302, scope="other", data={"description": "Call"}),
    _c("stakeholders:action_update", "POST", "/review/actions/{action_own}/", L, 302, 302, 302, scope="own",
       data={"status": "done"}),
    _c("stakeholders:action_update", "POST", "/review/actions/{action_team}/", L, 403, 302, 302, scope="team",
       data={"status": "done"}, note="a rep reads the team's review; ticking someone else's item is refused"),
    _c("stakeholders:action_update", "POST", "/review/actions/{action_other}/", L, 404, 404, 302, scope="other",
       data={"status": "done"}),
    # forecasting
    _c("forecasting:index", "GET", "/forecast/", L, 200, 200, 200),
    _c("forecasting:forecast_run_create", "POST", "/forecast/runs/", L, 403, 403, 302),
    _c("forecasting:forecast_run_progress", "GET", "/forecast/runs/{forecast_run}/progress/", L, 200, 200, 200),
    _c("forecasting:retention", "GET", "/forecast/retention/", L, 200, 200, 200),
    _c("forecasting:contract_list", "GET", "/forecast/contracts/", L, 200, 200, 200),
    _c("forecasting:contract_detail", "GET", "/forecast/contracts/{contract_own}/", L, 200, 200, 200, scope="own"),
    _c("forecasting:contract_detail", "GET", "/forecast/contracts/{contract_other}/", L, 200, 200, 200,
       scope="other", note="contracts are account data, which everyone reads"),
    # compensation
    _c("forecasting:compensation", "GET", "/compensation/", L, 200, 200, 200),
    _c("forecasting:comp_my_statement", "GET", "/compensation/me/", L, 200, 200, 200),
    _c("forecasting:comp_team", "GET", "/compensation/team/", L, 403, 200, 200),
    _c("forecasting:comp_statement", "GET", "/compensation/statements/{statement_own}/", L, 200, 200, 200,
       scope="own"),
    _c("forecasting:comp_statement", "GET", "/compensation/statements/{statement_team}/", L, 403, 200, 200,
       scope="team"),
    _c("forecasting:comp_statement", "GET", "/compensation/statements/{statement_other}/", L, 404, 404, 200,
       scope="other"),
    _c("forecasting:comp_what_if", "GET", "/compensation/statements/{statement_own}/what-if/", L, 200, 200, 200,
       scope="own"),
    _c("forecasting:comp_what_if", "GET", "/compensation/statements/{statement_team}/what-if/", L, 403, 200, 200,
       scope="team"),
    _c("forecasting:comp_what_if", "GET", "/compensation/statements/{statement_other}/what-if/", L, 404, 404, 200,
       scope="other"),
    _c("forecasting:comp_export", "GET", "/compensation/export.csv?period=2026-Q3", L, 403, 403, 200),
    _c("forecasting:comp_period_recalculate", "POST", "/compensation/periods/2026-Q3/recalculate/",
       L, 403, 403, 302),
    _c("forecasting:comp_period_lock", "POST", "/compensation/periods/2026-Q3/lock/", L, 403, 403, 302),
]

# The JSON API: anonymous requests get 401 (token authentication first). Object ids of another
# team's sessions, action items, statements and plays are 404; another team's interactions are
# readable (as on the account page) and 403 to change.
API: list[Case] = [
    _c("api-root", "GET", "/api/v1/", 401, 200, 200, 200),
    _c("api-token", "GET", "/api/v1/auth/token/", 401, 200, 200, 200),
    _c("api-events", "POST", "/api/v1/events/", 401, 401, 401, 401,
       note="product events authenticate with the ingest key, not a user"),
    _c("api-schema", "GET", "/api/schema/", 200, 200, 200, 200),
    _c("api-docs", "GET", "/api/docs/", 200, 200, 200, 200),
    _c("rest_framework:login", "GET", "/api/v1/auth/login/", 200, 200, 200, 200),
    _c("rest_framework:logout", "POST", "/api/v1/auth/logout/", 302, 302, 302, 302),
    _c("company-list", "GET", "/api/v1/companies/", 401, 200, 200, 200),
    _c("company-list", "POST", "/api/v1/companies/", 401, 403, 403, 400, note="create"),
    _c("company-detail", "GET", "/api/v1/companies/{company_other}/", 401, 200, 200, 200),
    _c("company-detail", "PATCH", "/api/v1/companies/{company_other}/", 401, 403, 403, 200, data={"industry": "X"}),
    _c("workspace-list", "GET", "/api/v1/workspaces/", 401, 200, 200, 200),
    _c("workspace-detail", "GET", "/api/v1/workspaces/{workspace}/", 401, 200, 200, 200),
    _c("product-user-list", "GET", "/api/v1/users/", 401, 200, 200, 200),
    _c("product-user-detail", "GET", "/api/v1/users/{product_user}/", 401, 200, 200, 200),
    _c("usage-record-list", "GET", "/api/v1/usage/", 401, 200, 200, 200),
    _c("usage-record-detail", "GET", "/api/v1/usage/{usage}/", 401, 200, 200, 200),
    _c("consolidation-list", "GET", "/api/v1/consolidation/", 401, 200, 200, 200),
    _c("consolidation-detail", "GET", "/api/v1/consolidation/{company_own}/", 401, 404, 404, 404,
       note="not a consolidation candidate (one workspace)"),
    _c("review-workspace-list", "GET", "/api/v1/review/workspaces/", 401, 200, 200, 200),
    _c("review-workspace-detail", "GET", "/api/v1/review/workspaces/{workspace_review}/", 401, 200, 200, 200),
    _c("review-workspace-bulk", "POST", "/api/v1/review/workspaces/bulk/", 401, 403, 400, 400),
    _c("review-workspace-confirm", "POST", "/api/v1/review/workspaces/{workspace_review}/confirm/",
       401, 403, 200, 200),
    _c("review-workspace-reassign", "POST", "/api/v1/review/workspaces/{workspace_review}/reassign/",
       401, 403, 400, 400),
    _c("review-workspace-reject", "POST", "/api/v1/review/workspaces/{workspace_review}/reject/",
       401, 403, 200, 200),
    _c("review-user-list", "GET", "/api/v1/review/users/", 401, 200, 200, 200),
    _c("review-user-detail", "GET", "/api/v1/review/users/{product_user_review}/", 401, 200, 200, 200),
    _c("review-user-bulk", "POST", "/api/v1/review/users/bulk/", 401, 403, 400, 400),
    _c("review-user-confirm", "POST", "/api/v1/review/users/{product_user_review}/confirm/", 401, 403, 200, 200),
    _c("review-user-reassign", "POST", "/api/v1/review/users/{product_user_review}/reassign/", 401, 403, 400, 400),
    _c("review-user-reject", "POST", "/api/v1/review/users/{product_user_review}/reject/", 401, 403, 200, 200),
    _c("api-weekly-review", "GET", "/api/v1/weekly-review/", 401, 200, 200, 200),
    _c("api-weekly-review-account", "GET", "/api/v1/weekly-review/accounts/{company_own}/", 401, 200, 200, 200),
    _c("stakeholder-list", "GET", "/api/v1/stakeholders/", 401, 200, 200, 200),
    _c("stakeholder-detail", "GET", "/api/v1/stakeholders/{stakeholder_own}/", 401, 200, 200, 200),
    _c("stakeholder-detail", "PATCH", "/api/v1/stakeholders/{stakeholder_team}/", 401, 403, 200, 200,
       scope="team", data={"title": "VP"}),
    _c("interaction-list", "GET", "/api/v1/interactions/", 401, 200, 200, 200),
    _c("interaction-detail", "GET", "/api/v1/interactions/{interaction_own}/", 401, 200, 200, 200, scope="own"),
    _c("interaction-detail", "GET", "/api/v1/interactions/{interaction_other}/", 401, 200, 200, 200,
       scope="other", note="interactions show on the account page, which everyone reads"),
    _c("interaction-detail", "PATCH", "/api/v1/interactions/{interaction_team}/", 401, 403, 200, 200,
       scope="team", data={"summary": "Edited"}),
    _c("interaction-detail", "PATCH", "/api/v1/interactions/{interaction_other}/", 401, 403, 403, 200,
       scope="other", data={"summary": "Edited"}),
    _c("interaction-detail", "DELETE", "/api/v1/interactions/{interaction_team}/", 401, 403, 204, 204,
       scope="team"),
    _c("interaction-detail", "DELETE", "/api/v1/interactions/{interaction_other}/", 401, 403, 403, 204,
       scope="other"),
    _c("interaction-next-step", "POST", "/api/v1/interactions/{interaction_team}/next-step/", 401, 403, 200, 200,
       scope="team"),
    _c("interaction-next-step", "POST", "/api/v1/interactions/{interaction_other}/next-step/", 401, 403, 403, 200,
       scope="other"),
    _c("review-session-list", "GET", "/api/v1/review-sessions/", 401, 200, 200, 200),
    _c("review-session-detail", "GET", "/api/v1/review-sessions/{session_team}/", 401, 200, 200, 200,
       scope="team"),
    _c("review-session-detail", "GET", "/api/v1/review-sessions/{session_other}/", 401, 404, 404, 200,
       scope="other"),
    _c("review-session-close", "POST", "/api/v1/review-sessions/{session_other}/close/", 401, 404, 404, 200,
       scope="other"),
    _c("review-session-notes", "POST", "/api/v1/review-sessions/{session_other}/notes/", 401, 404, 404, 400,
       scope="other"),
    _c("action-item-list", "GET", "/api/v1/action-items/", 401, 200, 200, 200),
    _c("action-item-detail", "GET", "/api/v1/action-items/{action_team}/", 401, 200, 200, 200, scope="team"),
    _c("action-item-detail", "GET", "/api/v1/action-items/{action_other}/", 401, 404, 404, 200, scope="other"),
    _c("contract-list", "GET", "/api/v1/contracts/", 401, 200, 200, 200),
    _c("contract-detail", "GET", "/api/v1/contracts/{contract_own}/", 401, 200, 200, 200),
    _c("contract-burndown", "GET", "/api/v1/contracts/{contract_own}/burndown/", 401, 200, 200, 200),
    _c("opportunity-list", "GET", "/api/v1/opportunities/", 401, 200, 200, 200),
    _c("opportunity-detail", "GET", "/api/v1/opportunities/{opportunity_own}/", 401, 200, 200, 200),
    _c("forecasting-retention", "GET", "/api/v1/retention/", 401, 200, 200, 200),
    _c("forecast-totals", "GET", "/api/v1/forecast/", 401, 200, 200, 200),
    _c("forecast-accounts", "GET", "/api/v1/forecast/accounts/", 401, 200, 200, 200),
    _c("forecast-company", "GET", "/api/v1/forecast/companies/{company_own}/", 401, 200, 200, 200),
    _c("forecast-runs", "GET", "/api/v1/forecast/runs/", 401, 200, 200, 200),
    _c("forecast-run-detail", "GET", "/api/v1/forecast/runs/{forecast_run}/", 401, 200, 200, 200),
    _c("comp-opportunity-splits", "GET", "/api/v1/compensation/opportunities/{opportunity_own}/splits/",
       401, 200, 200, 200),
    _c("comp-plan-list", "GET", "/api/v1/compensation/plans/", 401, 200, 200, 200),
    _c("comp-plan-detail", "GET", "/api/v1/compensation/plans/{plan}/", 401, 200, 200, 200),
    _c("comp-assignment-list", "GET", "/api/v1/compensation/assignments/", 401, 200, 200, 200),
    _c("comp-assignment-detail", "GET", "/api/v1/compensation/assignments/{assignment_own}/", 401, 200, 200, 200,
       scope="own"),
    _c("comp-assignment-detail", "GET", "/api/v1/compensation/assignments/{assignment_other}/",
       401, 404, 404, 200, scope="other"),
    _c("comp-statement-list", "GET", "/api/v1/compensation/statements/", 401, 200, 200, 200),
    _c("comp-statement-detail", "GET", "/api/v1/compensation/statements/{statement_own}/", 401, 200, 200, 200,
       scope="own"),
    _c("comp-statement-detail", "GET", "/api/v1/compensation/statements/{statement_team}/", 401, 404, 200, 200,
       scope="team"),
    _c("comp-statement-detail", "GET", "/api/v1/compensation/statements/{statement_other}/", 401, 404, 404, 200,
       scope="other"),
    _c("comp-statement-calculate", "POST", "/api/v1/compensation/statements/calculate/", 401, 403, 403, 200,
       data={"period": "2026-Q3"}),
    _c("comp-statement-lock", "POST", "/api/v1/compensation/statements/lock/", 401, 403, 403, 201,
       data={"period": "2026-Q3"}),
    _c("playbook-list", "GET", "/api/v1/playbooks/", 401, 200, 200, 200),
    _c("playbook-detail", "GET", "/api/v1/playbooks/{playbook}/", 401, 200, 200, 200),
    _c("playbook-run", "POST", "/api/v1/playbooks/{playbook}/run/", 401, 403, 403, 202),
    _c("playbook-run-list", "GET", "/api/v1/playbook-runs/", 401, 200, 200, 200),
    _c("playbook-run-detail", "GET", "/api/v1/playbook-runs/{playbook_run}/", 401, 200, 200, 200),
    _c("play-list", "GET", "/api/v1/plays/", 401, 200, 200, 200),
    _c("play-detail", "GET", "/api/v1/plays/{play_own}/", 401, 200, 200, 200, scope="own"),
    _c("play-detail", "GET", "/api/v1/plays/{play_other}/", 401, 404, 404, 200, scope="other"),
    _c("play-status", "POST", "/api/v1/plays/{play_other}/status/", 401, 404, 404, 200, scope="other",
       data={"action": "start"}),
    _c("api-playbook-signal-preview", "POST", "/api/v1/playbooks/signal-preview/", 401, 200, 200, 200,
       data={"signal": {"match": "all", "conditions": [{"metric": "workspace_count", "operator": "gte",
                                                        "value": 1}]}}),
    _c("api-playbook-metrics", "GET", "/api/v1/playbooks/metrics/", 401, 200, 200, 200),
]

# Known deviations (a row's `bug`), reported and not yet fixed: the test marks their rows
# xfail(strict=True), so the fix turns them into failures to delete from here. None at present.
BUGS: dict[str, str] = {}

# The Django admin: staff only (RevOps admins are staff); everyone else is sent to the admin's
# login. Every registered ModelAdmin's changelist and add page is checked (generated in the test);
# the object pages (change, delete, history, a history revision) and the admin's own views follow the same rule.
ADMIN: list[Case] = [
    _c("admin:index", "GET", "/admin/", L, L, L, 200),
    _c("admin:login", "GET", "/admin/login/", 200, 200, 200, 302, note="non-staff see the login form"),
    _c("admin:logout", "POST", "/admin/logout/", 302, 302, 302, 302),
    _c("admin:password_change", "GET", "/admin/password_change/", L, L, L, 200),
    _c("admin:password_change_done", "GET", "/admin/password_change/done/", L, L, L, 200),
    _c("admin:autocomplete", "GET", "/admin/autocomplete/", L, L, L, 403,
       note="needs app_label/model_name/field_name"),
    _c("admin:jsi18n", "GET", "/admin/jsi18n/", L, L, L, 200),
    _c("admin:view_on_site", "GET", "/admin/r/1/1/", L, L, L, 404, note="no such content type"),
    _c("admin:app_list", "GET", "/admin/accounts/", L, L, L, 200),
    _c("admin:<path:object_id>/", "GET", "/admin/accounts/company/{company_own}/", L, L, L, 302,
       note="old-style object URL: redirects to the change page"),
    _c("admin:(?P<url>.*)$", "GET", "/admin/no-such-page/", L, L, L, 404, note="catch-all"),
    _c("admin:auth_user_password_change", "GET", "/admin/auth/user/{admin_user}/password/", L, L, L, 403,
       note="user accounts are the superuser's"),
    _c("admin:accounts_resolutionrun_run_full", "POST", "/admin/accounts/resolutionrun/run-full/", L, L, L, 302),
    _c("admin:playbooks_signal_preview", "GET", "/admin/playbooks/playbook/signal-preview/", L, L, L, 405,
       note="POST only"),
    _c("admin:playbooks_playbook_run", "POST", "/admin/playbooks/playbook/{playbook}/run/", L, L, L, 302),
]
# The RevOps admin's answer where a ModelAdmin's changelist or add page is not simply 200: rows that
# only the product writes (no add page), user accounts (the superuser's), the singleton settings.
ADMIN_MODEL_STATUS = {
    "admin:accounts_importjob_add": 403,
    "admin:accounts_resolutionrun_add": 403,
    "admin:accounts_resolutionsettings_changelist": 302,
    "admin:accounts_resolutionsettings_add": 403,
    "admin:auth_group_changelist": 403,
    "admin:auth_group_add": 403,
    "admin:auth_user_changelist": 403,
    "admin:auth_user_add": 403,
    "admin:forecasting_dealcredit_add": 403,
    "admin:forecasting_forecastrun_add": 403,
    "admin:forecasting_forecastsnapshot_add": 403,
    "admin:forecasting_plancomponent_add": 403,
    "admin:forecasting_statement_add": 403,
    "admin:playbooks_playbookrun_add": 403,
    "admin:stakeholders_interactionparticipant_add": 403,
    "admin:stakeholders_weeklydigest_add": 403,
}
# Admin URL names covered by the admin-site rule (staff only) rather than a row each.
ADMIN_OBJECT_SUFFIXES = ("_change", "_delete", "_simple_history", "_history")

ALL = PAGES + API + ADMIN


def render_markdown(admin_models: list[tuple[str, str]] | None = None) -> str:
    """docs/permissions.md from the matrix (``admin_models``: (name, url) of each ModelAdmin changelist)."""

    def cell(value) -> str:
        return "→ login" if value == LOGIN else str(value)

    def table(cases: list[Case]) -> list[str]:
        lines = ["| URL name | method | path | scope | " + " | ".join(ROLE_TITLES[r] for r in ROLES) + " |",
                 "|---|---|---|---|" + "---|" * len(ROLES)]
        for case in cases:
            note = f" — {case.note}" if case.note else ""
            note += f" — **known bug**: {BUGS[case.bug]}" if case.bug else ""
            lines.append(f"| `{case.name}` | {case.method} | `{case.path}`{note} | {case.scope} | "
                         + " | ".join(cell(v) for v in case.expect) + " |")
        return lines

    out = [
        "# Permission matrix",
        "",
        "Generated from `tests/revops/permission_data.py` — do not edit by hand; run",
        "`.venv/bin/python -m tests.revops.permission_data` (or the test with `PERMISSION_MATRIX_WRITE=1`).",
        "`tests/revops/test_permission_matrix.py` requests every row as every role against a seeded",
        "dataset (two teams, a manager each, reps, accounts, stakeholders, interactions, contracts,",
        "opportunities, plays, review sessions, compensation statements) and fails when a URL pattern of",
        "`django.urls.get_resolver()` is not in this table.",
        "",
        "Roles: **rep** = a rep of team East; **manager** = East's manager; **RevOps admin** = staff and the",
        "RevOps admin group. Scope of an object URL: **own** = the rep's own object, **team** = a teammate's",
        "(in the manager's team), **other** = team West's.",
        "",
        "Rules:",
        "- Pages need a login (302 to `/login/`); the API answers 401 without credentials; the admin is",
        "  for staff (others go to the admin's login).",
        "- Reps change only their own interactions, plays and stakeholders and see only their own",
        "  compensation; managers their team's; RevOps admins everything.",
        "- An object outside the user's scope (another team's statement, play, review session or action",
        "  item) is **404**, never 403, so ids cannot be probed; an object the user may read but not",
        "  change is 403 — 404 only for what the user cannot see.",
        "- Accounts, contracts, opportunities and the stakeholders and interactions on them are shared",
        "  reference data: everyone signed in reads them (the account page shows every contact logged on",
        "  the account), so changing another team's is 403; writes follow the rules above.",
        "",
        "Status of a POST for allowed roles is what the action answers: 302 after success (or after a",
        "refused business rule, shown as a message), 200 with a form's errors, 400 for invalid API input.",
        "",
        "## Pages and actions",
        "",
        *table(PAGES),
        "",
        "## API (`/api/v1/`)",
        "",
        "Format-suffix variants (`.json`) of every route follow their route's row.",
        "",
        *table(API),
        "",
        "## Admin (`/admin/`)",
        "",
        *table(ADMIN),
    ]
    if admin_models:
        out += ["", "Every ModelAdmin's changelist and add page (object pages `…/<id>/change/`, `delete/`,",
                "`history/`, `history/<id>/` follow the same rule): anonymous, rep and manager → admin login;",
                "RevOps admin as listed.",
                "", "| model | changelist | RevOps admin: changelist | RevOps admin: add |", "|---|---|---|---|"]
        for name, url in admin_models:
            app, model = name.split(".")
            changelist = ADMIN_MODEL_STATUS.get(f"admin:{app}_{model}_changelist", 200)
            add = ADMIN_MODEL_STATUS.get(f"admin:{app}_{model}_add", 200)
            out.append(f"| {name} | `{url}` | {changelist} | {add} |")
    return "\n".join(out) + "\n"


def admin_changelists() -> list[tuple[str, str, str]]:
    """(label, changelist url name, add url name) of every registered ModelAdmin."""
    from django.contrib import admin

    rows = []
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        rows.append((f"{meta.app_label}.{meta.model_name}", f"admin:{meta.app_label}_{meta.model_name}_changelist",
                     f"admin:{meta.app_label}_{meta.model_name}_add"))
    return sorted(rows)


DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"


def write_doc() -> Path:
    from django.urls import reverse

    models = [(label, reverse(changelist)) for label, changelist, _ in admin_changelists()]
    DOC_PATH.write_text(render_markdown(models))
    return DOC_PATH


if __name__ == "__main__":
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "revops.settings.test")
    django.setup()
    print(f"wrote {write_doc()}")
