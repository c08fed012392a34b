"""Reads for the Open311 adapter: who may manage keys, the keys themselves, and finding a client by key."""

from __future__ import annotations

import hashlib

from django.db.models import Count, QuerySet

from shanzhi.accounts import scopes
from shanzhi.cases.models import ApiKey
from shanzhi.cases.routing import county_root
from shanzhi.lib.errors import NotFound


def hash_key(plain: str) -> str:
    """SHA-256 (hex) of a key: keys are long random strings, so a plain hash is enough to find them."""
    return hashlib.sha256(plain.encode()).hexdigest()


def may_manage_keys(user) -> bool:
    """Keys are county-wide: only those with `open311.keys` on the county may issue or revoke them."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    root = county_root()
    return root is not None and scopes.covers_all(user, "open311.keys")


def apikey_list_for(*, user) -> QuerySet[ApiKey]:
    """All keys, newest first, with how many cases each client submitted (county admins only)."""
    if not may_manage_keys(user):
        raise NotFound("未找到")
    return (ApiKey.objects.select_related("created_by").annotate(case_count=Count("case"))
            .order_by("revoked_at", "-created_at", "-id"))


def apikey_authenticate(plain: str | None) -> ApiKey | None:
    """The live (not revoked) key matching `plain`, or None."""
    plain = (plain or "").strip()
    if not plain or len(plain) > 200:
        return None
    return ApiKey.objects.filter(key_hash=hash_key(plain), revoked_at__isnull=True).first()
