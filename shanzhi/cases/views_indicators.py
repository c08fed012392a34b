"""The indicators page of a unit: big numbers for a period, a table of its children, cases per week.

Staff with cases.view on the unit only; anyone else gets 404, as for a unit that does not exist.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shanzhi.accounts import scopes
from shanzhi.cases.indicators import PERIOD_KINDS, Indicators, Period, period_for, report_for, weekly_counts
from shanzhi.lib import clock, parsing
from shanzhi.lib.errors import DomainError, NotFound
from shanzhi.org import selectors as org_selectors
from shanzhi.org.models import OrgUnit

PERIOD_LABELS = {
    "this_month": gettext_lazy("本月"),
    "last_month": gettext_lazy("上月"),
    "this_year": gettext_lazy("今年"),
    "custom": gettext_lazy("自定义"),
}
DASH = "—"
# Longest custom period shown (a weekly chart of ten years is still small).
MAX_DAYS = 3660


def _pct(value: float | None) -> str:
    return DASH if value is None else f"{value * 100:.1f}%"


def _hours(value: float | None) -> str:
    return DASH if value is None else _("%(h).1f 小时") % {"h": value}


def _ratio(value: float | None) -> str:
    return DASH if value is None else f"{value:.0f}"


# (key, label, help, formatter)
METRICS = [
    ("reported", gettext_lazy("受理数"), gettext_lazy("期内上报的诉求，不含作废和重复"), str),
    ("closure_rate", gettext_lazy("结案率"), gettext_lazy("已结案（含已评价）÷ 受理数"), _pct),
    ("on_time_rate", gettext_lazy("按期结案率"), gettext_lazy("按期结案 ÷ 已结案"), _pct),
    ("rework_rate", gettext_lazy("返工率"), gettext_lazy("返工过的 ÷（已结案 + 返工中）"), _pct),
    ("satisfaction_rate", gettext_lazy("满意率"), gettext_lazy("满意 ÷ 已评价"), _pct),
    ("median_first_response_hours", gettext_lazy("首次响应（中位数）"), gettext_lazy("从上报到首次处理"), _hours),
    ("median_close_hours", gettext_lazy("办结用时（中位数）"), gettext_lazy("从上报到结案"), _hours),
    ("village_share", gettext_lazy("小事不出村"), gettext_lazy("在村/社区及以下结案的比例"), _pct),
    ("town_share", gettext_lazy("大事不出乡"), gettext_lazy("在镇/街道及以下结案的比例"), _pct),
    ("residents_per_grid_worker", gettext_lazy("人网比"), gettext_lazy("常住人口 ÷ 专职网格员"), _ratio),
]


def _cells(ind: Indicators) -> list[str]:
    return [fmt(getattr(ind, key)) for key, _label, _help, fmt in METRICS]


def _period(request: HttpRequest) -> tuple[Period, str]:
    """The period asked for in the query string, and an error message when the dates were bad."""
    today = clock.today()
    kind = request.GET.get("period", "this_month")
    if kind not in PERIOD_KINDS:
        kind = "this_month"
    if kind != "custom":
        return period_for(kind, today), ""
    try:
        asked = parsing.parse_period(_("开始日期"), _("结束日期"), request.GET.get("from"), request.GET.get("to"),
                                     max_days=MAX_DAYS)
    except DomainError as exc:
        return period_for("this_month", today), _("日期无效：%(error)s；已显示本月。") % {"error": exc}
    if asked.first is None or asked.last is None:
        return period_for("this_month", today), _("日期无效，请按 年-月-日 填写起止日期；已显示本月。")
    return period_for("custom", today, asked.first, asked.last), ""


@login_required
def indicators(request: HttpRequest, code: str) -> HttpResponse:
    """A unit's indicators over a period, its children's, and cases received per week."""
    try:
        unit = org_selectors.orgunit_get_for(user=request.user, code=code, action="cases.view")
    except NotFound:
        raise Http404() from None
    period, error = _period(request)
    children = list(OrgUnit.objects.filter(parent=unit, is_active=True).defer("boundary").order_by("code"))
    report = report_for(unit, children, period.start, period.end)
    weeks = weekly_counts(unit, period.start, period.end)
    headers = [label for _k, label, _h, _f in METRICS]
    crumbs = [(a, scopes.may(request.user, "cases.view", a)) for a in org_selectors.orgunit_ancestors(unit)]
    context = {
        "unit": unit,
        "crumbs": crumbs,
        "period": period,
        "period_error": error,
        "period_choices": [(k, PERIOD_LABELS[k]) for k in PERIOD_KINDS],
        "metrics": [{"label": label, "help": help_text, "value": value}
                    for (_k, label, help_text, _f), value in zip(METRICS, _cells(report.total), strict=True)],
        "headers": headers,
        "children": [{"unit": c.unit, "cells": list(zip(headers, _cells(c), strict=True))}
                     for c in report.children],
        "chart": {
            "weeks": [d.isoformat() for d, _n in weeks],
            "counts": [n for _d, n in weeks],
            "title": _("每周受理数"),
        },
    }
    return render(request, "cases/indicators/unit.html", context)
