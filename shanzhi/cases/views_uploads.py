"""Photos sent one by one before their form (see shanzhi.cases.uploads): the upload and its thumbnail.

POST /cases/uploads/ (field `photo`) answers JSON {"token", "thumb", "width", "height", "size"}, or a
400 in the API's error format {"error": {"code", "message", "fields": {"photos": [...]}}}. The thumbnail
is served to its owner only; anyone else's token is a 404 like a missing one.
"""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from shanzhi.cases import uploads
from shanzhi.lib.errors import DomainError


def _error(exc: DomainError, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": {"code": exc.code, "message": str(exc), "fields": exc.fields}}, status=status,
                        json_dumps_params={"ensure_ascii": False})


@require_POST
def upload(request: HttpRequest) -> HttpResponse:
    """Check, re-encode and keep one photo for the logged-in user; answer its token."""
    if not request.user.is_authenticated:
        return _error(DomainError("请先登录", fields={"photos": ["请先登录"]}, code="not_authenticated"), 403)
    try:
        pending = uploads.upload_create(actor=request.user, photo=request.FILES.get("photo"))
    except DomainError as exc:
        return _error(exc)
    return JsonResponse({"token": pending.token, "thumb": reverse("cases:upload_thumb", args=[pending.token]),
                         "width": pending.width, "height": pending.height, "size": len(pending.data)}, status=201)


@require_GET
def thumb(request: HttpRequest, token: str) -> HttpResponse:
    """The small preview of the user's own pending photo (others, expired, claimed: 404)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    pending = uploads.upload_get_for(user=request.user, token=token)
    if pending is None:
        raise Http404()
    response = HttpResponse(bytes(pending.thumb), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response
