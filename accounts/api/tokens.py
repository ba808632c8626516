"""POST/DELETE /api/v1/auth/token/: a logged-in user obtains, rotates or revokes their API token."""
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import ApiTokenSerializer, ApiTokenStatusSerializer
from accounts.services.api_tokens import api_token_revoke, api_token_rotate
from revops.throttling import ApiTokenCreationThrottle


class ApiTokenApi(APIView):
    """Any logged-in user (every role) manages their own token; nobody else's."""

    permission_classes = [IsAuthenticated]

    def get_throttles(self):
        throttles = super().get_throttles()
        if self.request.method == "POST":
            # Creating tokens is limited on top of the general API rate (shared with the API access page).
            throttles.append(ApiTokenCreationThrottle())
        return throttles

    @extend_schema(
        summary="Whether you have an API token",
        description="Never returns the key itself: rotate to get a new one.",
        responses={200: ApiTokenStatusSerializer},
    )
    def get(self, request):
        token = Token.objects.filter(user=request.user).only("created").first()
        data = {"has_token": token is not None, "created": token.created if token else None}
        return Response(ApiTokenStatusSerializer(data).data)

    @extend_schema(
        summary="Obtain or rotate your API token",
        description="Creates a new token and invalidates the previous one. "
        "Send it as `Authorization: Token <token>`.",
        request=None,
        responses={201: ApiTokenSerializer, 429: None},
    )
    def post(self, request):
        token = api_token_rotate(user=request.user)
        return Response(ApiTokenSerializer({"token": token.key, "created": token.created}).data, status=201)

    @extend_schema(
        summary="Revoke your API token",
        description="The token stops working at once. Idempotent: 204 whether or not you had one.",
        request=None,
        responses={204: None},
    )
    def delete(self, request):
        api_token_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
