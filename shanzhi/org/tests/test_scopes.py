"""The one scope mechanism: who may do what where, both ways."""

from shanzhi.accounts import scopes
from shanzhi.org.selectors import orgunit_list_for
from shanzhi.people.selectors import household_list_for, resident_list_for


def test_grid_worker_sees_only_their_grid(county):
    c = county
    assert scopes.may(c.worker_a, "people.view", c.mg_a1)
    assert not scopes.may(c.worker_a, "people.view", c.mg_b1)
    assert set(household_list_for(user=c.worker_a)) == {c.household_a}
    assert set(household_list_for(user=c.worker_b)) == {c.household_b}


def test_it_hides_other_grids_residents(county):
    names = set(resident_list_for(user=county.worker_b).values_list("name", flat=True))
    assert names == {"王五"}


def test_town_staff_sees_their_town_not_the_other(county):
    c = county
    units = set(orgunit_list_for(user=c.town_staff).values_list("code", flat=True))
    assert c.grid_a.code in units and c.grid_b.code in units
    assert c.grid_c.code not in units and c.county.code not in units


def test_county_admin_sees_everything(county):
    assert household_list_for(user=county.admin).count() == 3


def test_resident_sees_only_own_household(county):
    assert list(household_list_for(user=county.resident_user)) == [county.household_a]
    assert not scopes.may(county.resident_user, "org.view", county.mg_a1)


def test_grid_worker_may_not_change_units(county):
    assert not scopes.may(county.worker_a, "org.change", county.grid_a)
    assert scopes.may(county.town_staff, "org.change", county.grid_a)


def test_rollups_count_households_residents_and_workers(county):
    county.village.refresh_from_db()
    assert county.village.household_count == 2
    assert county.village.resident_count == 3
    assert county.village.grid_worker_count == 2
    assert county.village.residents_per_grid_worker == 2
