"""The statutory dates and the age rule: table tests of `rules` (pure functions on a real round's rules)."""

from __future__ import annotations

import datetime as dt

import pytest

from shanzhi.elections import roll, rules
from shanzhi.elections.tests.helpers_setup import ELECTION_DAY, at, build_setting
from shanzhi.lib.errors import DomainError


@pytest.mark.parametrize(("birth", "day", "age"), [
    (dt.date(2009, 3, 20), dt.date(2027, 3, 20), 18),  # the 18th birthday is election day
    (dt.date(2009, 3, 21), dt.date(2027, 3, 20), 17),  # the day after
    (dt.date(2008, 2, 29), dt.date(2026, 2, 28), 17),  # a 29 February birthday counts from 1 March
    (dt.date(2008, 2, 29), dt.date(2026, 3, 1), 18),
    (dt.date(2008, 2, 29), dt.date(2028, 2, 29), 20),
    (dt.date(1990, 1, 1), dt.date(2027, 3, 20), 37),
])
def test_age_on(birth, day, age):
    assert rules.age_on(birth, day) == age


def test_the_birth_cutoff_of_the_roll_query_agrees_with_age_on():
    """Every birth date around every kind of day: `birth <= cutoff` exactly when `age_on >= 18`."""
    days = [dt.date(2027, 3, 20), dt.date(2028, 2, 29), dt.date(2026, 2, 28), dt.date(2026, 3, 1),
            dt.date(2027, 1, 1), dt.date(2027, 12, 31)]
    for day in days:
        cutoff = roll.birth_cutoff(day, 18)
        start = dt.date(day.year - 19, 1, 1)
        for i in range(3 * 366):
            birth = start + dt.timedelta(days=i)
            assert (birth <= cutoff) == (rules.age_on(birth, day) >= 18), (day, birth)


@pytest.fixture
def s(db):
    return build_setting()


def test_the_schedule_counts_from_election_day(s):
    sch = rules.schedule(s.e1)
    assert sch.election_day == ELECTION_DAY
    assert sch.roll_by == dt.date(2027, 2, 28) and sch.candidates_by == dt.date(2027, 3, 15)
    assert sch.objections_until is None and sch.answers_until is None
    s.e1.roll_published_at = at(dt.date(2027, 2, 20), 23)
    sch = rules.schedule(s.e1)
    assert sch.objections_until == dt.date(2027, 2, 25) and sch.answers_until == dt.date(2027, 2, 28)
    assert rules.answer_due(s.e1, at(dt.date(2027, 2, 24))) == dt.date(2027, 2, 27)


def test_each_date_rule_refuses_quoting_itself(s):
    rules.require_roll_publish(s.e1, dt.date(2027, 2, 28))
    with pytest.raises(DomainError) as exc:
        rules.require_roll_publish(s.e1, dt.date(2027, 3, 1))
    assert "roll" in exc.value.fields and "20日以前" in str(exc.value)
    rules.require_candidates_publish(s.e1, dt.date(2027, 3, 15))
    with pytest.raises(DomainError) as exc:
        rules.require_candidates_publish(s.e1, dt.date(2027, 3, 16))
    assert "5日以前" in str(exc.value)
    with pytest.raises(DomainError):
        rules.require_objection_in_time(s.e1, dt.date(2027, 2, 21))  # not published
    s.e1.roll_published_at = at(dt.date(2027, 2, 20))
    rules.require_objection_in_time(s.e1, dt.date(2027, 2, 25))
    with pytest.raises(DomainError) as exc:
        rules.require_objection_in_time(s.e1, dt.date(2027, 2, 26))
    assert "raised_at" in exc.value.fields
    rules.require_answer_in_time(s.e1, dt.date(2027, 2, 25), dt.date(2027, 2, 28))
    with pytest.raises(DomainError) as exc:
        rules.require_answer_in_time(s.e1, dt.date(2027, 2, 25), dt.date(2027, 3, 1))
    assert "answer" in exc.value.fields


def test_a_provinces_numbers_move_the_dates(s):
    r = s.round.rules
    r.roll_days_before, r.objection_days = 25, 7
    r.save()
    s.e1.refresh_from_db()
    sch = rules.schedule(s.e1)
    assert sch.roll_by == dt.date(2027, 2, 23)
    with pytest.raises(DomainError) as exc:
        rules.require_roll_publish(s.e1, dt.date(2027, 2, 24))
    assert "25日以前" in str(exc.value)


def test_at_risk_warns_before_and_after_the_deadline(s):
    assert rules.at_risk(s.e1, dt.date(2027, 2, 1)) == []
    assert rules.at_risk(s.e1, dt.date(2027, 2, 26)) == ["选民名单须在2日内公布"]
    assert rules.at_risk(s.e1, dt.date(2027, 3, 1))[0].startswith("选民名单逾期未公布")
