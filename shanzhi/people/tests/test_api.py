"""Households and residents over REST: scope both ways, masked identifiers, audited reveals, bad input."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from shanzhi.audit.models import AuditEntry
from shanzhi.lib.codes import make_id_number
from shanzhi.lib.testing import ID_B, ID_C, ID_NEIGHBOUR, ID_RESIDENT, point_in
from shanzhi.org.models import Role
from shanzhi.org.services import post_appoint
from shanzhi.people.models import Household, Registration, Residency, Resident, ResidentStatus
from shanzhi.people.services import household_create, resident_create

pytestmark = pytest.mark.django_db

PLAIN_IDS = [ID_RESIDENT, ID_NEIGHBOUR, ID_B, ID_C]
PLAIN_PHONES = ["13800000001", "13800000002", "13800000003"]


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user=user)
    return client


def assert_no_plain_identifiers(response) -> None:
    """No full ID number or phone, and no ciphertext or hash, anywhere in the body."""
    text = response.content.decode()
    for value in [*PLAIN_IDS, *PLAIN_PHONES]:
        assert value not in text
    for r in Resident.objects.all():
        assert r.id_number_enc not in text and r.id_number_hash not in text
        if r.phone_hash:
            assert r.phone_hash not in text


def valid_id(n: int) -> str:
    import datetime as dt

    return make_id_number("330421", dt.date(1980, 1, 1) + dt.timedelta(days=n), n % 100, "M" if n % 2 else "F")


# --- households -------------------------------------------------------------------------------

def test_anonymous_callers_get_401_on_the_registry(county):
    for url in ["/api/v1/households/", f"/api/v1/households/{county.household_a.pk}/", "/api/v1/residents/",
                f"/api/v1/residents/{county.resident.pk}/"]:
        assert client_for().get(url).status_code == 401


def test_a_resident_account_cannot_read_even_its_own_household_through_the_staff_api(county):
    client = client_for(county.resident_user)
    assert client.get("/api/v1/households/").status_code == 403
    assert client.get(f"/api/v1/households/{county.household_a.pk}/").status_code == 403
    assert client.get(f"/api/v1/residents/{county.resident.pk}/").status_code == 403


def test_a_grid_worker_lists_only_their_households(county):
    response = client_for(county.worker_a).get("/api/v1/households/")
    assert response.status_code == 200
    assert [h["number"] for h in response.json()["results"]] == ["H-A1-001"]
    row = response.json()["results"][0]
    assert row["id"] == county.household_a.pk and row["micro_grid"] == county.mg_a1.code


def test_households_filter_by_unit_and_search(county):
    client = client_for(county.town_staff)
    assert [h["number"] for h in client.get("/api/v1/households/").json()["results"]] == ["H-A1-001", "H-B1-001"]
    by_unit = client.get(f"/api/v1/households/?unit={county.grid_b.code}").json()["results"]
    assert [h["number"] for h in by_unit] == ["H-B1-001"]
    by_name = client.get("/api/v1/households/?q=王五").json()["results"]
    assert [h["number"] for h in by_name] == ["H-B1-001"]
    hidden_unit = client.get(f"/api/v1/households/?unit={county.grid_c.code}")
    assert hidden_unit.status_code == 400 and "unit" in hidden_unit.json()["error"]["fields"]


def test_household_detail_lists_members_masked(county):
    response = client_for(county.worker_a).get(f"/api/v1/households/{county.household_a.pk}/")
    assert response.status_code == 200
    members = response.json()["residents"]
    assert [m["name"] for m in members] == ["张三", "李梅"]
    assert members[0]["id_number_masked"] == "330421********123X"
    assert members[0]["phone_masked"] == "138****0001"
    assert members[0]["tags"] == ["party_member"]
    assert_no_plain_identifiers(response)


def test_another_grids_household_answers_exactly_like_a_missing_one(county):
    client = client_for(county.worker_b)
    hidden = client.get(f"/api/v1/households/{county.household_a.pk}/")
    missing = client.get("/api/v1/households/999999/")
    not_a_number = client.get("/api/v1/households/abc/")
    assert hidden.status_code == missing.status_code == not_a_number.status_code == 404
    assert hidden.json() == missing.json() == not_a_number.json()
    patch = client.patch(f"/api/v1/households/{county.household_a.pk}/", {"address": "x"}, format="json")
    assert patch.status_code == 404 and patch.json() == missing.json()


def test_a_grid_worker_registers_a_household_in_their_micro_grid(county):
    lat, lon = point_in(7, 5)
    response = client_for(county.worker_a).post("/api/v1/households/", {
        "number": "H-A2-001", "micro_grid": county.mg_a2.code, "address": "新联村二组5号",
        "registration": "floating", "lat": lat, "lon": lon}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["micro_grid"] == county.mg_a2.code and response.json()["residents"] == []
    assert Household.objects.get(number="H-A2-001").registration == Registration.FLOATING
    county.mg_a2.refresh_from_db()
    assert county.mg_a2.household_count == 1


def test_registering_a_household_refuses_bad_input_naming_the_field(county):
    client = client_for(county.worker_a)
    base = {"number": "H-X", "micro_grid": county.mg_a2.code, "address": "某地", "registration": "registered"}
    unknown_mg = client.post("/api/v1/households/", {**base, "micro_grid": "330421112201001099"}, format="json")
    other_mg = client.post("/api/v1/households/", {**base, "micro_grid": county.mg_b1.code}, format="json")
    assert unknown_mg.status_code == other_mg.status_code == 400
    assert unknown_mg.json() == other_mg.json()
    assert "micro_grid" in unknown_mg.json()["error"]["fields"]
    not_a_micro_grid = client.post("/api/v1/households/", {**base, "micro_grid": county.grid_a.code},
                                   format="json")
    assert "micro_grid" in not_a_micro_grid.json()["error"]["fields"]
    duplicate = client.post("/api/v1/households/", {**base, "number": "H-A1-001"}, format="json")
    assert "number" in duplicate.json()["error"]["fields"]
    lat_only = client.post("/api/v1/households/", {**base, "lat": 30.8}, format="json")
    assert "lat" in lat_only.json()["error"]["fields"]
    bad_lat = client.post("/api/v1/households/", {**base, "lat": 130, "lon": 120.9}, format="json")
    assert "lat" in bad_lat.json()["error"]["fields"]
    missing = client.post("/api/v1/households/", {}, format="json")
    assert {"number", "micro_grid", "address", "registration"} <= set(missing.json()["error"]["fields"])
    assert not Household.objects.filter(number="H-X").exists()


def test_a_micro_grid_head_may_see_but_not_register_households(county):
    post_appoint(actor=None, unit=county.mg_a1, role=Role.MICROGRID_HEAD, user=county.worker_c)
    client = client_for(county.worker_c)
    assert client.get(f"/api/v1/households/{county.household_a.pk}/").status_code == 200
    response = client.post("/api/v1/households/", {"number": "H-N", "micro_grid": county.mg_a1.code,
                                                   "address": "某地", "registration": "registered"}, format="json")
    assert response.status_code == 403


def test_a_grid_worker_updates_a_household_address(county):
    response = client_for(county.worker_a).patch(f"/api/v1/households/{county.household_a.pk}/",
                                                 {"address": "新联村一组2号"}, format="json")
    assert response.status_code == 200
    assert response.json()["address"] == "新联村一组2号"
    assert AuditEntry.objects.filter(action="people.household.update",
                                     object_id=str(county.household_a.pk)).exists()


def test_the_household_list_costs_the_same_queries_however_many_rows(county, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        assert client_for(county.worker_a).get("/api/v1/households/").status_code == 200
    for n in range(30):
        household_create(actor=None, number=f"H-A2-{n:03d}", micro_grid=county.mg_a2, address=f"二组{n}号",
                         registration=Registration.REGISTERED)
    with django_assert_max_num_queries(3):
        response = client_for(county.worker_a).get("/api/v1/households/")
    assert response.json()["count"] == 31


# --- residents: reading -----------------------------------------------------------------------

def test_residents_are_listed_masked_within_scope(county):
    response = client_for(county.town_staff).get("/api/v1/residents/")
    assert response.status_code == 200
    assert [r["name"] for r in response.json()["results"]] == ["张三", "李梅", "王五"]
    row = response.json()["results"][2]
    assert row["household"] == county.household_b.pk and row["micro_grid"] == county.mg_b1.code
    assert row["id_number_masked"] == "330421********3329" and row["tags"] == ["elderly_alone"]
    assert_no_plain_identifiers(response)
    assert not {"id_number", "id_number_enc", "id_number_hash", "phone", "phone_enc", "phone_hash"} & set(row)


def test_residents_are_found_by_exact_id_number_phone_name_and_tag(county):
    client = client_for(county.admin)

    def names(query: str) -> list[str]:
        return [r["name"] for r in client.get(f"/api/v1/residents/?{query}").json()["results"]]

    assert names(f"q={ID_B}") == ["王五"]
    assert names("q=13800000002") == ["李梅"]
    assert names("q=张") == ["张三"]
    assert names("tag=elderly_alone") == ["王五"]
    assert names(f"unit={county.village2.code}") == ["赵六"]
    assert names("q=33042119") == []  # a partial ID number finds nothing


def test_a_grid_worker_cannot_find_another_grids_resident_by_id_number(county):
    response = client_for(county.worker_a).get(f"/api/v1/residents/?q={ID_B}")
    assert response.json()["results"] == []


def test_resident_detail_is_masked_and_shows_the_history(county):
    response = client_for(county.worker_a).get(f"/api/v1/residents/{county.resident.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["id_number_masked"] == "330421********123X" and body["sex"] == "M"
    assert body["birth_date"] == "1990-01-01"
    assert [s["household_number"] for s in body["history"]] == ["H-A1-001"]
    assert_no_plain_identifiers(response)


def test_another_grids_resident_answers_exactly_like_a_missing_one(county):
    client = client_for(county.worker_b)
    missing = client.get("/api/v1/residents/999999/")
    for url in [f"/api/v1/residents/{county.resident.pk}/", "/api/v1/residents/abc/"]:
        response = client.get(url)
        assert response.status_code == 404 and response.json() == missing.json()
    for action, body in [("move", {"household": county.household_b.pk}), ("end", {"status": "moved_out"}),
                         ("reveal", {"field": "id_number", "reason": "核实身份"})]:
        response = client.post(f"/api/v1/residents/{county.resident.pk}/{action}/", body, format="json")
        assert response.status_code == 404 and response.json() == missing.json(), action


def test_the_resident_list_costs_the_same_queries_however_many_rows(county, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        assert client_for(county.worker_a).get("/api/v1/residents/").status_code == 200
    for n in range(30):
        resident_create(actor=None, household=county.household_a, name=f"居民{n}", id_number=valid_id(n),
                        phone=f"139{n:08d}", tags=["veteran", "disabled"])
    with django_assert_max_num_queries(4):
        response = client_for(county.worker_a).get("/api/v1/residents/")
    assert response.json()["count"] == 32
    assert response.json()["results"][-1]["tags"] == ["disabled", "veteran"]


# --- residents: writing -----------------------------------------------------------------------

def test_a_grid_worker_registers_a_resident_with_a_valid_id_number(county):
    new_id = valid_id(7)
    response = client_for(county.worker_a).post("/api/v1/residents/", {
        "household": county.household_a.pk, "name": "张小三", "id_number": new_id, "phone": "13900000009",
        "relation": "child", "tags": ["left_behind_child"]}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["name"] == "张小三" and body["tags"] == ["left_behind_child"]
    assert body["id_number_masked"] == new_id[:6] + "********" + new_id[-4:]
    assert new_id not in response.content.decode() and "13900000009" not in response.content.decode()


def test_registering_a_resident_refuses_bad_input_naming_the_field(county):
    client = client_for(county.worker_a)
    base = {"household": county.household_a.pk, "name": "某人", "id_number": valid_id(8)}
    bad_id = client.post("/api/v1/residents/", {**base, "id_number": "330421199001011231"}, format="json")
    assert bad_id.status_code == 400
    assert "id_number" in bad_id.json()["error"]["fields"]
    assert bad_id.json()["error"]["message"]
    duplicate = client.post("/api/v1/residents/", {**base, "id_number": ID_NEIGHBOUR}, format="json")
    assert "id_number" in duplicate.json()["error"]["fields"]
    bad_phone = client.post("/api/v1/residents/", {**base, "phone": "12345"}, format="json")
    assert "phone" in bad_phone.json()["error"]["fields"]
    bad_tag = client.post("/api/v1/residents/", {**base, "tags": ["wizard"]}, format="json")
    assert "tags" in bad_tag.json()["error"]["fields"]
    wrong_type = client.post("/api/v1/residents/", {**base, "household": "H-A1-001"}, format="json")
    assert "household" in wrong_type.json()["error"]["fields"]
    other_grid = client.post("/api/v1/residents/", {**base, "household": county.household_b.pk}, format="json")
    unknown = client.post("/api/v1/residents/", {**base, "household": 999999}, format="json")
    assert other_grid.status_code == unknown.status_code == 400
    assert other_grid.json() == unknown.json()
    assert not Resident.objects.filter(name="某人").exists()


def test_a_grid_worker_updates_a_residents_phone_and_tags(county):
    response = client_for(county.worker_a).patch(f"/api/v1/residents/{county.neighbour.pk}/",
                                                 {"phone": "13700000000", "tags": ["low_income"]}, format="json")
    assert response.status_code == 200
    assert response.json()["phone_masked"] == "137****0000" and response.json()["tags"] == ["low_income"]
    assert "13700000000" not in response.content.decode()
    wrong = client_for(county.worker_a).patch(f"/api/v1/residents/{county.neighbour.pk}/", {"tags": "low_income"},
                                              format="json")
    assert wrong.status_code == 400 and "tags" in wrong.json()["error"]["fields"]


def test_town_staff_move_a_resident_between_grids_keeping_history(county):
    response = client_for(county.town_staff).post(f"/api/v1/residents/{county.neighbour.pk}/move/",
                                                  {"household": county.household_b.pk, "relation": "tenant"},
                                                  format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["household"] == county.household_b.pk
    assert [s["household_number"] for s in response.json()["history"]] == ["H-A1-001", "H-B1-001"]
    assert Residency.objects.filter(resident=county.neighbour).count() == 2


def test_a_grid_worker_cannot_move_a_resident_into_another_grid(county):
    response = client_for(county.worker_a).post(f"/api/v1/residents/{county.neighbour.pk}/move/",
                                                {"household": county.household_b.pk}, format="json")
    assert response.status_code == 400
    assert "household" in response.json()["error"]["fields"]
    assert Resident.objects.get(pk=county.neighbour.pk).household_id == county.household_a.pk


def test_a_grid_worker_records_a_death(county):
    response = client_for(county.worker_a).post(f"/api/v1/residents/{county.neighbour.pk}/end/",
                                                {"status": "deceased", "reason": "病故"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "deceased"
    assert Resident.objects.get(pk=county.neighbour.pk).status == ResidentStatus.DECEASED
    again = client_for(county.worker_a).post(f"/api/v1/residents/{county.neighbour.pk}/end/",
                                             {"status": "moved_out"}, format="json")
    assert again.status_code == 400 and "status" in again.json()["error"]["fields"]
    active = client_for(county.worker_a).post(f"/api/v1/residents/{county.resident.pk}/end/",
                                              {"status": "active"}, format="json")
    assert active.status_code == 400 and "status" in active.json()["error"]["fields"]


# --- reveal -----------------------------------------------------------------------------------

def test_revealing_an_id_number_needs_a_reason_and_is_audited(county):
    client = client_for(county.worker_a)
    url = f"/api/v1/residents/{county.resident.pk}/reveal/"
    no_reason = client.post(url, {"field": "id_number", "reason": ""}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["error"]["fields"]
    missing_reason = client.post(url, {"field": "id_number"}, format="json")
    assert missing_reason.status_code == 400 and "reason" in missing_reason.json()["error"]["fields"]
    assert not AuditEntry.objects.filter(action__startswith="people.reveal").exists()
    response = client.post(url, {"field": "id_number", "reason": "办理低保核实身份"}, format="json")
    assert response.status_code == 200
    assert response.json() == {"value": ID_RESIDENT}
    assert response["Cache-Control"] == "no-store"
    entry = AuditEntry.objects.get(action="people.reveal.id_number")
    assert entry.actor == county.worker_a and entry.reason == "办理低保核实身份"
    assert entry.object_id == str(county.resident.pk)


def test_revealing_a_phone_and_refusing_other_fields(county):
    client = client_for(county.town_staff)
    url = f"/api/v1/residents/{county.resident_b.pk}/reveal/"
    assert client.post(url, {"field": "phone", "reason": "电话回访"}, format="json").json() == {
        "value": "13800000003"}
    bad = client.post(url, {"field": "id_number_hash", "reason": "好奇"}, format="json")
    assert bad.status_code == 400 and "field" in bad.json()["error"]["fields"]


def test_a_micro_grid_head_may_not_reveal(county):
    post_appoint(actor=None, unit=county.mg_a1, role=Role.MICROGRID_HEAD, user=county.worker_c)
    response = client_for(county.worker_c).post(f"/api/v1/residents/{county.resident.pk}/reveal/",
                                                {"field": "phone", "reason": "联系"}, format="json")
    assert response.status_code == 403
    (refused,) = AuditEntry.objects.filter(action__startswith="people.reveal")
    assert refused.action == "people.reveal.refused" and refused.after["refused"] == "permission_denied"
