"""Pages of the stakeholders area: the account page's stakeholder panel and its dialogs
(accounts), the weekly review (review) and review sessions (sessions)."""
