"""Fixtures of the meeting tests: 新联村's 百姓议事会 with four members (a staff secretary and three residents),
cadres of 新联村 and of 洋桥村, and accepted topics. Councils, members and topics are set up with the ORM
(the topics owner's services make them in the app); everything under test goes through the services."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from shanzhi.accounts.models import User, UserKind
from shanzhi.accounts.services import user_create_staff
from shanzhi.councils.models import Council, CouncilType, Member, Position, Topic, TopicStatus
from shanzhi.lib import clock
from shanzhi.lib.testing import PASSWORD
from shanzhi.org.models import Role
from shanzhi.org.services import post_appoint

NINE = timezone.make_aware(dt.datetime(2026, 11, 25, 9, 0))  # a Wednesday, Asia/Shanghai
_numbers = itertools.count(1)


def resident_user(resident) -> User:
    return User.objects.get_or_create(username=f"r{resident.pk}", defaults={
        "kind": UserKind.RESIDENT, "display_name": resident.name, "resident": resident})[0]


def make_topic(council: Council, title: str = "村口路灯不亮", status: str = TopicStatus.ACCEPTED, **kw) -> Topic:
    return Topic.objects.create(council=council, number=f"YT-{next(_numbers):05d}", title=title,
                                text=kw.pop("text", "晚上村口一片漆黑，请修路灯"), status=status,
                                author_name="张三", created_at=NINE - dt.timedelta(days=3),
                                updated_at=NINE - dt.timedelta(days=3), **kw)


def make_council(unit, *, code: str = "residents", name: str = "百姓议事会", **rules) -> Council:
    ctype, _ = CouncilType.objects.get_or_create(code=code, defaults={"name": name, "levels": ["village"], **rules})
    for k, v in rules.items():
        setattr(ctype, k, v)
    ctype.save()
    return Council.objects.create(type=ctype, unit=unit, name=f"{unit.name}{name}")


@pytest.fixture
def council(county):
    """新联村百姓议事会: secretary 周秘书 (staff user), members 张三, 李梅, 王五 (residents with accounts)."""
    c = county
    start = dt.date(2024, 1, 1)
    cadre = user_create_staff(actor=None, username="cadre_xl", password=PASSWORD, display_name="新联村干部",
                              check_strength=False)
    post_appoint(actor=None, unit=c.village, role=Role.VILLAGE_CADRE, user=cadre, start_date=start)
    cadre2 = user_create_staff(actor=None, username="cadre_yq", password=PASSWORD, display_name="洋桥村干部",
                               check_strength=False)
    post_appoint(actor=None, unit=c.village2, role=Role.VILLAGE_CADRE, user=cadre2, start_date=start)
    secretary = user_create_staff(actor=None, username="secretary", password=PASSWORD, display_name="周秘书",
                                  check_strength=False)
    council = make_council(c.village, quorum_percent=50, majority=CouncilType.Majority.HALF_PRESENT,
                           public_meetings=True, secret_ballot=False)
    m_sec = Member.objects.create(council=council, user=secretary, name="周秘书", position=Position.SECRETARY,
                                  started_on=start)
    m_zhang = Member.objects.create(council=council, resident=c.resident, name="张三", started_on=start)
    m_li = Member.objects.create(council=council, resident=c.neighbour, name="李梅", started_on=start)
    m_wang = Member.objects.create(council=council, resident=c.resident_b, name="王五", started_on=start)
    # a former member: their term ended
    Member.objects.create(council=council, resident=c.resident_c, name="赵六", started_on=start,
                          ended_on=dt.date(2025, 1, 1))
    c.extra.update(
        council=council, cadre=cadre, cadre2=cadre2, secretary=secretary, m_sec=m_sec, m_zhang=m_zhang, m_li=m_li,
        m_wang=m_wang, u_zhang=c.resident_user, u_li=resident_user(c.neighbour), u_wang=resident_user(c.resident_b),
        u_zhao=resident_user(c.resident_c),
        topic=make_topic(council), topic2=make_topic(council, "广场舞噪音", text="晚上十点后还在跳"))
    return c


@pytest.fixture
def frozen():
    with clock.frozen(NINE):
        yield NINE


@pytest.fixture
def meeting(council, frozen):
    """A planned meeting tomorrow at a free-text place with both topics on its agenda."""
    from shanzhi.councils import services_meetings as svc

    x = council.extra
    m = svc.meeting_schedule(actor=x["secretary"], council=x["council"], title="十一月议事会",
                             starts_at=NINE + dt.timedelta(days=1), ends_at=NINE + dt.timedelta(days=1, hours=2),
                             place="村委会二楼", topics=[x["topic"], x["topic2"]])
    x["meeting"] = m
    return m


@pytest.fixture
def open_meeting(council, meeting):
    """The meeting open, with the secretary, 张三 and 李梅 present (3 of 4: a quorum)."""
    from shanzhi.councils import services_meetings as svc

    x = council.extra
    svc.meeting_open(actor=x["secretary"], meeting=meeting)
    for member in (x["m_sec"], x["m_zhang"], x["m_li"]):
        svc.attendance_mark(actor=x["secretary"], meeting=meeting, member=member)
    return meeting
