"""The deadline sweep: warn at 80% of the limit, escalate one level when overdue. Idempotent.

Runs inside `shanzhi serve` (a background thread) and as `shanzhi sweep` for cron or workers.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from django.db.models import F

from shanzhi.cases.models import OPEN_STATUSES, Case, HandlingLevel, Status
from shanzhi.cases.services import case_escalate_overdue, case_warn_deadline
from shanzhi.cases.uploads import uploads_purge_expired
from shanzhi.lib import clock

log = logging.getLogger(__name__)
SWEEPABLE = [s for s in OPEN_STATUSES if s not in (Status.HANDLED, Status.VERIFIED)]


def sweep(now: dt.datetime | None = None) -> dict[str, int]:
    """Warn cases past their warning time once; escalate overdue ones one level, once per level; drop
    expired pending photo uploads.
    Every write goes through a service and is audited (actor None: the system)."""
    now = now or clock.now()
    warned = escalated = 0
    to_warn = Case.objects.filter(status__in=SWEEPABLE, warn_at__lte=now, deadline_at__gt=now).exclude(
        warned_for=F("deadline_at"))
    for case in list(to_warn.only("id")[:5000]):
        warned += case_warn_deadline(case=case, now=now)
    overdue = (Case.objects.filter(status__in=SWEEPABLE, deadline_at__lte=now)
               .exclude(handling_level=HandlingLevel.COUNTY))
    for case in list(overdue.only("id")[:5000]):
        escalated += case_escalate_overdue(case=case, now=now, statuses=SWEEPABLE)
    result = {"warned": warned, "escalated": escalated}
    expired = uploads_purge_expired(now=now)  # photos chosen for a form never sent
    if expired:
        result["uploads_expired"] = expired
    return result


class SweepThread(threading.Thread):
    """Run the sweep every `interval` seconds until stopped; errors are logged, never fatal."""

    def __init__(self, interval: float = 60.0) -> None:
        super().__init__(name="shanzhi-sweep", daemon=True)
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        from django.db import close_old_connections

        while not self.stopped.wait(self.interval):
            try:
                close_old_connections()
                result = sweep()
                if any(result.values()):
                    log.info("sweep: %s", result)
            except Exception:  # noqa: BLE001 - keep the server alive; the next run retries
                log.exception("deadline sweep failed")
