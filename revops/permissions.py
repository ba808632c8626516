from rest_framework.permissions import SAFE_METHODS, BasePermission

from revops.roles import is_revops_admin


class IsAuthenticatedReadAdminWrite(BasePermission):
    """Any logged-in user reads; only RevOps admins (and superusers) create or change."""

    message = "Only RevOps admins may change this data."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in SAFE_METHODS:
            return True
        return is_revops_admin(user)
