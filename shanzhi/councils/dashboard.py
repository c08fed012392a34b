"""The councils' indicators (议题数, 议题决定率, 决定落实率, 会议到会率), registered with the dashboard's one
mechanism (shanzhi.dashboard.registry).

A topic, decision or meeting counts where its council sits (the council's unit), so a town's figures take
in its own councils and every village's below it.
"""

from __future__ import annotations

import operator
from functools import reduce

from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Substr, TruncDate
from django.urls import NoReverseMatch, reverse

from shanzhi.dashboard.registry import HIGHER_IS_BETTER, NEUTRAL, Indicator, register
from shanzhi.lib.periods import Period

SOURCE = "councils"


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def _under_any(units: list, field: str) -> Q:
    """Rows whose council lies under one of the units, as an indexed subquery of unit ids."""
    from shanzhi.org.models import OrgUnit

    if any(u.parent_id is None for u in units):
        return Q()
    paths = reduce(operator.or_, (Q(path__startswith=u.path) for u in units))
    return Q(**{f"{field}__in": OrgUnit.objects.filter(paths).values("id")})


def compute(units: list, period: Period) -> dict[int, dict]:
    """The four figures for each unit's subtree. Cost: three grouped queries per distinct path length among
    the units (one length for a unit's children), whatever the number of units or rows."""
    from shanzhi.councils.models import Decision, Meeting, MeetingStatus, Member, Topic

    start, end = period.start, period.end
    out: dict[int, dict] = {}
    for n in sorted({len(u.path) for u in units}):
        group = [u for u in units if len(u.path) == n]
        acc = {u.path: {"raised": 0, "decided": 0, "decisions": 0, "done": 0, "present": 0, "expected": 0}
               for u in group}
        topics = (Topic.objects.filter(_under_any(group, "council__unit_id"), created_at__gte=start,
                                       created_at__lt=end)
                  .annotate(k=Substr("council__unit__path", 1, n)).values("k")
                  .annotate(raised=Count("id"),
                            decided=Count("id", filter=Q(decision__created_at__lt=end)))
                  .order_by())
        for r in topics:
            if r["k"] in acc:
                acc[r["k"]]["raised"] += r["raised"]
                acc[r["k"]]["decided"] += r["decided"]
        decisions = (Decision.objects.filter(_under_any(group, "topic__council__unit_id"), created_at__gte=start,
                                             created_at__lt=end)
                     .annotate(k=Substr("topic__council__unit__path", 1, n)).values("k")
                     .annotate(decisions=Count("id"), done=Count("id", filter=Q(done_at__lt=end)))
                     .order_by())
        for r in decisions:
            if r["k"] in acc:
                acc[r["k"]]["decisions"] += r["decisions"]
                acc[r["k"]]["done"] += r["done"]
        # members expected at a meeting: the council's members whose term covered the meeting's day (the rule
        # of councils.access.current_q, stated for a past day)
        expected = (Member.objects.filter(council_id=OuterRef("council_id"), started_on__lte=OuterRef("day"))
                    .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=OuterRef("day")))
                    .order_by().values("council_id").annotate(c=Count("id")).values("c"))
        meetings = (Meeting.objects.filter(_under_any(group, "council__unit_id"), status=MeetingStatus.CLOSED,
                                           starts_at__gte=start, starts_at__lt=end)
                    .annotate(day=TruncDate("starts_at"))
                    .annotate(present=Count("attendance", distinct=True),
                              expected=Coalesce(Subquery(expected[:1]), 0),
                              k=Substr("council__unit__path", 1, n))
                    .values_list("k", "present", "expected"))
        for k, present, exp in meetings:
            if k in acc:
                acc[k]["present"] += present
                acc[k]["expected"] += exp
        for u in group:
            a = acc[u.path]
            out[u.id] = {
                f"{SOURCE}.topics_raised": a["raised"],
                f"{SOURCE}.decided_share": _ratio(a["decided"], a["raised"]),
                f"{SOURCE}.decisions_done": _ratio(a["done"], a["decisions"]),
                f"{SOURCE}.attendance": _ratio(a["present"], a["expected"]),
            }
    return out


def topics_url(unit, period: Period) -> str:
    """The desk topic list of the unit."""
    try:
        return reverse("councils:desk_topics") + f"?unit={unit.code}"
    except NoReverseMatch:  # no desk topic list: no drill link
        return ""


def _ind(name: str, zh: str, en: str, definition: str, definition_en: str, *, fmt: str = "pct",
         direction: int = HIGHER_IS_BETTER, unit_label: str = "") -> Indicator:
    return Indicator(key=f"{SOURCE}.{name}", name=zh, name_en=en, definition=definition,
                     definition_en=definition_en, fmt=fmt, direction=direction, source=SOURCE,
                     action="councils.view", unit_label=unit_label, drill=topics_url)


def indicators() -> list[Indicator]:
    return [
        _ind("topics_raised", "议题数", "Topics raised",
             "期内向本地各议事组织提出的议题数（含代办）",
             "Topics raised with the councils here in the period (proxy topics included)",
             fmt="count", direction=NEUTRAL, unit_label="件"),
        _ind("decided_share", "议题决定率", "Topics decided",
             "期内提出的议题中，期末前已作出决定的 ÷ 期内提出的议题",
             "Topics raised in the period that were decided by its end ÷ topics raised in the period"),
        _ind("decisions_done", "决定落实率", "Decisions carried out",
             "期内作出的决定中，期末前已全部落实（诉求办结、任务完成）的 ÷ 期内作出的决定",
             "Decisions made in the period carried out in full (cases closed, tasks done) by its end ÷ "
             "decisions made in the period"),
        _ind("attendance", "会议到会率", "Meeting attendance",
             "期内已结束会议的到会成员人次 ÷ 各次会议当日在任成员人次",
             "Members present at the meetings held in the period ÷ members in office on each meeting's day"),
    ]


def register_indicators() -> None:
    register(SOURCE, compute, indicators())
