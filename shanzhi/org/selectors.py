"""Reads of the grid across permission lines. Out of scope and missing both raise NotFound."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from shanzhi.accounts import scopes
from shanzhi.lib.errors import NotFound
from shanzhi.org.models import Department, OrgUnit, Post


def orgunit_list_for(*, user, action: str = "org.view") -> QuerySet[OrgUnit]:
    """Units the user may see (their subtrees). Cost: one query; prefix filter on the path index."""
    return OrgUnit.objects.filter(scopes.scope_q(user, action), is_active=True)


def orgunit_get_for(*, user, code: str, action: str = "org.view") -> OrgUnit:
    try:
        return orgunit_list_for(user=user, action=action).get(code=code)
    except OrgUnit.DoesNotExist:
        raise NotFound("未找到该单位") from None


def orgunit_children_for(*, user, unit: OrgUnit) -> QuerySet[OrgUnit]:
    return orgunit_list_for(user=user).filter(parent=unit).order_by("code")


def locate_for(*, user, lat: float, lon: float) -> tuple[OrgUnit, list[OrgUnit]]:
    """The micro-grid under a point and the units above it the user may see; a micro-grid out of scope
    answers exactly like a point outside the county (NotFound)."""
    from shanzhi.org import locate

    found = locate.locate(lat, lon)
    if found is None or not scopes.may(user, "org.view", found.micro_grid):
        raise NotFound(_("该坐标不在任何网格内"))
    return found.micro_grid, [u for u in found.chain if scopes.may(user, "org.view", u)]


def orgunit_ancestors(unit: OrgUnit) -> list[OrgUnit]:
    """The unit's ancestors, county first. Cost: one query."""
    codes = unit.ancestor_codes[:-1]
    return list(OrgUnit.objects.filter(code__in=codes).order_by("path")) if codes else []


def post_list_for(*, user, unit: OrgUnit | None = None, current_only: bool = True) -> QuerySet[Post]:
    qs = Post.objects.filter(scopes.scope_q(user, "org.view", "unit"))
    if unit is not None:
        qs = qs.filter(unit.subtree_q("unit"))
    if current_only:
        qs = qs.filter(Post.current_q())
    return qs.select_related("unit", "department", "user").order_by("unit__path", "role", "id")


def department_list_for(*, user, unit: OrgUnit | None = None) -> QuerySet[Department]:
    """Active departments of units in the user's scope (optionally under a unit). Cost: one query."""
    qs = Department.objects.filter(scopes.scope_q(user, "org.view", "unit"), is_active=True)
    if unit is not None:
        qs = qs.filter(unit.subtree_q("unit"))
    return qs.select_related("unit").order_by("code")
