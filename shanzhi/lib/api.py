"""The API's one error format: {"error": {"code", "message", "fields"}}, for every answer under /api/.

Also here: the paginator (a bad `page` is a 400 naming it), the JSON 404 for API paths no route matches,
and the schema hook that documents the errors the framework itself may answer on any operation.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_handler

from shanzhi.lib.errors import DomainError


def flat_fields(detail, prefix: str = "") -> dict[str, list[str]]:
    """Field errors as {name: [message]}: nested ones named like `photos[0]` or `parties[1].name`."""
    out: dict[str, list[str]] = {}

    def walk(value, name: str) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                key = str(key)
                walk(sub, f"{name}[{key}]" if key.isdigit() and name else (f"{name}.{key}" if name else key))
        elif isinstance(value, list | tuple) and any(isinstance(v, dict | list | tuple) for v in value):
            for i, sub in enumerate(value):
                if sub:
                    walk(sub, f"{name}[{i}]")
        else:
            items = value if isinstance(value, list | tuple) else [value]
            out.setdefault(name or "non_field_errors", []).extend(str(m) for m in items)

    walk(detail, prefix)
    return out


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(
            {"error": {"code": exc.code, "message": str(exc), "fields": exc.fields}},
            status=exc.status,
        )
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    response = drf_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    if isinstance(exc, exceptions.ValidationError):
        fields = flat_fields(detail if isinstance(detail, dict) else {"non_field_errors": detail})
        message = "；".join(
            f"{k}: {' '.join(str(m) for m in (v if isinstance(v, list) else [v]))}" for k, v in fields.items()
        )
        body = {"code": "invalid", "message": message, "fields": fields}
    else:
        code = getattr(exc, "default_code", "error")
        message = detail.get("detail", str(detail)) if isinstance(detail, dict) else str(detail)
        body = {"code": code, "message": str(message), "fields": {}}
    response.data = {"error": body}
    return response


class Pagination(PageNumberPagination):
    """Pages of 50 (PAGE_SIZE); a page that is not a number or past the last is a 400 naming `page`."""

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except exceptions.NotFound:
            msg = _("page 应为从 1 开始、不超过总页数的整数")
            raise DomainError(msg, fields={self.page_query_param: [msg]}) from None


def not_found(request, exception=None):
    """The 404 of a path no route matches: the API's error format under /api/, the 404 page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"error": {"code": "not_found", "message": _("未找到"), "fields": {}}}, status=404,
                            json_dumps_params={"ensure_ascii": False})
    return defaults.page_not_found(request, exception)


def bad_request(request, exception=None):
    """A request Django refuses before any view (a malformed multipart body, too many fields): the API's
    error format under /api/, the 400 page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"error": {"code": "invalid", "message": _("请求格式不正确"), "fields": {}}}, status=400,
                            json_dumps_params={"ensure_ascii": False})
    return defaults.bad_request(request, exception)


def document_framework_errors(result, generator, request, public):
    """drf-spectacular hook: every operation documents the errors the framework may answer on its own.

    400 (malformed body or parameter), 401/403 where a token is needed, 404 where the path names an
    object (or no route matches its value), 415 where there is a request body. Each uses the one error body.
    """
    error = {"description": "", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    texts = {"400": "bad input", "401": "not signed in", "403": "not allowed", "404": "not found or out of scope",
             "415": "unsupported media type"}
    for path, item in result.get("paths", {}).items():
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            codes = ["400"]
            if operation.get("security") and operation["security"] != [{}]:
                codes += ["401", "403"]
            if "{" in path:
                codes.append("404")
            if "requestBody" in operation:
                codes.append("415")
            for code in codes:
                operation["responses"].setdefault(code, {**error, "description": texts[code]})
    return result


__all__ = ["Pagination", "document_framework_errors", "exception_handler", "flat_fields", "not_found", "status"]
