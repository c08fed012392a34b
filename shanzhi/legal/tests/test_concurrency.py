"""Bookings raced on PostgreSQL: two residents taking one slot at the same moment get one booking (the
partial unique index decides), and one resident racing for three slots holds at most two."""

import threading

import pytest
from django.db import connection

from shanzhi.legal import services as svc
from shanzhi.legal.models import Booking, Slot
from shanzhi.legal.tests.conftest import NINE
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError

# serialized_rollback: the seeded rows (content types, categories) come back after each test, as every
# transactional test of the suite does (see shanzhi/conftest.py), so the flush never leaves a half-seeded
# database for the tests that follow
pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def race(calls) -> list:
    """Run the calls in threads released together; each answer is the result or the DomainError raised."""
    barrier = threading.Barrier(len(calls))
    out: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            out[i] = call()
        except DomainError as exc:
            out[i] = exc
        except Exception as exc:  # noqa: BLE001 - anything else fails the assertion, named in its message
            out[i] = repr(exc)
        finally:
            connection.close()

    # The clock is frozen once, here: a frozen clock is one setting for the whole process, so threads that
    # froze and thawed it each on their own could leave it frozen for every test after this one.
    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    with clock.frozen(NINE):
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    assert not any(t.is_alive() for t in threads), "a booking thread is still waiting"
    return out


def test_two_residents_at_once_get_one_booking(legal):
    c = legal
    slot = Slot.objects.filter(village=c.village).order_by("starts_at").first()
    for _round in range(5):
        answers = race([lambda: svc.booking_create(actor=c.resident_user, slot=slot),
                        lambda: svc.booking_create(actor=c.extra["resident_b_user"], slot=slot)])
        booked = [a for a in answers if isinstance(a, Booking)]
        refused = [a for a in answers if isinstance(a, DomainError)]
        assert len(booked) == 1 and len(refused) == 1 and refused[0].code == "taken", answers
        assert Booking.objects.filter(slot=slot, cancelled_at__isnull=True).count() == 1
        with clock.frozen(NINE):
            svc.booking_cancel(actor=booked[0].user, booking=booked[0])


def test_one_resident_racing_for_three_slots_holds_two(legal):
    c = legal
    slots = list(Slot.objects.filter(village=c.village).order_by("starts_at")[:3])
    answers = race([lambda s=s: svc.booking_create(actor=c.resident_user, slot=s) for s in slots])
    assert sum(isinstance(a, Booking) for a in answers) == 2
    assert [a.code for a in answers if isinstance(a, DomainError)] == ["too_many"]
    assert Booking.objects.filter(user=c.resident_user, cancelled_at__isnull=True).count() == 2
