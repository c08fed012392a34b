"""The one indicator mechanism: registration, visibility through the gate, values for many units."""

from __future__ import annotations

import datetime as dt

import pytest

from shanzhi.dashboard import registry
from shanzhi.lib import clock
from shanzhi.lib.periods import Period, period_for
from shanzhi.lib.testing import report_case

pytestmark = pytest.mark.django_db


def test_periods_cover_whole_calendar_units():
    day = dt.date(2026, 11, 18)
    assert period_for("week", day) == Period("week", dt.date(2026, 11, 16), dt.date(2026, 11, 22))
    assert period_for("quarter", day) == Period("quarter", dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    month = period_for("month", day)
    assert (month.first, month.last) == (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert (month.previous().first, month.previous().last) == (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert month.year_before().first == dt.date(2025, 11, 1)
    leap = Period("custom", dt.date(2024, 2, 29), dt.date(2024, 2, 29))
    assert leap.year_before().first == dt.date(2023, 2, 28)
    assert period_for("today", day).previous().first == dt.date(2026, 11, 17)


def test_every_app_registers_its_case_indicators():
    keys = {i.key for i in registry.all_indicators()}
    assert {"cases.reported", "cases.on_time_rate", "cases.satisfaction_rate", "cases.village_share"} <= keys
    for ind in registry.all_indicators():
        assert ind.name and ind.name_en and ind.definition and ind.definition_en


def test_values_are_per_unit_subtree(county):
    with clock.frozen(dt.datetime(2026, 11, 18, 10, tzinfo=dt.UTC)):
        report_case(county)
        report_case(county, where=(25, 5))
        period = period_for("month", clock.today())
        got = registry.values([county.town, county.town2, county.county], period, ["cases.reported"])
    assert got[county.town.id]["cases.reported"] == 1
    assert got[county.town2.id]["cases.reported"] == 1
    assert got[county.county.id]["cases.reported"] == 2


def test_a_grid_worker_sees_case_indicators_of_their_grid_only(county):
    mine = {i.key for i in registry.visible(county.worker_a, county.grid_a)}
    assert "cases.reported" in mine
    assert registry.visible(county.worker_b, county.grid_a) == []


def test_the_median_error_bound_is_stated_in_the_page_language():
    from django.utils import translation

    ind = registry.get("cases.median_close_hours")
    with translation.override("zh-hans"):
        assert "4.9%" in ind.approx_text and "对数分桶" in ind.approx_text
    with translation.override("en"):
        assert ind.approx_text.startswith("Estimated from log-scale histograms")


def test_a_period_in_progress_is_compared_day_for_day():
    month = period_for("month", dt.date(2026, 11, 25))
    previous, year_before = month.compared(dt.date(2026, 11, 25))
    assert (previous.first, previous.last) == (dt.date(2026, 10, 1), dt.date(2026, 10, 25))
    assert (year_before.first, year_before.last) == (dt.date(2025, 11, 1), dt.date(2025, 11, 25))
    done = period_for("month", dt.date(2026, 10, 5))  # a past month: whole months
    assert done.compared(dt.date(2026, 11, 25))[0] == done.previous()
    march = period_for("month", dt.date(2026, 3, 31))  # the 31st against a 28-day February
    assert march.compared(dt.date(2026, 3, 31))[0].last == dt.date(2026, 2, 28)
