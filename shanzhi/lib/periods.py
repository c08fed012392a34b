"""Reporting periods (today, week, month, quarter, year, custom) in local days, with the period to
compare against: the previous one of the same length and the same one a year earlier."""

from __future__ import annotations

import calendar
import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy

KINDS = ("today", "week", "month", "quarter", "year", "custom")
LABELS = {
    "today": gettext_lazy("今日"),
    "week": gettext_lazy("本周"),
    "month": gettext_lazy("本月"),
    "quarter": gettext_lazy("本季度"),
    "year": gettext_lazy("本年"),
    "custom": gettext_lazy("自定义"),
}


def local_midnight(day: dt.date) -> dt.datetime:
    """The aware instant a local day starts (Asia/Shanghai by default)."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))


@dataclass(frozen=True)
class Period:
    """Local days `first`..`last`, both included."""

    kind: str
    first: dt.date
    last: dt.date

    @property
    def start(self) -> dt.datetime:
        return local_midnight(self.first)

    @property
    def end(self) -> dt.datetime:
        """The first instant after the period (half-open [start, end))."""
        return local_midnight(self.last + dt.timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Period:
        """The period just before: the previous calendar month/quarter/year for those kinds, else the
        same number of days ending the day before."""
        if self.kind in ("month", "quarter", "year"):
            months = {"month": 1, "quarter": 3, "year": 12}[self.kind]
            first = _add_months(self.first, -months)
            return Period(self.kind, first, _add_months(self.first, 0) - dt.timedelta(days=1))
        last = self.first - dt.timedelta(days=1)
        return Period(self.kind, last - dt.timedelta(days=self.days - 1), last)

    def year_before(self) -> Period:
        """The same days one year earlier (29 February becomes 28 February)."""
        return Period(self.kind, _add_months(self.first, -12), _add_months(self.last, -12))

    def compared(self, today: dt.date) -> tuple[Period, Period]:
        """The previous period and the same period a year earlier, as compared with this one on `today`.

        A period still in progress (this month on the 7th) is compared day for day: the previous and the
        year-earlier periods are cut to as many days as have passed, so a week of this month is set
        against the first week of last month, not the whole of it."""
        previous, year_before = self.previous(), self.year_before()
        if self.first <= today < self.last:
            passed = dt.timedelta(days=(today - self.first).days)
            previous = Period(previous.kind, previous.first, min(previous.last, previous.first + passed))
            year_before = Period(year_before.kind, year_before.first,
                                 min(year_before.last, year_before.first + passed))
        return previous, year_before

    def label(self) -> str:
        if self.first == self.last:
            return self.first.isoformat()
        return f"{self.first.isoformat()} ~ {self.last.isoformat()}"


def _add_months(day: dt.date, months: int) -> dt.date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def period_for(kind: str, today: dt.date, first: dt.date | None = None, last: dt.date | None = None) -> Period:
    """The named period that contains `today` (whole calendar units, so a month is 1st..last day);
    custom takes `first`..`last`. An unknown kind is this month."""
    if kind == "today":
        return Period(kind, today, today)
    if kind == "week":  # Monday to Sunday
        monday = today - dt.timedelta(days=today.weekday())
        return Period(kind, monday, monday + dt.timedelta(days=6))
    if kind == "quarter":
        first_q = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
        return Period(kind, first_q, _add_months(first_q, 3) - dt.timedelta(days=1))
    if kind == "year":
        return Period(kind, today.replace(month=1, day=1), today.replace(month=12, day=31))
    if kind == "custom" and first is not None and last is not None:
        return Period(kind, first, last)
    first_m = today.replace(day=1)
    return Period("month", first_m, _add_months(first_m, 1) - dt.timedelta(days=1))


def month_period(year: int, month: int) -> Period:
    first = dt.date(year, month, 1)
    return Period("month", first, _add_months(first, 1) - dt.timedelta(days=1))
