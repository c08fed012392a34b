"""Fixtures of the campaign tests: a central household in the small test county."""

from __future__ import annotations

import pytest

from shanzhi.lib.testing import point_in
from shanzhi.people.services import central_household_create, central_household_link, household_create


@pytest.fixture
def central(county):
    """张三's household (A1) is a central household linked to a neighbour household in A1."""
    ch = central_household_create(actor=None, household=county.household_a, leader=county.resident)
    extra = household_create(actor=None, number="H-A1-002", micro_grid=county.mg_a1, address="一组2号",
                             registration="registered", lat=point_in(3, 5)[0], lon=point_in(3, 5)[1])
    central_household_link(actor=None, central=ch, households=[extra])
    county.extra["ch"], county.extra["h2"] = ch, extra
    return ch
