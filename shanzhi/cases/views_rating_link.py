"""The page behind the rating SMS's short link: that case's rating form, bound to the link's token.

No log-in and no session: the token grants rating its case once, nothing else. Unknown token: 404; used,
expired or replaced: the page says so in words (410). Writes through shanzhi.cases.rating_links."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from shanzhi.cases import rating_links
from shanzhi.cases.forms_resident import RateForm
from shanzhi.lib.errors import DomainError, NotFound


@never_cache
@require_http_methods(["GET", "POST"])
def rate_link(request: HttpRequest, token: str) -> HttpResponse:
    """Show the rating form of the link's case, or why the link no longer rates; POST rates once."""
    try:
        case, refusal = rating_links.rating_link_check(token=token)
    except NotFound:
        raise Http404() from None
    form = RateForm(request.POST or None)
    done, status = False, 200
    if refusal:
        status = 410
    elif request.method == "POST":
        status = 400
        if form.is_valid():
            cd = form.cleaned_data
            try:
                rating_links.rating_link_rate(token=token, rating=cd["rating"], satisfied=cd["satisfied"],
                                              comment=cd["comment"])
            except NotFound:
                raise Http404() from None
            except rating_links.LinkRefused as exc:
                refusal, status = str(exc), exc.status
            except DomainError as exc:
                for field, msgs in exc.fields.items():
                    for m in msgs:
                        form.add_error(field if field in form.fields else None, m)
                if not exc.fields:
                    form.add_error(None, str(exc))
            else:
                done, status = True, 200
    context = {"case": case, "form": form, "refusal": gettext(refusal) if refusal else "", "done": done,
               "category": case.category.name}
    response = render(request, "cases/resident/rate_link.html", context, status=status)
    response["Referrer-Policy"] = "no-referrer"  # the token is in the address: never pass it on
    return response
