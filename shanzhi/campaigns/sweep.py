"""Campaign background work, idempotent: missed check-in alerts (responsible person, then grid worker)
and release at the end date."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from shanzhi.audit.services import audit_record
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
    released = targets_release_ended(now=now)
    reminded, alerted = checkin_alerts_send(now=now)
    return {"checkins_reminded": reminded, "checkins_alerted": alerted, "released": released}


def _active():
    return Campaign.objects.filter(kind=Kind.EMERGENCY, status=CampaignStatus.ACTIVE)


@transaction.atomic
def targets_release_ended(*, now: dt.datetime) -> int:
    """Release the households whose measure ended before today, one audit row per campaign (the system).
    Released households are left alone, so a re-run changes nothing."""
    today = timezone.localtime(now).date()
    due = (Target.objects.select_for_update().filter(campaign__in=_active(), released_at__isnull=True,
                                                     measure_end__lt=today).exclude(measure=""))
    by_campaign: dict[int, list[int]] = {}
    for pk, campaign_id in due.values_list("id", "campaign_id"):
        by_campaign.setdefault(campaign_id, []).append(pk)
    total = 0
    for campaign in Campaign.objects.filter(pk__in=by_campaign).select_related("unit"):
        ids = by_campaign[campaign.pk]
        total += Target.objects.filter(pk__in=ids).update(released_at=now)
        audit_record(actor=None, action="campaigns.release", obj=campaign, unit_path=campaign.unit.path,
                     after={"targets": len(ids), "day": today.isoformat()})
    return total


@transaction.atomic
def checkin_alerts_send(*, now: dt.datetime) -> tuple[int, int]:
    """Remind the responsible person (from 10:00) and then the grid workers (from 14:00) of today's missed
    check-ins; each notice once (its dedupe key), one audit row per campaign that sent any (the system)."""
    local = timezone.localtime(now)
    today = local.date()
    if local.time() < REMIND_RESPONSIBLE_AT:
        return 0, 0
    under = Target.objects.filter(campaign__in=_active(), released_at__isnull=True, measure_start__lte=today,
                                  measure_end__gte=today, in_place_at__isnull=False, checkin=True)
    targets = {t.household_id: t for t in under.select_related("unit", "campaign__unit")}
    if not targets:
        return 0, 0
    people = list(Resident.objects.filter(household_id__in=targets, status=ResidentStatus.ACTIVE)
                  .values_list("id", "household_id", "name"))
    done = set(CheckIn.objects.filter(day=today, target__in=targets.values()).values_list("resident_id", flat=True))
    grid_workers: dict[str, list[int]] = {}
    rows: list[tuple[Notification, Target, int]] = []
    for rid, hid, name in people:
        if rid in done:
            continue
        t = targets[hid]
        text = f"{name}今日尚未健康打卡（{t.campaign_id}号任务）"
        if t.user_id:
            rows.append((Notification(user_id=t.user_id, kind="checkin_missed", text=text, created_at=now,
                                      dedupe_key=f"ci:{t.campaign_id}:{rid}:{today}:1"), t, 1))
        if local.time() >= ALERT_GRID_WORKER_AT:
            grid = t.unit.parent_id
            if grid not in grid_workers:
                grid_workers[grid] = list(Post.objects.filter(
                    Post.current_q(), role=Role.GRID_WORKER, unit_id=grid, user__isnull=False)
                    .values_list("user_id", flat=True))
            for uid in grid_workers[grid]:
                rows.append((Notification(user_id=uid, kind="checkin_missed", text=text, created_at=now,
                                          dedupe_key=f"ci:{t.campaign_id}:{rid}:{today}:2"), t, 2))
    sent = set(Notification.objects.filter(dedupe_key__in={n.dedupe_key for n, _t, _s in rows})
               .values_list("user_id", "dedupe_key"))
    new = [(n, t, stage) for n, t, stage in rows if (n.user_id, n.dedupe_key) not in sent]
    Notification.objects.bulk_create([n for n, _t, _s in new], ignore_conflicts=True)
    counts: dict[int, list] = {}
    for _n, t, stage in new:
        c = counts.setdefault(t.campaign_id, [t.campaign, 0, 0])
        c[stage] += 1
    for campaign, reminded, alerted in counts.values():
        audit_record(actor=None, action="campaigns.checkin_alert", obj=campaign, unit_path=campaign.unit.path,
                     after={"reminded": reminded, "alerted": alerted, "day": today.isoformat()})
    return (sum(1 for _n, _t, stage in new if stage == 1), sum(1 for _n, _t, stage in new if stage == 2))
