"""Live reads of the command centre (not indicators: what stands now): the case feed, overdue and supervised
open cases by child unit, the mediation centres' queues, active campaigns and 人网比 by village.

The caller has already opened the unit through the gate (org.selectors.orgunit_get_for with
dashboard.view) and checks each section's own view action with scopes.may; everything here is limited to
the unit's subtree. Each function costs a fixed number of queries whatever the number of rows or children.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Substr

from shanzhi.accounts import scopes
from shanzhi.org.models import Level, OrgUnit

FEED_SIZE = 20
MAX_CENTRES = 40
MAX_VILLAGES = 60


def subtree_ids(unit: OrgUnit) -> QuerySet:
    """The ids of the unit's subtree, as an indexed subquery."""
    return OrgUnit.objects.filter(scopes.subtree_q(unit)).values("id")


def _in_subtree(unit: OrgUnit, field: str) -> Q:
    if unit.parent_id is None:
        return Q()
    return Q(**{f"{field}_id__in": subtree_ids(unit)})


# ---- the feed ---------------------------------------------------------------------------------------

def feed(unit: OrgUnit, limit: int = FEED_SIZE) -> list:
    """The newest timeline events of cases placed in the unit's subtree, with their case, category and
    place (no free text, reporter or actor is read). Cost: one query."""
    from shanzhi.cases.models import Event

    return list(Event.objects.filter(_in_subtree(unit, "case__unit"))
                .select_related("case__category", "case__unit")
                .only("id", "at", "action", "to_status", "case__number", "case__status", "case__kind",
                      "case__category__name", "case__unit__name", "case__unit__code")
                .order_by("-at", "-id")[:limit])


# ---- overdue and supervised open cases ----------------------------------------------------------------

@dataclass
class Pressing:
    unit: OrgUnit
    overdue: int = 0
    supervised: int = 0


def _pressing_counts(now: dt.datetime) -> dict:
    return {
        "overdue": Count("id", filter=Q(deadline_at__lt=now)),
        "supervised": Count("id", filter=~Q(supervision="")),
    }


def _pressing_base(now: dt.datetime):
    from shanzhi.cases.models import OPEN_STATUSES, Case

    return Case.objects.filter(Q(deadline_at__lt=now) | ~Q(supervision=""), status__in=OPEN_STATUSES)


def pressing(unit: OrgUnit, children: list[OrgUnit], now: dt.datetime) -> tuple[Pressing, list[Pressing]]:
    """Open cases past their deadline and open cases under supervision, for the unit and each child,
    counted as the staff case list filters by unit: placed or handled in the subtree. Cost: three queries.

    A child's count is the cases placed in it plus those handled in it but placed elsewhere, so no case is
    counted twice for one child."""
    aggs = _pressing_counts(now)
    base = _pressing_base(now)
    total = Pressing(unit, **base.filter(_in_subtree(unit, "unit") | _in_subtree(unit, "handling_unit"))
                     .aggregate(**aggs))
    by_path = {c.path: Pressing(c) for c in children}
    for n in sorted({len(p) for p in by_path}):
        placed = (base.filter(_in_subtree(unit, "unit")).annotate(k=Substr("unit__path", 1, n))
                  .values("k").annotate(**aggs).order_by())
        handled = (base.filter(_in_subtree(unit, "handling_unit"))
                   .annotate(k=Substr("handling_unit__path", 1, n), placed_k=Substr("unit__path", 1, n))
                   .exclude(placed_k=F("k")).values("k").annotate(**aggs).order_by())
        for rows in (placed, handled):
            for r in rows:
                p = by_path.get(r["k"])
                if p is not None:
                    p.overdue += r["overdue"]
                    p.supervised += r["supervised"]
    return total, [by_path[c.path] for c in children]


# ---- mediation ------------------------------------------------------------------------------------------

def centre_queues(unit: OrgUnit, day_start: dt.datetime, day_end: dt.datetime, limit: int = MAX_CENTRES) -> list:
    """The active mediation centres of the subtree, busiest first, each with `open_disputes` and
    `sessions_today`. Cost: three queries."""
    from shanzhi.mediation.models import Centre, Dispute, Session

    centres = list(Centre.objects.filter(scopes.subtree_q(unit, "unit"), is_active=True)
                   .select_related("unit").only("id", "name", "unit__code", "unit__name", "unit__path"))
    ids = [c.id for c in centres]
    open_ = dict(Dispute.objects.filter(centre_id__in=ids, result="").values("centre_id")
                 .annotate(n=Count("id")).order_by().values_list("centre_id", "n")) if ids else {}
    today = dict(Session.objects.filter(room__centre_id__in=ids, cancelled=False, starts_at__gte=day_start,
                                        starts_at__lt=day_end).values("room__centre_id")
                 .annotate(n=Count("id")).order_by().values_list("room__centre_id", "n")) if ids else {}
    for c in centres:
        c.open_disputes = open_.get(c.id, 0)
        c.sessions_today = today.get(c.id, 0)
    centres.sort(key=lambda c: (-c.open_disputes, -c.sessions_today, c.unit.path))
    return centres[:limit]


# ---- campaigns and incidents ---------------------------------------------------------------------------

def active_campaigns(unit: OrgUnit) -> list:
    """Active campaigns reaching into the subtree, each with its households there (`total`, `reached`,
    `notified`, `in_place`, `share`). Cost: two queries."""
    from shanzhi.campaigns.models import Campaign, CampaignStatus, Target

    rows = (Target.objects.filter(_in_subtree(unit, "unit"), campaign__status=CampaignStatus.ACTIVE)
            .values("campaign_id")
            .annotate(total=Count("id"), reached=Count("id", filter=Q(reached_at__isnull=False)),
                      notified=Count("id", filter=Q(notified_at__isnull=False)),
                      in_place=Count("id", filter=Q(in_place_at__isnull=False)))
            .order_by())
    counts = {r["campaign_id"]: r for r in rows}
    campaigns = list(Campaign.objects.filter(pk__in=list(counts)).select_related("unit")
                     .order_by("-starts_at", "-id"))
    for c in campaigns:
        r = counts[c.pk]
        c.total, c.reached, c.notified, c.in_place = r["total"], r["reached"], r["notified"], r["in_place"]
        c.share = c.reached / c.total if c.total else None
    return campaigns


# ---- 人网比 by village ----------------------------------------------------------------------------------

def villages_by_ratio(unit: OrgUnit, limit: int = MAX_VILLAGES) -> tuple[list[OrgUnit], int]:
    """Villages of the subtree (the unit's own village when it lies below one), highest 人网比 first (those
    without a grid worker first of all), and how many there are. Cost: one query."""
    if unit.level in (Level.COUNTY, Level.TOWN, Level.VILLAGE):
        qs = OrgUnit.objects.filter(scopes.subtree_q(unit), level=Level.VILLAGE, is_active=True)
    else:
        qs = OrgUnit.objects.filter(code__in=unit.ancestor_codes, level=Level.VILLAGE)
    villages = list(qs.only("id", "code", "name", "path", "resident_count", "grid_worker_count"))
    villages.sort(key=lambda v: (v.grid_worker_count != 0,
                                 -(v.resident_count / v.grid_worker_count) if v.grid_worker_count else
                                 -v.resident_count, v.path))
    return villages[:limit], len(villages)
