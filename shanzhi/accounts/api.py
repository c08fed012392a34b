"""API access: who may call the API at all, the error shape in the schema, and staff tokens.

A token is issued only to a staff account that holds a current post (or is a superuser), through
`staff_authenticate` with the request, so the failed log-in limits (per account and client address,
and per address) apply to the API as to the login page. Tokens expire (`accounts.tokens`).
Resident accounts never get a token and are refused on every staff endpoint.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from shanzhi.accounts import scopes
from shanzhi.accounts.services import staff_authenticate, token_issue, token_revoke
from shanzhi.lib.errors import PermissionDenied


class StaffOnly(permissions.BasePermission):
    """Let in signed-in users who hold a current staff post (or superusers); residents get 403."""

    message = gettext_lazy("仅限在岗工作人员使用接口")

    def has_permission(self, request: Request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return scopes.is_staff_user(user)


STAFF_API = [permissions.IsAuthenticated, StaffOnly]


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="machine-readable code: invalid, not_found, permission_denied, ...")
    message = serializers.CharField(help_text="readable message (Chinese by default)")
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()),
                                   help_text="errors per input field")


class ErrorSerializer(serializers.Serializer):
    error = ErrorBodySerializer()


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """Schema entries for the error statuses an endpoint may answer with."""
    text = {400: "bad input", 401: "not signed in", 403: "not allowed", 404: "not found or out of scope",
            429: "too many in a short time"}
    return {c: OpenApiResponse(ErrorSerializer, description=text.get(c, "")) for c in codes}


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})


TokenResponseSerializer = inline_serializer("TokenResponse", {"token": serializers.CharField()})


@extend_schema(tags=["auth"])
class TokenView(APIView):
    """POST exchanges a staff username and password for a token; DELETE revokes the caller's token."""

    def get_permissions(self):
        if getattr(self, "request", None) is not None and self.request.method == "POST":
            return [permissions.AllowAny()]
        return [p() for p in STAFF_API]

    def perform_authentication(self, request: Request) -> None:
        # Logging in needs no prior identity (and must not trip over a browser session's CSRF check).
        if request.method != "POST":
            super().perform_authentication(request)

    @extend_schema(
        auth=[],
        request=TokenRequestSerializer,
        responses={200: TokenResponseSerializer, **error_responses(400, 403)},
    )
    def post(self, request: Request) -> Response:
        """Exchange a staff username and password for an API token (a fresh one when the old has expired)."""
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = staff_authenticate(username=data.validated_data["username"],
                                  password=data.validated_data["password"], request=request._request)
        if not scopes.is_staff_user(user):
            raise PermissionDenied(_("该账号没有在任岗位，不能使用接口"))
        token = token_issue(actor=user, user=user)
        response = Response({"token": token.key})
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(request=None, responses={204: None, **error_responses(401, 403)})
    def delete(self, request: Request) -> Response:
        """Revoke the caller's API token."""
        token_revoke(actor=request.user, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
