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
