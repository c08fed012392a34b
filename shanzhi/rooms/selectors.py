"""Reads of rooms and bookings, scoped: a room is seen by staff whose scope ("org.view") holds its unit or
lies under it (the town's hall is seen from its villages); anything else is the same as a missing room."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from shanzhi.accounts import scopes
from shanzhi.lib.errors import NotFound
from shanzhi.org.models import OrgUnit
from shanzhi.rooms.models import Booking, Room

VIEW = "org.view"


def _above(paths: list[str]) -> set[str]:
    """Paths of every unit above each of `paths` (their proper prefixes ending at a "/")."""
    out: set[str] = set()
    for p in paths:
        parts = [c for c in p.split("/") if c]
        out.update("".join(f"{c}/" for c in parts[:i]) for i in range(1, len(parts)))
    return out


def rooms_for(unit: OrgUnit) -> QuerySet[Room]:
    """Active rooms usable from `unit`: those at the unit and at each unit above it. One query."""
    return (Room.objects.filter(is_active=True, unit__code__in=unit.ancestor_codes).select_related("unit")
            .order_by("unit__path", "name", "id"))


def visible_q(user) -> Q:
    """Q for the rooms `user` sees: at a unit in their "org.view" scope or above it."""
    prefixes = scopes.paths_for(user, VIEW)
    if not prefixes:
        return Q(pk__in=[])
    if prefixes == [""]:
        return Q()
    return scopes.scope_q(user, VIEW, "unit") | Q(unit__path__in=sorted(_above(prefixes)))


def room_list_for(*, user, include_inactive: bool = True) -> QuerySet[Room]:
    """Rooms the user sees, by unit then name. One query."""
    qs = Room.objects.filter(visible_q(user)).select_related("unit").order_by("unit__path", "name", "id")
    return qs if include_inactive else qs.filter(is_active=True)


def room_get_for(*, user, id) -> Room:
    """One room the user sees; NotFound for a missing one or one out of sight alike."""
    room = Room.objects.filter(visible_q(user), pk=id).select_related("unit").first() if id else None
    if room is None:
        raise NotFound("未找到该会议室")
    return room


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def schedule(*, actor, room: Room, day_from: dt.date, day_to: dt.date) -> list[Booking]:
    """The room's bookings that are not cancelled and overlap local days `day_from`..`day_to` (inclusive),
    in time order, with their people; NotFound when the actor does not see the room. Two queries."""
    if actor is not None and not scopes.reaches(actor, VIEW, room.unit):  # the same rule as visible_q
        raise NotFound("未找到该会议室")
    start, end = _day_start(day_from), _day_start(day_to + dt.timedelta(days=1))
    return list(Booking.objects.filter(room=room, cancelled=False, starts_at__lt=end, ends_at__gt=start)
                .prefetch_related("people").order_by("starts_at", "id"))
