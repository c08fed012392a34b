"""Per-client-address rate limits (DRF throttling) for one-time-code requests and Open311 POSTs.

Rates live in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] ("otp", "open311_post"; env SHANZHI_OTP_RATE,
SHANZHI_OPEN311_POST_RATE). Counts are kept in the "throttle" cache, a file cache in the data dir, so
every server worker process shares them. The address is `login_limits.client_address`, the same one
the log-in limits use.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest
from rest_framework.throttling import SimpleRateThrottle

from shanzhi.accounts.login_limits import client_address


class AddressRateThrottle(SimpleRateThrottle):
    """A DRF rate throttle keyed by scope and client address; usable from plain Django views too."""

    def __init__(self, scope: str) -> None:
        self.scope = scope
        super().__init__()

    @property
    def cache(self):  # resolved per use so tests and settings overrides see the configured cache
        return caches["throttle"]

    def get_rate(self) -> str | None:
        return settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}).get(self.scope)

    def get_cache_key(self, request, view) -> str | None:
        ident = client_address(request)
        return self.cache_format % {"scope": self.scope, "ident": ident} if ident else None


def throttle_wait(request: HttpRequest, scope: str) -> int | None:
    """Count this request against `scope` for its address; None when allowed, else seconds to wait."""
    throttle = AddressRateThrottle(scope)
    if throttle.allow_request(request, None):
        return None
    wait = throttle.wait()
    return max(1, int(wait or 1))
