"""Shared fixtures: the small county with its personas (see shanzhi.lib.testing)."""

from __future__ import annotations

import pytest

from shanzhi.lib.testing import County, build_county


@pytest.fixture(autouse=True)
def _fast_and_quiet(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.SHANZHI = {**settings.SHANZHI, "SMS_BACKEND": "shanzhi.accounts.sms.MemoryBackend",
                        "SMS_OUTBOX": tmp_path / "sms.log"}
    from shanzhi.accounts.sms import MemoryBackend
    from shanzhi.org import locate

    MemoryBackend.outbox.clear()
    locate.invalidate()
    from django.core.cache import caches

    caches["throttle"].clear()  # per-address rate counters start afresh in every test
    yield
    locate.invalidate()
    from django.utils import translation

    translation.deactivate()


@pytest.fixture
def county(db) -> County:
    return build_county()
