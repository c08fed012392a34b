"""Two bookings at once on PostgreSQL: the second waits for the first and then sees it, so one room (or one
person) is never booked twice."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from shanzhi.lib.errors import DomainError
from shanzhi.rooms import services
from shanzhi.rooms.models import Booking

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

NINE = timezone.make_aware(dt.datetime(2026, 3, 2, 9, 0))
H = dt.timedelta(hours=1)


def _book(c, actor, room, people=(), start=NINE):
    return services.book(actor=actor, room=room, starts_at=start, ends_at=start + H, purpose="议事",
                         kind="councils.meeting", people=people, authority="councils.run")


def _race(first, second) -> list[str]:
    """Run `first` in a transaction held open until `second` (another thread) has had time to reach the
    same check; then commit `first`. Returns what each answered, in order."""
    answers: dict[str, str] = {}
    first_booked, release = threading.Event(), threading.Event()

    def run(name, fn, hold):
        try:
            with transaction.atomic():
                fn()
                if hold:
                    first_booked.set()
                    release.wait(10)
            answers[name] = "ok"
        except DomainError as exc:
            answers[name] = exc.code
        finally:
            first_booked.set()
            connection.close()

    one = threading.Thread(target=run, args=("first", first, True))
    one.start()
    assert first_booked.wait(10)
    two = threading.Thread(target=run, args=("second", second, False))
    two.start()
    two.join(1.0)
    waited = two.is_alive()  # the second booking waits on the lock the first one holds
    release.set()
    one.join(10)
    two.join(10)
    return [answers.get("first"), answers.get("second"), waited]


def test_two_bookings_of_one_room_at_once_give_one_booking_and_one_clash(rooms):
    c = rooms
    hall = c.extra["hall"]
    got = _race(lambda: _book(c, c.town_staff, hall), lambda: _book(c, c.extra["cadre_a"], hall))
    assert got == ["ok", "clash", True]
    assert Booking.objects.filter(room=hall).count() == 1


def test_one_person_booked_in_two_rooms_at_once_gives_one_booking(rooms):
    c = rooms
    got = _race(lambda: _book(c, c.admin, c.extra["room_a"], people=[c.worker_a]),
                lambda: _book(c, c.admin, c.extra["room_b"], people=[c.worker_a]))
    assert got == ["ok", "clash", True]
    assert Booking.objects.filter(people=c.worker_a).count() == 1


def test_bookings_of_different_rooms_do_not_wait_for_each_other(rooms):
    c = rooms
    got = _race(lambda: _book(c, c.admin, c.extra["room_a"]), lambda: _book(c, c.admin, c.extra["room_b"]))
    assert got == ["ok", "ok", False]
