"""A unit's monthly report: its indicators against the month before and a year before, its children, and the
grid evaluation; a printable page (A4 print stylesheet) and the same as DOCX (?format=docx)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from shanzhi.accounts import scopes
from shanzhi.dashboard import evaluation, exports, registry, report
from shanzhi.dashboard.views_evaluation import bad_request, shown_keys, unit_and_month
from shanzhi.lib import parsing
from shanzhi.lib.errors import DomainError
from shanzhi.lib.replica import replica_reads
from shanzhi.lib.views import staff_page
from shanzhi.org import selectors as org_selectors
from shanzhi.org.models import OrgUnit

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
REPORT_FORMATS = ("docx", *exports.FORMATS)


@staff_page(action="dashboard.view")
def unit_report(request: HttpRequest, code: str) -> HttpResponse:
    """The monthly report of a unit the user may look at (others 404); ?format=docx for Word."""
    got = unit_and_month(request, code)
    if isinstance(got, HttpResponse):
        return got
    unit, period = got
    fmt = request.GET.get("format")
    if fmt is not None and fmt not in REPORT_FORMATS:
        message = _("导出格式只能是 docx、xlsx 或 csv")
        return bad_request(request, unit, DomainError(message, fields={"format": [message]}))
    with replica_reads() as status:
        inds = registry.visible(request.user, unit)
        children = list(OrgUnit.objects.filter(parent=unit, is_active=True).defer("boundary").order_by("code"))
        ev = evaluation.evaluate(unit, period)
        tables = [report.indicators_table(unit, period, inds), report.children_table(unit, children, period, inds),
                  report.ranking_table(ev, shown_keys(request.user, unit)), report.grades_table(unit, ev)]
    title = _("%(name)s %(month)s 月度报告") % {"name": unit.name, "month": report.month_label(period)}
    subtitle = _("%(first)s 至 %(last)s") % {"first": period.first.isoformat(), "last": period.last.isoformat()}
    if fmt == "docx":
        response = HttpResponse(report.report_docx(title, subtitle, tables), content_type=DOCX_TYPE)
        response["Content-Disposition"] = content_disposition_header(True, f"{parsing.document_text(title)}.docx")
        return response
    if fmt is not None:
        by_key = {t.key: t for t in tables}
        key = request.GET.get("table") or "indicators"
        if key not in by_key:
            message = _("没有这张表：%(key)s") % {"key": parsing.document_text(key)[:40]}
            return bad_request(request, unit, DomainError(message, fields={"table": [message]}))
        return exports.table_response(by_key[key], fmt, f"{title}-{by_key[key].title}")
    crumbs = [(a, scopes.may(request.user, "dashboard.view", a)) for a in org_selectors.orgunit_ancestors(unit)]
    return render(request, "dashboard/report/unit.html", {
        "unit": unit, "crumbs": crumbs, "period": period, "title": title, "subtitle": subtitle,
        "month": report.month_label(period), "tables": tables, "ev": ev, "replica_note": status.note,
    })
