"""The mediation centres' indicators, registered with the dashboard's one mechanism
(shanzhi.dashboard.registry) and read from the dispute roll-ups (shanzhi.dashboard.rollups).

A unit's figures cover the disputes first received by centres in its subtree, by the day they were
registered; on time, the closing level and the days to resolve are read from the dispute's case.
mediation.indicators.indicators_for stays the raw reference computation the roll-ups are tested against.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse

from shanzhi.cases.dashboard import MEDIAN_BOUND, MEDIAN_BOUND_EN
from shanzhi.dashboard.registry import HIGHER_IS_BETTER, LOWER_IS_BETTER, NEUTRAL, Indicator, register
from shanzhi.lib.periods import Period

SOURCE = "mediation"
FIELDS = {  # indicator name -> key of the computed figures
    "accepted": "accepted",
    "resolution_rate": "resolution_rate",
    "first_time_rate": "first_time_rate",
    "on_time_rate": "on_time_rate",
    "village_share": "village_share",
    "town_share": "town_share",
    "repeats": "repeats",
    "median_days": "median_days",
}


def disputes_url(unit, period: Period, **extra) -> str:
    """The staff dispute list behind a number: first received in the unit's subtree, registered in the period."""
    query = {"unit": unit.code, "since": period.first.isoformat(), "until": period.last.isoformat(), **extra}
    return f"{reverse('mediation:list')}?{urlencode(query)}"


def _drill(**extra):
    return lambda unit, period: disputes_url(unit, period, **extra)


def compute(units: list, period: Period) -> dict[int, dict]:
    """Every mediation indicator for each unit's subtree over the period. Two queries."""
    from shanzhi.dashboard import rollups

    got = rollups.dispute_indicators(units, period)
    return {uid: {f"{SOURCE}.{name}": row[key] for name, key in FIELDS.items()} for uid, row in got.items()}


def _ind(name: str, zh: str, en: str, definition: str, definition_en: str, fmt: str, direction: int,
         unit_label: str = "", drill=disputes_url, approx: str = "", approx_en: str = "") -> Indicator:
    # Each number links to the disputes it counts (a share: its numerator's rows).
    return Indicator(key=f"{SOURCE}.{name}", name=zh, name_en=en, definition=definition,
                     definition_en=definition_en, fmt=fmt, direction=direction, source=SOURCE,
                     action="mediation.view", unit_label=unit_label, drill=drill, approx=approx,
                     approx_en=approx_en)


def indicators() -> list[Indicator]:
    return [
        _ind("accepted", "受理数", "Disputes received", "期内矛调中心首次登记的矛盾纠纷和信访",
             "Disputes and petitions first registered by a centre in the period", "count", NEUTRAL, "件"),
        _ind("resolution_rate", "化解率", "Resolution rate", "达成协议或撤回 ÷ 受理数",
             "Settled by agreement or withdrawn ÷ disputes received", "pct", HIGHER_IS_BETTER, drill=_drill(result="resolved")),
        _ind("first_time_rate", "一次化解率", "Resolved at first attempt", "一次化解 ÷ 受理数",
             "Resolved at the first attempt ÷ disputes received", "pct", HIGHER_IS_BETTER,
             drill=_drill(first_time=1)),
        _ind("on_time_rate", "按期化解率", "Resolved on time", "按期结案的已化解纠纷 ÷ 已化解",
             "Resolved and closed by the deadline ÷ resolved", "pct", HIGHER_IS_BETTER,
             drill=_drill(on_time=1)),
        _ind("village_share", "小事不出村", "Settled in the village", "在村/社区及以下结案的已化解纠纷 ÷ 已化解",
             "Resolved and closed at village level or below ÷ resolved", "pct", HIGHER_IS_BETTER,
             drill=_drill(level="village")),
        _ind("town_share", "大事不出乡", "Settled in the town", "在镇/街道及以下结案的已化解纠纷 ÷ 已化解",
             "Resolved and closed at town level or below ÷ resolved", "pct", HIGHER_IS_BETTER,
             drill=_drill(level="town")),
        _ind("repeats", "重复纠纷", "Repeat disputes", "期内受理的纠纷中与此前纠纷重复的件数",
             "Disputes received in the period that repeat an earlier one", "count", LOWER_IS_BETTER, "件",
             drill=_drill(repeat=1)),
        _ind("median_days", "化解用时中位数", "Median days to resolve",
             "已化解纠纷从登记到结案的天数的中位数", "Median days from registration to closing, resolved disputes",
             "days", LOWER_IS_BETTER, "天", drill=_drill(result="resolved"), approx=MEDIAN_BOUND, approx_en=MEDIAN_BOUND_EN),
    ]


def register_indicators() -> None:
    register(SOURCE, compute, indicators())
