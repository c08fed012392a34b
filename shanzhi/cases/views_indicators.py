"""The old indicators page of a unit now lives in the command centre (/dashboard/<code>/): this answers
with a redirect there, keeping the query string (its period names translated).

The unit is opened through the gate first, so out of scope answers 404 exactly like a missing code.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET

from shanzhi.lib import clock
from shanzhi.lib.periods import period_for
from shanzhi.lib.views import staff_page
from shanzhi.org import selectors as org_selectors

# The old page's period names and the command centre's.
OLD_PERIODS = {"this_month": "month", "this_year": "year"}


def _translated(query) -> dict[str, list[str]]:
    params = {k: query.getlist(k) for k in query}
    kind = query.get("period", "")
    if kind in OLD_PERIODS:
        params["period"] = [OLD_PERIODS[kind]]
    elif kind == "last_month":
        last = period_for("month", clock.today()).previous()
        params.update(period=["custom"], **{"from": [last.first.isoformat()], "to": [last.last.isoformat()]})
    return params


@require_GET
@staff_page(action="dashboard.view")
def indicators(request: HttpRequest, code: str) -> HttpResponse:
    """Redirect to the unit's command centre, keeping the period and any other parameters."""
    unit = org_selectors.orgunit_get_for(user=request.user, code=code, action="dashboard.view")
    url = reverse("dashboard:centre", args=[unit.code])
    query = urlencode(_translated(request.GET), doseq=True)
    return redirect(f"{url}?{query}" if query else url)
