from shanzhi.lib.testing import point_in
from shanzhi.org.locate import brute_force_ids, locate, locate_ids


def test_it_finds_the_micro_grid_and_its_ancestors(county):
    found = locate(*point_in(7, 3))
    assert found.micro_grid == county.mg_a2
    assert [u.code for u in found.ancestors] == ["330421", "330421112", "330421112201", "330421112201001"]


def test_a_point_outside_the_county_says_so(county):
    assert locate(*point_in(-5, 3)) is None
    assert locate(0.0, 0.0) is None


def test_batched_matches_brute_force(county):
    pts = [point_in(x + 0.5, y + 0.5) for x in range(-2, 42, 3) for y in range(-2, 22, 3)]
    assert locate_ids(pts) == brute_force_ids(pts)
