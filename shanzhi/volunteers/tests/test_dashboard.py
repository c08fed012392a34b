"""百事服务团's indicators against a small county counted by hand: values, a constant number of queries, and
who sees them (volunteers.view on the unit)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shanzhi.dashboard import registry
from shanzhi.lib.periods import month_period
from shanzhi.volunteers.models import (
    Account,
    Entry,
    EntryKind,
    RequestStatus,
    ServiceRequest,
    Skill,
    Volunteer,
    VolunteerStatus,
)

pytestmark = pytest.mark.django_db

NOVEMBER = month_period(2026, 11)
KEYS = [f"volunteers.{k}" for k in ("per_thousand", "hours", "served", "median_hours", "satisfaction",
                                    "points_issued", "points_redeemed")]


def at(month: int, day: int, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2026, month, day, hour, 0))


@pytest.fixture
def bank(county):
    """新联村 (3 residents): volunteers 张三 (active), 李梅 (paused), 网格员甲 (active); requests R1 (4 h, rated 5),
    R2 (24 h, rated 3), R3 (2 h, unrated), R4 (confirmed in October), R5 (served, not confirmed); ledger of 张三:
    service 4 h/40, activity 2 h/30, civic 5, redeem -20, correction -1 h/-10 in November and a service in
    October. 洋桥村 (1 resident): volunteer 赵六 (active); R6 (10 h, rated 4); service 10 h/100, redeem -50."""
    c = county
    skill = Skill.objects.get(code="repair")

    def volunteer(village, status, resident=None, user=None, name="志愿者"):
        return Volunteer.objects.create(village=village, resident=resident, user=user, name=name, status=status,
                                        applied_at=at(1, 5), updated_at=at(1, 6))

    volunteer(c.village, VolunteerStatus.ACTIVE, resident=c.resident, name="张三")
    volunteer(c.village, VolunteerStatus.PAUSED, resident=c.neighbour, name="李梅")
    volunteer(c.village, VolunteerStatus.ACTIVE, user=c.worker_a, name="网格员甲")
    volunteer(c.village2, VolunteerStatus.ACTIVE, resident=c.resident_c, name="赵六")
    seq = iter(range(1, 100))

    def request(village, created, confirmed=None, rating=None, status=RequestStatus.CONFIRMED):
        return ServiceRequest.objects.create(number=f"BS-T{next(seq)}", village=village, skill=skill, text="修水管",
                                             status=status, created_at=created, updated_at=confirmed or created,
                                             confirmed_at=confirmed, rating=rating)

    request(c.village, at(11, 1, 10), at(11, 1, 14), rating=5)
    request(c.village, at(11, 2, 10), at(11, 3, 10), rating=3)
    request(c.village, at(11, 5, 10), at(11, 5, 12))
    request(c.village, at(10, 20, 10), at(10, 21, 10), rating=5)
    request(c.village, at(11, 6, 10), status=RequestStatus.SERVED)
    request(c.village2, at(11, 10, 10), at(11, 10, 20), rating=4)
    a = Account.objects.create(resident=c.resident, name="张三", village=c.village, code="a1", created_at=at(1, 6))
    b = Account.objects.create(resident=c.resident_c, name="赵六", village=c.village2, code="a2", created_at=at(1, 6))

    def entry(account, kind, hours, points, when):
        Entry.objects.create(account=account, kind=kind, hours=Decimal(hours), points=points,
                             village=account.village, at=when, created_at=when)

    entry(a, EntryKind.SERVICE, "4", 40, at(11, 1, 14))
    entry(a, EntryKind.ACTIVITY, "2", 30, at(11, 15))
    entry(a, EntryKind.CIVIC, "0", 5, at(11, 20))
    entry(a, EntryKind.REDEEM, "0", -20, at(11, 25))
    entry(a, EntryKind.CORRECTION, "-1", -10, at(11, 26))
    entry(a, EntryKind.SERVICE, "3", 30, at(10, 21))
    entry(b, EntryKind.SERVICE, "10", 100, at(11, 10, 20))
    entry(b, EntryKind.REDEEM, "0", -50, at(11, 12))
    for unit in (c.county, c.town, c.town2, c.village, c.village2):
        unit.refresh_from_db()  # the residents' counts rolled up after the units were made
    return c


def test_values_counted_by_hand(bank):
    c = bank
    got = registry.values([c.county, c.town, c.town2, c.village, c.village2, c.grid_a], NOVEMBER, KEYS)
    v = got[c.village.id]
    assert v["volunteers.per_thousand"] == pytest.approx(2000 / 3)  # 2 active of 3 residents
    assert v["volunteers.hours"] == pytest.approx(5.0)  # 4 + 2 - 1
    assert v["volunteers.served"] == 3
    assert v["volunteers.median_hours"] == pytest.approx(4.0)  # of 2, 4, 24
    assert v["volunteers.satisfaction"] == 0.5  # 5 of (5, 3)
    assert v["volunteers.points_issued"] == 65  # 40 + 30 + 5 - 10
    assert v["volunteers.points_redeemed"] == 20
    assert got[c.town.id] == v
    assert got[c.village2.id] == {"volunteers.per_thousand": pytest.approx(1000.0), "volunteers.hours": 10.0,
                                  "volunteers.served": 1, "volunteers.median_hours": pytest.approx(10.0),
                                  "volunteers.satisfaction": 1.0, "volunteers.points_issued": 100,
                                  "volunteers.points_redeemed": 50}
    whole = got[c.county.id]
    assert whole["volunteers.per_thousand"] == pytest.approx(750.0)  # 3 of 4
    assert whole["volunteers.hours"] == pytest.approx(15.0)
    assert whole["volunteers.served"] == 4
    assert whole["volunteers.median_hours"] == pytest.approx(7.0)  # of 2, 4, 10, 24
    assert whole["volunteers.satisfaction"] == pytest.approx(2 / 3)
    assert (whole["volunteers.points_issued"], whole["volunteers.points_redeemed"]) == (165, 70)
    assert set(got[c.grid_a.id].values()) == {None}  # below a village: no figure


def test_a_quiet_period_has_zeros_and_no_shares(bank):
    c = bank
    got = registry.values([c.village], month_period(2026, 9), KEYS)[c.village.id]
    assert got["volunteers.served"] == 0 and got["volunteers.hours"] == 0
    assert got["volunteers.median_hours"] is None and got["volunteers.satisfaction"] is None
    assert got["volunteers.per_thousand"] == pytest.approx(2000 / 3)  # a current figure


def test_query_count_does_not_grow_with_units_or_rows(bank):
    c = bank
    with CaptureQueriesContext(connection) as one:
        registry.values([c.village], NOVEMBER, KEYS)
    with CaptureQueriesContext(connection) as villages:
        registry.values([c.village, c.village2, c.grid_a, c.grid_b, c.grid_c], NOVEMBER, KEYS)
    with CaptureQueriesContext(connection) as levels:
        registry.values([c.county, c.town, c.town2, c.village, c.village2], NOVEMBER, KEYS)
    assert len(one) == 2  # the per-village figures (one UNION ALL), the medians
    assert len(villages) == 2  # one path length among the units at or above a village
    assert len(levels) == 4  # three path lengths: one median query each
    with CaptureQueriesContext(connection) as grids:
        registry.values([c.grid_a, c.grid_b], NOVEMBER, KEYS)
    assert len(grids) == 0


def test_seen_only_where_volunteers_view(bank):
    c = bank

    def keys(user, unit):
        return {i.key for i in registry.visible(user, unit)}

    assert set(KEYS) <= keys(c.town_staff, c.town)
    assert set(KEYS) <= keys(c.town_staff, c.village)
    assert not set(KEYS) & keys(c.town_staff, c.town2)
    assert not set(KEYS) & keys(c.town_staff, c.village2)
    assert set(KEYS) <= keys(c.worker_a, c.grid_a)
    assert not set(KEYS) & keys(c.worker_a, c.grid_b)
    assert not set(KEYS) & keys(c.resident_user, c.village)
    assert set(KEYS) <= keys(c.admin, c.county)


def test_each_number_links_to_a_list_or_to_nothing(bank):
    c = bank
    for key in KEYS:
        ind = registry.get(key)
        for unit in (c.county, c.village):
            url = ind.drill(unit, NOVEMBER)
            assert url == "" or url.startswith("/volunteers/"), (key, url)
            if key in ("volunteers.hours", "volunteers.points_issued") and url and unit == c.village:
                assert "village=330421112201" in url and "first=2026-11-01" in url
