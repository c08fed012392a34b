"""The audit log page: search, newest first, before and after. Read-only by design."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from shanzhi.audit.forms import AuditSearchForm
from shanzhi.audit.selectors import audit_list_for
from shanzhi.lib.errors import NotFound

PAGE_SIZE = 50


def _show(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _changes(before: dict | None, after: dict | None) -> list[tuple[str, str, str]]:
    """(field, before, after) rows in first-seen order; when both sides exist, only what changed."""
    both = before is not None and after is not None
    before, after = before or {}, after or {}
    keys = list(dict.fromkeys([*before, *after]))
    if both:
        keys = [k for k in keys if before.get(k) != after.get(k)] or keys
    return [(k, _show(before.get(k)), _show(after.get(k))) for k in keys]


@login_required
@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    """Search the log (county admins only; anyone else gets not found)."""
    form = AuditSearchForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        filters = {"actor": d["actor"].strip(), "action": d["action"].strip(),
                   "object_type": d["object_type"].strip(), "object_id": d["object_id"].strip(),
                   "date_from": d["date_from"], "date_to": d["date_to"], "text": d["q"].strip()}
    try:
        qs = audit_list_for(user=request.user, **filters)
    except NotFound as exc:
        raise Http404 from exc
    if form.is_bound and not form.is_valid():
        qs = qs.none()
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(e, _changes(e.before, e.after)) for e in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/list.html",
                  {"form": form, "page": page, "rows": rows, "query": query.urlencode()})
