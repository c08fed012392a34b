"""The elections' indicators (选举完成率, 参选率, 选民登记数), registered with the dashboard's one mechanism
(shanzhi.dashboard.registry).

An election counts in the period that holds its election day and where its village lies, so a town's
figures take in every village's election below it.
"""

from __future__ import annotations

import operator
from functools import reduce

from django.db.models import Count, Q
from django.db.models.functions import Substr
from django.urls import NoReverseMatch, reverse

from shanzhi.dashboard.registry import HIGHER_IS_BETTER, NEUTRAL, Indicator, register
from shanzhi.lib.periods import Period

SOURCE = "elections"


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def _under_any(units: list, field: str) -> Q:
    """Rows whose village lies under one of the units, as an indexed subquery of unit ids."""
    from shanzhi.org.models import OrgUnit

    if any(u.parent_id is None for u in units):
        return Q()
    paths = reduce(operator.or_, (Q(path__startswith=u.path) for u in units))
    return Q(**{f"{field}__in": OrgUnit.objects.filter(paths).values("id")})


def compute(units: list, period: Period) -> dict[int, dict]:
    """The three figures for each unit's subtree. Cost: three grouped queries per distinct path length
    among the units, whatever the number of units or rows."""
    from shanzhi.elections.models import Election, Participation, Voter

    first, last, end = period.first, period.last, period.end
    out: dict[int, dict] = {}
    for n in sorted({len(u.path) for u in units}):
        group = [u for u in units if len(u.path) == n]
        acc = {u.path: {"held": 0, "certified": 0, "roll": 0, "closed_roll": 0, "voted": 0} for u in group}
        in_period = Q(election_day__gte=first, election_day__lte=last)
        elections = (Election.objects.filter(_under_any(group, "unit_id"), in_period)
                     .annotate(k=Substr("unit__path", 1, n)).values("k")
                     .annotate(held=Count("id"), certified=Count("id", filter=Q(certified_on__lte=last)))
                     .order_by())
        for r in elections:
            if r["k"] in acc:
                acc[r["k"]]["held"] += r["held"]
                acc[r["k"]]["certified"] += r["certified"]
        closed = Q(election__voting_closed_at__lt=end)
        voters = (Voter.objects.filter(_under_any(group, "election__unit_id"), election__election_day__gte=first,
                                       election__election_day__lte=last, added_at__lt=end)
                  .filter(Q(removed_at__isnull=True) | Q(removed_at__gte=end))
                  .annotate(k=Substr("election__unit__path", 1, n)).values("k")
                  .annotate(roll=Count("id"), closed_roll=Count("id", filter=closed))
                  .order_by())
        for r in voters:
            if r["k"] in acc:
                acc[r["k"]]["roll"] += r["roll"]
                acc[r["k"]]["closed_roll"] += r["closed_roll"]
        voted = (Participation.objects.filter(_under_any(group, "election__unit_id"), closed, ballot_round=1,
                                              election__election_day__gte=first, election__election_day__lte=last)
                 .annotate(k=Substr("election__unit__path", 1, n)).values("k")
                 .annotate(voted=Count("id")).order_by())
        for r in voted:
            if r["k"] in acc:
                acc[r["k"]]["voted"] += r["voted"]
        for u in group:
            a = acc[u.path]
            out[u.id] = {
                f"{SOURCE}.certified_share": _ratio(a["certified"], a["held"]),
                f"{SOURCE}.turnout": _ratio(a["voted"], a["closed_roll"]),
                f"{SOURCE}.voters": a["roll"],
            }
    return out


def overview_url(unit, period: Period) -> str:
    """The overview of the unit's elections (a town's filter when the unit is a town)."""
    from shanzhi.org.models import Level

    try:
        url = reverse("elections:home")
    except NoReverseMatch:
        return ""
    return f"{url}?town={unit.code}" if unit.level == Level.TOWN else url


def _ind(name: str, zh: str, en: str, definition: str, definition_en: str, *, fmt: str = "pct",
         direction: int = HIGHER_IS_BETTER, unit_label: str = "") -> Indicator:
    return Indicator(key=f"{SOURCE}.{name}", name=zh, name_en=en, definition=definition,
                     definition_en=definition_en, fmt=fmt, direction=direction, source=SOURCE,
                     action="elections.view", unit_label=unit_label, drill=overview_url)


def indicators() -> list[Indicator]:
    return [
        _ind("certified_share", "选举完成率", "Elections completed",
             "选举日在期内的村（社区）选举中，期末前已公告选举结果的 ÷ 选举日在期内的选举",
             "Village and community elections whose election day falls in the period with the result announced "
             "by its end ÷ elections whose election day falls in the period"),
        _ind("turnout", "参选率", "Turnout",
             "选举日在期内且期末前已结束投票的选举中，参加投票的选民 ÷ 这些选举的登记选民",
             "Voters who took part ÷ registered voters, in the elections whose election day falls in the period "
             "and whose voting closed by its end"),
        _ind("voters", "选民登记数", "Registered voters",
             "选举日在期内的选举中，期末时在选民名单上的选民人数",
             "Voters on the rolls at the end of the period, in the elections whose election day falls in it",
             fmt="count", direction=NEUTRAL, unit_label="人"),
    ]


def register_indicators() -> None:
    register(SOURCE, compute, indicators())
