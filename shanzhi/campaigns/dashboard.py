"""The campaigns' indicators (走访覆盖率, 户户见干部, 网格签收进度), registered with the dashboard's one
mechanism (shanzhi.dashboard.registry).

Counted over the night-visit campaigns active at some moment of the period: started before its end and
neither ended nor closed before its start. Households are counted where they lie (the target's unit), so a
county-wide campaign counts in every town it reaches.
"""

from __future__ import annotations

import operator
from functools import reduce

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr
from django.urls import reverse

from shanzhi.dashboard.registry import HIGHER_IS_BETTER, Indicator, register
from shanzhi.lib.periods import Period

SOURCE = "campaigns"


def active_night_visits(period: Period) -> QuerySet:
    """Ids of the night-visit campaigns active at some moment of the period (a subquery, not evaluated)."""
    from shanzhi.campaigns.models import Campaign, Kind

    return (Campaign.objects.filter(kind=Kind.NIGHT_VISIT, starts_at__lt=period.end)
            .filter(Q(ends_at__isnull=True) | Q(ends_at__gte=period.start))
            .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=period.start))
            .values("id"))


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def _under_any(units: list) -> Q:
    """Targets whose household lies under one of the units, as an indexed subquery of unit ids."""
    from shanzhi.org.models import OrgUnit

    if any(u.parent_id is None for u in units):
        return Q()
    paths = reduce(operator.or_, (Q(path__startswith=u.path) for u in units))
    return Q(unit_id__in=OrgUnit.objects.filter(paths).values("id"))


def _grid_of(row: dict) -> int:
    from shanzhi.org.models import Level

    return row["unit__parent_id"] if row["unit__parent__level"] == Level.GRID else row["unit__parent__parent_id"]


def compute(units: list, period: Period) -> dict[int, dict]:
    """The three shares for each unit's subtree. Cost: one query for the sign-offs, then one grouped query
    per distinct path length among the units (one for a unit's children), whatever the number of units."""
    from shanzhi.campaigns.models import SignOff, Target

    active = active_night_visits(period)
    signed = set(SignOff.objects.filter(campaign_id__in=active, at__lt=period.end)
                 .values_list("campaign_id", "grid_id"))
    out: dict[int, dict] = {}
    for n in sorted({len(u.path) for u in units}):
        group = [u for u in units if len(u.path) == n]
        acc = {u.path: {"total": 0, "reached": 0, "met": 0, "grids": 0, "signed": 0} for u in group}
        grids: dict[str, set] = {}
        rows = (Target.objects.filter(_under_any(group), campaign_id__in=active)
                .annotate(k=Substr("unit__path", 1, n))
                .values("k", "campaign_id", "unit__parent_id", "unit__parent__level", "unit__parent__parent_id")
                .annotate(total=Count("id"),
                          reached=Count("id", filter=Q(reached_at__lt=period.end)),
                          met=Count("id", filter=Q(met_cadre=True)))
                .order_by())
        for r in rows:
            a = acc.get(r["k"])
            if a is None:
                continue
            a["total"] += r["total"]
            a["reached"] += r["reached"]
            a["met"] += r["met"]
            # a target's unit is a micro-grid: its parent is the grid that signs off, or a compound of it
            grids.setdefault(r["k"], set()).add((r["campaign_id"], _grid_of(r)))
        for k, pairs in grids.items():
            acc[k]["grids"] = len(pairs)
            acc[k]["signed"] = len(pairs & signed)
        for u in group:
            a = acc[u.path]
            out[u.id] = {
                f"{SOURCE}.visit_coverage": _ratio(a["reached"], a["total"]),
                f"{SOURCE}.met_cadre_share": _ratio(a["met"], a["total"]),
                f"{SOURCE}.signoff_progress": _ratio(a["signed"], a["grids"]),
            }
    return out


def campaigns_url(unit, period: Period) -> str:
    """The campaign list (the campaigns the user may see, with their progress)."""
    return reverse("campaigns:list")


def _ind(name: str, zh: str, en: str, definition: str, definition_en: str) -> Indicator:
    return Indicator(key=f"{SOURCE}.{name}", name=zh, name_en=en, definition=definition,
                     definition_en=definition_en, fmt="pct", direction=HIGHER_IS_BETTER, source=SOURCE,
                     action="campaigns.view", drill=campaigns_url)


def indicators() -> list[Indicator]:
    return [
        _ind("visit_coverage", "走访覆盖率", "Visit coverage",
             "期内进行中的网格夜访：期末前已走访到的户 ÷ 应走访户",
             "Night visits active in the period: households reached by its end ÷ households targeted"),
        _ind("met_cadre_share", "户户见干部", "Met a cadre",
             "期内进行中的网格夜访：由干部走访并见到户内人员的户 ÷ 应走访户",
             "Night visits active in the period: households where a cadre met someone ÷ households targeted"),
        _ind("signoff_progress", "网格签收进度", "Grids signed off",
             "期内进行中的网格夜访：期末前已签收的网格 ÷ 有走访户的网格（按任务计）",
             "Night visits active in the period: grids signed off by its end ÷ grids with households "
             "(per campaign)"),
    ]


def register_indicators() -> None:
    register(SOURCE, compute, indicators())
