"""API tokens of logins (rest_framework.authtoken): one per user, rotated or revoked by its owner."""
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from rest_framework.authtoken.models import Token


@transaction.atomic
def api_token_rotate(*, user: AbstractBaseUser) -> Token:
    """A new token for `user`; the previous one (if any) stops working at once."""
    # Lock the user so two simultaneous rotations run one after the other instead of colliding
    # on the one-token-per-user constraint.
    get_user_model().objects.select_for_update().only("pk").get(pk=user.pk)
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)


@transaction.atomic
def api_token_revoke(*, user: AbstractBaseUser) -> bool:
    """Delete the user's token. Returns whether there was one."""
    deleted, _ = Token.objects.filter(user=user).delete()
    return bool(deleted)
