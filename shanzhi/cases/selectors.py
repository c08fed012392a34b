"""Reads of cases across permission lines. Out of scope and missing both raise NotFound."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from shanzhi.accounts import scopes
from shanzhi.cases.models import OPEN_STATUSES, Case, Status
from shanzhi.lib.errors import NotFound
from shanzhi.org.models import Level, OrgUnit


def case_list_for(*, user) -> QuerySet[Case]:
    """Cases a user may see: staff by place or handling unit in scope, by assignment or department;
    residents their own and those they follow. Cost: one query.

    The units in scope are a subquery on the indexed path, matched against the two indexed foreign keys,
    so the database can answer each branch of the OR from an index instead of joining the tree twice.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return Case.objects.none()
    followed = Case.followers.through.objects.filter(user_id=user.pk).values("case_id")
    q = Q(reporter_id=user.pk) | Q(assignee_id=user.pk) | Q(id__in=followed)
    if scopes.is_staff_user(user):
        prefixes = scopes.paths_for(user, "cases.view")
        if prefixes == [""]:
            return Case.objects.all()
        if prefixes:
            units = OrgUnit.objects.filter(scopes.scope_q(user, "cases.view")).values("id")
            q |= Q(unit_id__in=units) | Q(handling_unit_id__in=units)
        if scopes.department_grants(user):
            q |= scopes.department_q(user, "department", "unit")
    return Case.objects.filter(q)


def case_get_for(*, user, number_or_id) -> Case:
    qs = case_list_for(user=user).select_related("category", "unit", "handling_unit", "assignee", "department")
    try:
        if str(number_or_id).isdigit():
            return qs.get(pk=int(number_or_id))
        return qs.get(number=number_or_id)
    except Case.DoesNotExist:
        raise NotFound("未找到该诉求") from None


def queue_for(*, user, status: str = "", overdue: bool = False, category: str = "", unit=None, now=None):
    """A handler's queue: open cases they may act on, soonest deadline first."""
    from shanzhi.lib import clock

    qs = case_list_for(user=user).filter(status__in=OPEN_STATUSES)
    mine = Q(assignee_id=user.pk) | scopes.scope_q(user, "cases.handle", "handling_unit")
    if scopes.department_grants(user):
        mine |= scopes.department_q(user, "department", "unit")
    qs = qs.filter(mine)
    if status:
        qs = qs.filter(status=status)
    if overdue:
        qs = qs.filter(deadline_at__lt=now or clock.now())
    if category:
        qs = qs.filter(Q(category__code=category) | Q(category__parent__code=category))
    if unit is not None:
        qs = qs.filter(unit.subtree_q("unit"))
    return qs.select_related("category", "unit", "handling_unit", "assignee").order_by("deadline_at", "id")


def resident_village(user) -> OrgUnit | None:
    """The village (or community) of a resident's household; None without one."""
    resident = getattr(user, "resident", None) if user is not None else None
    household = getattr(resident, "household", None) if resident is not None else None
    if household is None:
        return None
    return OrgUnit.objects.filter(code__in=household.micro_grid.ancestor_codes, level=Level.VILLAGE).first()


def village_public(*, village) -> QuerySet[Case]:
    """Non-private cases placed in a village: what its residents' feed shows (void and duplicates left out)."""
    return (Case.objects.filter(village.subtree_q("unit"), is_public=True)
            .exclude(status__in=[Status.VOID, Status.DUPLICATE]))


def public_feed(*, village, limit: int = 50) -> QuerySet[Case]:
    """Non-private cases in a village, for residents, newest first (reporter names hidden when anonymous)."""
    return village_public(village=village).select_related("category").order_by("-reported_at")[:limit]


def followable_for(*, user) -> QuerySet[Case]:
    """Cases a resident may follow besides those they see: the open cases of their own village's feed.

    Nothing else in the county, whatever number or coordinates are posted. Cost: one query for the village.
    """
    village = resident_village(user)
    if village is None:
        return Case.objects.none()
    return village_public(village=village).filter(status__in=OPEN_STATUSES)
