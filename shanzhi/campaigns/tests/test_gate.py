"""Campaign rules through the one gate: reassigning checks the new person (eligible for that household),
malformed and oversized ids answer 400/404 never 500, and selectors decide what a user sees."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shanzhi.campaigns import selectors
from shanzhi.campaigns import services as svc
from shanzhi.campaigns.models import Kind, Rule, Target
from shanzhi.campaigns.scope import resolve
from shanzhi.lib import parsing
from shanzhi.lib.errors import DomainError, NotFound
from shanzhi.lib.testing import point_in
from shanzhi.people.services import (
    cadre_register,
    central_household_create,
    household_create,
    resident_create,
)

HUGE = "9" * 40


def url(name: str, *args) -> str:
    return reverse(f"campaigns:{name}", args=args)


def night_visit(county, *, units=None, rule=Rule.CENTRAL_HOUSEHOLD, capacity=10, actor=None):
    actor = actor or county.town_staff
    scope = resolve(actor=actor, units=units or [county.village.code])
    return svc.campaign_create(actor=actor, kind=Kind.NIGHT_VISIT, name="十一月网格夜访", scope=scope, rule=rule,
                               capacity=capacity)


def central_in(county, micro_grid, number: str, id_number: str):
    lat, lon = point_in(25, 5) if micro_grid == county.mg_c1 else point_in(4, 5)
    home = household_create(actor=None, number=number, micro_grid=micro_grid, address=f"{number}号",
                            registration="registered", lat=lat, lon=lon)
    leader = resident_create(actor=None, household=home, name=f"党员{number}", id_number=id_number,
                             tags=["party_member"])
    return central_household_create(actor=None, household=home, leader=leader)


def target(campaign, household) -> Target:
    return Target.objects.select_related("unit").get(campaign=campaign, household=household)


# ---- reassigning checks the new person -----------------------------------------------------------

def test_a_central_household_of_the_same_village_takes_a_household(county, central):
    other = central_in(county, county.mg_a2, "H-A2-009", "33042119800101011X")
    c = night_visit(county)
    t = target(c, county.household_b)
    to = other if t.central_id != other.pk else central
    assert svc.campaign_reassign(actor=county.town_staff, campaign=c, targets=[t], central=to) == 1
    assert target(c, county.household_b).central == to


def test_a_central_household_of_another_town_is_refused_naming_the_field(county, central):
    far = central_in(county, county.mg_c1, "H-C1-009", "33042119800101011X")
    c = night_visit(county)
    t = target(c, county.household_b)
    before = t.central_id
    # even the county admin, whose scope covers 大云镇, may not hand a 新联村 household to it
    with pytest.raises(DomainError) as exc:
        svc.campaign_reassign(actor=county.admin, campaign=c, targets=[t], central=far)
    assert exc.value.status == 400 and exc.value.fields == {"to": ["所选责任人不在本任务范围内"]}
    assert target(c, county.household_b).central_id == before


def test_a_grid_worker_campaign_takes_only_grid_workers_of_the_households_village(county):
    c = night_visit(county, rule=Rule.GRID_WORKER, capacity=100)
    t = target(c, county.household_b)
    with pytest.raises(DomainError) as exc:
        svc.campaign_reassign(actor=county.town_staff, campaign=c, targets=[t], user=county.worker_c)
    assert list(exc.value.fields) == ["to"]
    with pytest.raises(DomainError):  # a person of the wrong kind for the campaign's rule
        svc.campaign_reassign(actor=county.town_staff, campaign=c, targets=[t], resident=county.resident)
    svc.campaign_reassign(actor=county.town_staff, campaign=c, targets=[t], user=county.worker_a)
    assert target(c, county.household_b).user == county.worker_a


def test_a_cadre_must_be_registered_with_the_households_village(county):
    cadre_register(actor=None, resident=county.resident, village=county.village, kind="party_member")
    c = night_visit(county, rule=Rule.CADRE)
    t = target(c, county.household_b)
    with pytest.raises(DomainError) as exc:  # 王五 never registered as a cadre
        svc.campaign_reassign(actor=county.town_staff, campaign=c, targets=[t], resident=county.resident_b)
    assert list(exc.value.fields) == ["to"]
    svc.campaign_reassign(actor=county.town_staff, campaign=c, targets=[t], resident=county.resident)
    assert target(c, county.household_b).resident == county.resident


def test_a_grid_worker_may_not_reassign_and_grid_c_does_not_see_the_campaign(county, central):
    c = night_visit(county)
    t = target(c, county.household_b)
    from shanzhi.lib.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        svc.campaign_reassign(actor=county.worker_b, campaign=c, targets=[t], central=central)
    with pytest.raises(NotFound):
        svc.campaign_reassign(actor=county.worker_c, campaign=c, targets=[t], central=central)


def test_the_page_refuses_an_ineligible_person_with_the_services_message(county, central, client):
    far = central_in(county, county.mg_c1, "H-C1-009", "33042119800101011X")
    c = night_visit(county)
    client.force_login(county.town_staff)
    r = client.post(url("reassign", c.pk), {"household": "H-B1-001", "to": f"c:{far.pk}"}, follow=True)
    assert r.status_code == 200 and "所选责任人不在本任务范围内" in r.content.decode()
    assert target(c, county.household_b).central_id != far.pk


# ---- ids that do not fit ---------------------------------------------------------------------------

@pytest.mark.parametrize("to", [f"c:{HUGE}", "c:abc", "c:-1", "c:", "c:１２"])
def test_a_malformed_or_oversized_person_id_is_a_clear_refusal(county, central, client, to):
    c = night_visit(county)
    client.force_login(county.town_staff)
    r = client.post(url("reassign", c.pk), {"household": "H-B1-001", "to": to}, follow=True)
    assert r.status_code == 200 and "请选择新的责任人" in r.content.decode()


@pytest.mark.parametrize("absent", [HUGE, "abc", ""])
def test_a_malformed_or_oversized_absent_id_is_a_clear_refusal(county, central, client, absent):
    c = night_visit(county)
    client.force_login(county.town_staff)
    r = client.post(url("reassign_absent", c.pk), {"absent": absent}, follow=True)
    assert r.status_code == 200 and "请指定缺席的责任人" in r.content.decode()


def test_an_absent_person_with_no_households_is_named_by_the_service(county, central, client):
    c = night_visit(county)
    client.force_login(county.town_staff)
    r = client.post(url("reassign_absent", c.pk), {"absent": "999999"}, follow=True)
    assert r.status_code == 200 and "该责任人名下没有户" in r.content.decode()


def test_oversized_ids_in_campaign_urls_and_forms_are_not_found(county, central, client):
    c = night_visit(county)
    t = target(c, county.household_a)
    client.force_login(county.town_staff)
    for page in (url("detail", HUGE), url("board", HUGE), url("walk", HUGE), url("checkin", HUGE)):
        assert client.get(page).status_code == 404, page
    assert client.post(url("reassign", HUGE), {"household": "H-B1-001", "to": "c:1"}).status_code == 404
    assert client.post(url("visit", c.pk, HUGE), {"outcome": "visited"}).status_code == 404
    assert client.post(url("raise_case", c.pk, HUGE), {"category": "garbage"}).status_code == 404
    assert client.post(url("stay_check_out", HUGE)).status_code == 404
    check_in = {"target": HUGE, "resident": county.resident.pk, "site": HUGE, "room": "101"}
    assert client.post(url("stay_check_in"), check_in).status_code == 404
    assert client.post(url("stay_check_in"), {**check_in, "target": t.pk}).status_code == 404  # no such site


def test_selectors_answer_not_found_for_any_id_that_is_not_one(county):
    for pk in (HUGE, "abc", "", None, -3, "1.5"):
        with pytest.raises(NotFound):
            selectors.campaign_get_for(user=county.admin, pk=pk)
    assert parsing.id_or_none("42") == 42 and parsing.id_or_none(HUGE) is None


# ---- selectors decide who sees what ------------------------------------------------------------------

def test_a_grid_worker_sees_the_campaign_only_from_their_grid_down(county, central):
    c = night_visit(county)
    assert selectors.visible_root_for(user=county.worker_b, campaign=c) == county.grid_b
    assert selectors.visible_root_for(user=county.town_staff, campaign=c) == county.village
    with pytest.raises(NotFound):  # grid A is not on the way to grid B's part
        selectors.drill_unit_for(user=county.worker_b, root=county.village, code=county.grid_a.code)
    assert selectors.drill_unit_for(user=county.worker_b, root=county.village, code=county.grid_b.code) == county.grid_b
    with pytest.raises(NotFound):
        selectors.campaign_get_for(user=county.worker_c, pk=c.pk)
    counts = selectors.campaign_counts_for(user=county.worker_b, campaigns=[c])
    assert counts[c.pk]["total"] == 1  # only 王五's household is in grid B


def test_board_scope_shows_staff_their_own_part_and_residents_nothing(county, central):
    c = night_visit(county)
    _campaign, unit, targets = selectors.board_scope_for(user=county.worker_a, pk=c.pk)
    assert unit == county.grid_a and set(targets.values_list("unit__path", flat=True)) <= {
        county.mg_a1.path, county.mg_a2.path}
    with pytest.raises(NotFound):
        selectors.board_scope_for(user=county.resident_user, pk=c.pk)


def test_sites_and_stays_are_found_only_in_scope(county):
    site = svc.site_create(actor=county.town_staff, unit=county.village, name="新联村隔离点", rooms=5, capacity=5)
    assert selectors.site_get_for(user=county.town_staff, pk=site.pk) == site
    with pytest.raises(NotFound):
        selectors.site_get_for(user=county.worker_c, pk=site.pk)
    assert list(selectors.site_list_for(user=county.worker_c)) == []
