"""API tokens that expire: DRF's TokenAuthentication, refusing tokens older than SHANZHI["TOKEN_TTL_DAYS"].

A token's age counts from its creation (`Token.created`); `POST /api/v1/auth/token/` with the
password replaces an expired token with a fresh one.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from shanzhi.lib import clock


def token_expired(token) -> bool:
    """Is this token older than the configured lifetime?"""
    days = settings.SHANZHI["TOKEN_TTL_DAYS"]
    return token.created <= clock.now() - dt.timedelta(days=days)


class ExpiringTokenAuthentication(TokenAuthentication):
    """Token authentication whose tokens stop working after SHANZHI["TOKEN_TTL_DAYS"] days (401)."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token_expired(token):
            raise exceptions.AuthenticationFailed(
                _("接口令牌已过期，请用 POST /api/v1/auth/token/ 重新获取"), code="token_expired")
        return user, token
