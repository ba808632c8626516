"""Writes of the stakeholders area. Modules: core (stakeholders, interactions, last contact),
permissions (who may change what); the review sessions, imports, digest and demo data live beside them."""
from .core import (
    interaction_delete,
    interaction_log,
    interaction_update,
    last_contact_refresh,
    next_step_complete,
    product_user_suggest,
    stakeholder_create,
    stakeholder_delete,
    stakeholder_update,
)
from .permissions import can_change_interaction, can_change_stakeholder, can_manage_company
from .sessions import (
    action_item_create,
    action_item_delete,
    action_item_update,
    can_run_review,
    review_note_save,
    review_session_close,
    review_session_start,
    review_session_update,
)

__all__ = [
    "action_item_create", "action_item_delete", "action_item_update", "can_run_review", "review_note_save",
    "review_session_close", "review_session_start", "review_session_update",
    "can_change_interaction", "can_change_stakeholder", "can_manage_company", "interaction_delete",
    "interaction_log", "interaction_update", "last_contact_refresh", "next_step_complete",
    "product_user_suggest", "stakeholder_create", "stakeholder_delete", "stakeholder_update",
]
