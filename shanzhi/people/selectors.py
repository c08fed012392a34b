"""Reads of the registry across permission lines. Out of scope and missing both raise NotFound."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from shanzhi.accounts import scopes
from shanzhi.lib.codes import CodeError, normalise_id_number, normalise_phone
from shanzhi.lib.crypto import lookup_hash
from shanzhi.lib.errors import NotFound
from shanzhi.org.models import OrgUnit
from shanzhi.people.models import Household, Resident, ResidentStatus


def household_list_for(*, user, unit: OrgUnit | None = None, q: str = "",
                       action: str = "people.view") -> QuerySet[Household]:
    """Households where the user may do `action`, optionally under a unit and matching a search.

    A resident without a post sees their own household. Cost: one query (plus a count when
    paginated); the unit join uses the path index.
    """
    qs = Household.objects.filter(scopes.scope_q(user, action, "micro_grid"), is_active=True)
    if action == "people.view" and getattr(user, "resident_id", None) and not scopes.is_staff_user(user):
        qs = Household.objects.filter(residents__id=user.resident_id)
    if unit is not None:
        qs = qs.filter(unit.subtree_q("micro_grid"))
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(number=q) | Q(address__contains=q) | Q(residents__name=q)).distinct()
    return qs.select_related("micro_grid").order_by("number")


def household_get_for(*, user, pk: int, action: str = "people.view") -> Household:
    try:
        return household_list_for(user=user, action=action).get(pk=pk)
    except (Household.DoesNotExist, ValueError, TypeError):
        raise NotFound("未找到该户") from None


def resident_list_for(*, user, unit: OrgUnit | None = None, q: str = "", tag: str = "",
                      include_inactive: bool = False, action: str = "people.view") -> QuerySet[Resident]:
    """Residents where the user may do `action`; search by name, or exactly by ID number or phone
    (keyed hash). A resident without a post sees their own household's members."""
    qs = Resident.objects.filter(scopes.scope_q(user, action, "household__micro_grid"))
    if action == "people.view" and getattr(user, "resident_id", None) and not scopes.is_staff_user(user):
        qs = Resident.objects.filter(household__residents__id=user.resident_id)
    if not include_inactive:
        qs = qs.filter(status=ResidentStatus.ACTIVE)
    if unit is not None:
        qs = qs.filter(unit.subtree_q("household__micro_grid"))
    if tag:
        qs = qs.filter(tags__code=tag)
    q = (q or "").strip()
    if q:
        cond = Q(name=q) | Q(name__startswith=q)
        try:
            cond |= Q(id_number_hash=lookup_hash(normalise_id_number(q)))
        except CodeError:
            pass
        try:
            cond |= Q(phone_hash=lookup_hash(normalise_phone(q)))
        except CodeError:
            pass
        qs = qs.filter(cond)
    return qs.select_related("household", "household__micro_grid").order_by("household__number", "id")


def resident_get_for(*, user, pk: int, action: str = "people.view") -> Resident:
    try:
        return resident_list_for(user=user, include_inactive=True, action=action).get(pk=pk)
    except (Resident.DoesNotExist, ValueError, TypeError):
        raise NotFound("未找到该居民") from None
