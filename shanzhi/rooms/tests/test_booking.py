"""Booking rooms through the services: the clash rules, who may use which room, bad input."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shanzhi.lib.errors import DomainError, NotFound
from shanzhi.rooms import selectors, services
from shanzhi.rooms.models import Booking, Room

NINE = timezone.make_aware(dt.datetime(2026, 3, 2, 9, 0))
H = dt.timedelta(hours=1)
RUN = "councils.run"


def book(c, room, start=NINE, end=None, people=(), actor=None, purpose="村民议事会"):
    return services.book(actor=actor or c.admin, room=room, starts_at=start, ends_at=end or start + H,
                         purpose=purpose, kind="councils.meeting", people=people, authority=RUN)


def test_an_overlapping_booking_of_the_room_is_refused_naming_the_time_and_purpose(rooms):
    c = rooms
    book(c, c.extra["room_a"], purpose="三月议事")
    with pytest.raises(DomainError) as err:
        book(c, c.extra["room_a"], start=NINE + dt.timedelta(minutes=30))
    assert err.value.code == "clash" and str(err.value).startswith("时间冲突：")
    assert err.value.fields["starts_at"] == ["新联村会议室在03-02 09:00-10:00已被占用（三月议事）"]
    assert Booking.objects.count() == 1


def test_touching_bookings_do_not_clash(rooms):
    c = rooms
    book(c, c.extra["room_a"], people=[c.worker_a])
    book(c, c.extra["room_a"], start=NINE + H, people=[c.worker_a])  # starts when the first ends
    book(c, c.extra["room_a"], start=NINE - H, people=[c.worker_a])  # ends when the first starts
    assert Booking.objects.count() == 3
    assert services.clashes(room=c.extra["room_a"], starts_at=NINE - H, ends_at=NINE + 2 * H) != []


def test_a_cancelled_booking_frees_the_room(rooms):
    c = rooms
    first = book(c, c.extra["room_a"], people=[c.worker_a])
    services.cancel(actor=c.admin, booking=first, authority=RUN)
    book(c, c.extra["room_a"], people=[c.worker_a])
    assert Booking.objects.filter(cancelled=False).count() == 1


def test_the_same_person_cannot_be_in_two_rooms_at_once(rooms):
    c = rooms
    book(c, c.extra["room_a"], people=[c.worker_a], purpose="网格例会")
    with pytest.raises(DomainError) as err:
        book(c, c.extra["hall"], start=NINE + dt.timedelta(minutes=59), people=[c.worker_b, c.worker_a])
    assert err.value.code == "clash"
    assert err.value.fields["starts_at"] == ["网格员甲在03-02 09:00-10:00已有安排（新联村会议室：网格例会）"]
    book(c, c.extra["hall"], people=[c.worker_b])  # someone else, another room: free


def test_moving_a_booking_does_not_clash_with_itself_but_with_the_others(rooms):
    c = rooms
    first = book(c, c.extra["room_a"], people=[c.worker_a])
    book(c, c.extra["room_a"], start=NINE + 2 * H)
    moved = services.move(actor=c.admin, booking=first, starts_at=NINE + dt.timedelta(minutes=30),
                          ends_at=NINE + dt.timedelta(minutes=90), authority=RUN)
    assert (moved.starts_at, moved.ends_at) == (NINE + dt.timedelta(minutes=30), NINE + dt.timedelta(minutes=90))
    with pytest.raises(DomainError) as err:
        services.move(actor=c.admin, booking=first, starts_at=NINE + 2 * H, ends_at=NINE + 3 * H, authority=RUN)
    assert err.value.code == "clash"
    first.refresh_from_db()
    assert first.starts_at == NINE + dt.timedelta(minutes=30)
    assert services.clashes(room=c.extra["room_a"], starts_at=NINE, ends_at=NINE + H, exclude=first.pk) == []


def test_a_cancelled_booking_cannot_be_moved_or_cancelled_again(rooms):
    c = rooms
    b = book(c, c.extra["room_a"])
    services.cancel(actor=c.admin, booking=b, authority=RUN)
    with pytest.raises(DomainError, match="已取消"):
        services.cancel(actor=c.admin, booking=b, authority=RUN)
    with pytest.raises(DomainError, match="已取消"):
        services.move(actor=c.admin, booking=b, starts_at=NINE, ends_at=NINE + H, authority=RUN)


@pytest.mark.parametrize("end", [NINE, NINE - H])
def test_the_end_must_come_after_the_start(rooms, end):
    c = rooms
    with pytest.raises(DomainError) as err:
        book(c, c.extra["room_a"], end=end)
    assert list(err.value.fields) == ["ends_at"] and Booking.objects.count() == 0


def test_a_purpose_is_needed(rooms):
    with pytest.raises(DomainError) as err:
        book(rooms, rooms.extra["room_a"], purpose="  ")
    assert list(err.value.fields) == ["purpose"]


def test_a_village_uses_its_own_room_and_the_towns_hall_not_the_other_village(rooms):
    c = rooms
    cadre_a = c.extra["cadre_a"]
    book(c, c.extra["room_a"], actor=cadre_a)
    hall = book(c, c.extra["hall"], actor=cadre_a)
    assert hall.unit == c.village  # the booking belongs to the village it was made from
    with pytest.raises(DomainError) as err:
        book(c, c.extra["room_b"], actor=cadre_a)
    assert err.value.fields == {"room": [services.ROOM_REFUSED]}
    with pytest.raises(DomainError) as missing:
        book(c, None, actor=cadre_a)
    assert (missing.value.fields, missing.value.code) == (err.value.fields, err.value.code)
    assert [r.name for r in selectors.rooms_for(c.village)] == ["镇会议厅", "新联村会议室"]


def test_an_inactive_room_is_refused_like_a_missing_one(rooms):
    c = rooms
    services.room_set_active(actor=c.admin, room=c.extra["room_a"], active=False)
    with pytest.raises(DomainError) as err:
        book(c, Room.objects.get(pk=c.extra["room_a"].pk), actor=c.extra["cadre_a"])
    assert err.value.fields == {"room": [services.ROOM_REFUSED]}
    assert list(selectors.rooms_for(c.village)) == [c.extra["hall"]]


def test_a_booking_in_a_room_taken_out_of_use_stays_but_cannot_move(rooms):
    c = rooms
    b = book(c, c.extra["room_a"])
    services.room_set_active(actor=c.admin, room=c.extra["room_a"], active=False)
    assert not Booking.objects.get(pk=b.pk).cancelled
    with pytest.raises(DomainError) as err:
        services.move(actor=c.admin, booking=b, starts_at=NINE + H, ends_at=NINE + 2 * H, authority=RUN)
    assert list(err.value.fields) == ["room"]
    services.cancel(actor=c.admin, booking=b, authority=RUN)


def test_another_village_cannot_move_or_cancel_a_booking_in_the_shared_hall(rooms):
    c = rooms
    cadre_a, cadre_b = c.extra["cadre_a"], c.extra["cadre_b"]
    theirs = book(c, c.extra["hall"], actor=cadre_a)
    with pytest.raises(NotFound):
        services.cancel(actor=cadre_b, booking=theirs, authority=RUN)
    with pytest.raises(NotFound):
        services.move(actor=cadre_b, booking=theirs, starts_at=NINE + H, ends_at=NINE + 2 * H, authority=RUN)
    with pytest.raises(NotFound):  # a grid worker of the same village does not run its council
        services.cancel(actor=c.worker_a, booking=theirs, authority=RUN)
    services.cancel(actor=cadre_a, booking=theirs, authority=RUN)
    assert Booking.objects.get(pk=theirs.pk).cancelled


def test_a_village_sees_its_rooms_and_the_hall_schedule_not_the_other_village(rooms):
    c = rooms
    book(c, c.extra["room_b"], actor=c.extra["cadre_b"], purpose="洋桥村议事")
    cadre_a = c.extra["cadre_a"]
    assert set(selectors.room_list_for(user=cadre_a)) == {c.extra["hall"], c.extra["room_a"]}
    with pytest.raises(NotFound):
        selectors.schedule(actor=cadre_a, room=c.extra["room_b"], day_from=NINE.date(), day_to=NINE.date())
    with pytest.raises(NotFound):
        selectors.room_get_for(user=cadre_a, id=c.extra["room_b"].pk)
    with pytest.raises(NotFound):
        selectors.room_get_for(user=cadre_a, id=987654)
    seen = selectors.schedule(actor=c.extra["cadre_b"], room=c.extra["room_b"], day_from=NINE.date(),
                              day_to=NINE.date())
    assert [b.purpose for b in seen] == ["洋桥村议事"]
    assert selectors.schedule(actor=c.admin, room=c.extra["room_b"], day_from=NINE.date() + dt.timedelta(days=1),
                              day_to=NINE.date() + dt.timedelta(days=7)) == []
