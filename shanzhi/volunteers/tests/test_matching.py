"""The matching function (pure, no database): property-based with hypothesis, plus a few table cases."""

from __future__ import annotations

import dataclasses
import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shanzhi.volunteers import matching
from shanzhi.volunteers.matching import AVAILABLE, PARTLY, UNAVAILABLE, Candidate, Need, Slot

MONDAY = dt.datetime(2026, 12, 7, 9, 0)
SKILLS = st.integers(min_value=1, max_value=4)
VILLAGES = st.integers(min_value=1, max_value=3)

slots = st.builds(
    lambda d, a, b: Slot(d, dt.time(min(a, b)), dt.time(max(a, b) + 1) if max(a, b) < 23 else dt.time(23, 59)),
    st.integers(0, 6), st.integers(0, 22), st.integers(0, 22))
points = st.one_of(st.none(), st.tuples(st.floats(30.7, 30.9), st.floats(120.8, 121.2)))


@st.composite
def candidates(draw, ident: int) -> Candidate:
    point = draw(points)
    return Candidate(id=ident, name=draw(st.sampled_from(["张", "李", "王", "赵"])) + str(ident % 3),
                     active=draw(st.booleans()), skills=frozenset(draw(st.sets(SKILLS, max_size=3))),
                     villages=frozenset(draw(st.sets(VILLAGES, min_size=1, max_size=3))),
                     availability=tuple(draw(st.lists(slots, max_size=4))),
                     lat=point[0] if point else None, lon=point[1] if point else None,
                     load=draw(st.integers(0, 5)))


@st.composite
def pools(draw) -> list[Candidate]:
    n = draw(st.integers(0, 12))
    return [draw(candidates(i + 1)) for i in range(n)]


@st.composite
def needs(draw) -> Need:
    point = draw(points)
    start = MONDAY + dt.timedelta(minutes=30 * draw(st.integers(0, 400)))
    length = draw(st.one_of(st.none(), st.integers(1, 300)))
    return Need(skill=draw(SKILLS), village=draw(VILLAGES),
                wanted_from=draw(st.sampled_from([None, start])),
                wanted_to=None if length is None else start + dt.timedelta(minutes=10 * length),
                lat=point[0] if point else None, lon=point[1] if point else None,
                declined=frozenset(draw(st.sets(st.integers(1, 12), max_size=3))))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(needs(), pools())
def test_never_suggests_an_ineligible_volunteer(need, pool):
    result = matching.suggest(need, pool, limit=None)
    by_id = {c.id: c for c in pool}
    for s in result.suggestions:
        c = by_id[s.volunteer_id]
        assert c.active and need.skill in c.skills and need.village in c.villages and c.id not in need.declined
    # every candidate is either suggested or excluded with a reason, once
    ids = [s.volunteer_id for s in result.suggestions] + [e.volunteer_id for e in result.excluded]
    assert sorted(ids) == sorted(by_id)
    assert all(e.reason for e in result.excluded) and all(s.reasons for s in result.suggestions)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(needs(), pools())
def test_deterministic_and_independent_of_the_input_order(need, pool):
    first = matching.suggest(need, pool)
    assert matching.suggest(need, list(reversed(pool))) == first
    assert matching.suggest(need, pool) == first


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(needs(), pools())
def test_sorted_by_availability_then_known_distance(need, pool):
    rows = matching.suggest(need, pool, limit=None).suggestions
    keys = [matching.sort_key(s) for s in rows]
    assert keys == sorted(keys)
    for a, b in zip(rows, rows[1:], strict=False):
        assert a.availability <= b.availability
        if a.availability == b.availability and a.distance_m is None:
            assert b.distance_m is None  # unknown distance ranks after known


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.floats(0.0, 0.2), min_size=2, max_size=8, unique=True), st.integers(0, 4))
def test_monotonic_in_distance_when_everything_else_is_equal(offsets, load):
    need = Need(skill=1, village=1, lat=30.8, lon=120.9)
    pool = [Candidate(id=i + 1, name="同名", active=True, skills=frozenset({1}), villages=frozenset({1}),
                      lat=30.8 + off, lon=120.9, load=load) for i, off in enumerate(offsets)]
    rows = matching.suggest(need, pool, limit=None).suggestions
    distances = [s.distance_m for s in rows]
    assert distances == sorted(distances)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, 6), min_size=2, max_size=6))
def test_fewer_open_requests_first_at_the_same_place(loads):
    need = Need(skill=1, village=1)
    pool = [Candidate(id=i + 1, name="同名", active=True, skills=frozenset({1}), villages=frozenset({1}), load=n)
            for i, n in enumerate(loads)]
    rows = matching.suggest(need, pool, limit=None).suggestions
    assert [s.load for s in rows] == sorted(loads)


def _one(**kw) -> Candidate:
    base = Candidate(id=1, name="李梅", active=True, skills=frozenset({1}), villages=frozenset({1}))
    return dataclasses.replace(base, **kw)


def test_availability_covers_part_or_none_of_the_window():
    morning = (Slot(0, dt.time(8), dt.time(12)),)  # Mondays 8-12
    need = Need(skill=1, village=1, wanted_from=MONDAY, wanted_to=MONDAY + dt.timedelta(hours=2))
    assert matching.availability_of(_one(availability=morning), need) == AVAILABLE
    late = dataclasses.replace(need, wanted_from=MONDAY.replace(hour=11, minute=30),
                               wanted_to=MONDAY.replace(hour=13, minute=30))
    assert matching.availability_of(_one(availability=morning), late) == PARTLY
    tuesday = dataclasses.replace(need, wanted_from=MONDAY + dt.timedelta(days=1),
                                  wanted_to=MONDAY + dt.timedelta(days=1, hours=1))
    assert matching.availability_of(_one(availability=morning), tuesday) == UNAVAILABLE
    assert matching.availability_of(_one(availability=()), tuesday) == AVAILABLE  # any time
    week = dataclasses.replace(need, wanted_to=MONDAY + dt.timedelta(days=30))
    assert matching.availability_of(_one(availability=morning), week) == AVAILABLE  # an hour of a long window


def test_reasons_are_in_chinese_and_name_the_distance_and_load():
    need = Need(skill=1, village=1, lat=30.8, lon=120.9)
    row = matching.suggest(need, [_one(lat=30.81, lon=120.9, load=2)]).suggestions[0]
    assert "具备所需技能" in row.reasons and "进行中任务2件" in row.reasons
    assert any(r.startswith("距离约1.1公里") for r in row.reasons)
    excluded = matching.suggest(Need(skill=2, village=1), [_one()]).excluded[0]
    assert excluded.reason == "不具备所需技能"


def test_haversine_is_about_right():
    assert abs(matching.haversine_m(30.0, 120.0, 31.0, 120.0) - 111_195) < 100
