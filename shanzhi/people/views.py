"""Registry pages: household and resident lists of a unit, their details, and the audited reveal.

Views are thin: reads through selectors, the reveal through the service, scope decisions through
shanzhi.accounts.scopes. Lists cost a fixed number of queries whatever the number of rows.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language, gettext_noop
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from shanzhi.accounts import scopes
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied
from shanzhi.org import selectors as org_selectors
from shanzhi.org.models import OrgUnit
from shanzhi.org.views import domain_errors
from shanzhi.people import selectors, services
from shanzhi.people.forms import RevealForm, SearchForm
from shanzhi.people.models import CareTag, CentralHousehold, Household, Residency, Resident

PER_PAGE = 50
# Columns list rows never show: ciphertexts, hashes, and the micro-grid's polygon (parsed per row).
UNUSED_UNIT_FIELDS = ("micro_grid__boundary",)
UNUSED_RESIDENT_FIELDS = ("id_number_enc", "phone_enc", "id_number_hash", "phone_hash")

CHOICE_LABELS = (
    gettext_noop("户籍"), gettext_noop("流动"), gettext_noop("人户混合"), gettext_noop("男"), gettext_noop("女"),
    gettext_noop("户主"), gettext_noop("配偶"), gettext_noop("子女"), gettext_noop("父母"),
    gettext_noop("孙子女"), gettext_noop("祖父母"), gettext_noop("兄弟姐妹"), gettext_noop("其他"),
    gettext_noop("租户"), gettext_noop("在住"), gettext_noop("迁出"), gettext_noop("死亡"),
)


class CountedPaginator(Paginator):
    """A Paginator for big scoped lists.

    The total comes from a rolled-up count when it is known (no COUNT(*)), and a page is read in
    two steps: the page's ids first (a narrow sort, cheap even deep into a county of 800,000), then
    those rows with their joins. Cost: one or two queries per page, plus the COUNT when filtered.
    """

    def __init__(self, object_list, per_page: int, known_count: int | None = None):
        super().__init__(object_list, per_page)
        self._known_count = known_count

    @cached_property
    def count(self) -> int:
        if self._known_count is not None:
            return self._known_count
        return super().count

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        ids = list(self.object_list.values_list("pk", flat=True)[bottom:bottom + self.per_page])
        rows = {row.pk: row for row in self.object_list.filter(pk__in=ids)} if ids else {}
        return self._get_page([rows[i] for i in ids if i in rows], number, self)


def _english() -> bool:
    return (get_language() or "").startswith("en")


def _age(birth: dt.date, today: dt.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _list_page(request: HttpRequest, *, unit: OrgUnit, qs, known_count: int, filtered: bool,
               full: str, partial: str, extra: dict) -> HttpResponse:
    """Paginate a scoped queryset and render the full page, or only the rows for htmx."""
    paginator = CountedPaginator(qs, PER_PAGE, None if filtered else known_count)
    page = paginator.get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    context = {"unit": unit, "page": page, "query": params.urlencode(), "filtered": filtered,
               "crumbs": [(a, scopes.may(request.user, "org.view", a))
                          for a in org_selectors.orgunit_ancestors(unit)], **extra}
    htmx = request.headers.get("HX-Request") == "true" and request.headers.get("HX-Target") == "results"
    response = render(request, partial if htmx else full, context)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


@login_required
@domain_errors
def household_list(request: HttpRequest, code: str) -> HttpResponse:
    """Households under a unit, searchable by number, address or a resident's name, 50 a page."""
    unit = org_selectors.orgunit_get_for(user=request.user, code=code, action="people.view")
    form = SearchForm(request.GET)
    form.fields.pop("tag")
    q = form.cleaned_data["q"] if form.is_valid() else ""
    qs = selectors.household_list_for(user=request.user, unit=unit, q=q).defer(*UNUSED_UNIT_FIELDS)
    return _list_page(request, unit=unit, qs=qs, known_count=unit.household_count, filtered=bool(q),
                      full="people/household_list.html", partial="people/_household_rows.html",
                      extra={"form": form, "q": q})


@login_required
@domain_errors
def resident_list(request: HttpRequest, code: str) -> HttpResponse:
    """Active residents under a unit; search by name or exact ID/phone; filter by care tag."""
    unit = org_selectors.orgunit_get_for(user=request.user, code=code, action="people.view")
    tags = list(CareTag.objects.all())
    form = SearchForm(request.GET, tags=tags, english=_english())
    form.fields["tag"].widget.attrs.update({"hx-get": request.path, "hx-target": "#results",
                                            "hx-include": "closest form", "hx-push-url": "true"})
    q = tag = ""
    if form.is_valid():
        q, tag = form.cleaned_data["q"], form.cleaned_data["tag"]
    qs = (selectors.resident_list_for(user=request.user, unit=unit, q=q, tag=tag)
          .defer(*UNUSED_RESIDENT_FIELDS, *(f"household__{f}" for f in UNUSED_UNIT_FIELDS))
          .prefetch_related("tags"))
    response = _list_page(request, unit=unit, qs=qs, known_count=unit.resident_count, filtered=bool(q or tag),
                          full="people/resident_list.html", partial="people/_resident_rows.html",
                          extra={"form": form, "q": q, "tag": tag, "today": clock.today()})
    return response


def _chain(user, micro_grid: OrgUnit) -> list[tuple[OrgUnit, bool]]:
    units = [*org_selectors.orgunit_ancestors(micro_grid), micro_grid]
    return [(u, scopes.may(user, "org.view", u)) for u in units]


@login_required
@domain_errors
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One household: address, micro-grid chain, residents (masked), central household, history."""
    user = request.user
    household: Household = selectors.household_get_for(user=user, pk=pk)
    residents = list(household.residents.prefetch_related("tags").order_by("status", "id"))
    today = clock.today()
    for r in residents:
        r.age = _age(r.birth_date, today)
    history = list(Residency.objects.filter(household=household).select_related("resident")
                   .order_by("moved_in", "id"))
    central = None
    if household.central_household_id:
        central = household.central_household
        central.in_scope = scopes.may(user, "people.view", central.household.micro_grid)
    try:
        led = household.as_central
    except CentralHousehold.DoesNotExist:
        led = None
    members = list(led.members.order_by("number")) if led else []
    return render(request, "people/household_detail.html", {
        "household": household, "chain": _chain(user, household.micro_grid), "residents": residents,
        "history": history, "central": central, "led": led, "members": members,
    })


def _resident_context(request: HttpRequest, resident: Resident) -> dict:
    user = request.user
    history = list(resident.residencies.select_related("household", "household__micro_grid")
                   .order_by("moved_in", "id"))
    for h in history:
        h.in_scope = scopes.may(user, "people.view", h.household.micro_grid)
    return {
        "resident": resident,
        "age": _age(resident.birth_date, clock.today()),
        "tags": list(resident.tags.all()),
        "history": history,
        "chain": _chain(user, resident.household.micro_grid) if resident.household else [],
        "may_reveal": bool(resident.household) and scopes.may(user, "people.reveal", resident.household.micro_grid),
    }


@login_required
@domain_errors
def resident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One resident, masked, with tags, residency history and the reveal form."""
    resident = selectors.resident_get_for(user=request.user, pk=pk)
    context = _resident_context(request, resident)
    context["reveal_form"] = RevealForm()
    return render(request, "people/resident_detail.html", context)


@never_cache
@require_POST
@login_required
@domain_errors
def resident_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """Reveal an ID number or phone once, with a reason (audited by the service); never stored in the page."""
    form = RevealForm(request.POST)
    revealed = None
    if form.is_valid():
        try:  # the service finds the resident, so an attempt out of scope is audited too (and is a 404)
            value = services.resident_reveal(actor=request.user, resident=pk,
                                             field=form.cleaned_data["field"], reason=form.cleaned_data["reason"])
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:  # the messages show in the form (htmx swaps only a 200)
            if not exc.fields:
                form.add_error(None, str(exc))
            for name, errors in exc.fields.items():
                for msg in errors:
                    form.add_error(name if name in form.fields else None, msg)
        else:
            revealed = {"field": form.cleaned_data["field"], "value": value}
            form = RevealForm(initial={"field": form.cleaned_data["field"]})
    resident = selectors.resident_get_for(user=request.user, pk=pk)
    context = {"resident": resident, "reveal_form": form, "revealed": revealed}
    if request.headers.get("HX-Request") == "true":
        return render(request, "people/_reveal.html", context)
    context.update(_resident_context(request, resident))
    context["reveal_form"] = form
    return render(request, "people/resident_detail.html", context)
