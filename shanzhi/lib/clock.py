"""One clock for services, so tests can freeze time."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

from django.utils import timezone

_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    """Return the current aware datetime (or the frozen one in tests)."""
    return _frozen if _frozen is not None else timezone.now()


def today() -> dt.date:
    """Return today's date in the configured time zone (Asia/Shanghai by default)."""
    return timezone.localdate(now())


@contextmanager
def frozen(at: dt.datetime):
    """Freeze the clock at an aware datetime for the duration of the block."""
    global _frozen
    if timezone.is_naive(at):
        raise ValueError("frozen() needs an aware datetime")
    previous, _frozen = _frozen, at
    try:
        yield at
    finally:
        _frozen = previous
