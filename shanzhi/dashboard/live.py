"""Live reads of the command centre (not indicators: what stands now): the case feed, overdue and supervised
open cases by child unit, the mediation centres' queues, active campaigns and 人网比 by village.

The caller has already opened the unit through the gate (org.selectors.orgunit_get_for with
dashboard.view) and checks each section's own view action with scopes.may; everything here is limited to
the unit's subtree. Each function costs a fixed number of queries whatever the number of rows or children.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

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


def _open_cases():
    """Open cases: each query below is one range of the (status, deadline) index, so SQLite never scans the
    closed history (a plain status IN or an OR with supervision made it read every case)."""
    from shanzhi.cases.models import OPEN_STATUSES, Case

    return Case.objects.filter(status__in=OPEN_STATUSES).order_by()  # no ordering: it would pick the walk index


def pressing(unit: OrgUnit, children: list[OrgUnit], now: dt.datetime) -> tuple[Pressing, list[Pressing]]:
    """Open cases past their deadline and open cases under supervision, for the unit and each child,
    counted as the staff case list filters by unit: placed or handled in the subtree.

    A child's count is the cases placed in it plus those handled in it but placed elsewhere, so no case is
    counted twice for one child. The open pressing cases are read first through the (status, deadline)
    index — a county's backlog, not its history — and their units' paths second, then counted here: a
    join of the case table with the unit tree let SQLite walk every case of the county (3 s at a million).
    Cost: three queries."""
    fields = ("unit_id", "handling_unit_id", "deadline_at", "supervision")
    where = _in_subtree(unit, "unit") | _in_subtree(unit, "handling_unit")
    # Plain rows, not GROUP BY: grouping made SQLite walk the unit index over every case.
    rows = [*_open_cases().filter(where, deadline_at__lt=now).values_list(*fields),
            *_open_cases().filter(where).filter(Q(deadline_at__gte=now) | Q(deadline_at__isnull=True))
            .exclude(supervision="").values_list(*fields)]
    unit_ids = {r[0] for r in rows} | {r[1] for r in rows}
    paths = dict(OrgUnit.objects.filter(id__in=unit_ids).values_list("id", "path")) if unit_ids else {}
    total = Pressing(unit)
    by_path = {c.path: Pressing(c) for c in children}
    lengths = sorted({len(p) for p in by_path})
    for placed_id, handling_id, deadline, supervision in rows:
        late, watched = deadline is not None and deadline < now, supervision != ""
        total.overdue += late
        total.supervised += watched
        placed, handling = paths.get(placed_id, ""), paths.get(handling_id, "")
        for n in lengths:
            for key in {placed[:n], handling[:n]}:  # placed and handled in one child counts once
                child = by_path.get(key)
                if child is not None:
                    child.overdue += late
                    child.supervised += watched
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
    # sessions booked in the centres' rooms (the shared rooms at each centre's unit)
    today = dict(Session.objects.filter(booking__room__unit_id__in=[c.unit_id for c in centres],
                                        booking__cancelled=False, booking__starts_at__gte=day_start,
                                        booking__starts_at__lt=day_end).values("booking__room__unit_id")
                 .annotate(n=Count("id")).order_by().values_list("booking__room__unit_id", "n")) if ids else {}
    for c in centres:
        c.open_disputes = open_.get(c.id, 0)
        c.sessions_today = today.get(c.unit_id, 0)
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
