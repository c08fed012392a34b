"""Reads of campaigns across permission lines, and progress rolled up the tree. Out of scope is NotFound."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr

from shanzhi.accounts import scopes
from shanzhi.campaigns.models import Campaign, Target
from shanzhi.lib.errors import NotFound
from shanzhi.org.models import OrgUnit


def campaign_list_for(*, user) -> QuerySet[Campaign]:
    """Campaigns whose unit is in the user's view scope, or where they are responsible for a household."""
    q = scopes.scope_q(user, "campaigns.view", "unit")
    # Staff of a grid see campaigns declared above them that reach into their grid.
    below = scopes.paths_for(user, "campaigns.view")
    if below and below != [""]:
        inner = Q(pk__in=[])
        for p in below:
            inner |= Q(targets__unit__path__startswith=p)
        ids = Campaign.objects.filter(inner).values("id")
        q |= Q(id__in=ids)
    rid = getattr(user, "resident_id", None)
    mine = Target.objects.filter(Q(user_id=user.pk) | (Q(resident_id=rid) if rid else Q(pk__in=[])))
    q |= Q(id__in=mine.values("campaign_id"))
    return Campaign.objects.filter(q).select_related("unit").order_by("-starts_at", "-id")


def campaign_get_for(*, user, pk) -> Campaign:
    try:
        return campaign_list_for(user=user).get(pk=int(pk))
    except (Campaign.DoesNotExist, ValueError, TypeError):
        raise NotFound("未找到该任务") from None


def targets_for(*, user, campaign: Campaign) -> QuerySet[Target]:
    """The households of a campaign the user may see: their scope's, or those they are responsible for."""
    rid = getattr(user, "resident_id", None)
    q = scopes.scope_q(user, "campaigns.view", "unit") | Q(user_id=user.pk)
    if rid:
        q |= Q(resident_id=rid)
    return Target.objects.filter(q, campaign=campaign)


def my_targets(*, user, campaign: Campaign) -> QuerySet[Target]:
    """A responsible person's walk list, in route order."""
    rid = getattr(user, "resident_id", None)
    q = Q(user_id=user.pk) | (Q(resident_id=rid) if rid else Q(pk__in=[]))
    return (Target.objects.filter(q, campaign=campaign)
            .select_related("household", "unit").order_by("route_order", "id"))


@dataclass
class Progress:
    unit: OrgUnit | None
    total: int = 0
    assigned: int = 0
    acknowledged: int = 0
    reached: int = 0
    notified: int = 0
    in_place: int = 0
    met_cadre: int = 0
    pending_with_reason: int = 0
    checked_in_today: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def share(self) -> float | None:
        return self.reached / self.total if self.total else None


AGG = dict(
    total=Count("id"),
    assigned=Count("id", filter=Q(assigned_at__isnull=False)),
    acknowledged=Count("id", filter=Q(acknowledged_at__isnull=False)),
    reached=Count("id", filter=Q(reached_at__isnull=False)),
    notified=Count("id", filter=Q(notified_at__isnull=False)),
    in_place=Count("id", filter=Q(in_place_at__isnull=False)),
    met_cadre=Count("id", filter=Q(met_cadre=True)),
    pending_with_reason=Count("id", filter=Q(reached_at__isnull=True) & ~Q(pending_reason="")),
)


def progress(*, campaign: Campaign, unit: OrgUnit, children: list[OrgUnit], targets: QuerySet[Target] | None = None
             ) -> tuple[Progress, list[Progress]]:
    """Totals for a unit and each child in two grouped queries (children grouped by path prefix)."""
    qs = (targets if targets is not None else Target.objects.filter(campaign=campaign)).filter(
        unit__path__startswith=unit.path)
    total = Progress(unit=unit, **qs.aggregate(**AGG))
    by_path = {c.path: Progress(unit=c) for c in children}
    for n in sorted({len(p) for p in by_path}):
        for row in qs.annotate(k=Substr("unit__path", 1, n)).values("k").annotate(**AGG).order_by():
            p = by_path.get(row.pop("k"))
            if p is not None:
                for k, v in row.items():
                    setattr(p, k, v)
    total.checked_in_today = 0
    return total, [by_path[c.path] for c in children]


def by_assignee(*, campaign: Campaign, targets: QuerySet[Target], limit: int = 200) -> list[dict]:
    """Households and reached per responsible person (central household leader, cadre or grid worker)."""
    rows = (targets.values("central_id", "resident_id", "resident__name", "user_id", "user__display_name")
            .annotate(total=Count("id"), reached=Count("id", filter=Q(reached_at__isnull=False)),
                      acknowledged=Count("id", filter=Q(acknowledged_at__isnull=False)))
            .order_by("reached", "-total")[:limit])
    return list(rows)


def curve(*, campaign: Campaign, targets: QuerySet[Target], buckets: int = 48) -> list[tuple[dt.datetime, int]]:
    """Cumulative households reached over time since the start, in up to `buckets` steps. One query."""
    times = sorted(t for t in targets.filter(reached_at__isnull=False).values_list("reached_at", flat=True))
    start = campaign.starts_at
    if not times:
        return [(start, 0)]
    end = max(times[-1], start + dt.timedelta(minutes=1))
    step = (end - start) / buckets
    out, i = [], 0
    for b in range(1, buckets + 1):
        edge = start + step * b
        while i < len(times) and times[i] <= edge:
            i += 1
        out.append((edge, i))
    return out


def unreached(*, targets: QuerySet[Target], limit: int = 500) -> QuerySet[Target]:
    return (targets.filter(reached_at__isnull=True).select_related("household", "unit", "central__leader", "user")
            .order_by("unit__path", "household__number")[:limit])
