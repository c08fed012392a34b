"""The legal team's background work, idempotent: keep four weeks of consultation slots cut ahead of every
current adviser's schedule (run with the other sweeps by `shanzhi serve` / `shanzhi sweep`)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone

from shanzhi.legal import access
from shanzhi.legal import services as svc
from shanzhi.legal.models import Appointment, Duty
from shanzhi.lib import clock

TOP_UP_BELOW = dt.timedelta(weeks=3)


def sweep(now: dt.datetime | None = None) -> dict[str, int]:
    return {"legal_slots": slots_top_up(now=now or clock.now())}


def slots_top_up(*, now: dt.datetime) -> int:
    """Cut the next four weeks' slots for current appointments whose last slot is less than three weeks
    ahead (one query to find them; a re-run adds nothing). Returns how many slots were added."""
    live_duty = Duty.objects.filter(appointment=OuterRef("pk"), removed_at__isnull=True)
    due = (Appointment.objects.filter(access.current_q(timezone.localdate(now))).filter(Exists(live_duty))
           .annotate(last=Max("slots__starts_at")).filter(Q(last__isnull=True) | Q(last__lt=now + TOP_UP_BELOW)))
    return sum(svc.slots_generate(actor=None, appointment=a, now=now) for a in due)
