"""Staff pages of the grid: home, a unit with its children, counts, posts and map.

Views are thin: reads go through selectors, permission decisions through shanzhi.accounts.scopes;
out of scope answers exactly like missing (404).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_noop

from shanzhi.accounts import scopes
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied
from shanzhi.org import selectors
from shanzhi.org.models import Level, OrgUnit, Role

# Choice labels live in models as plain Chinese; listing them here puts them in the catalog so
# templates can show them in English with {% trans value %}.
CHOICE_LABELS = (
    gettext_noop("县"), gettext_noop("镇/街道"), gettext_noop("村/社区"), gettext_noop("网格"),
    gettext_noop("小区"), gettext_noop("微网格"), gettext_noop("镇"), gettext_noop("街道"),
    gettext_noop("村"), gettext_noop("社区"), gettext_noop("楼道"), gettext_noop("村小组"),
    gettext_noop("县级管理员"), gettext_noop("镇街工作人员"), gettext_noop("村社干部"),
    gettext_noop("网格长"), gettext_noop("专职网格员"), gettext_noop("微网格长"),
    gettext_noop("部门工作人员"), gettext_noop("调解员"),
)

# Most households drawn on one micro-grid map; a micro-grid holds tens, so this only caps bad data.
MAX_MAP_POINTS = 2000


def domain_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Turn NotFound into 404, PermissionDenied into 403, other DomainErrors into a message."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            raise Http404() from None
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(str(exc)) from None
        except DomainError as exc:
            messages.error(request, str(exc))
            back = request.META.get("HTTP_REFERER", "")
            if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure()):
                back = reverse("org:home")
            return redirect(back)

    return wrapper


@domain_errors
def home(request: HttpRequest) -> HttpResponse:
    """Home by person, not by post: a visitor gets the landing page (resident log-in first), every resident
    (with or without a post) their own page with the post's work below, a grid worker the queue, other
    staff their scope (one root: straight to it)."""
    user = request.user
    if not user.is_authenticated:
        from shanzhi.accounts.forms import PhoneForm, StaffLoginForm

        staff_form = StaffLoginForm()
        staff_form.fields["username"].widget.attrs.pop("autofocus", None)  # the phone field has the focus
        return render(request, "org/landing.html", {"phone_form": PhoneForm(), "staff_form": staff_form})
    if _is_resident(user):
        return _resident_home(request)
    if not scopes.is_staff_user(user):
        return render(request, "org/no_posts.html")
    if Role.GRID_WORKER in scopes.held_roles(user) and scopes.may_somewhere(user, "cases.handle"):
        return redirect("cases:queue")
    roots = scopes.roots_for(user)
    if len(roots) == 1:
        return redirect("org:unit", code=roots[0].code)
    return render(request, "org/home.html", {"roots": roots})


@login_required
def indicators_home(request: HttpRequest) -> HttpResponse:
    """The old 指标 link: the command centre of the user's top unit (none: 404)."""
    if not scopes.may_somewhere(request.user, "dashboard.view"):
        raise Http404()
    return redirect("dashboard:home")


def _is_resident(user) -> bool:
    """A person who logs in by phone (a resident's account), whatever posts their resident record holds."""
    from shanzhi.accounts.models import UserKind

    return getattr(user, "kind", "") == UserKind.RESIDENT


def _resident_home(request: HttpRequest) -> HttpResponse:
    """我要反映 and 求助 first, then the resident's own household (masked), then what their posts add:
    their tasks and the households of their units (links to the scoped people pages). Cost: a few queries."""
    from shanzhi.campaigns import selectors as campaigns
    from shanzhi.people.models import ResidentStatus

    user = request.user
    resident = getattr(user, "resident", None)
    household = getattr(resident, "household", None) if resident is not None else None
    if household is not None and not household.is_active:
        household = None
    members = list(household.residents.filter(status=ResidentStatus.ACTIVE).order_by("pk")) if household else []
    post_units = scopes.roots_for(user, "people.view") if scopes.may_somewhere(user, "people.view") else []
    tasks, counts = campaigns.my_campaigns(user=user)  # a central household's leader has tasks, no post
    context = {
        "household": household, "members": members,
        "has_post": scopes.is_staff_user(user) or bool(tasks),
        "post_units": post_units,
        "tasks": [{"c": c, "n": counts[c.pk]} for c in tasks],
        "may_handle": scopes.may_somewhere(user, "cases.handle"),
    }
    return render(request, "org/resident_home.html", context)


def _crumbs(user, unit: OrgUnit) -> list[tuple[OrgUnit, bool]]:
    """Ancestors county first, each with whether the user may open it (no extra queries)."""
    return [(a, scopes.may(user, "org.view", a)) for a in selectors.orgunit_ancestors(unit)]


@login_required
@domain_errors
def unit(request: HttpRequest, code: str) -> HttpResponse:
    """One unit: breadcrumb, counts, children with their counts, current posts and a map."""
    user = request.user
    obj = selectors.orgunit_get_for(user=user, code=code)
    children = list(selectors.orgunit_children_for(user=user, unit=obj).defer("boundary"))
    posts = list(selectors.post_list_for(user=user, unit=obj).filter(unit=obj))
    context = {
        "unit": obj,
        "crumbs": _crumbs(user, obj),
        "children": children,
        "posts": posts,
        "may_people": scopes.may(user, "people.view", obj),
        "may_indicators": scopes.may(user, "dashboard.view", obj),
        "is_microgrid": obj.level == Level.MICROGRID,
        "tile_url": settings.SHANZHI.get("TILE_URL", ""),
        "tile_attribution": settings.SHANZHI.get("TILE_ATTRIBUTION", ""),
    }
    return render(request, "org/unit.html", context)


def _counts(u: OrgUnit) -> dict:
    return {
        "households": u.household_count,
        "residents": u.resident_count,
        "floating": u.floating_count,
        "staff": u.staff_count,
        "grid_workers": u.grid_worker_count,
        "ratio": u.residents_per_grid_worker,
    }


@login_required
@domain_errors
def children_geojson(request: HttpRequest, code: str) -> JsonResponse:
    """GeoJSON of the unit's outline, its children (with counts and links) and, for a micro-grid,
    its households as points. Cost: three queries at most.
    """
    user = request.user
    obj = selectors.orgunit_get_for(user=user, code=code)
    features: list[dict] = []
    if obj.boundary:
        features.append({"type": "Feature", "geometry": obj.boundary,
                         "properties": {"kind": "self", "code": obj.code, "name": obj.name, **_counts(obj)}})
    for child in selectors.orgunit_children_for(user=user, unit=obj):
        if not child.boundary:
            continue
        features.append({
            "type": "Feature",
            "geometry": child.boundary,
            "properties": {"kind": "child", "code": child.code, "name": child.name,
                           "url": reverse("org:unit", args=[child.code]), **_counts(child)},
        })
    if obj.level == Level.MICROGRID and scopes.may(user, "people.view", obj):
        from shanzhi.people import selectors as people

        rows = people.household_list_for(user=user, unit=obj).filter(lat__isnull=False, lon__isnull=False)
        for h in rows[:MAX_MAP_POINTS]:
            features.append({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [h.lon, h.lat]},
                "properties": {"kind": "household", "id": h.pk, "name": h.address, "number": h.number,
                               "url": reverse("people:household", args=[h.pk])},
            })
    return JsonResponse({"type": "FeatureCollection", "features": features},
                        json_dumps_params={"ensure_ascii": False})
