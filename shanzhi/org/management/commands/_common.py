"""Helpers shared by the org commands."""

from __future__ import annotations

from django.core.management.base import CommandError


def actor_from(username: str | None):
    """The staff user a command acts as (None: the operator, no scope check)."""
    if not username:
        return None
    from shanzhi.accounts.models import User

    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"用户“{username}”不存在或已停用")
    return user
