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
from shanzhi.councils.signals import topic_decided
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
    secretary = User.objects.create(username=f"r{c.neighbour.pk}", kind=UserKind.RESIDENT,
                                    display_name=c.neighbour.name, resident=c.neighbour)
    member = User.objects.create(username=f"r{c.resident_b.pk}", kind=UserKind.RESIDENT,
                                 display_name=c.resident_b.name, resident=c.resident_b)
    other_resident = User.objects.create(username=f"r{c.resident_c.pk}", kind=UserKind.RESIDENT,
                                         display_name=c.resident_c.name, resident=c.resident_c)
    c.extra.update(panel=panel, panel2=panel2, cadre=cadre, chair=chair, secretary=secretary, member=member,
                   other_resident=other_resident)
    return c


def decide(topic: Topic, outcome: str, text: str = "", actor=None) -> Decision:
    """Decide a panel topic the way the meetings' decision service does: the topic's steps through the
    lifecycle, the Decision row, then `topic_decided` inside the same transaction."""
    now = clock.now()
    with transaction.atomic():
        topic.refresh_from_db()
        for step in ("accept", "schedule", "decide"):
            if lifecycle.allowed(step, topic.status):
                lifecycle.move(topic, action=step, actor=actor, now=now)
        decision = Decision.objects.create(topic=topic, outcome=outcome, text=text or "经评议表决", created_at=now,
                                           published_at=now)
        topic_decided.send(sender=Decision, decision=decision, actor=actor, now=now)
    return decision
