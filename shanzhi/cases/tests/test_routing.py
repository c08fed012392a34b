"""Routing: location -> micro-grid -> grid -> on-duty worker; category -> level; else county triage."""

from shanzhi.cases.models import Category, Channel, HandlingLevel, Kind, Status
from shanzhi.cases.selectors import queue_for
from shanzhi.cases.services import case_report


def test_a_pin_in_grid_a_goes_to_grid_worker_a(county, report):
    case = report("garbage", where=(2, 5))
    assert case.unit == county.mg_a1
    assert case.handling_unit == county.grid_a and case.handling_level == HandlingLevel.GRID
    assert case.assignee == county.worker_a
    assert case.number.startswith("330421-20261125-")
    assert list(queue_for(user=county.worker_a)) == [case]
    assert list(queue_for(user=county.worker_b)) == []


def test_a_village_level_category_goes_to_the_village(county, report):
    case = report("street_light", where=(15, 5))
    assert case.handling_unit == county.village and case.assignee is None
    assert case.unit == county.mg_b1


def test_no_location_goes_to_county_triage(county, report):
    case = report("garbage", where=None)
    assert case.handling_unit == county.county and case.handling_level == HandlingLevel.COUNTY
    assert case.status == Status.REPORTED
    assert list(queue_for(user=county.admin)) == [case]
    assert list(queue_for(user=county.worker_a)) == []


def test_outside_the_county_goes_to_triage(county, report):
    case = report("garbage", where=(-50, -50))
    assert case.handling_unit == county.county


def test_a_patrol_report_is_accepted_by_the_worker_who_found_it(county, at_wednesday):
    from shanzhi.lib.testing import point_in

    lat, lon = point_in(7, 2)
    case = case_report(actor=county.worker_a, kind=Kind.PROBLEM, category=Category.objects.get(code="hazard"),
                       description="电线裸露", channel=Channel.PATROL, lat=lat, lon=lon)
    assert case.status == Status.ACCEPTED and case.assignee == county.worker_a
    assert case.first_response_at == at_wednesday


def test_numbers_are_sequential_per_day(county, report):
    a, b = report(), report()
    assert int(b.number[-5:]) == int(a.number[-5:]) + 1
