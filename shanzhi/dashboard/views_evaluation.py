"""Grid evaluation pages: a unit's ranking, grade distribution and trends; the scheme's configuration.

A unit's evaluation: staff with dashboard.view on it (others 404, as a unit that does not exist). The scheme:
every staff member with an evaluation to look at reads it; only the county admin changes it (others 403).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from shanzhi.accounts import scopes
from shanzhi.dashboard import evaluation, exports, registry, report, services
from shanzhi.dashboard.forms import SchemeForm
from shanzhi.lib import clock, parsing
from shanzhi.lib.errors import DomainError
from shanzhi.lib.periods import Period
from shanzhi.lib.replica import replica_reads
from shanzhi.lib.views import staff_page
from shanzhi.org import selectors as org_selectors
from shanzhi.org.models import Level, OrgUnit

BELOW_GRIDS = (Level.COMPOUND, Level.MICROGRID)


def default_month() -> Period:
    """The last complete month: what a monthly evaluation looks at unless asked otherwise."""
    return evaluation.month_of(clock.today(), -1)


def unit_and_month(request: HttpRequest, code: str) -> tuple[OrgUnit, Period] | HttpResponse:
    """The unit (404 when out of scope or missing), then the month; a bad month or a unit below the grids
    answers 400 with a page saying why."""
    unit = org_selectors.orgunit_get_for(user=request.user, code=code, action="dashboard.view")
    try:
        if unit.level in BELOW_GRIDS:
            message = _("网格考核以网格为单位，请选择网格或以上的单位")
            raise DomainError(message, fields={"code": [message]})
        period = evaluation.parse_month("month", request.GET.get("month"), default=default_month().first)
    except DomainError as exc:
        return bad_request(request, unit, exc)
    return unit, period


def bad_request(request: HttpRequest, unit: OrgUnit, exc: DomainError) -> HttpResponse:
    """The 400 page: what was wrong, by field, and a month picker."""
    fields = {"month": _("月份"), "format": _("导出格式"), "table": _("表格"), "code": _("单位")}
    errors = [_("%(field)s：%(message)s") % {"field": fields.get(name, name), "message": m} for name, ms in (exc.fields or {"": [str(exc)]}).items() for m in ms]
    return render(request, "dashboard/evaluation_error.html",
                  {"unit": unit, "errors": errors, "month": default_month()}, status=400)


def shown_keys(user, unit: OrgUnit) -> set[str]:
    return {i.key for i in registry.visible(user, unit)}


@staff_page(action="dashboard.view")
def unit_evaluation(request: HttpRequest, code: str) -> HttpResponse:
    """A unit's grids ranked for a month, the grade distribution and each grid's twelve-month trend."""
    got = unit_and_month(request, code)
    if isinstance(got, HttpResponse):
        return got
    unit, period = got
    with replica_reads() as status:
        ev = evaluation.evaluate(unit, period)
        keys = shown_keys(request.user, unit)
        ranking = report.ranking_table(ev, keys)
        grades = report.grades_table(unit, ev)

        def trend_table():
            periods, totals = evaluation.trend(unit, period)
            return report.trend_table(ev, periods, totals), periods, totals

        stem = f"{unit.name}-{report.month_label(period)}"
        try:
            download = exports.export_or_none(request, {"ranking": ranking, "grades": grades,
                                                      "trend": lambda: trend_table()[0]}, stem)
        except DomainError as exc:
            return bad_request(request, unit, exc)
        if download is not None:
            return download
        trend, periods, totals = trend_table()
    sparks = {gid: report.sparkline(periods, t) for gid, t in totals.items()}
    crumbs = [(a, scopes.may(request.user, "dashboard.view", a)) for a in org_selectors.orgunit_ancestors(unit)]
    return render(request, "dashboard/evaluation/unit.html", {
        "unit": unit, "crumbs": crumbs, "period": period, "month": report.month_label(period),
        "previous": report.month_label(period.previous()),
        "next": report.month_label(evaluation.month_of(period.first, 1)),
        "ev": ev, "ranking": ranking, "grades": grades, "trend": trend,
        "trend_rows": [{"cells": row, "spark": sparks.get(s.grid.id)}
                       for row, s in zip(trend.rows, report._sorted(ev.scores), strict=True)],
        "replica_note": status.note,
        "may_configure": scopes.covers_all(request.user, "dashboard.configure"),
    })


@staff_page(action="dashboard.view")
def scheme(request: HttpRequest) -> HttpResponse:
    """The evaluation scheme: a form for the county admin, the weights as a table for other staff."""
    current = evaluation.current_scheme()
    may_edit = scopes.covers_all(request.user, "dashboard.configure")
    form = None
    status = 200
    if request.method == "POST":
        services.evaluation_scheme_gate(request.user)  # 403 before reading the form for who may only look
        form = SchemeForm(data=request.POST, scheme=current)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.evaluation_scheme_update(actor=request.user, scheme=current, name=data["name"],
                                                  effective_from=data["effective_from"], weights=data["weights"],
                                                  grades=data["grades"])
            except DomainError as exc:
                parsing.add_to_form(form, exc)
            else:
                messages.success(request, _("考核方案已保存"))
                return redirect("evaluation:scheme")
        status = 400
    elif may_edit:
        form = SchemeForm(scheme=current)
    rows = []
    if current is not None:
        rows = [{"label": evaluation.indicator_label(w.indicator_key), "key": w.indicator_key, "weight": w.weight,
                 "mapping": evaluation.mapping_label(w.mapping), "target": w.target, "limit": w.limit,
                 "registered": w.indicator_key in {i.key for i in registry.all_indicators()}}
                for w in current.weights.all()]
    return render(request, "dashboard/evaluation/scheme.html", {
        "scheme": current, "rows": rows, "form": form, "may_edit": may_edit,
        "home": scopes.roots_for(request.user, "dashboard.view")[:1],
    }, status=status)
