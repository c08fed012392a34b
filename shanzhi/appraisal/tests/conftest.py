"""The moral panels of 新联村 (grid A and B) and 洋桥村 (the other town), with a village cadre and the panel's
officers: a resident secretary and a staff chair."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from shanzhi.accounts.models import User, UserKind
from shanzhi.accounts.services import user_create_staff
from shanzhi.councils import lifecycle
from shanzhi.councils.models import Council, CouncilType, Decision, Member, Position, Topic
from shanzhi.lib import clock
from shanzhi.lib.testing import PASSWORD
from shanzhi.org.models import Role
from shanzhi.org.services import post_appoint


def moral_type() -> CouncilType:
    kind, _ = CouncilType.objects.get_or_create(code="moral", defaults={
        "name": "道德评判团", "levels": ["village"], "raisers": CouncilType.Raisers.RESIDENTS})
    return kind


@pytest.fixture
def panels(county):
    c = county
    kind = moral_type()
    panel = Council.objects.create(type=kind, unit=c.village, name="新联村道德评判团")
    panel2 = Council.objects.create(type=kind, unit=c.village2, name="洋桥村道德评判团")
    cadre = user_create_staff(actor=None, username="cadre", password=PASSWORD, display_name="村干部",
                              check_strength=False)
    post_appoint(actor=None, unit=c.village, role=Role.VILLAGE_CADRE, user=cadre, start_date=dt.date(2024, 1, 1))
    chair = user_create_staff(actor=None, username="chair", password=PASSWORD, display_name="评判团主任",
                              check_strength=False)
    start = dt.date(2024, 1, 1)
    Member.objects.create(council=panel, user=chair, name="评判团主任", position=Position.CHAIR, started_on=start)
    # 李梅 (张三's household) is the panel's secretary; 王五 an ordinary member
    Member.objects.create(council=panel, resident=c.neighbour, name=c.neighbour.name, position=Position.SECRETARY,
                          started_on=start)
    Member.objects.create(council=panel, resident=c.resident_b, name=c.resident_b.name, position=Position.MEMBER,
                          started_on=start)
    chair2 = user_create_staff(actor=None, username="chair2", password=PASSWORD, display_name="洋桥评判团主任",
                               check_strength=False)
    Member.objects.create(council=panel2, user=chair2, name="洋桥评判团主任", position=Position.CHAIR,
                          started_on=start)
    secretary = User.objects.create(username=f"r{c.neighbour.pk}", kind=UserKind.RESIDENT,
                                    display_name=c.neighbour.name, resident=c.neighbour)
    member = User.objects.create(username=f"r{c.resident_b.pk}", kind=UserKind.RESIDENT,
                                 display_name=c.resident_b.name, resident=c.resident_b)
    other_resident = User.objects.create(username=f"r{c.resident_c.pk}", kind=UserKind.RESIDENT,
                                         display_name=c.resident_c.name, resident=c.resident_c)
    c.extra.update(panel=panel, panel2=panel2, cadre=cadre, chair=chair, chair2=chair2, secretary=secretary, member=member,
                   other_resident=other_resident)
    return c


def decide(topic: Topic, outcome: str, text: str = "", actor=None) -> Decision:
    """Decide a panel topic through the council's own services: accepted (the lifecycle step the topics'
    service will take), on the agenda of a meeting of the panel, the meeting open with a quorum, and the
    decision recorded by the chair by consensus (`decision_record` sends `topic_decided`)."""
    from shanzhi.councils import services_meetings as meetings

    now = clock.now()
    topic.refresh_from_db()
    council = topic.council
    chair = actor or Member.objects.get(council=council, position=Position.CHAIR).user
    with transaction.atomic():
        if lifecycle.allowed("accept", topic.status):
            lifecycle.move(topic, action="accept", actor=chair, now=now)
    meeting = meetings.meeting_schedule(actor=chair, council=council, title="道德评判会",
                                        starts_at=now + dt.timedelta(hours=1), ends_at=now + dt.timedelta(hours=2),
                                        place="村文化礼堂", topics=[topic])
    meetings.meeting_open(actor=chair, meeting=meeting)
    for member in Member.objects.filter(council=council):
        meetings.attendance_mark(actor=chair, meeting=meeting, member=member)
    return meetings.decision_record(actor=chair, topic=topic, outcome=outcome, text=text or "经评议表决",
                                    meeting=meeting, referred_to="县文明办" if outcome == "referred" else "")
