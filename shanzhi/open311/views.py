"""Open311 GeoReport v2 endpoints (JSON and XML by extension) and the county admin's API-key page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shanzhi.accounts.throttles import throttle_wait
from shanzhi.cases.models import ApiKey
from shanzhi.lib.errors import DomainError, NotFound
from shanzhi.open311 import georeport
from shanzhi.open311 import render as out
from shanzhi.open311.selectors import apikey_authenticate, apikey_list_for, may_manage_keys
from shanzhi.open311.services import apikey_issue, apikey_revoke, open311_request_create


def _api(view: Callable) -> Callable:
    """Check the format and turn refusals into the spec's error bodies in that format."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, fmt: str, **kwargs) -> HttpResponse:
        if fmt not in out.FORMATS:
            raise Http404
        try:
            return view(request, *args, fmt=fmt, **kwargs)
        except DomainError as exc:
            return out.domain_error(fmt, exc)

    return wrapper


# ---- GeoReport v2 --------------------------------------------------------------------------

@require_GET
@_api
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    services = reverse("open311:services", kwargs={"fmt": fmt})
    doc = georeport.discovery(endpoint_url=request.build_absolute_uri(services.rsplit("/", 1)[0]),
                              keys_url=request.build_absolute_uri(reverse("open311:keys")))
    return out.respond(fmt, "discovery", doc)


@require_GET
@_api
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    return out.respond(fmt, "services", georeport.service_list())


@require_GET
@_api
def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    return out.respond(fmt, "service_definition", georeport.service_definition(code))


@csrf_exempt  # machine clients authenticate with api_key, not a session
@require_http_methods(["GET", "POST"])
@_api
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "GET":
        found = georeport.request_search(request.GET)
        return out.respond(fmt, "service_requests", [georeport.request_dict(c) for c in found])
    if "api_key" in request.GET:
        # Keys in URLs end up in access logs and proxies' histories: the spec's POST carries it in the body.
        return out.error(fmt, 400, _("api_key 不能放在网址（查询字符串）中，请作为 POST 请求体的表单字段 api_key 提交"))
    wait = throttle_wait(request, "open311_post")
    if wait is not None:
        response = out.error(fmt, 429, _("提交过于频繁，请%(wait)s秒后再试") % {"wait": wait})
        response["Retry-After"] = str(wait)
        return response
    key = apikey_authenticate(request.POST.get("api_key"))
    if key is None:
        return out.error(fmt, 403, _("api_key 缺失、无效或已吊销"))
    case = open311_request_create(api_key=key, data=request.POST,
                                  idempotency_key=request.headers.get("Idempotency-Key"))
    notice = _("已登记为诉求 %(number)s，由%(agency)s办理，应于 %(deadline)s 前办结。") % {
        "number": case.number,
        "agency": case.department.name if case.department_id else case.handling_unit.name,
        "deadline": georeport.iso(case.deadline_at) or "-"}
    body = [{"service_request_id": case.number, "service_notice": notice,
             "account_id": (request.POST.get("account_id") or "").strip()[:100]}]
    return out.respond(fmt, "service_requests", body)


@require_GET
@_api
def request_detail(request: HttpRequest, number: str, fmt: str) -> HttpResponse:
    return out.respond(fmt, "service_requests", [georeport.request_dict(georeport.request_get(number))])


@require_GET
@_api
def token(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    return out.respond(fmt, "service_requests", [georeport.token_get(token)])


# ---- API keys (county admins) --------------------------------------------------------------

class ApiKeyForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("客户端名称"), max_length=100,
                           widget=forms.TextInput(attrs={"placeholder": gettext_lazy("例如：12345 热线系统")}))


def _keys_page(request: HttpRequest, form: ApiKeyForm, new: tuple[ApiKey, str] | None = None) -> HttpResponse:
    keys = apikey_list_for(user=request.user)
    response = render(request, "open311/keys.html", {
        "keys": keys, "form": form, "new_key": new[0] if new else None, "plain_key": new[1] if new else "",
        "endpoint": request.build_absolute_uri(reverse("open311:discovery", kwargs={"fmt": "json"})),
    })
    response["Cache-Control"] = "no-store"  # the page may carry a key shown once
    return response


@login_required
@require_http_methods(["GET", "POST"])
def keys(request: HttpRequest) -> HttpResponse:
    """List keys and issue a new one (shown once). Anyone but a county admin gets not found."""
    if not may_manage_keys(request.user):
        raise Http404
    if request.method == "GET":
        return _keys_page(request, ApiKeyForm())
    form = ApiKeyForm(request.POST)
    if form.is_valid():
        try:
            new = apikey_issue(actor=request.user, name=form.cleaned_data["name"])
        except NotFound as exc:
            raise Http404 from exc
        except DomainError as exc:
            form.add_error("name", str(exc))
        else:
            return _keys_page(request, ApiKeyForm(), new)
    return _keys_page(request, form)


@login_required
@require_POST
def key_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    if not may_manage_keys(request.user):
        raise Http404
    key = get_object_or_404(ApiKey, pk=pk)
    try:
        apikey_revoke(actor=request.user, key=key)
    except NotFound as exc:
        raise Http404 from exc
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已吊销密钥 %(prefix)s…（%(name)s）") % {"prefix": key.prefix, "name": key.name})
    return redirect("open311:keys")
