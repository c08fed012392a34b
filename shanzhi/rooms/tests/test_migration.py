"""mediation 0004 moves mediation's rooms and sessions onto the shared rooms, both ways, with data in the
database (SQLite and PostgreSQL alike)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from shanzhi.accounts.services import user_create_staff
from shanzhi.lib.testing import PASSWORD
from shanzhi.mediation import services as mediation
from shanzhi.mediation.models import SESSION_KIND, DisputeType, Session
from shanzhi.org.models import Role
from shanzhi.org.services import post_appoint
from shanzhi.rooms.models import Booking, Room

BEFORE = ("mediation", "0003_dispute_reads_resolution_from_case")
NINE = timezone.make_aware(dt.datetime(2026, 3, 2, 9, 0))
H = dt.timedelta(hours=1)
PARTIES = [{"role": "applicant", "name": "张三", "phone": "13800000001"},
           {"role": "respondent", "name": "王五", "phone": "13800000003"}]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state([*targets, ("rooms", "0002_booking_unit")]).apps


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_rooms_and_sessions_move_to_bookings_and_back(county):
    c = county
    town = mediation.centre_create(actor=None, unit=c.town, name="天凝镇矛调中心", rooms=["调解室A", "调解室B"])
    mediator = user_create_staff(actor=None, username="mediator", password=PASSWORD, display_name="调解员老王",
                                 check_strength=False)
    post_appoint(actor=None, unit=c.town, role=Role.MEDIATOR, user=mediator, start_date=dt.date(2024, 1, 1))
    dispute = mediation.dispute_register(actor=mediator, kind="dispute", summary="通道堆放杂物", unit=c.town,
                                         type=DisputeType.objects.get(code="neighbour"), parties=PARTIES)
    room_a = town.rooms.get(name="调解室A")
    mediation.session_schedule(actor=mediator, dispute=dispute, starts_at=NINE, ends_at=NINE + H, room=room_a,
                               mediators=[mediator])
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        # Back to mediation's own rooms: the session gets its room, time and mediators again.
        old = _migrate([BEFORE])
        OldRoom, OldSession = old.get_model("mediation", "Room"), old.get_model("mediation", "Session")
        assert sorted(OldRoom.objects.filter(centre_id=town.pk).values_list("name", flat=True)) == ["调解室A", "调解室B"]
        (s,) = OldSession.objects.all()
        assert (s.room.name, s.starts_at, s.ends_at, s.cancelled) == ("调解室A", NINE, NINE + H, False)
        assert list(s.mediators.values_list("pk", flat=True)) == [mediator.pk]
        assert not old.get_model("rooms", "Booking").objects.exists()
        # Data as the old code wrote it: a cancelled session in room B with two mediators, a room of the
        # county centre no session used.
        b = OldRoom.objects.get(centre_id=town.pk, name="调解室B")
        cancelled = OldSession.objects.create(dispute_id=dispute.pk, room=b, starts_at=NINE + 2 * H,
                                              ends_at=NINE + 3 * H, cancelled=True, held=False)
        cancelled.mediators.set([mediator.pk, c.town_staff.pk])
        county_centre = old.get_model("mediation", "Centre").objects.create(unit_id=c.county.pk, name="县中心")
        OldRoom.objects.create(centre=county_centre, name="第一调解室")
    finally:
        _migrate(latest)

    # Forwards: each room is a shared room at its centre's unit (those still there are reused), each session
    # a booking of its time with its mediators.
    assert sorted(Room.objects.values_list("unit__name", "name")) == [
        ("嘉善县", "第一调解室"), ("天凝镇", "调解室A"), ("天凝镇", "调解室B")]
    first, second = Session.objects.select_related("booking__room").order_by("booking__starts_at")
    assert (first.room, first.starts_at, first.ends_at, first.cancelled) == (room_a, NINE, NINE + H, False)
    assert (second.room.name, second.starts_at, second.cancelled) == ("调解室B", NINE + 2 * H, True)
    assert {m.pk for m in second.mediators.all()} == {mediator.pk, c.town_staff.pk}
    assert set(Booking.objects.values_list("kind", "unit", "purpose")) == {
        (SESSION_KIND, c.town.pk, f"纠纷调解 {dispute.case.number}")}
    # and the code works on them: the cancelled one frees room B, the other still holds room A
    mediation.session_schedule(actor=mediator, dispute=dispute, starts_at=NINE + 2 * H, ends_at=NINE + 3 * H,
                               room=Room.objects.get(name="调解室B"), mediators=[mediator])
    with pytest.raises(Exception, match="时间冲突"):
        mediation.session_schedule(actor=mediator, dispute=dispute, starts_at=NINE, ends_at=NINE + H,
                                   room=room_a, mediators=[mediator])
