"""Writes to rooms and their bookings: one clash check for everyone who books a room (mediation sessions,
council meetings...), with the room row locked so two bookings of one room cannot both pass it.

Which rooms a booking may use: the rooms of a unit in the actor's scope for the caller's action
(`authority`, e.g. "mediation.handle", "councils.run"), and the rooms of any unit above it (a village
council may meet in the town's hall). A booking belongs to the unit it was made from (`Booking.unit`:
the room's unit, or for a room above, the actor's own unit under it): those who may act there move or
cancel it, so the cadres of village B cannot cancel village A's meeting in the town hall.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from shanzhi.accounts import scopes
from shanzhi.audit.services import audit_record
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError
from shanzhi.org.models import OrgUnit
from shanzhi.rooms.models import Booking, Room

ROOM_REFUSED = "请选择您所在单位（或其上级单位）可用的会议室"


def _bad(field: str, message: str) -> DomainError:
    return DomainError(message, fields={field: [message]})


def _span(starts_at: dt.datetime, ends_at: dt.datetime) -> str:
    start, end = timezone.localtime(starts_at), timezone.localtime(ends_at)
    return f"{start:%m-%d %H:%M}-{end:%H:%M}" if start.date() == end.date() else f"{start:%m-%d %H:%M}-{end:%m-%d %H:%M}"


def clashes(*, room: Room, starts_at: dt.datetime, ends_at: dt.datetime, people=(),
            exclude: Booking | int | None = None) -> list[str]:
    """Describe every booking that is not cancelled and overlaps [starts_at, ends_at) in this room, or holds
    any of `people` anywhere; `exclude` (a booking or its id) is the one being moved.

    The text names the room, the time, the purpose and the staff's display names, nothing else. A booking
    ending when the other starts is no clash. Two queries."""
    overlap = Booking.objects.filter(cancelled=False, starts_at__lt=ends_at, ends_at__gt=starts_at)
    if exclude is not None:
        overlap = overlap.exclude(pk=getattr(exclude, "pk", exclude))
    out = [f"{room.name}在{_span(b.starts_at, b.ends_at)}已被占用（{b.purpose}）"
           for b in overlap.filter(room=room).order_by("starts_at", "id")]
    wanted = {getattr(p, "pk", p) for p in people}
    if wanted:
        held = (overlap.filter(people__in=wanted).distinct().select_related("room").prefetch_related("people")
                .order_by("starts_at", "id"))
        for b in held:
            names = "、".join(str(p) for p in b.people.all() if p.pk in wanted)
            out.append(f"{names}在{_span(b.starts_at, b.ends_at)}已有安排（{b.room.name}：{b.purpose}）")
    return out


def _anchor(actor, authority: str, room: Room | None) -> str | None:
    """The unit path the gate checks for using `room`: its own unit when that lies in the actor's scope for
    `authority`; for a room of a unit above the actor's scope, the actor's own scope root below it; else
    None (missing, inactive or out of reach: the same answer)."""
    if room is None or not room.is_active:
        return None
    path = room.unit.path
    if actor is None or scopes.may(actor, authority, path):
        return path
    below = [p for p in scopes.paths_for(actor, authority) if p.startswith(path)]
    return below[0] if below else None


def usable(actor, authority: str, room: Room | None) -> bool:
    """May `actor` book `room` for `authority` (to offer it in a picker; `book` still checks)?"""
    return _anchor(actor, authority, room) is not None


def _check_times(starts_at, ends_at) -> None:
    if starts_at is None:
        raise _bad("starts_at", "请填写开始时间")
    if ends_at is None:
        raise _bad("ends_at", "请填写结束时间")
    if ends_at <= starts_at:
        raise _bad("ends_at", "结束时间应晚于开始时间")


def _lock(room: Room, people) -> None:
    """Serialise bookings of one room and of the same people (PostgreSQL row locks; SQLite writes one at a
    time anyway): the room row first, then the people in id order, so two bookings never wait on each other
    in a circle."""
    Room.objects.select_for_update().filter(pk=room.pk).first()
    ids = sorted({getattr(p, "pk", p) for p in people})
    if ids:
        list(get_user_model().objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk"))


def _refuse_clashes(found: list[str]) -> None:
    if found:
        raise DomainError("时间冲突：" + "；".join(found), fields={"starts_at": found}, code="clash")


@transaction.atomic
def book(*, actor, room: Room | None, starts_at: dt.datetime, ends_at: dt.datetime, purpose: str, kind: str,
         people=(), authority: str, now: dt.datetime | None = None) -> Booking:
    """Hold `room` from `starts_at` to `ends_at` for `purpose` with `people` there, refusing any clash.

    Refusals name their field: `ends_at` not after `starts_at`, `room` missing, inactive or not usable by
    the actor for `authority` (one answer for all three), `purpose` empty, `starts_at` with every clash
    (code "clash"). Audited."""
    _check_times(starts_at, ends_at)
    anchor = _anchor(actor, authority, room)
    scopes.require_target(actor, authority, anchor, field="room", message=ROOM_REFUSED)
    if room is None or anchor is None:  # the system (actor None) booking a missing or closed room
        raise _bad("room", ROOM_REFUSED)
    purpose = (purpose or "").strip()
    if not purpose:
        raise _bad("purpose", "请填写用途")
    people = list(people)
    _lock(room, people)
    _refuse_clashes(clashes(room=room, starts_at=starts_at, ends_at=ends_at, people=people))
    booking = Booking.objects.create(
        room=room, unit=room.unit if anchor == room.unit.path else OrgUnit.objects.get(path=anchor), starts_at=starts_at, ends_at=ends_at,
        purpose=purpose[:200], kind=(kind or "")[:30], created_at=now or clock.now(),
        created_by=actor if getattr(actor, "pk", None) else None)
    booking.people.set(people)
    audit_record(actor=actor, action="rooms.book", obj=booking, object_repr=f"{room.name} {purpose[:50]}",
                 unit_path=room.unit.path, after={"room": room.name, "kind": booking.kind,
                                                  "starts": starts_at.isoformat(), "ends": ends_at.isoformat()})
    return booking


def _gate(actor, authority: str, booking: Booking, *, state=None) -> None:
    """Moving or cancelling: for those who may act for `authority` at the booking's unit (404 otherwise)."""
    unit = booking.unit or booking.room.unit
    scopes.require(actor, authority, unit, what="该预约", state=state)


def _live(booking: Booking):
    def check() -> None:
        if booking.cancelled:
            raise DomainError("该预约已取消", code="invalid_transition")
    return check


@transaction.atomic
def move(*, actor, booking: Booking, starts_at: dt.datetime, ends_at: dt.datetime, authority: str) -> Booking:
    """Move a booking to another time in the same room, with the same checks (it does not clash with
    itself; a room out of use takes no new time). Audited."""
    booking = Booking.objects.select_for_update(of=("self",)).select_related("room__unit", "unit").get(pk=booking.pk)
    _gate(actor, authority, booking, state=_live(booking))
    _check_times(starts_at, ends_at)
    if not booking.room.is_active:
        raise _bad("room", "该会议室已停用，不能改期，请取消后另行预约")
    people = list(booking.people.all())
    _lock(booking.room, people)
    _refuse_clashes(clashes(room=booking.room, starts_at=starts_at, ends_at=ends_at, people=people,
                            exclude=booking))
    before = {"starts": booking.starts_at.isoformat(), "ends": booking.ends_at.isoformat()}
    booking.starts_at, booking.ends_at = starts_at, ends_at
    booking.save(update_fields=["starts_at", "ends_at"])
    audit_record(actor=actor, action="rooms.move", obj=booking, unit_path=booking.room.unit.path, before=before,
                 after={"starts": starts_at.isoformat(), "ends": ends_at.isoformat()})
    return booking


@transaction.atomic
def cancel(*, actor, booking: Booking, authority: str) -> Booking:
    """Cancel a booking: the room and its people are free again at that time. Audited."""
    booking = Booking.objects.select_for_update(of=("self",)).select_related("room__unit", "unit").get(pk=booking.pk)
    _gate(actor, authority, booking, state=_live(booking))
    booking.cancelled = True
    booking.save(update_fields=["cancelled"])
    audit_record(actor=actor, action="rooms.cancel", obj=booking, unit_path=booking.room.unit.path,
                 before={"starts": booking.starts_at.isoformat()})
    return booking


# ---- the rooms themselves ----------------------------------------------------------------------------

def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise _bad("name", "请填写会议室名称")
    if len(name) > 50:
        raise _bad("name", "会议室名称不超过50个字")
    return name


def _clean_capacity(capacity) -> int | None:
    if capacity in (None, ""):
        return None
    if not isinstance(capacity, int) or not 1 <= capacity <= 10000:
        raise _bad("capacity", "容纳人数应为1到10000之间的整数")
    return capacity


def _seen(actor, room: Room) -> bool:
    """Does the actor see the room (selectors.visible_q: a unit in their "org.view" scope or above it)? Then
    a refusal to manage it is a 403, not a 404."""
    return actor is None or scopes.reaches(actor, "org.view", room.unit)


def require_manage(*, actor, room: Room) -> None:
    """Raise NotFound (not seen) or PermissionDenied (seen, not managed) before a form is read."""
    scopes.require(actor, "rooms.manage", room.unit, what="该会议室", visible=_seen(actor, room))


@transaction.atomic
def room_create(*, actor, unit: OrgUnit | None, name: str, capacity: int | None = None) -> Room:
    """Add a room at a unit of the actor's scope for "rooms.manage". Audited."""
    scopes.require_target(actor, "rooms.manage", unit, field="unit", message="请选择您范围内的单位")
    if unit is None:
        raise _bad("unit", "请选择您范围内的单位")
    name = _clean_name(name)
    capacity = _clean_capacity(capacity)
    if Room.objects.filter(unit=unit, name=name).exists():
        raise _bad("name", "该单位已有同名会议室")
    room = Room.objects.create(unit=unit, name=name, capacity=capacity)
    audit_record(actor=actor, action="rooms.room.create", obj=room, unit_path=unit.path,
                 after={"name": name, "capacity": capacity})
    return room


@transaction.atomic
def room_update(*, actor, room: Room, name: str, capacity: int | None = None) -> Room:
    """Rename a room or change its capacity. Audited."""
    room = Room.objects.select_for_update().select_related("unit").get(pk=room.pk)
    scopes.require(actor, "rooms.manage", room.unit, what="该会议室", visible=_seen(actor, room))
    name = _clean_name(name)
    capacity = _clean_capacity(capacity)
    if Room.objects.filter(unit_id=room.unit_id, name=name).exclude(pk=room.pk).exists():
        raise _bad("name", "该单位已有同名会议室")
    before = {"name": room.name, "capacity": room.capacity}
    room.name, room.capacity = name, capacity
    room.save(update_fields=["name", "capacity"])
    audit_record(actor=actor, action="rooms.room.update", obj=room, unit_path=room.unit.path, before=before,
                 after={"name": name, "capacity": capacity})
    return room


@transaction.atomic
def room_set_active(*, actor, room: Room, active: bool) -> Room:
    """Take a room out of use (no new bookings; those booked stay) or back into use. Audited."""
    room = Room.objects.select_for_update().select_related("unit").get(pk=room.pk)

    def state() -> None:
        if room.is_active == active:
            raise DomainError("该会议室已启用" if active else "该会议室已停用", code="invalid_transition")
    scopes.require(actor, "rooms.manage", room.unit, what="该会议室", visible=_seen(actor, room), state=state)
    room.is_active = active
    room.save(update_fields=["is_active"])
    audit_record(actor=actor, action="rooms.room.activate" if active else "rooms.room.deactivate", obj=room,
                 unit_path=room.unit.path)
    return room
