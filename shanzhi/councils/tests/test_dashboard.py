"""The councils' indicators (议题数, 议题决定率, 决定落实率, 会议到会率) against a small county counted by hand."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shanzhi.councils.models import (
    Attendance,
    Council,
    CouncilType,
    Decision,
    DecisionOutcome,
    Meeting,
    MeetingStatus,
    Member,
    Topic,
)
from shanzhi.dashboard import registry
from shanzhi.lib.periods import month_period

pytestmark = pytest.mark.django_db

NOVEMBER = month_period(2026, 11)
KEYS = ["councils.topics_raised", "councils.decided_share", "councils.decisions_done", "councils.attendance"]


def at(month: int, day: int, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2026, month, day, hour, 0))


@pytest.fixture
def councils(county):
    """新联村's residents' council: topics T1 (raised 11-03, decided 11-20, carried out 11-25), T2 (raised
    11-05, decided only on 12-02), T3 (raised in October, decided 11-04, not carried out); members M1 (all
    year), M2 (left 11-15), M3 (joined 11-20); meetings on 11-10 (M1 came; M1 and M2 in office) and 11-25
    (M1 and M3 came, both in office) and a cancelled one. 洋桥村's council: T4 raised 11-10, undecided."""
    kind = CouncilType.objects.create(code="t-residents", name="百姓议事会", levels=["village"])
    c1 = Council.objects.create(type=kind, unit=county.village, name="新联村百姓议事会")
    c2 = Council.objects.create(type=kind, unit=county.village2, name="洋桥村百姓议事会")
    seq = iter(range(1, 100))

    def topic(council, created, decided=None, done=None):
        t = Topic.objects.create(council=council, number=f"T{next(seq)}", title="议题", text="内容",
                                 created_at=created, updated_at=created)
        if decided:
            Decision.objects.create(topic=t, outcome=DecisionOutcome.ADOPTED, text="决定", created_at=decided,
                                    done_at=done)
        return t

    topic(c1, at(11, 3), at(11, 20), at(11, 25))
    topic(c1, at(11, 5), at(12, 2))
    topic(c1, at(10, 30), at(11, 4))
    topic(c2, at(11, 10))
    m1 = Member.objects.create(council=c1, user=county.admin, name="甲", started_on=dt.date(2026, 1, 1))
    m2 = Member.objects.create(council=c1, user=county.town_staff, name="乙", started_on=dt.date(2026, 1, 1),
                               ended_on=dt.date(2026, 11, 15))
    m3 = Member.objects.create(council=c1, resident=county.resident, name="张三", started_on=dt.date(2026, 11, 20))

    def meeting(day, present, status=MeetingStatus.CLOSED):
        m = Meeting.objects.create(council=c1, title="例会", starts_at=at(11, day), ends_at=at(11, day, 12),
                                   status=status, created_at=at(11, 1))
        for member in present:
            Attendance.objects.create(meeting=m, member=member, how=Attendance.How.SECRETARY, at=at(11, day))

    meeting(10, [m1])
    meeting(25, [m1, m3])
    meeting(28, [m1, m2, m3], status=MeetingStatus.CANCELLED)
    return county


def test_values_counted_by_hand(councils):
    c = councils
    got = registry.values([c.county, c.town, c.town2, c.village, c.village2], NOVEMBER, KEYS)
    assert got[c.village.id] == {"councils.topics_raised": 2, "councils.decided_share": 0.5,
                                 "councils.decisions_done": 0.5, "councils.attendance": 0.75}
    assert got[c.town.id] == got[c.village.id]
    assert got[c.village2.id] == {"councils.topics_raised": 1, "councils.decided_share": 0.0,
                                  "councils.decisions_done": None, "councils.attendance": None}
    assert got[c.county.id]["councils.topics_raised"] == 3
    assert got[c.county.id]["councils.decided_share"] == pytest.approx(1 / 3)
    assert got[c.county.id]["councils.attendance"] == 0.75


def test_query_count_does_not_grow_with_units_or_rows(councils):
    c = councils
    with CaptureQueriesContext(connection) as few:
        registry.values([c.village], NOVEMBER, KEYS)
    with CaptureQueriesContext(connection) as many:
        registry.values([c.village, c.village2, c.grid_a, c.grid_b, c.grid_c], NOVEMBER, KEYS)
    assert len(few) == 3
    assert len(many) == 6  # two path lengths: three queries each


def test_seen_only_with_the_councils_view_action(councils):
    c = councils
    keys = {i.key for i in registry.visible(c.worker_a, c.grid_a)}
    assert "councils.attendance" in keys
    assert "councils.attendance" not in {i.key for i in registry.visible(c.worker_a, c.village2)}
