"""Who may change what: a rep logs interactions on any account but edits or deletes only their own;
a manager edits their team's; RevOps admins everything. The same rule covers stakeholders, by who
owns the account (the account owner, their manager, admins) plus whoever created the stakeholder.

Reading is wider than changing: every signed-in user reads every interaction and stakeholder, as on
the account page (reps log contacts on any account and see its contact history). So the pages and
the API answer 403 for a change to one that is not the user's, never 404: 404 is only for what the
user cannot see."""
from django.contrib.auth.models import AbstractBaseUser

from accounts.models import Company
from revops.roles import is_manager, is_revops_admin, managed_user_ids
from stakeholders.models import Interaction, Stakeholder


def _in_managed_team(user, other_user_id: int | None) -> bool:
    if other_user_id is None:
        return False
    return is_manager(user) and other_user_id in managed_user_ids(user)


def can_change_interaction(user: AbstractBaseUser, interaction: Interaction) -> bool:
    if not user.is_authenticated:
        return False
    if is_revops_admin(user) or interaction.logged_by_id == user.pk:
        return True
    return _in_managed_team(user, interaction.logged_by_id)


def can_change_stakeholder(user: AbstractBaseUser, stakeholder: Stakeholder) -> bool:
    if not user.is_authenticated:
        return False
    if is_revops_admin(user) or stakeholder.created_by_id == user.pk:
        return True
    return can_manage_company(user, stakeholder.company)


def can_manage_company(user: AbstractBaseUser, company: Company) -> bool:
    """Owner of the account, the owner's manager, or an admin."""
    if not user.is_authenticated:
        return False
    if is_revops_admin(user) or company.owner_id == user.pk:
        return True
    return _in_managed_team(user, company.owner_id)
