"""Assignment rules, property-based: no household twice, none over capacity, all covered or listed."""

from hypothesis import given, settings
from hypothesis import strategies as st

from shanzhi.campaigns.assign import FULL, NO_HELPER, Helper, Home, assign, walk_order


@st.composite
def worlds(draw):
    n_villages = draw(st.integers(1, 3))
    groups = draw(st.integers(1, 5))
    homes = []
    for i in range(draw(st.integers(0, 120))):
        g = draw(st.integers(0, groups - 1))
        homes.append(Home(id=i, group=g, village=g % n_villages, lat=30.8 + draw(st.floats(0, 0.05)),
                          lon=120.9 + draw(st.floats(0, 0.05))))
    helpers = []
    for j in range(draw(st.integers(0, 15))):
        g = draw(st.integers(0, groups - 1))
        own = draw(st.one_of(st.none(), st.integers(0, max(0, len(homes) - 1)))) if homes else None
        if own is not None and any(h.own_home == own for h in helpers):
            own = None
        helpers.append(Helper(id=1000 + j, group=g, village=g % n_villages, lat=30.8 + draw(st.floats(0, 0.05)),
                              lon=120.9 + draw(st.floats(0, 0.05)), capacity=draw(st.integers(1, 12)), own_home=own))
    return homes, helpers


@settings(max_examples=200, deadline=None)
@given(worlds())
def test_every_household_is_assigned_once_within_capacity_or_listed(world):
    homes, helpers = world
    result = assign(homes, helpers)
    ids = {h.id for h in homes}
    assert set(result.helper_of) | set(result.unassigned) == ids
    assert not set(result.helper_of) & set(result.unassigned)
    caps = {h.id: h.capacity for h in helpers}
    own = {h.own_home for h in helpers if h.own_home is not None}
    counted: dict[int, int] = {}
    for home_id, hid in result.helper_of.items():
        if home_id not in own:
            counted[hid] = counted.get(hid, 0) + 1
    assert all(n <= caps[hid] for hid, n in counted.items())
    # Nobody is left out while a helper of their village still has room.
    for home_id, reason in result.unassigned.items():
        village = next(h.village for h in homes if h.id == home_id)
        assert reason in (NO_HELPER, FULL)
        assert all(counted.get(h.id, 0) >= h.capacity for h in helpers if h.village == village)


def test_same_micro_grid_first_and_balanced():
    homes = [Home(id=i, group=1, village=1, lat=30.8, lon=120.9 + i * 0.001) for i in range(20)]
    helpers = [Helper(id=100, group=1, village=1, lat=30.8, lon=120.9, capacity=10),
               Helper(id=101, group=1, village=1, lat=30.8, lon=120.95, capacity=10),
               Helper(id=102, group=2, village=1, lat=30.8, lon=120.9, capacity=10)]
    result = assign(homes, helpers)
    loads = {hid: list(result.helper_of.values()).count(hid) for hid in (100, 101, 102)}
    assert loads == {100: 10, 101: 10, 102: 0}


def test_leftovers_go_to_the_nearest_helper_with_room_in_the_village():
    homes = [Home(id=1, group=1, village=1, lat=30.80, lon=120.90)]
    helpers = [Helper(id=100, group=2, village=1, lat=30.80, lon=120.91, capacity=5),
               Helper(id=101, group=3, village=1, lat=30.80, lon=120.99, capacity=5),
               Helper(id=102, group=4, village=2, lat=30.80, lon=120.90, capacity=5)]
    assert assign(homes, helpers).helper_of == {1: 100}


def test_registry_links_are_kept_and_a_helpers_own_home_is_theirs():
    homes = [Home(id=1, group=1, village=1, lat=None, lon=None, linked=101),
             Home(id=2, group=1, village=1, lat=None, lon=None)]
    helpers = [Helper(id=100, group=1, village=1, lat=None, lon=None, capacity=1, own_home=2),
               Helper(id=101, group=1, village=1, lat=None, lon=None, capacity=1)]
    assert assign(homes, helpers).helper_of == {1: 101, 2: 100}


def test_an_excluded_helper_gets_nothing():
    homes = [Home(id=i, group=1, village=1, lat=30.8, lon=120.9) for i in range(3)]
    helpers = [Helper(id=100, group=1, village=1, lat=30.8, lon=120.9, capacity=10),
               Helper(id=101, group=1, village=1, lat=30.8, lon=120.9, capacity=10)]
    assert set(assign(homes, helpers, exclude={100}).helper_of.values()) == {101}


def test_the_walk_goes_to_the_nearest_next():
    pts = [(1, 30.80, 120.90), (2, 30.80, 120.93), (3, 30.80, 120.91), (4, None, None)]
    assert walk_order(pts) == [1, 3, 2, 4]
