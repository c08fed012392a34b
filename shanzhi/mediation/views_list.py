"""The staff list of disputes ("mediation:list"): the rows behind the command centre's mediation numbers.

Reads through shanzhi.mediation.selectors (dispute_list_for is the gate: rows out of scope never appear);
the unit filter resolves through org.selectors.orgunit_get_for with mediation.view, so a code out of
scope reads exactly like a missing one. No party names or phones on the list.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from shanzhi.lib import parsing
from shanzhi.lib.errors import NotFound
from shanzhi.mediation import selectors
from shanzhi.mediation.forms import DisputeFilterForm
from shanzhi.mediation.views import mediation_page, nav_context
from shanzhi.org.models import OrgUnit
from shanzhi.org.selectors import orgunit_get_for

PER_PAGE = 25


def _unit(user, form: DisputeFilterForm) -> OrgUnit | None:
    """The unit named by the filter, or None; a code missing or out of scope is a field error."""
    code = (form.cleaned_data.get("unit") or "").strip()
    if not code:
        return None
    try:
        return orgunit_get_for(user=user, code=code, action="mediation.view")
    except NotFound:
        form.add_error("unit", _("未找到该单位"))
        return None


@mediation_page
def dispute_list(request: HttpRequest) -> HttpResponse:
    """Disputes the user may see, filtered like the mediation indicators, newest registered first, 25 a
    page. Bad filters: 400 naming the field, and no rows. Cost: a fixed number of queries per page."""
    user = request.user
    form = DisputeFilterForm(request.GET or {})
    page, status = None, 200
    if form.is_valid():
        f = form.cleaned_data
        unit = _unit(user, form)
        if not form.errors:
            qs = selectors.dispute_list_filtered(
                user=user, unit=unit, start=parsing.day_start(f["since"]) if f.get("since") else None,
                end=parsing.day_after(f["until"]) if f.get("until") else None, result=f.get("result") or "",
                first_time=bool(f.get("first_time")), on_time=bool(f.get("on_time")), level=f.get("level") or "",
                repeat=bool(f.get("repeat")))
            page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    if form.errors:
        status = 400
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "mediation/list.html", {
        "form": form, "page": page, "errors": form.errors_named() if form.errors else [],
        "query": params.urlencode(), **nav_context(user),
    }, status=status)
