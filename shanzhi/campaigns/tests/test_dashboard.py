"""The campaigns' indicators (走访覆盖率, 户户见干部, 网格签收进度) against the small county counted by hand."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shanzhi.campaigns import services as svc
from shanzhi.campaigns.models import Kind, Measure, Outcome, Rule, Target
from shanzhi.campaigns.scope import resolve
from shanzhi.dashboard import registry
from shanzhi.lib import clock
from shanzhi.lib.periods import month_period

pytestmark = pytest.mark.django_db

T0 = timezone.make_aware(dt.datetime(2026, 11, 10, 19, 0))
NOVEMBER = month_period(2026, 11)
KEYS = ["campaigns.visit_coverage", "campaigns.met_cadre_share", "campaigns.signoff_progress"]


def _night_visit(county, units, name="十一月网格夜访"):
    scope = resolve(actor=county.admin, units=units)
    return svc.campaign_create(actor=county.admin, kind=Kind.NIGHT_VISIT, name=name, scope=scope,
                               rule=Rule.GRID_WORKER, capacity=100)


@pytest.fixture
def visits(county):
    """One night visit over 新联村 (household A in grid A, household B in grid B): worker A visits A and
    meets 张三 (a cadre met the household), grid A signs off; B is not reached. An emergency over grid C
    (not a night visit) is reached in full and must not count."""
    with clock.frozen(T0):
        night = _night_visit(county, [county.village.code])
        ta = Target.objects.get(campaign=night, household=county.household_a)
        svc.visit_record(actor=county.worker_a, target=ta, outcome=Outcome.VISITED, met_whom="张三")
        svc.grid_signoff(actor=county.worker_a, campaign=night, grid=county.grid_a)
        incident = svc.incident_declare(actor=county.admin, type="密接", occurred_at=T0, place="洋桥村",
                                        scope=resolve(actor=county.admin, units=[county.grid_c.code]),
                                        measure=Measure.HOME)
        tc = Target.objects.get(campaign=incident, household=county.household_c)
        svc.visit_record(actor=county.worker_c, target=tc, outcome=Outcome.NOTIFIED)
    return night


def _values(units, period=NOVEMBER):
    return registry.values(units, period, KEYS)


def test_the_three_shares_match_the_hand_count(county, visits):
    got = _values([county.county, county.town, county.town2, county.village])
    for unit in (county.county, county.town, county.village):
        assert got[unit.id] == {"campaigns.visit_coverage": 0.5, "campaigns.met_cadre_share": 0.5,
                                "campaigns.signoff_progress": 0.5}
    # the other town had only an emergency: no night visit there, nothing to divide by
    assert got[county.town2.id] == dict.fromkeys(KEYS)


def test_each_grid_counts_its_own_households_and_sign_off(county, visits):
    got = _values([county.grid_a, county.grid_b, county.grid_c])
    assert got[county.grid_a.id] == dict.fromkeys(KEYS, 1.0)
    assert got[county.grid_b.id] == dict.fromkeys(KEYS, 0.0)
    assert got[county.grid_c.id] == dict.fromkeys(KEYS)
    micro = _values([county.mg_a1, county.mg_b1])  # below the grid: the grid's sign-off still counts
    assert micro[county.mg_a1.id]["campaigns.signoff_progress"] == 1.0
    assert micro[county.mg_b1.id]["campaigns.signoff_progress"] == 0.0


def test_only_campaigns_active_during_the_period_count(county, visits):
    october = month_period(2026, 10)  # before the campaign started
    assert _values([county.town], october)[county.town.id] == dict.fromkeys(KEYS)
    with clock.frozen(T0 + dt.timedelta(days=40)):  # December: a second visit starts, nobody reached yet
        _night_visit(county, [county.grid_b.code], name="十二月网格夜访")
    december = month_period(2026, 12)
    got = _values([county.town], december)[county.town.id]
    # both are active in December (the first was never closed): A reached of 3 households, 1 of 3 grids signed
    assert got["campaigns.visit_coverage"] == pytest.approx(1 / 3)
    assert got["campaigns.signoff_progress"] == pytest.approx(1 / 3)
    assert _values([county.town], NOVEMBER)[county.town.id]["campaigns.visit_coverage"] == 0.5


def test_a_household_reached_after_the_period_is_not_counted_in_it(county, visits):
    tb = Target.objects.get(campaign=visits, household=county.household_b)
    with clock.frozen(T0 + dt.timedelta(days=25)):  # 5 December
        svc.visit_record(actor=county.worker_b, target=tb, outcome=Outcome.VISITED)
    assert _values([county.village])[county.village.id]["campaigns.visit_coverage"] == 0.5
    assert _values([county.village], month_period(2026, 12))[county.village.id]["campaigns.visit_coverage"] == 1.0


def test_query_count_does_not_grow_with_the_number_of_units(county, visits):
    with CaptureQueriesContext(connection) as two:
        _values([county.town, county.town2])
    with CaptureQueriesContext(connection) as five:
        _values([county.grid_a, county.grid_b, county.grid_c, county.village, county.village2])
    assert len(two) == 2  # the sign-offs, one grouped query for the towns
    assert len(five) == 3  # the sign-offs, one for the grids, one for the villages (another path length)


def test_campaign_indicators_need_campaigns_view(county):
    assert "campaigns.visit_coverage" in {i.key for i in registry.visible(county.worker_a, county.grid_a)}
    assert registry.visible(county.worker_b, county.grid_a) == []
    assert "campaigns.visit_coverage" not in {i.key for i in registry.visible(county.town_staff, county.town2)}
