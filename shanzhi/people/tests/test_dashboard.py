"""The registry's indicators (人网比, 流动人口占比, 进村报到) against the small county counted by hand."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shanzhi.dashboard import registry
from shanzhi.lib.periods import Period, month_period
from shanzhi.org.models import OrgUnit
from shanzhi.people.models import CadreKind, CadreRegistration
from shanzhi.people.services import cadre_register

pytestmark = pytest.mark.django_db

NOVEMBER = month_period(2026, 11)
KEYS = ["registry.residents_per_grid_worker", "registry.floating_share", "registry.cadres_registered"]


def _fresh(*units):
    return list(OrgUnit.objects.filter(pk__in=[u.pk for u in units]).order_by("path"))


def test_ratios_come_from_the_rolled_up_counts(county):
    county_unit, town2, town = _fresh(county.county, county.town, county.town2)  # path order: 大云镇 (102) first
    got = registry.values([county_unit, town, town2], NOVEMBER, KEYS)
    # residents: 张三, 李梅 (A), 王五 (B, floating), 赵六 (C); grid workers A, B, C
    assert got[county_unit.id]["registry.residents_per_grid_worker"] == pytest.approx(4 / 3)
    assert got[county_unit.id]["registry.floating_share"] == pytest.approx(1 / 4)
    assert got[town.id]["registry.residents_per_grid_worker"] == pytest.approx(3 / 2)
    assert got[town.id]["registry.floating_share"] == pytest.approx(1 / 3)
    assert got[town2.id]["registry.residents_per_grid_worker"] == 1.0
    assert got[town2.id]["registry.floating_share"] == 0.0


def test_a_unit_without_grid_workers_or_residents_shows_nothing(county):
    (mg,) = _fresh(county.mg_a2)  # no household, no grid worker of its own
    got = registry.values([mg], NOVEMBER, KEYS)[mg.id]
    assert got["registry.residents_per_grid_worker"] is None and got["registry.floating_share"] is None


def test_cadres_registered_on_the_last_day_of_the_period(county):
    cadre_register(actor=None, resident=county.resident, village=county.village, kind=CadreKind.PARTY_MEMBER,
                   day=dt.date(2026, 11, 5))
    cadre_register(actor=None, resident=county.resident_b, village=county.village, kind=CadreKind.CADRE,
                   day=dt.date(2026, 12, 2))  # after November
    reg_c = cadre_register(actor=None, resident=county.resident_c, village=county.village2,
                           kind=CadreKind.PARTY_MEMBER, day=dt.date(2026, 10, 1))
    CadreRegistration.objects.filter(pk=reg_c.pk).update(ended_on=dt.date(2026, 11, 20))  # left in November
    units = _fresh(county.county, county.town, county.town2, county.village, county.grid_a)
    nov = registry.values(units, NOVEMBER, ["registry.cadres_registered"])
    assert nov[county.county.id]["registry.cadres_registered"] == 1
    assert nov[county.town.id]["registry.cadres_registered"] == 1
    assert nov[county.village.id]["registry.cadres_registered"] == 1
    assert nov[county.town2.id]["registry.cadres_registered"] == 0
    assert nov[county.grid_a.id]["registry.cadres_registered"] is None  # below a village: not shown
    october = registry.values(units, month_period(2026, 10), ["registry.cadres_registered"])
    assert october[county.town2.id]["registry.cadres_registered"] == 1
    dec = registry.values(units, Period("custom", dt.date(2026, 12, 1), dt.date(2026, 12, 3)),
                          ["registry.cadres_registered"])
    assert dec[county.county.id]["registry.cadres_registered"] == 2


def test_one_query_whatever_the_number_of_units(county):
    one = _fresh(county.town)
    with CaptureQueriesContext(connection) as few:
        registry.values(one, NOVEMBER, KEYS)
    units = _fresh(county.county, county.town, county.town2, county.village, county.village2, county.grid_a)
    with CaptureQueriesContext(connection) as many:
        registry.values(units, NOVEMBER, KEYS)
    assert len(few) == len(many) == 1


def test_who_sees_the_registry_indicators(county):
    mine = {i.key for i in registry.visible(county.worker_a, county.grid_a)}
    assert set(KEYS) <= mine
    assert registry.visible(county.worker_b, county.grid_a) == []
    assert not {i.key for i in registry.visible(county.town_staff, county.town2)} & set(KEYS)
