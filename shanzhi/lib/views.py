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


def staff_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged-in staff only (others: 404); NotFound -> 404, PermissionDenied -> 403."""

    @login_required
    @never_cache
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not scopes.is_staff_user(request.user):
            raise Http404()
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            raise Http404() from None
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(str(exc)) from None

    return wrapper
