"""The cases' indicators, registered with the dashboard's one mechanism (shanzhi.dashboard.registry)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse

from shanzhi.dashboard.registry import HIGHER_IS_BETTER, LOWER_IS_BETTER, NEUTRAL, Indicator, register
from shanzhi.lib.periods import Period

SOURCE = "cases"
# The error bound of a median read from the roll-ups' log-scale duration histograms.
MEDIAN_BOUND = "由对数分桶直方图估算，与精确中位数相差不超过4.9%（时长不少于1秒时）"
MEDIAN_BOUND_EN = ("Estimated from log-scale histograms: within 4.9% of the exact median"
                   " (for durations of one second or more)")


def cases_url(unit, period: Period, **extra) -> str:
    """The staff case list behind a number: the unit's subtree, reported within the period."""
    query = {"unit": unit.code, "since": period.first.isoformat(), "until": period.last.isoformat(), **extra}
    return f"{reverse('cases:all')}?{urlencode(query)}"


def compute(units: list, period: Period) -> dict[int, dict]:
    """Every case indicator for each unit's subtree over the period, summed from the daily and monthly
    roll-ups (shanzhi.dashboard.rollups): two queries whatever the number of units and cases. The raw
    computation (cases.indicators.indicators_by_unit) stays the reference the roll-ups are tested against."""
    from shanzhi.dashboard import rollups

    got = rollups.case_indicators(units, period)
    return {uid: {f"{SOURCE}.{name}": getattr(ind, name) for name in FIELDS} for uid, ind in got.items()}


FIELDS = ("reported", "closure_rate", "on_time_rate", "rework_rate", "satisfaction_rate",
          "median_first_response_hours", "median_close_hours", "village_share", "town_share")


def _ind(name: str, zh: str, en: str, definition: str, definition_en: str, fmt: str, direction: int,
         unit_label: str = "", drill=None, approx: str = "", approx_en: str = "") -> Indicator:
    return Indicator(key=f"{SOURCE}.{name}", name=zh, name_en=en, definition=definition,
                     definition_en=definition_en, fmt=fmt, direction=direction, source=SOURCE,
                     action="cases.view", unit_label=unit_label, drill=drill, approx=approx,
                     approx_en=approx_en)


def indicators() -> list[Indicator]:
    return [
        _ind("reported", "受理数", "Cases received", "期内上报的诉求，不含作废和重复",
             "Cases reported in the period, void and duplicates excluded", "count", NEUTRAL, "件",
             drill=cases_url),
        _ind("closure_rate", "结案率", "Closure rate", "已结案（含已评价）÷ 受理数",
             "Closed (or closed and rated) ÷ cases received", "pct", HIGHER_IS_BETTER,
             drill=lambda u, p: cases_url(u, p, closed=1)),
        _ind("on_time_rate", "按期结案率", "On-time closure", "按期结案 ÷ 已结案（因超期被上报的不算按期）",
             "Closed by the deadline ÷ closed (a case escalated for lateness is never on time)", "pct",
             HIGHER_IS_BETTER, drill=cases_url),
        _ind("rework_rate", "返工率", "Rework rate", "返工过的 ÷（已结案 + 返工中）",
             "Reopened at least once ÷ (closed + reopened)", "pct", LOWER_IS_BETTER, drill=cases_url),
        _ind("satisfaction_rate", "满意率", "Satisfaction", "满意 ÷ 已评价", "Satisfied ÷ rated", "pct",
             HIGHER_IS_BETTER, drill=lambda u, p: cases_url(u, p, status="rated")),
        _ind("median_first_response_hours", "首次响应（中位数）", "Median first response",
             "从上报到首次处理的小时数的中位数", "Median hours from report to the first staff response", "hours",
             LOWER_IS_BETTER, "小时", drill=cases_url, approx=MEDIAN_BOUND, approx_en=MEDIAN_BOUND_EN),
        _ind("median_close_hours", "办结用时（中位数）", "Median time to close",
             "从上报到结案的小时数的中位数", "Median hours from report to closing", "hours", LOWER_IS_BETTER,
             "小时", drill=lambda u, p: cases_url(u, p, closed=1), approx=MEDIAN_BOUND, approx_en=MEDIAN_BOUND_EN),
        _ind("village_share", "小事不出村", "Settled in the village", "在村/社区及以下结案 ÷ 已结案",
             "Closed at village level or below ÷ closed", "pct", HIGHER_IS_BETTER, drill=cases_url),
        _ind("town_share", "大事不出乡", "Settled in the town", "在镇/街道及以下结案 ÷ 已结案",
             "Closed at town level or below ÷ closed", "pct", HIGHER_IS_BETTER, drill=cases_url),
    ]


def register_indicators() -> None:
    register(SOURCE, compute, indicators())
