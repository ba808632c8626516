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

__all__ = [
    "can_change_interaction", "can_change_stakeholder", "can_manage_company", "interaction_delete",
    "interaction_log", "interaction_update", "last_contact_refresh", "next_step_complete",
    "product_user_suggest", "stakeholder_create", "stakeholder_delete", "stakeholder_update",
]
