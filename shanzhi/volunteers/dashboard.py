"""百事服务团's indicators (志愿者/千人, 服务时长, 服务需求办结数, 服务用时中位数, 满意率, 积分发放, 积分兑换),
registered with the dashboard's one mechanism (shanzhi.dashboard.registry).

Volunteers, requests and ledger entries all belong to a village (`Volunteer.village`, `ServiceRequest.village`,
`Entry.village`: where the hours were earned or the points spent), so a unit's figures are the sum over the
villages of its subtree: one query (the three tables grouped by village, as one UNION ALL), whatever the
number of units. Medians
cannot be added up: one more query per distinct path length among the units (PostgreSQL's
`percentile_cont`, on SQLite the middle row(s) of a window, as cases.indicators does). Below a village
the figures have no meaning ("—").
"""

from __future__ import annotations

import operator
from functools import reduce
from statistics import mean
from urllib.parse import urlencode

from django.db import connection
from django.db.models import Aggregate, Count, F, FloatField, Func, Q, Sum, Value, Window
from django.db.models.functions import RowNumber, Substr
from django.urls import NoReverseMatch, reverse

from shanzhi.dashboard.registry import HIGHER_IS_BETTER, LOWER_IS_BETTER, NEUTRAL, Indicator, register
from shanzhi.lib.periods import Period

SOURCE = "volunteers"
ACTION = "volunteers.view"
SATISFIED_FROM = 4  # a rating of 4 or 5 (of 5) counts as satisfied
LEDGER_ROWS, REQUEST_ROWS, VOLUNTEER_ROWS = 0, 1, 2  # tags of the rows of compute's one grouped query


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def _village_depth() -> int:
    from shanzhi.org.models import LEVEL_DEPTH, Level

    return LEVEL_DEPTH[Level.VILLAGE]


def _villages_under(units: list, field: str = "village_id") -> Q:
    """Rows whose village lies under one of the units, as an indexed subquery of unit ids (none for the root)."""
    from shanzhi.org.models import OrgUnit

    if any(u.parent_id is None for u in units):
        return Q()
    paths = reduce(operator.or_, (Q(path__startswith=u.path) for u in units))
    return Q(**{f"{field}__in": OrgUnit.objects.filter(paths).values("id")})


class _Seconds(Func):
    """Seconds from created_at to confirmed_at, computed by SQLite itself (julianday)."""

    output_field = FloatField()
    template = "ROUND((julianday(%(expressions)s)) * 86400.0, 3)"
    arg_joiner = ") - julianday("

    def __init__(self) -> None:
        super().__init__(F("confirmed_at"), F("created_at"))


class _MedianHours(Aggregate):
    """PostgreSQL's ordered-set median of confirmed_at - created_at, in hours."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM %(expressions)s) / 3600.0)"
    output_field = FloatField()


def _confirmed(period: Period):
    from shanzhi.volunteers.models import RequestStatus, ServiceRequest

    return ServiceRequest.objects.filter(status=RequestStatus.CONFIRMED, confirmed_at__gte=period.start,
                                         confirmed_at__lt=period.end)


def _medians(units: list, period: Period, n: int) -> dict[str, float]:
    """Path prefix of length n -> median hours from request to confirmation. One query."""
    qs = _confirmed(period).filter(_villages_under(units), confirmed_at__isnull=False)
    key = Substr("village__path", 1, n)
    if connection.vendor == "postgresql":
        rows = (qs.annotate(k=key).values("k")
                .annotate(m=_MedianHours(F("confirmed_at") - F("created_at"))).order_by().values_list("k", "m"))
        return {k: m for k, m in rows if m is not None}
    rows = (qs.annotate(k=key, d=_Seconds(),
                        rn=Window(RowNumber(), partition_by=[key], order_by=F("d").asc()),
                        c=Window(Count("id"), partition_by=[key]))
            .filter(rn__gte=(F("c") + 1) / 2, rn__lte=F("c") / 2 + 1).values_list("k", "d"))
    grouped: dict[str, list[float]] = {}
    for k, d in rows:
        grouped.setdefault(k, []).append(d / 3600)
    return {k: mean(v) for k, v in grouped.items()}


def compute(units: list, period: Period) -> dict[int, dict]:
    """The seven figures for each unit's subtree over the period.

    Cost: one query for the per-village figures (ledger entries, requests and volunteers grouped by village,
    as one UNION ALL) plus one per distinct path length among the units at or above a village (the
    medians), whatever the number of units or rows."""
    from shanzhi.volunteers.models import Entry, EntryKind, Volunteer, VolunteerStatus

    deep = _village_depth()
    above = [u for u in units if u.depth <= deep]
    out: dict[int, dict] = {u.id: {f"{SOURCE}.{name}": None for name, *_ in SPECS} for u in units}
    if not above:
        return out
    scope = _villages_under(above)
    earned = (EntryKind.SERVICE, EntryKind.ACTIVITY, EntryKind.CORRECTION)
    issued = (EntryKind.SERVICE, EntryKind.ACTIVITY, EntryKind.CIVIC, EntryKind.CORRECTION)
    # one query: the three tables' per-village figures as one UNION ALL of grouped queries, tagged by table
    cols = ("village__path", "t", "a", "b", "c")
    ledger_q = (Entry.objects.filter(scope, at__gte=period.start, at__lt=period.end).values("village__path")
                .annotate(t=Value(LEDGER_ROWS), a=Sum("hours", filter=Q(kind__in=earned)),
                          b=Sum("points", filter=Q(kind__in=issued)), c=Sum("points", filter=Q(kind=EntryKind.REDEEM)))
                .order_by().values_list(*cols))
    requests_q = (_confirmed(period).filter(scope).values("village__path")
                  .annotate(t=Value(REQUEST_ROWS), a=Count("id"), b=Count("id", filter=Q(rating__isnull=False)),
                            c=Count("id", filter=Q(rating__gte=SATISFIED_FROM)))
                  .order_by().values_list(*cols))
    volunteers_q = (Volunteer.objects.filter(scope, status=VolunteerStatus.ACTIVE).values("village__path")
                    .annotate(t=Value(VOLUNTEER_ROWS), a=Count("id"), b=Value(0), c=Value(0))
                    .order_by().values_list(*cols))
    ledger, requests, volunteers = {}, {}, {}
    tables = {LEDGER_ROWS: ledger, REQUEST_ROWS: requests, VOLUNTEER_ROWS: volunteers}
    for path, tag, a, b, c in ledger_q.union(requests_q, volunteers_q, all=True):
        tables[int(tag)][path] = (a or 0, b or 0, c or 0)
    medians: dict[str, float] = {}
    for n in sorted({len(u.path) for u in above}):
        medians.update(_medians([u for u in above if len(u.path) == n], period, n))

    def total(table: dict, path: str, col: int):
        return sum(v[col] for k, v in table.items() if k.startswith(path))

    for u in above:
        rated = int(total(requests, u.path, 1))
        out[u.id] = {
            f"{SOURCE}.per_thousand": _ratio(1000 * int(total(volunteers, u.path, 0)), u.resident_count),
            f"{SOURCE}.hours": float(total(ledger, u.path, 0)),
            f"{SOURCE}.served": int(total(requests, u.path, 0)),
            f"{SOURCE}.median_hours": medians.get(u.path),
            f"{SOURCE}.satisfaction": _ratio(int(total(requests, u.path, 2)), rated),
            f"{SOURCE}.points_issued": int(total(ledger, u.path, 1)),
            f"{SOURCE}.points_redeemed": -int(total(ledger, u.path, 2)),
        }
    return out


def _link(*names: str, ledger: bool = False):
    """The first of the desk lists that exists (the pages are written separately; they are scoped to the user
    already). The ledger's list is narrowed to the period, and to the village when the unit is one."""
    def drill(unit, period: Period) -> str:
        for name in names:
            try:
                url = reverse(name)
            except NoReverseMatch:
                continue
            if ledger:
                query = {"first": period.first.isoformat(), "last": period.last.isoformat()}
                if unit.depth == _village_depth():
                    query["village"] = unit.code
                url += f"?{urlencode(query)}"
            return url
        return ""
    return drill


REQUESTS = _link("volunteers:desk_requests")
VOLUNTEERS = _link("volunteers:desk_volunteers")
LEDGER = _link("volunteers:ledger", ledger=True)

# (name, 中文, English, 定义, definition, format, direction, unit label, drill, period-bound)
SPECS = [
    ("per_thousand", "志愿者/千人", "Volunteers per 1,000 residents",
     "当前在岗志愿者人数 ÷ 常住人口 × 1000（当前数，不随周期变化）",
     "Active volunteers ÷ residents × 1,000 (current figures, not tied to the period)",
     "score", HIGHER_IS_BETTER, "人", VOLUNTEERS, False),
    ("hours", "服务时长", "Service hours",
     "期内记入时间银行的志愿服务和活动小时数（含更正）",
     "Hours of services and activities credited to the time bank in the period (corrections included)",
     "hours", HIGHER_IS_BETTER, "小时", LEDGER, True),
    ("served", "服务需求办结数", "Requests served",
     "期内经居民确认完成的服务需求件数", "Service requests confirmed as done by the resident in the period",
     "count", HIGHER_IS_BETTER, "件", REQUESTS, True),
    ("median_hours", "服务用时中位数", "Median time to serve",
     "期内确认完成的服务需求从提出到确认的小时数的中位数",
     "Median hours from request to the resident's confirmation, requests confirmed in the period",
     "hours", LOWER_IS_BETTER, "小时", REQUESTS, True),
    ("satisfaction", "服务满意率", "Service satisfaction",
     "期内确认完成并已评价的服务需求中，评分4分及以上的 ÷ 已评价",
     "Requests confirmed in the period and rated 4 or 5 ÷ those rated",
     "pct", HIGHER_IS_BETTER, "", REQUESTS, True),
    ("points_issued", "积分发放", "Points issued",
     "期内发放的志愿服务、活动和文明行为积分（含更正）",
     "Points credited in the period for services, activities and civic acts (corrections included)",
     "count", NEUTRAL, "", LEDGER, True),
    ("points_redeemed", "积分兑换", "Points redeemed",
     "期内在积分超市兑换使用的积分", "Points spent in the village points stores in the period",
     "count", NEUTRAL, "", LEDGER, True),
]


def indicators() -> list[Indicator]:
    return [Indicator(key=f"{SOURCE}.{name}", name=zh, name_en=en, definition=d, definition_en=d_en, fmt=fmt,
                      direction=direction, source=SOURCE, action=ACTION, unit_label=label, drill=drill,
                      period_bound=bound)
            for name, zh, en, d, d_en, fmt, direction, label, drill, bound in SPECS]


def register_indicators() -> None:
    register(SOURCE, compute, indicators())
