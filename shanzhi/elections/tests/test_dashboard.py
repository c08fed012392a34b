"""The elections' indicators (选举完成率, 参选率, 选民登记数) against the small county counted by hand, in a
constant number of queries, seen only with elections.view."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shanzhi.dashboard import registry
from shanzhi.elections.tests.overview_data import make
from shanzhi.lib.periods import month_period

pytestmark = pytest.mark.django_db
DECEMBER, NOVEMBER = month_period(2026, 12), month_period(2026, 11)
KEYS = ["elections.certified_share", "elections.turnout", "elections.voters"]


@pytest.fixture
def data(county):
    return make(county)


def test_values_counted_by_hand(county, data):
    c = county
    got = registry.values([c.county, c.town, c.town2, c.village, c.village2, c.grid_a], DECEMBER, KEYS)
    # 新联村: day 12-01, certified 12-03, 1 of 2 voters took part; 洋桥村: day 12-29, roll of 4, not voted
    assert got[c.village.id] == {"elections.certified_share": 1.0, "elections.turnout": 0.5, "elections.voters": 2}
    assert got[c.town.id] == got[c.village.id]
    assert got[c.village2.id] == {"elections.certified_share": 0.0, "elections.turnout": None,
                                  "elections.voters": 4}
    assert got[c.county.id] == {"elections.certified_share": 0.5, "elections.turnout": 0.5, "elections.voters": 6}
    assert got[c.grid_a.id] == {"elections.certified_share": None, "elections.turnout": None,
                                "elections.voters": 0}
    assert registry.values([c.county], NOVEMBER, KEYS)[c.county.id] == {
        "elections.certified_share": None, "elections.turnout": None, "elections.voters": 0}


def test_a_voter_removed_from_the_roll_no_longer_counts(county, data):
    from shanzhi.elections.tests.overview_data import at

    v = data["b"].voters.last()
    v.removed_at, v.removed_reason = at(12, 2), "户籍迁出"
    v.save()
    assert registry.values([county.village2], DECEMBER, KEYS)[county.village2.id]["elections.voters"] == 3


def test_query_count_does_not_grow_with_units_or_rows(county, data):
    c = county
    with CaptureQueriesContext(connection) as few:
        registry.values([c.village], DECEMBER, KEYS)
    with CaptureQueriesContext(connection) as many:
        registry.values([c.village, c.village2, c.grid_a, c.grid_b, c.grid_c], DECEMBER, KEYS)
    assert len(few) == 3
    assert len(many) == 6  # two path lengths: three queries each


def test_seen_only_with_the_elections_view_action(county, data):
    assert "elections.turnout" in {i.key for i in registry.visible(county.town_staff, county.village)}
    assert "elections.turnout" not in {i.key for i in registry.visible(county.town_staff, county.village2)}
    assert "elections.turnout" not in {i.key for i in registry.visible(county.resident_user, county.village)}


def test_the_drill_link_is_the_overview(county, data):
    ind = registry.get("elections.turnout")
    assert ind.drill(county.town, DECEMBER) == f"/elections/?town={county.town.code}"
    assert ind.drill(county.county, DECEMBER) == "/elections/"
