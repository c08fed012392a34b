"""Django auth backend for staff passwords, so the admin login uses the same lock-out."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from shanzhi.accounts.services import LoginError, staff_authenticate


class StaffPasswordBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        try:
            return staff_authenticate(username=username, password=password)
        except LoginError:
            return None
