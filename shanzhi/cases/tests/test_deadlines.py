"""Deadlines in working time across weekends and holidays, and the traffic light."""

import datetime as dt

from django.utils import timezone

from shanzhi.cases.deadlines import light
from shanzhi.lib import clock, workclock


def aware(*args):
    return timezone.make_aware(dt.datetime(*args))


def test_working_hours_skip_the_night_and_the_weekend():
    # Friday 2026-11-27 16:30 + 4 working hours = Monday 11:30 (1h Friday, 3h Monday from 08:30).
    assert workclock.add_working_hours(aware(2026, 11, 27, 16, 30), 4) == aware(2026, 11, 30, 11, 30)


def test_working_days_skip_national_day_holiday():
    # 2026-09-30 (Wed) + 1 working day: Oct 1-7 are holidays; the next working day is Oct 8.
    end = workclock.add_working_days(aware(2026, 9, 30, 9, 0), 1)
    assert end.date() == dt.date(2026, 10, 8)


def test_an_adjusted_saturday_is_a_working_day():
    assert workclock.is_workday(dt.date(2026, 10, 10))  # 调休上班
    assert not workclock.is_workday(dt.date(2026, 10, 3))


def test_working_seconds_between_counts_only_office_hours():
    secs = workclock.working_seconds_between(aware(2026, 11, 27, 17, 0), aware(2026, 11, 30, 9, 0))
    assert secs == 30 * 60 + 30 * 60


def test_a_garbage_case_is_due_in_two_working_days_and_lights_change(county, report):
    case = report("garbage")  # Wednesday 10:00
    assert timezone.localtime(case.deadline_at) == aware(2026, 11, 27, 17, 30)
    assert light(case, aware(2026, 11, 25, 11, 0)) == "green"
    assert light(case, case.warn_at) == "yellow"
    assert light(case, aware(2026, 11, 27, 17, 31)) == "red"
    # 80% of the working time has passed at the warning point.
    total = workclock.working_seconds_between(case.reported_at, case.deadline_at)
    done = workclock.working_seconds_between(case.reported_at, case.warn_at)
    assert abs(done / total - 0.8) < 0.01


def test_a_case_reported_on_friday_evening_is_due_after_the_weekend(county, report):
    with clock.frozen(aware(2026, 11, 27, 19, 0)):
        case = report("manhole")  # 1 working day
    assert timezone.localtime(case.deadline_at) == aware(2026, 11, 30, 17, 30)
