"""Case indicators of a unit's subtree over a period, computed raw from the case table: 受理数, 结案率,
按期结案率, 返工率, 满意率, medians, 小事不出村, 大事不出乡. Pages read the dashboard's roll-ups; this is the
reference they are tested against (dashboard/tests/test_rollups.py) and the "raw" line of the benchmark.

Cost: a constant number of aggregate queries whatever the number of children or cases (one for the
unit, one grouped by child; medians inside those on PostgreSQL, two window queries each on SQLite).
"""

from __future__ import annotations

import datetime as dt
import operator
from dataclasses import dataclass, field
from functools import reduce
from statistics import mean

from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    Q,
    QuerySet,
    Window,
)
from django.db.models.functions import RowNumber, Substr

from shanzhi.accounts import scopes
from shanzhi.cases.models import Case, HandlingLevel, Status
from shanzhi.org.models import OrgUnit

CLOSED = (Status.CLOSED, Status.RATED)
NOT_COUNTED = (Status.VOID, Status.DUPLICATE)
VILLAGE_OR_BELOW = (HandlingLevel.GRID, HandlingLevel.VILLAGE)
TOWN_OR_BELOW = (HandlingLevel.GRID, HandlingLevel.VILLAGE, HandlingLevel.TOWN)

_closed = Q(status__in=CLOSED)


def closed_on_time_q(prefix: str = "") -> Q:
    """The one "closed on time" expression, for cases reached through `prefix` ("case__" from a dispute).

    `Case.closed_on_time` is stored at closing by `services.is_on_time` (by the deadline, never escalated
    for lateness); both the case and the mediation indicators count with this."""
    return Q(**{f"{prefix}status__in": CLOSED, f"{prefix}closed_on_time": True})


COUNTS = {
    "reported": Count("id"),
    "closed": Count("id", filter=_closed),
    "closed_on_time": Count("id", filter=closed_on_time_q()),
    "reworked": Count("id", filter=Q(reopen_count__gt=0)),
    "rework_base": Count("id", filter=_closed | Q(reopen_count__gt=0)),
    "rated": Count("id", filter=Q(satisfied__isnull=False)),
    "satisfied": Count("id", filter=Q(satisfied=True)),
    "closed_in_village": Count("id", filter=_closed & Q(closed_level__in=VILLAGE_OR_BELOW)),
    "closed_in_town": Count("id", filter=_closed & Q(closed_level__in=TOWN_OR_BELOW)),
    "responded": Count("id", filter=Q(first_response_at__isnull=False)),
}
# Durations whose medians are reported, with the condition a case must meet to have one.
DURATIONS = {
    "first_response": ("first_response_at", Q(first_response_at__isnull=False)),
    "close": ("closed_at", _closed & Q(closed_at__isnull=False)),
}


def _duration(end_field: str) -> ExpressionWrapper:
    return ExpressionWrapper(F(end_field) - F("reported_at"), output_field=DurationField())


class _Seconds(Func):
    """Seconds from reported_at to a later timestamp, computed by SQLite itself (julianday), not per row in Python."""

    output_field = FloatField()
    template = "ROUND((julianday(%(expressions)s)) * 86400.0, 3)"
    arg_joiner = ") - julianday("

    def __init__(self, end_field: str) -> None:
        super().__init__(F(end_field), F("reported_at"))


def _ratio(num: int, den: int) -> float | None:
    """A share in 0..1, or None when there is nothing to divide by (shown as "—")."""
    return num / den if den else None


@dataclass
class Indicators:
    """The numbers of one unit's subtree over a period; rates are 0..1 or None, medians in hours."""

    unit: OrgUnit | None = None
    reported: int = 0
    closed: int = 0
    closed_on_time: int = 0
    reworked: int = 0
    rework_base: int = 0
    rated: int = 0
    satisfied: int = 0
    closed_in_village: int = 0
    closed_in_town: int = 0
    responded: int = 0
    median_first_response_hours: float | None = None
    median_close_hours: float | None = None

    @property
    def closure_rate(self) -> float | None:
        """结案率: closed (or closed and rated) over cases received."""
        return _ratio(self.closed, self.reported)

    @property
    def on_time_rate(self) -> float | None:
        """按期结案率: closed within the deadline (never escalated for lateness) over closed."""
        return _ratio(self.closed_on_time, self.closed)

    @property
    def rework_rate(self) -> float | None:
        """返工率: cases reopened at least once over cases closed or reopened."""
        return _ratio(self.reworked, self.rework_base)

    @property
    def satisfaction_rate(self) -> float | None:
        """满意率: satisfied ratings over ratings."""
        return _ratio(self.satisfied, self.rated)

    @property
    def village_share(self) -> float | None:
        """小事不出村: share of closed cases closed at village level or below."""
        return _ratio(self.closed_in_village, self.closed)

    @property
    def town_share(self) -> float | None:
        """大事不出乡: share of closed cases closed at town level or below."""
        return _ratio(self.closed_in_town, self.closed)

    @property
    def residents_per_grid_worker(self) -> float | None:
        return self.unit.residents_per_grid_worker if self.unit is not None else None


@dataclass
class Report:
    unit: OrgUnit
    start: dt.datetime
    end: dt.datetime
    total: Indicators
    children: list[Indicators] = field(default_factory=list)


def cases_in(unit: OrgUnit, start: dt.datetime, end: dt.datetime) -> QuerySet[Case]:
    """Cases placed in the unit's subtree and reported in [start, end), void and duplicates left out."""
    qs = Case.objects.filter(reported_at__gte=start, reported_at__lt=end).exclude(status__in=NOT_COUNTED)
    if unit.parent_id is None:
        return qs  # the county: every case
    # The subtree's unit ids as an indexed subquery: no join of the tree for every case.
    return qs.filter(unit_id__in=OrgUnit.objects.filter(scopes.subtree_q(unit)).values("id"))


def _on_postgres() -> bool:
    return connection.vendor == "postgresql"


class _MedianHours(Aggregate):
    """PostgreSQL's ordered-set median of an interval, in hours."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM %(expressions)s) / 3600.0)"
    output_field = FloatField()


def _aggregates() -> dict:
    aggs = dict(COUNTS)
    if _on_postgres():
        for name, (end_field, cond) in DURATIONS.items():
            aggs[f"median_{name}_hours"] = _MedianHours(_duration(end_field), filter=cond)
    return aggs


def _hours(td: dt.timedelta | float | None) -> float | None:
    if td is None:
        return None
    return (td.total_seconds() if isinstance(td, dt.timedelta) else td) / 3600


def _medians(qs: QuerySet[Case], key: F | Substr | None) -> dict[str, dict[str | None, float]]:
    """Medians per group (or of all rows when key is None) by taking the middle row(s) of each group.

    One query per duration: number the rows of each group by duration, keep the one or two in the middle.
    """
    result: dict[str, dict[str | None, float]] = {}
    for name, (end_field, cond) in DURATIONS.items():
        partition = [key] if key is not None else []
        rows = (qs.filter(cond)
                .annotate(d=_Seconds(end_field),
                          rn=Window(RowNumber(), partition_by=partition or None, order_by=F("d").asc()),
                          n=Window(Count("id"), partition_by=partition or None))
                .filter(rn__gte=(F("n") + 1) / 2, rn__lte=F("n") / 2 + 1))
        if key is not None:
            rows = rows.annotate(k=key).values_list("k", "d")
        else:
            rows = rows.values_list("number", "d")
        grouped: dict[str | None, list[float]] = {}
        for k, d in rows:
            grouped.setdefault(k if key is not None else None, []).append(_hours(d))
        result[name] = {k: mean(v) for k, v in grouped.items()}
    return result


def _fill(ind: Indicators, row: dict) -> Indicators:
    for name in COUNTS:
        setattr(ind, name, row.get(name) or 0)
    if _on_postgres():
        ind.median_first_response_hours = row.get("median_first_response_hours")
        ind.median_close_hours = row.get("median_close_hours")
    return ind


def indicators_for(unit: OrgUnit, start: dt.datetime, end: dt.datetime) -> Indicators:
    """The unit's indicators over [start, end). Cost: one query (three on SQLite)."""
    qs = cases_in(unit, start, end)
    ind = _fill(Indicators(unit=unit), qs.aggregate(**_aggregates()))
    if not _on_postgres():
        med = _medians(qs, None)
        ind.median_first_response_hours = med["first_response"].get(None)
        ind.median_close_hours = med["close"].get(None)
    return ind


def _paths_q(paths: list[str]) -> Q:
    return Q(unit_id__in=OrgUnit.objects.filter(
        reduce(operator.or_, (scopes.subtree_q(p) for p in paths), Q(pk__in=[]))).values("id"))


def indicators_by_unit(units: list[OrgUnit], start: dt.datetime, end: dt.datetime) -> dict[int, Indicators]:
    """Each unit's subtree indicators, for units anywhere in the tree (none inside another).

    The raw computation over the case table: one grouped query per distinct path length (three on
    SQLite), whatever the number of units. The dashboard's roll-ups are proven equal to this."""
    if len(units) == 1:
        return {units[0].id: indicators_for(units[0], start, end)}
    out: dict[int, Indicators] = {}
    for n in sorted({len(u.path) for u in units}):
        group = [u for u in units if len(u.path) == n]
        by_path = {u.path: Indicators(unit=u) for u in group}
        qs = (Case.objects.filter(reported_at__gte=start, reported_at__lt=end).exclude(status__in=NOT_COUNTED)
              .filter(_paths_q(list(by_path))))
        key = Substr("unit__path", 1, n)
        for row in qs.annotate(k=key).values("k").annotate(**_aggregates()).order_by():
            ind = by_path.get(row["k"])
            if ind is not None:
                _fill(ind, row)
        if not _on_postgres():
            med = _medians(qs, key)
            for path, ind in by_path.items():
                ind.median_first_response_hours = med["first_response"].get(path)
                ind.median_close_hours = med["close"].get(path)
        out.update({u.id: by_path[u.path] for u in group})
    return out


def report_for(unit: OrgUnit, children: list[OrgUnit], start: dt.datetime, end: dt.datetime) -> Report:
    """The unit's indicators and its children's."""
    got = indicators_by_unit(children, start, end)
    return Report(unit=unit, start=start, end=end, total=indicators_for(unit, start, end),
                  children=[got[c.id] for c in children])
