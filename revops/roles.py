"""The three roles of the product, as Django groups created by a data migration."""
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

REP = "Rep"
MANAGER = "Manager"
REVOPS_ADMIN = "RevOps admin"
ALL_ROLES = (REP, MANAGER, REVOPS_ADMIN)


def _group_names(user) -> set[str]:
    # Cached on the user object: templates and permission checks ask several times a request.
    cached = getattr(user, "_revops_group_names", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True)) if user.is_authenticated else set()
        user._revops_group_names = cached
    return cached


def is_revops_admin(user: AbstractBaseUser | AnonymousUser) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or REVOPS_ADMIN in _group_names(user)))


def is_manager(user) -> bool:
    return bool(user.is_authenticated and MANAGER in _group_names(user))


def is_rep(user) -> bool:
    return bool(user.is_authenticated and REP in _group_names(user))


def managed_team_ids(user) -> set[int]:
    """Ids of the teams ``user`` manages (Team.manager), cached on the user object for the request."""
    cached = getattr(user, "_revops_managed_team_ids", None)
    if cached is None:
        from accounts.models import Team

        cached = set(Team.objects.filter(manager=user).values_list("id", flat=True)) if user.is_authenticated else set()
        user._revops_managed_team_ids = cached
    return cached


def managed_user_ids(user) -> frozenset[int]:
    """Ids of the users on the teams ``user`` manages (their profiles' team), cached on the user object
    for the request: a list checks every row's author against it without a query per row."""
    cached = getattr(user, "_revops_managed_user_ids", None)
    if cached is None:
        from accounts.models import Profile

        teams = managed_team_ids(user)
        cached = frozenset(Profile.objects.filter(team_id__in=teams).values_list("user_id", flat=True)) \
            if teams else frozenset()
        user._revops_managed_user_ids = cached
    return cached


def role_label(user) -> str:
    if is_revops_admin(user):
        return REVOPS_ADMIN
    if is_manager(user):
        return MANAGER
    if is_rep(user):
        return REP
    return ""


# Apps whose data RevOps admins configure and correct in the Django admin.
ADMIN_APPS = ("accounts", "playbooks", "stakeholders", "forecasting", "authtoken")


def grant_admin_permissions(sender=None, using: str = "default", **kwargs) -> None:
    """Give the RevOps admin group every permission of the product's apps (idempotent)."""
    from django.contrib.auth.models import Group, Permission

    group = Group.objects.using(using).filter(name=REVOPS_ADMIN).first()
    if group is None:  # before the roles migration ran
        return
    missing = Permission.objects.using(using).filter(content_type__app_label__in=ADMIN_APPS).exclude(group=group)
    group.permissions.add(*missing)
