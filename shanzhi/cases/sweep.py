"""The deadline sweep: warn at 80% of the limit, escalate one level when overdue. Idempotent.

Runs inside `shanzhi serve` (a background thread) and as `shanzhi sweep` for cron or workers.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from django.db import transaction

from shanzhi.cases import notify
from shanzhi.cases.models import OPEN_STATUSES, Case, HandlingLevel, Status
from shanzhi.cases.services import escalate
from shanzhi.lib import clock

log = logging.getLogger(__name__)
SWEEPABLE = [s for s in OPEN_STATUSES if s not in (Status.HANDLED, Status.VERIFIED)]


def sweep(now: dt.datetime | None = None) -> dict[str, int]:
    """Warn cases past their warning time once; escalate overdue ones one level, once per level."""
    now = now or clock.now()
    warned = escalated = 0
    to_warn = Case.objects.filter(status__in=SWEEPABLE, warn_at__lte=now, deadline_at__gt=now).exclude(
        warned_for=models_F("deadline_at"))
    for case_id in list(to_warn.values_list("id", flat=True)[:5000]):
        with transaction.atomic():
            case = Case.objects.select_for_update().select_related("category").get(pk=case_id)
            if case.warned_for == case.deadline_at:
                continue
            case.warned_for = case.deadline_at
            case.save(update_fields=["warned_for"])
            notify.overdue_warning(case, now=now)
            warned += 1
    overdue = (Case.objects.filter(status__in=SWEEPABLE, deadline_at__lte=now)
               .exclude(handling_level=HandlingLevel.COUNTY))
    for case_id in list(overdue.values_list("id", flat=True)[:5000]):
        with transaction.atomic():
            case = Case.objects.select_for_update().select_related("category", "handling_unit").get(pk=case_id)
            if case.overdue_escalated_level and case.overdue_escalated_level == case.handling_level:
                continue  # already escalated to this level for being late
            if case.status not in SWEEPABLE or case.handling_level == HandlingLevel.COUNTY:
                continue
            escalate(case, actor=None, note="超期自动上报", now=now, automatic=True)
            escalated += 1
    return {"warned": warned, "escalated": escalated}


def models_F(name: str):
    from django.db.models import F

    return F(name)


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
