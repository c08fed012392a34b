"""Shared view plumbing: one decorator maps the domain's refusals to HTTP for every staff page."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache

from shanzhi.accounts import scopes
from shanzhi.lib.errors import NotFound, PermissionDenied


def staff_page(view: Callable[..., HttpResponse] | None = None, *, action: str | None = None):
    """Logged-in staff only (and, with `action`, only those who may do it somewhere; others: 404);
    NotFound -> 404, PermissionDenied -> 403. Use as `@staff_page` or `@staff_page(action="...")`."""

    def allowed(request: HttpRequest) -> bool:
        return scopes.is_staff_user(request.user) and not (action and not scopes.may_somewhere(request.user, action))

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        return _page(view, allowed)

    return decorate(view) if view is not None else decorate


def user_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Any logged-in user, resident or staff (the services decide what they see and do); NotFound -> 404,
    PermissionDenied -> 403."""
    return _page(view, None)


def _page(view: Callable[..., HttpResponse], allowed: Callable[[HttpRequest], bool] | None):
    @login_required
    @never_cache
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if allowed is not None and not allowed(request):
            raise Http404()
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            raise Http404() from None
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(str(exc)) from None

    return wrapper
