"""Pages compressed for slow phones: Django's GZipMiddleware, for HTML only.

Pages and htmx fragments are most of what a phone fetches again on every visit (static files come
compressed from WhiteNoise). The API, photos and exports go out as they are: JSON clients and
already-compressed files gain nothing worth the CPU, and API clients keep plain bodies. Django pads
each gzip body with random bytes against BREACH and masks the CSRF token per response.
"""

from __future__ import annotations

from django.middleware.gzip import GZipMiddleware


class PageGZipMiddleware(GZipMiddleware):
    def process_response(self, request, response):
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        return super().process_response(request, response)
