"""Chinese first: pages stay zh-hans unless the user picks English (language cookie or switch).

A browser's Accept-Language is ignored on pages, so an official on an English-language browser still
sees Chinese; machine clients of the APIs (/api/, /open311/) may still negotiate the language.
"""

from __future__ import annotations

from django.conf import settings

API_PREFIXES = ("/api/", "/open311/")


class ChineseFirstMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not getattr(settings, "SHANZHI_BROWSER_LANGUAGE", False) and not request.path.startswith(API_PREFIXES):
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


class RejectNulMiddleware:
    """A NUL character in the path, the query string or a form field is bad input: 400 naming where it was.

    PostgreSQL cannot store or compare text holding NUL, so letting one through to a lookup is a 5xx.
    The answer is in the caller's format: the API's error body, Open311's error list, a plain page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        field = self._where(request)
        if field is None:
            return self.get_response(request)
        from django.http import HttpResponseBadRequest, JsonResponse
        from django.utils.translation import gettext as _

        message = _("%(field)s 含有不允许的空字符（NUL）") % {"field": field}
        if request.path.startswith("/api/"):
            return JsonResponse({"error": {"code": "invalid", "message": message, "fields": {field: [message]}}},
                                status=400, json_dumps_params={"ensure_ascii": False})
        if request.path.startswith("/open311/"):
            from shanzhi.open311.render import error

            return error("xml" if request.path.endswith(".xml") else "json", 400, f"{field}: {message}")
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")

    @staticmethod
    def _where(request) -> str | None:
        if "\x00" in request.path:
            return "path"
        forms = [request.GET]
        if request.method == "POST" and request.content_type in ("application/x-www-form-urlencoded",
                                                                   "multipart/form-data"):
            forms.append(request.POST)
        for form in forms:
            for key, values in form.lists():
                if "\x00" in key or any("\x00" in v for v in values):
                    return key.replace("\x00", "") or "?"
        return None
