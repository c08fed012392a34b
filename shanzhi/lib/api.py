"""The API's one error format: {"error": {"code", "message", "fields"}}."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_handler

from shanzhi.lib.errors import DomainError


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
        fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
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


__all__ = ["exception_handler", "status"]
