"""Shared by the people commands: who the command acts as."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

REFUSED = 2  # exit code: the request was refused as a whole (bad file, unknown user, no permission)


def actor_for(username: str | None):
    """The user named by --as, or None (the operator, whole county) when not given."""
    if not username:
        return None
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"用户“{username}”不存在", returncode=REFUSED)
    return user
