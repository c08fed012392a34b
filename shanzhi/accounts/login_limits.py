"""Failed log-in limits on top of django-axes: per account *and* client address, plus per address.

django-axes records every failed password check (page, admin site and API token alike, since all go
through `django.contrib.auth.authenticate`). Its lock-out parameter is the pair (username, address),
so a stranger elsewhere cannot lock the county admin out. Axes has one failure limit for all its
parameters, so the second rule, "one address may not try many accounts", is this handler's: an
address with SHANZHI["LOGIN_IP_FAILURE_LIMIT"] failures over all usernames is refused too.

A refused attempt answers exactly like a wrong password (see `lockout_response`): the answer must not
tell an attacker which accounts exist or are locked.
"""

from __future__ import annotations

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_ip_address
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse


def client_address(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or the last entry of SHANZHI_CLIENT_IP_HEADER behind a proxy.

    The last entry is the one our own proxy appended; earlier entries are whatever the client sent.
    """
    header = settings.SHANZHI.get("CLIENT_IP_HEADER") or ""
    if header and not header.startswith("HTTP_") and header != "REMOTE_ADDR":
        header = f"HTTP_{header}"
    if header:
        raw = request.META.get(header, "")
        entries = [part.strip() for part in raw.split(",") if part.strip()]
        if entries:
            return entries[-1][:45]
    return request.META.get("REMOTE_ADDR") or None


def _address_failures(request: HttpRequest) -> int:
    """Failures from this request's address over every username within the cool-off period."""
    ip = getattr(request, "axes_ip_address", None) or get_client_ip_address(request)
    if not ip:
        return 0
    rows = AccessAttempt.objects.filter(ip_address=ip, attempt_time__gte=get_cool_off_threshold(request))
    return rows.aggregate(n=Sum("failures_since_start"))["n"] or 0


class LoginLimitHandler(AxesDatabaseHandler):
    """Axes' database handler with a second, larger limit per client address over all usernames."""

    def get_failures(self, request, credentials: dict | None = None) -> int:
        pair = super().get_failures(request, credentials)
        if _address_failures(request) >= settings.SHANZHI["LOGIN_IP_FAILURE_LIMIT"]:
            # Report the pair limit so axes' own comparison refuses this address for every account.
            return max(pair, settings.AXES_FAILURE_LIMIT)
        return pair


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None,
                     credentials: dict | None = None) -> HttpResponse:
    """Keep the view's own answer: a refused attempt already reads like a wrong password."""
    if original_response is not None:
        return original_response
    return HttpResponse(status=400)


def failures_for(username: str) -> int:
    """Failed attempts recorded for a username (all addresses) within the cool-off period."""
    rows = AccessAttempt.objects.filter(username=username)
    if settings.AXES_COOLOFF_TIME is not None:
        from django.utils import timezone

        rows = rows.filter(attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME)
    return rows.aggregate(n=Sum("failures_since_start"))["n"] or 0


def reset_username(username: str) -> int:
    """Forget every failed attempt recorded for a username, from any address; returns rows removed."""
    return AxesProxyHandler.reset_attempts(username=username)
