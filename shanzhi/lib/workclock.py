"""Working-time arithmetic with the Chinese holiday calendar (holidays and adjusted working days).

A working day follows `chinese_calendar` (maintained yearly from the State Council's notice); for a
year it does not know yet, Monday to Friday. Working hours are 08:30-12:00 and 13:30-17:30 by
default (7.5 hours), in the configured time zone.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import chinese_calendar
from django.conf import settings
from django.utils import timezone

DEFAULT_PERIODS = ((dt.time(8, 30), dt.time(12, 0)), (dt.time(13, 30), dt.time(17, 30)))


def _periods() -> tuple[tuple[dt.time, dt.time], ...]:
    return getattr(settings, "SHANZHI", {}).get("WORKING_PERIODS", DEFAULT_PERIODS)


@lru_cache(maxsize=4096)
def is_workday(day: dt.date) -> bool:
    """Is this a working day in mainland China (holidays off, adjusted weekend days on)?"""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    """The end of the `days`-th working day after `start` (a deadline "within N working days")."""
    local = timezone.localtime(start)
    day = local.date()
    counted = 0
    while counted < days:
        day += dt.timedelta(days=1)
        if is_workday(day):
            counted += 1
    end = _periods()[-1][1]
    return timezone.make_aware(dt.datetime.combine(day, end), local.tzinfo)


@lru_cache(maxsize=8192)
def _bounds(day: dt.date, tz, periods) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
    """The day's working periods as aware datetimes (cached: the arithmetic below asks for the same days
    again and again, and building aware datetimes is most of its cost)."""
    return tuple((timezone.make_aware(dt.datetime.combine(day, a), tz),
                  timezone.make_aware(dt.datetime.combine(day, b), tz)) for a, b in periods)


@lru_cache(maxsize=8192)
def _midnight(day: dt.date, tz) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(0, 0)), tz)


def _day_periods(day: dt.date, tz) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
    return _bounds(day, tz, tuple(tuple(p) for p in _periods()))


def add_working_hours(start: dt.datetime, hours: float) -> dt.datetime:
    """`start` plus `hours` of working time, skipping nights, lunch, weekends and holidays."""
    cur = timezone.localtime(start)
    tz = cur.tzinfo
    remaining = dt.timedelta(hours=hours)
    for _ in range(3660):  # ten years of days: a guard, never reached by sane limits
        if is_workday(cur.date()):
            for pa, pb in _day_periods(cur.date(), tz):
                if cur >= pb:
                    continue
                begin = max(cur, pa)
                span = pb - begin
                if remaining <= span:
                    return begin + remaining
                remaining -= span
                cur = pb
        cur = _midnight(cur.date() + dt.timedelta(days=1), tz)
    raise ValueError("working-hour limit too large")


def working_seconds_between(start: dt.datetime, end: dt.datetime) -> float:
    """Working seconds elapsed from `start` to `end` (0 if end <= start)."""
    if end <= start:
        return 0.0
    cur = timezone.localtime(start)
    tz = cur.tzinfo
    end = timezone.localtime(end)
    total = 0.0
    while cur < end:
        if is_workday(cur.date()):
            for pa, pb in _day_periods(cur.date(), tz):
                lo, hi = max(cur, pa), min(end, pb)
                if hi > lo:
                    total += (hi - lo).total_seconds()
        cur = _midnight(cur.date() + dt.timedelta(days=1), tz)
    return total
