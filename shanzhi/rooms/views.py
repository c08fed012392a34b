"""The rooms desk: the rooms of one's scope (and those above it that one may use), adding, renaming and taking
rooms out of use, and a room's week of bookings. Thin: services decide, selectors read."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shanzhi.accounts import scopes
from shanzhi.lib import clock, parsing
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied
from shanzhi.lib.views import staff_page
from shanzhi.org.models import Level
from shanzhi.org.selectors import orgunit_get_for, orgunit_list_for
from shanzhi.rooms import selectors, services
from shanzhi.rooms.forms import RoomEditForm, RoomForm, WeekForm
from shanzhi.rooms.models import Room

MANAGE = "rooms.manage"
UNIT_LEVELS = (Level.COUNTY, Level.TOWN, Level.VILLAGE)


def _unit_choices(user) -> list[tuple[str, str]]:
    """Units where the user may add a room (county, towns, villages), indented by level. One query."""
    rows = list(orgunit_list_for(user=user, action=MANAGE).filter(level__in=UNIT_LEVELS).order_by("path")
                .values_list("code", "name", "path"))
    top = min((p.count("/") for *_x, p in rows), default=0)
    return [(code, "\u3000" * (path.count("/") - top) + name) for code, name, path in rows]


def _room(user, pk: int) -> Room:
    return selectors.room_get_for(user=user, id=pk)


@staff_page
def room_list(request: HttpRequest) -> HttpResponse:
    """The rooms the user sees, by unit; add one where the user may manage rooms. Two queries and the form's."""
    user = request.user
    may_add = scopes.may_somewhere(user, MANAGE)
    form = RoomForm(request.POST or None, units=_unit_choices(user) if may_add else [])
    status = 200
    if request.method == "POST":
        if not may_add:
            raise PermissionDenied(_("您的岗位无权管理会议室"))
        if form.is_valid():
            d = form.cleaned_data
            try:
                unit = orgunit_get_for(user=user, code=d["unit"], action=MANAGE)
                room = services.room_create(actor=user, unit=unit, name=d["name"], capacity=d["capacity"])
            except NotFound:
                form.add_error("unit", _("请选择您范围内的单位"))
            except PermissionDenied:
                raise
            except DomainError as exc:
                parsing.add_to_form(form, exc)
            else:
                messages.success(request, _("已新增会议室：%(name)s") % {"name": room.name})
                return redirect("rooms:detail", pk=room.pk)
        status = 400
    rooms = list(selectors.room_list_for(user=user))
    for r in rooms:
        r.may_manage = scopes.may(user, MANAGE, r.unit)
    return render(request, "rooms/list.html", {"rooms": rooms, "form": form, "may_add": may_add}, status=status)


def _detail(request: HttpRequest, room: Room, *, edit_form: RoomEditForm | None = None,
            status: int = 200) -> HttpResponse:
    user = request.user
    week = WeekForm(request.GET or None)
    day = (week.cleaned_data.get("week") if week.is_valid() else None) or clock.today()
    if week.errors:
        messages.error(request, _("week（周）：%(error)s；已显示本周。") % {"error": "；".join(week.errors["week"])})
    monday = day - dt.timedelta(days=day.weekday())
    bookings = selectors.schedule(actor=user, room=room, day_from=monday, day_to=monday + dt.timedelta(days=6))
    days = [{"date": monday + dt.timedelta(days=i), "bookings": []} for i in range(7)]
    for b in bookings:
        for d in days:  # a booking over midnight shows on each of its days
            start, end = parsing.day_start(d["date"]), parsing.day_after(d["date"])
            if b.starts_at < end and b.ends_at > start:
                d["bookings"].append(b)
    may_manage = scopes.may(user, MANAGE, room.unit)
    if may_manage and edit_form is None:
        edit_form = RoomEditForm(initial={"name": room.name, "capacity": room.capacity})
    return render(request, "rooms/detail.html", {
        "room": room, "days": days, "monday": monday, "today": clock.today(),
        "prev_week": monday - dt.timedelta(days=7), "next_week": monday + dt.timedelta(days=7),
        "may_manage": may_manage, "edit_form": edit_form,
    }, status=status)


@staff_page
def room_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A room's week: its bookings day by day (time, purpose, who), and its settings for those who manage it."""
    return _detail(request, _room(request.user, pk))


@require_POST
@staff_page
def room_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Rename a room or change its capacity."""
    user = request.user
    room = _room(user, pk)
    services.require_manage(actor=user, room=room)
    form = RoomEditForm(request.POST)
    if form.is_valid():
        try:
            services.room_update(actor=user, room=room, name=form.cleaned_data["name"],
                                 capacity=form.cleaned_data["capacity"])
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            parsing.add_to_form(form, exc)
        else:
            messages.success(request, _("已保存"))
            return redirect("rooms:detail", pk=room.pk)
    return _detail(request, room, edit_form=form, status=400)


@require_POST
@staff_page
def room_active(request: HttpRequest, pk: int) -> HttpResponse:
    """Take a room out of use (no new bookings; booked ones stay), or back into use."""
    user = request.user
    room = _room(user, pk)
    active = request.POST.get("active") == "1"
    try:
        services.room_set_active(actor=user, room=room, active=active)
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        messages.error(request, str(exc))
        return _detail(request, _room(user, pk), status=400)
    messages.success(request, _("会议室已启用") if active else _("会议室已停用"))
    return redirect("rooms:detail", pk=room.pk)
