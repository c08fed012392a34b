"""Auth backends: django-axes' failure limits first, then the staff password check.

Every staff password check (log-in page, Django admin, API token) goes through
`django.contrib.auth.authenticate`, so the limits in `login_limits` apply to all of them.
"""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.hashers import make_password

from shanzhi.accounts.models import User, UserKind


class LoginLimitBackend(AxesStandaloneBackend):
    """Refuse an (account, address) pair or an address past its limit, after the same hashing work."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        try:
            return super().authenticate(request, username=username, password=password, **kwargs)
        except AxesBackendPermissionDenied:
            make_password(password or "")  # spend the time a real check takes: refusals must not stand out
            raise


class StaffPasswordBackend(ModelBackend):
    """Staff accounts by username and password; residents never log in with a password."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        user = User.objects.filter(username=username, kind=UserKind.STAFF).first()
        if user is None:
            make_password(password)  # spend the same time as a real check
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
