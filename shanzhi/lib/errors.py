"""Domain errors raised by services; pages and the API turn them into clear answers."""

from __future__ import annotations


class DomainError(Exception):
    """A refusal a user should read: message in Chinese, optional field errors."""

    code = "invalid"
    status = 400

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None, code: str | None = None):
        super().__init__(message)
        self.fields = fields or {}
        if code:
            self.code = code


class NotFound(DomainError):
    """Missing, or out of the caller's scope: the same answer for both."""

    code = "not_found"
    status = 404

    def __init__(self, message: str = "未找到", **kw):
        super().__init__(message, **kw)


class PermissionDenied(DomainError):
    """In scope but the role may not do this (e.g. a grid worker reassigning a town)."""

    code = "permission_denied"
    status = 403


class RateLimited(DomainError):
    """Too many of something in a short time (reveals an hour, codes a minute): try again later."""

    code = "rate_limited"
    status = 429
