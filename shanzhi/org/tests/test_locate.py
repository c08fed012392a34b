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


def test_a_point_on_a_shared_edge_goes_to_one_micro_grid_every_time(county):
    from shanzhi.org.locate import invalidate

    edge = point_in(5, 4)  # the line between 一组 (x 0-5) and 二组 (x 5-10)
    corner = point_in(5, 10)  # where both meet the village's top edge
    first = locate_ids([edge, corner])
    assert first == [county.mg_a1.pk, county.mg_a1.pk]  # the first in code order
    invalidate()
    assert locate_ids([corner, edge, edge]) == [county.mg_a1.pk] * 3
    assert locate(*edge).micro_grid == county.mg_a1


def test_a_new_micro_grid_is_found_once_committed(county, django_capture_on_commit_callbacks):
    from shanzhi.lib.testing import box
    from shanzhi.org.models import Level
    from shanzhi.org.services import orgunit_create

    where = point_in(25, 15)
    assert locate(*where) is None  # warm the index: nothing there yet
    with django_capture_on_commit_callbacks(execute=True):
        village = orgunit_create(actor=None, code="330421102202", name="新建村", level=Level.VILLAGE,
                                 parent=county.town2, boundary=box(20, 10, 30, 20))
        grid = orgunit_create(actor=None, code="330421102202001", name="新建网格", level=Level.GRID,
                              parent=village, boundary=box(20, 10, 30, 20))
        mg = orgunit_create(actor=None, code="330421102202001001", name="新建微网格", level=Level.MICROGRID,
                            parent=grid, boundary=box(20, 10, 30, 20))
    found = locate(*where)
    assert found.micro_grid == mg
    assert [u.code for u in found.chain] == ["330421", "330421102", "330421102202", "330421102202001",
                                             "330421102202001001"]


def test_after_a_move_the_chain_follows_the_new_codes_even_before_the_index_is_rebuilt(county):
    from shanzhi.org.services import orgunit_move

    where = point_in(15, 5)
    assert locate(*where).micro_grid.code == "330421112201002001"
    # Inside the test transaction the on-commit rebuild does not run: the index still holds old paths.
    orgunit_move(actor=None, unit=county.grid_b, new_parent=county.village, new_code="330421112201009")
    found = locate(*where)
    assert found.micro_grid.code == "330421112201009001"
    assert found.ancestors[-1].code == "330421112201009"


def test_batched_accepts_an_array_and_an_empty_list(county):
    import numpy as np

    pts = np.array([point_in(2, 2), point_in(-1, -1)])
    assert locate_ids(pts) == [county.mg_a1.pk, None]
    assert locate_ids([]) == []
