"""Deadlines per category and priority in working time, and the traffic light."""

from __future__ import annotations

import datetime as dt

from shanzhi.cases.models import Case, Category, DeadlineRule, DeadlineUnit, Priority
from shanzhi.lib import clock, workclock

# When a category has no rule: 5 working days normal, 2 urgent, 4 working hours critical.
DEFAULTS = {Priority.NORMAL: (5, DeadlineUnit.WORKING_DAYS), Priority.URGENT: (2, DeadlineUnit.WORKING_DAYS),
            Priority.CRITICAL: (4, DeadlineUnit.WORKING_HOURS)}
WARN_SHARE = 0.8


def limit_for(category: Category, priority: str) -> tuple[int, str]:
    rule = DeadlineRule.objects.filter(category=category, priority=priority).first()
    if rule is None and category.parent_id:
        rule = DeadlineRule.objects.filter(category_id=category.parent_id, priority=priority).first()
    return (rule.amount, rule.unit) if rule else DEFAULTS[priority]


def warn_point(start: dt.datetime, deadline: dt.datetime) -> dt.datetime:
    """The moment 80% of the working time between start and deadline has passed."""
    total = workclock.working_seconds_between(start, deadline)
    if total <= 0:
        return deadline
    return workclock.add_working_hours(start, WARN_SHARE * total / 3600)


def deadline_for(*, category: Category, priority: str, start: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """(deadline, warning time) for a case starting at `start`."""
    amount, unit = limit_for(category, priority)
    if unit == DeadlineUnit.WORKING_DAYS:
        deadline = workclock.add_working_days(start, amount)
    else:
        deadline = workclock.add_working_hours(start, amount)
    return deadline, warn_point(start, deadline)


def light(case: Case, now: dt.datetime | None = None) -> str:
    """green before 80% of the limit, yellow up to the deadline, red past it; '' when closed or no deadline."""
    if not case.is_open or case.deadline_at is None:
        return ""
    now = now or clock.now()
    if now >= case.deadline_at:
        return "red"
    if case.warn_at and now >= case.warn_at:
        return "yellow"
    return "green"
