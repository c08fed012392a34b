"""The grid over REST: units, locate, posts, departments and the OpenAPI schema — each rule both ways."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from shanzhi.audit.models import AuditEntry
from shanzhi.lib.testing import box, point_in
from shanzhi.org.models import Level, OrgUnit, Post, Role
from shanzhi.org.services import department_create, orgunit_create, post_appoint

pytestmark = pytest.mark.django_db

MISSING_UNIT = "330421112201009"


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user=user)
    return client


def codes(response) -> list[str]:
    return [row["code"] for row in response.json()["results"]]


# --- who may use the API at all ---------------------------------------------------------------

def test_anonymous_callers_are_asked_to_sign_in(county):
    for url in ["/api/v1/units/", f"/api/v1/units/{county.grid_a.code}/", "/api/v1/posts/",
                "/api/v1/departments/", "/api/v1/locate/?lat=30.85&lon=120.92"]:
        response = client_for().get(url)
        assert response.status_code == 401, url
        assert response.json()["error"]["code"] == "not_authenticated"


def test_a_resident_account_is_refused_on_staff_endpoints(county):
    client = client_for(county.resident_user)
    for url in ["/api/v1/units/", f"/api/v1/units/{county.mg_a1.code}/", "/api/v1/posts/"]:
        response = client.get(url)
        assert response.status_code == 403, url
        assert response.json()["error"]["code"] == "permission_denied"


# --- units: reading ---------------------------------------------------------------------------

def test_a_grid_worker_lists_only_their_grid(county):
    response = client_for(county.worker_a).get("/api/v1/units/")
    assert response.status_code == 200
    assert codes(response) == [county.grid_a.code, county.mg_a1.code, county.mg_a2.code]
    assert response.json()["count"] == 3


def test_the_county_admin_lists_every_unit_and_filters_them(county):
    client = client_for(county.admin)
    assert client.get("/api/v1/units/").json()["count"] == 12
    assert codes(client.get("/api/v1/units/?level=grid")) == [county.grid_c.code, county.grid_a.code,
                                                               county.grid_b.code]
    assert codes(client.get(f"/api/v1/units/?parent={county.grid_a.code}")) == [county.mg_a1.code,
                                                                                  county.mg_a2.code]
    assert codes(client.get("/api/v1/units/?q=洋桥")) == [county.village2.code, county.grid_c.code,
                                                          county.mg_c1.code]


def test_an_unknown_level_filter_is_refused_naming_the_parameter(county):
    response = client_for(county.admin).get("/api/v1/units/?level=province")
    assert response.status_code == 400
    assert "level" in response.json()["error"]["fields"]


def test_unit_detail_has_counts_ratio_ancestors_and_boundary(county):
    response = client_for(county.worker_a).get(f"/api/v1/units/{county.grid_a.code}/")
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == county.grid_a.code and body["name"] == "新联村第一网格"
    assert body["parent"] == county.village.code
    assert body["counts"] == {"households": 1, "residents": 2, "floating": 0, "staff": 1, "grid_workers": 1}
    assert body["residents_per_grid_worker"] == 2
    assert [(a["code"], a["visible"]) for a in body["ancestors"]] == [
        (county.county.code, False), (county.town.code, False), (county.village.code, False)]
    assert body["boundary"]["type"] == "Polygon"


def test_a_unit_out_of_scope_answers_exactly_like_a_missing_one(county):
    client = client_for(county.worker_b)
    hidden = client.get(f"/api/v1/units/{county.grid_a.code}/")
    missing = client.get(f"/api/v1/units/{MISSING_UNIT}/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    assert hidden.json()["error"]["code"] == "not_found"
    for suffix in ["children/", "geojson/"]:
        assert client.get(f"/api/v1/units/{county.grid_a.code}/{suffix}").json() == missing.json()


def test_children_are_listed_in_code_order(county):
    response = client_for(county.town_staff).get(f"/api/v1/units/{county.village.code}/children/")
    assert response.status_code == 200
    assert codes(response) == [county.grid_a.code, county.grid_b.code]


def test_geojson_has_one_feature_per_child_with_its_boundary(county):
    response = client_for(county.admin).get(f"/api/v1/units/{county.grid_a.code}/geojson/")
    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert [f["properties"]["code"] for f in body["features"]] == [county.mg_a1.code, county.mg_a2.code]
    assert body["features"][0]["geometry"] == county.mg_a1.boundary
    assert body["features"][0]["properties"]["counts"]["households"] == 1


def test_the_unit_list_costs_the_same_queries_however_many_rows(county, django_assert_max_num_queries):
    client = client_for(county.admin)
    with django_assert_max_num_queries(4):
        assert client.get("/api/v1/units/").status_code == 200
    for n in range(1, 31):
        orgunit_create(actor=None, code=f"{county.grid_c.code}{n + 1:03d}", name=f"洋桥{n}组",
                       level=Level.MICROGRID, parent=county.grid_c)
    client = client_for(county.admin)
    with django_assert_max_num_queries(4):
        response = client.get("/api/v1/units/")
    assert response.json()["count"] == 42


# --- units: writing ---------------------------------------------------------------------------

def test_town_staff_create_a_grid_in_their_village(county):
    body = {"code": "330421112201003", "name": "新联村第三网格", "level": "grid",
            "parent": county.village.code, "boundary": None}
    response = client_for(county.town_staff).post("/api/v1/units/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["parent"] == county.village.code
    assert OrgUnit.objects.get(code="330421112201003").path == county.village.path + "330421112201003/"
    assert AuditEntry.objects.filter(action="org.unit.create", object_repr="新联村第三网格").exists()


def test_creating_a_unit_refuses_bad_input_naming_the_field(county):
    client = client_for(county.town_staff)
    missing = client.post("/api/v1/units/", {"name": "x"}, format="json")
    assert missing.status_code == 400
    assert {"code", "level"} <= set(missing.json()["error"]["fields"])
    bad_code = client.post("/api/v1/units/", {"code": "12", "name": "x", "level": "grid",
                                              "parent": county.village.code}, format="json")
    assert bad_code.status_code == 400
    assert "code" in bad_code.json()["error"]["fields"]
    overlap = client.post("/api/v1/units/", {"code": "330421112201003", "name": "重叠", "level": "grid",
                                             "parent": county.village.code, "boundary": box(5, 0, 15, 10)},
                          format="json")
    assert overlap.status_code == 400
    assert "boundary" in overlap.json()["error"]["fields"]
    assert not OrgUnit.objects.filter(code="330421112201003").exists()


def test_a_parent_out_of_scope_is_refused_like_a_missing_one(county):
    client = client_for(county.town_staff)
    body = {"code": "330421102201002", "name": "洋桥村第二网格", "level": "grid"}
    hidden = client.post("/api/v1/units/", {**body, "parent": county.village2.code}, format="json")
    missing = client.post("/api/v1/units/", {**body, "parent": "330421102209"}, format="json")
    assert hidden.status_code == missing.status_code == 400
    assert hidden.json() == missing.json()
    assert "parent" in hidden.json()["error"]["fields"]


def test_town_staff_rename_a_unit_and_a_grid_worker_may_not(county):
    url = f"/api/v1/units/{county.grid_a.code}/"
    refused = client_for(county.worker_a).patch(url, {"name": "改名"}, format="json")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    response = client_for(county.town_staff).patch(url, {"name": "新联村一网格"}, format="json")
    assert response.status_code == 200
    assert response.json()["name"] == "新联村一网格"
    county.grid_a.refresh_from_db()
    assert county.grid_a.name == "新联村一网格"


def test_renaming_a_unit_out_of_scope_is_not_found(county):
    response = client_for(county.worker_c).patch(f"/api/v1/units/{county.grid_a.code}/", {"name": "x"},
                                                 format="json")
    assert response.status_code == 404


def test_a_bad_boundary_rolls_back_the_rename_sent_with_it(county):
    url = f"/api/v1/units/{county.grid_a.code}/"
    response = client_for(county.town_staff).patch(url, {"name": "新名字", "boundary": box(0, 0, 30, 10)},
                                                   format="json")
    assert response.status_code == 400
    assert "boundary" in response.json()["error"]["fields"]
    county.grid_a.refresh_from_db()
    assert county.grid_a.name == "新联村第一网格"


def test_an_empty_patch_says_what_is_missing(county):
    response = client_for(county.town_staff).patch(f"/api/v1/units/{county.grid_a.code}/", {}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["message"]


def test_a_malformed_json_body_is_a_clear_400(county):
    response = client_for(county.town_staff).generic(
        "PATCH", f"/api/v1/units/{county.grid_a.code}/", "{name:", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_the_county_admin_moves_a_micro_grid_to_another_grid(county):
    county.mg_b1.boundary = None  # drop the boundary: it would not fit inside grid A
    OrgUnit.objects.filter(pk=county.mg_b1.pk).update(boundary=None)
    response = client_for(county.admin).post(f"/api/v1/units/{county.mg_b1.code}/move/",
                                             {"parent": county.grid_a.code}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["code"] == county.grid_a.code + "003"
    assert response.json()["parent"] == county.grid_a.code


def test_a_grid_worker_may_not_move_units(county):
    response = client_for(county.worker_a).post(f"/api/v1/units/{county.mg_a2.code}/move/",
                                                {"parent": county.grid_a.code, "code": county.grid_a.code + "009"},
                                                format="json")
    assert response.status_code == 403


# --- locate -----------------------------------------------------------------------------------

def test_locate_gives_the_micro_grid_and_the_visible_chain(county):
    lat, lon = point_in(2, 5)
    admin = client_for(county.admin).get(f"/api/v1/locate/?lat={lat}&lon={lon}")
    assert admin.status_code == 200
    assert admin.json()["micro_grid"]["code"] == county.mg_a1.code
    assert [u["code"] for u in admin.json()["chain"]] == [county.county.code, county.town.code,
                                                           county.village.code, county.grid_a.code,
                                                           county.mg_a1.code]
    worker = client_for(county.worker_a).get(f"/api/v1/locate/?lat={lat}&lon={lon}")
    assert [u["code"] for u in worker.json()["chain"]] == [county.grid_a.code, county.mg_a1.code]


def test_locate_outside_the_county_or_the_callers_scope_says_so_the_same_way(county):
    lat, lon = point_in(2, 5)
    hidden = client_for(county.worker_b).get(f"/api/v1/locate/?lat={lat}&lon={lon}")
    outside = client_for(county.worker_b).get("/api/v1/locate/?lat=10&lon=10")
    assert hidden.status_code == outside.status_code == 404
    assert hidden.json() == outside.json()
    assert outside.json()["error"]["message"] == "该坐标不在任何网格内"


def test_locate_refuses_bad_coordinates_naming_the_field(county):
    client = client_for(county.admin)
    too_far = client.get("/api/v1/locate/?lat=100&lon=120.9")
    assert too_far.status_code == 400
    assert list(too_far.json()["error"]["fields"]) == ["lat"]
    not_a_number = client.get("/api/v1/locate/?lat=30.8&lon=east")
    assert not_a_number.status_code == 400
    assert list(not_a_number.json()["error"]["fields"]) == ["lon"]
    missing = client.get("/api/v1/locate/")
    assert set(missing.json()["error"]["fields"]) == {"lat", "lon"}


# --- posts and departments --------------------------------------------------------------------

def test_posts_are_listed_within_scope_and_filtered(county):
    town = client_for(county.town_staff).get("/api/v1/posts/")
    assert town.status_code == 200
    units = {row["unit"] for row in town.json()["results"]}
    assert units == {county.town.code, county.grid_a.code, county.grid_b.code}
    worker = client_for(county.worker_a).get("/api/v1/posts/")
    assert [row["holder_name"] for row in worker.json()["results"]] == ["网格员甲"]
    grid_b = client_for(county.admin).get(f"/api/v1/posts/?unit={county.grid_b.code}&role=grid_worker")
    assert [row["user"] for row in grid_b.json()["results"]] == [county.worker_b.pk]


def test_current_filter_hides_ended_posts(county):
    post_appoint(actor=None, unit=county.grid_a, role=Role.GRID_HEAD, user=county.worker_b,
                 start_date=dt.date(2024, 1, 1), end_date=dt.date(2024, 6, 30))
    client = client_for(county.worker_a)
    assert len(client.get("/api/v1/posts/").json()["results"]) == 2
    current = client.get("/api/v1/posts/?current=true").json()["results"]
    assert [row["role"] for row in current] == ["grid_worker"]


def test_the_post_list_costs_the_same_queries_however_many_rows(county, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        assert client_for(county.admin).get("/api/v1/posts/").status_code == 200
    for n in range(20):
        post_appoint(actor=None, unit=county.grid_c, role=Role.GRID_HEAD, user=county.worker_c,
                     start_date=dt.date(2024, 1, 1) + dt.timedelta(days=n))
    with django_assert_max_num_queries(4):
        response = client_for(county.admin).get("/api/v1/posts/")
    assert response.json()["count"] == 25


def test_town_staff_appoint_a_grid_head_and_end_the_post(county):
    client = client_for(county.town_staff)
    response = client.post("/api/v1/posts/", {"unit": county.grid_b.code, "role": "grid_head",
                                              "user": county.worker_a.pk, "start_date": "2025-01-01"},
                           format="json")
    assert response.status_code == 201, response.json()
    post_id = response.json()["id"]
    assert response.json()["holder_name"] == "网格员甲"
    ended = client.post(f"/api/v1/posts/{post_id}/end/", {"end_date": "2025-06-30"}, format="json")
    assert ended.status_code == 200
    assert ended.json()["end_date"] == "2025-06-30"
    assert Post.objects.get(pk=post_id).end_date == dt.date(2025, 6, 30)


def test_a_resident_can_be_appointed_micro_grid_head_by_id(county):
    response = client_for(county.town_staff).post(
        "/api/v1/posts/", {"unit": county.mg_a1.code, "role": "microgrid_head", "resident": county.resident.pk},
        format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["resident"] == county.resident.pk
    assert response.json()["holder_name"] == "张三"


def test_appointing_refuses_bad_input_and_roles_the_caller_lacks(county):
    client = client_for(county.town_staff)
    no_holder = client.post("/api/v1/posts/", {"unit": county.grid_a.code, "role": "grid_head"}, format="json")
    assert no_holder.status_code == 400 and "user" in no_holder.json()["error"]["fields"]
    bad_role = client.post("/api/v1/posts/", {"unit": county.grid_a.code, "role": "king", "user": 1},
                           format="json")
    assert bad_role.status_code == 400 and "role" in bad_role.json()["error"]["fields"]
    wrong_type = client.post("/api/v1/posts/", {"unit": county.grid_a.code, "role": "grid_head",
                                                "user": "worker_a"}, format="json")
    assert wrong_type.status_code == 400 and "user" in wrong_type.json()["error"]["fields"]
    worker = client_for(county.worker_a).post("/api/v1/posts/", {"unit": county.grid_a.code, "role": "grid_head",
                                                                 "user": county.worker_b.pk}, format="json")
    assert worker.status_code == 403


def test_ending_a_post_out_of_scope_is_not_found(county):
    post = Post.objects.get(user=county.worker_c)
    hidden = client_for(county.town_staff).post(f"/api/v1/posts/{post.pk}/end/", {}, format="json")
    missing = client_for(county.town_staff).post("/api/v1/posts/999999/end/", {}, format="json")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


def test_departments_are_listed_within_scope(county):
    department_create(actor=None, unit=county.county, code="D01", name="县司法局")
    department_create(actor=None, unit=county.town, code="D02", name="天凝镇综治办")
    admin = client_for(county.admin).get("/api/v1/departments/")
    assert [d["code"] for d in admin.json()["results"]] == ["D01", "D02"]
    town = client_for(county.town_staff).get("/api/v1/departments/")
    assert [d["name"] for d in town.json()["results"]] == ["天凝镇综治办"]
    assert client_for(county.worker_a).get("/api/v1/departments/").json()["results"] == []


# --- schema -----------------------------------------------------------------------------------

def test_the_openapi_schema_describes_the_api(client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3")
    for path in ["/api/v1/units/", "/api/v1/units/{code}/", "/api/v1/locate/", "/api/v1/posts/",
                 "/api/v1/households/{id}/", "/api/v1/residents/{id}/reveal/", "/api/v1/auth/token/"]:
        assert path in schema["paths"], path


def test_the_schema_generates_without_warnings(tmp_path):
    # --fail-on-warn turns any inference the API leaves ambiguous into an error.
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert "/api/v1/residents/{id}/reveal/:" in out.read_text()
