"""The registry's indicators (人网比, 流动人口占比, 进村报到), registered with the dashboard's one mechanism
(shanzhi.dashboard.registry).

人网比 and 流动人口占比 read the counts rolled up on each unit (OrgUnit.resident_count, floating_count,
grid_worker_count: kept by the registry's services), so they cost no query; 进村报到 counts the party members
and cadres registered with the villages of the unit's subtree on the period's last day.
"""

from __future__ import annotations

import operator
from functools import reduce

from django.db.models import Count, Q
from django.urls import reverse

from shanzhi.dashboard.registry import HIGHER_IS_BETTER, LOWER_IS_BETTER, NEUTRAL, Indicator, register
from shanzhi.lib.periods import Period

SOURCE = "registry"


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def _village_depth() -> int:
    from shanzhi.org.models import LEVEL_DEPTH, Level

    return LEVEL_DEPTH[Level.VILLAGE]


def registered_by_village(units: list, period: Period) -> dict[str, int]:
    """Village path -> cadres registered there on the period's last day, for villages under the units.
    Cost: one grouped query (rows: the villages that have registrations)."""
    from shanzhi.people.models import CadreRegistration

    last = period.last
    qs = CadreRegistration.objects.filter(Q(ended_on__isnull=True) | Q(ended_on__gt=last), registered_on__lte=last)
    if not any(u.parent_id is None for u in units):
        qs = qs.filter(reduce(operator.or_, (Q(village__path__startswith=u.path) for u in units)))
    rows = qs.values("village__path").annotate(n=Count("resident_id", distinct=True)).order_by()
    return {r["village__path"]: r["n"] for r in rows}


def compute(units: list, period: Period) -> dict[int, dict]:
    """The three figures for each unit. Cost: one query (进村报到), whatever the number of units."""
    deep = _village_depth()
    above = [u for u in units if u.depth <= deep]  # below a village the figure has no meaning ("—")
    by_village = registered_by_village(above, period) if above else {}
    out: dict[int, dict] = {}
    for u in units:
        cadres = sum(n for path, n in by_village.items() if path.startswith(u.path)) if u.depth <= deep else None
        out[u.id] = {
            f"{SOURCE}.residents_per_grid_worker": _ratio(u.resident_count, u.grid_worker_count),
            f"{SOURCE}.floating_share": _ratio(u.floating_count, u.resident_count),
            f"{SOURCE}.cadres_registered": cadres,
        }
    return out


def _unit_page(unit, period: Period) -> str:
    return reverse("org:unit", args=[unit.code])


def _residents(unit, period: Period) -> str:
    return reverse("people:residents", args=[unit.code])


def indicators() -> list[Indicator]:
    return [
        Indicator(key=f"{SOURCE}.residents_per_grid_worker", name="人网比", name_en="Residents per grid worker",
                  definition="常住人口 ÷ 专职网格员（当前数，不随周期变化）",
                  definition_en="Residents ÷ full-time grid workers (current figures, not tied to the period)",
                  fmt="ratio", direction=LOWER_IS_BETTER, source=SOURCE, action="org.view", unit_label="人",
                  period_bound=False, drill=_unit_page),
        Indicator(key=f"{SOURCE}.floating_share", name="流动人口占比", name_en="Floating population share",
                  definition="流动人口 ÷ 常住人口（当前数，不随周期变化）",
                  definition_en="Floating residents ÷ residents (current figures, not tied to the period)",
                  fmt="pct", direction=NEUTRAL, source=SOURCE, action="org.view", period_bound=False,
                  drill=_unit_page),
        Indicator(key=f"{SOURCE}.cadres_registered", name="进村报到", name_en="Cadres registered",
                  definition="期末在本单位所辖村/社区进村报到的党员干部人数（网格及以下不计）",
                  definition_en="Party members and cadres registered with the villages of the unit on the "
                                "period's last day (not shown below a village)",
                  fmt="count", direction=HIGHER_IS_BETTER, source=SOURCE, action="people.view", unit_label="人",
                  drill=_residents),
    ]


def register_indicators() -> None:
    register(SOURCE, compute, indicators())
