"""Campaign background work, idempotent: missed check-in alerts (responsible person, then grid worker)
and release at the end date."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from shanzhi.campaigns.models import Campaign, CampaignStatus, CheckIn, Kind, Target
from shanzhi.cases.models import Notification
from shanzhi.lib import clock
from shanzhi.org.models import Post, Role
from shanzhi.people.models import Resident, ResidentStatus

REMIND_RESPONSIBLE_AT = dt.time(10, 0)
ALERT_GRID_WORKER_AT = dt.time(14, 0)


def sweep(now: dt.datetime | None = None) -> dict[str, int]:
    """Alert missed check-ins of today and release households whose measure has ended."""
    now = now or clock.now()
    local = timezone.localtime(now)
    today = local.date()
    reminded = alerted = released = 0
    active = Campaign.objects.filter(kind=Kind.EMERGENCY, status=CampaignStatus.ACTIVE)
    with transaction.atomic():
        released = Target.objects.filter(campaign__in=active, released_at__isnull=True, measure_end__lt=today) \
            .exclude(measure="").update(released_at=now)
    if local.time() < REMIND_RESPONSIBLE_AT:
        return {"checkins_reminded": 0, "checkins_alerted": 0, "released": released}
    under = Target.objects.filter(campaign__in=active, released_at__isnull=True, measure_start__lte=today,
                                  measure_end__gte=today, in_place_at__isnull=False).exclude(measure="")
    targets = {t.household_id: t for t in under.select_related("unit")}
    if not targets:
        return {"checkins_reminded": 0, "checkins_alerted": 0, "released": released}
    people = list(Resident.objects.filter(household_id__in=targets, status=ResidentStatus.ACTIVE)
                  .values_list("id", "household_id", "name"))
    done = set(CheckIn.objects.filter(day=today, target__in=targets.values()).values_list("resident_id", flat=True))
    missing = [(rid, hid, name) for rid, hid, name in people if rid not in done]
    grid_workers: dict[str, list[int]] = {}
    rows = []
    for rid, hid, name in missing:
        t = targets[hid]
        text = f"{name}今日尚未健康打卡（{t.campaign_id}号任务）"
        if t.user_id:
            rows.append(Notification(user_id=t.user_id, kind="checkin_missed", text=text, created_at=now,
                                     dedupe_key=f"ci:{t.campaign_id}:{rid}:{today}:1"))
            reminded += 1
        if local.time() >= ALERT_GRID_WORKER_AT:
            grid_path = "/".join(t.unit.path.split("/")[:4]) + "/"
            if grid_path not in grid_workers:
                grid_workers[grid_path] = list(Post.objects.filter(
                    Post.current_q(), role=Role.GRID_WORKER, unit__path=grid_path, user__isnull=False)
                    .values_list("user_id", flat=True))
            for uid in grid_workers[grid_path]:
                rows.append(Notification(user_id=uid, kind="checkin_missed", text=text, created_at=now,
                                         dedupe_key=f"ci:{t.campaign_id}:{rid}:{today}:2"))
                alerted += 1
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return {"checkins_reminded": reminded, "checkins_alerted": alerted, "released": released}
