"""The registry through the one gate: selectors filter by the action they check, services check their
targets, and ids that are not ids answer 404/400, never 500."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from shanzhi.lib.errors import DomainError, NotFound
from shanzhi.people import selectors
from shanzhi.people import services as svc

HUGE = "9" * 40


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def test_household_lists_follow_the_action_asked_for(county):
    # a grid worker sees and changes grid A's households but may not import or export them in full
    assert set(selectors.household_list_for(user=county.worker_a)) == {county.household_a}
    assert set(selectors.household_list_for(user=county.worker_a, action="people.change")) == {county.household_a}
    assert not selectors.household_list_for(user=county.worker_a, action="people.import").exists()
    town = set(selectors.household_list_for(user=county.town_staff, action="people.import"))
    assert town == {county.household_a, county.household_b}


def test_a_resident_sees_their_own_household_only_for_viewing(county):
    assert set(selectors.household_list_for(user=county.resident_user)) == {county.household_a}
    assert not selectors.household_list_for(user=county.resident_user, action="people.change").exists()
    assert not selectors.resident_list_for(user=county.resident_user, action="people.reveal").exists()


def test_getting_one_resident_for_an_action_out_of_scope_is_not_found(county):
    assert selectors.resident_get_for(user=county.worker_a, pk=county.resident.pk, action="people.reveal")
    with pytest.raises(NotFound):
        selectors.resident_get_for(user=county.worker_b, pk=county.resident.pk, action="people.reveal")
    with pytest.raises(NotFound):
        selectors.household_get_for(user=county.worker_a, pk=county.household_a.pk, action="people.import")


def test_linking_a_household_out_of_scope_names_the_field(county):
    central = svc.central_household_create(actor=county.worker_a, household=county.household_a,
                                           leader=county.resident)
    with pytest.raises(DomainError) as exc:
        svc.central_household_link(actor=county.worker_a, central=central, households=[county.household_b])
    assert exc.value.status == 400 and list(exc.value.fields) == ["households"]
    assert county.household_b.__class__.objects.get(pk=county.household_b.pk).central_household_id is None


def test_a_move_into_a_household_of_the_same_grid_works_and_out_of_it_does_not(county):
    other = svc.household_create(actor=county.worker_a, number="H-A2-001", micro_grid=county.mg_a2,
                                 address="二组1号", registration="registered")
    svc.resident_move(actor=county.worker_a, resident=county.neighbour, to_household=other)
    with pytest.raises(DomainError) as exc:
        svc.resident_move(actor=county.worker_a, resident=county.neighbour, to_household=county.household_c)
    assert exc.value.fields == {"household": ["未找到该户"]}


def test_oversized_and_malformed_ids_in_people_pages_are_not_found(county, client):
    client.force_login(county.admin)
    for path in (f"/people/households/{HUGE}/", f"/people/residents/{HUGE}/"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/people/residents/{HUGE}/reveal/", {"field": "phone", "reason": "回访"}).status_code == 404


def test_oversized_and_malformed_ids_in_the_people_api_answer_404_or_400(county):
    client = api(county.admin)
    for path in (f"/api/v1/households/{HUGE}/", f"/api/v1/residents/{HUGE}/", "/api/v1/households/abc/",
                 "/api/v1/residents/1.5/"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/api/v1/residents/{HUGE}/move/", {"household": county.household_b.pk},
                       format="json").status_code == 404
    moved = client.post(f"/api/v1/residents/{county.neighbour.pk}/move/", {"household": int(HUGE)}, format="json")
    assert moved.status_code == 400 and list(moved.json()["error"]["fields"]) == ["household"]
    created = client.post("/api/v1/residents/", {"household": int(HUGE), "name": "某某",
                                                 "id_number": "330421198502022223"}, format="json")
    assert created.status_code == 400 and list(created.json()["error"]["fields"]) == ["household"]
