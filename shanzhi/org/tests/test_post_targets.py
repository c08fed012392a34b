"""Appointing a post checks its targets, not only its unit: the department, the resident holder, and
who may staff a department county-wide. Page, API and service give the same answer."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from shanzhi.accounts import scopes
from shanzhi.accounts.services import user_create_staff
from shanzhi.cases.services import case_dispatch
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied
from shanzhi.lib.testing import PASSWORD, report_case
from shanzhi.org.models import Post, Role
from shanzhi.org.services import department_create, post_appoint

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def clerk(username: str = "clerk"):
    return user_create_staff(actor=None, username=username, password=PASSWORD, display_name="住建专员",
                             check_strength=False)


@pytest.fixture
def zjj(county):
    """The county's housing bureau (住建局), a county department."""
    return department_create(actor=None, unit=county.county, code="ZJJ", name="县住建局")


def appoint(actor, **data):
    return client_for(actor).post("/api/v1/posts/", {"role": "department_staff", **data}, format="json")


def test_town_staff_staff_a_county_department_for_their_own_town_only(county, zjj):
    holder = clerk()
    response = appoint(county.town_staff, unit=county.town.code, user=holder.pk, department=zjj.code)
    assert response.status_code == 201, response.json()
    mine = report_case(county, where=(2, 5))       # 天凝镇, grid A
    theirs = report_case(county, where=(25, 5))    # 大云镇, grid C
    for case in (mine, theirs):
        case_dispatch(actor=county.admin, case=case, department=zjj, note="请住建局处理")
    client = client_for(holder)
    assert client.get(f"/api/v1/cases/{mine.pk}/").status_code == 200
    assert client.get(f"/api/v1/cases/{theirs.pk}/").status_code == 404
    listed = {row["number"] for row in client.get("/api/v1/cases/").json()["results"]}
    assert listed == {mine.number}


def test_only_the_county_appoints_county_wide_department_staff(county, zjj):
    refused = appoint(county.town_staff, unit=county.county.code, user=clerk("c1").pk, department=zjj.code)
    assert refused.status_code == 400 and list(refused.json()["error"]["fields"]) == ["unit"]
    with pytest.raises(NotFound):
        post_appoint(actor=county.town_staff, unit=county.county, role=Role.DEPARTMENT_STAFF, user=clerk("c2"),
                     department=zjj)
    assert not Post.objects.filter(unit=county.county, role=Role.DEPARTMENT_STAFF).exists()
    allowed = appoint(county.admin, unit=county.county.code, user=clerk("c3").pk, department=zjj.code)
    assert allowed.status_code == 201, allowed.json()


def test_a_department_of_the_other_town_answers_like_a_missing_one(county):
    department_create(actor=None, unit=county.town2, code="DY-ZZB", name="大云镇综治办")
    other = appoint(county.town_staff, unit=county.town.code, user=clerk("c4").pk, department="DY-ZZB")
    missing = appoint(county.town_staff, unit=county.town.code, user=clerk("c5").pk, department="NOPE")
    assert other.status_code == missing.status_code == 400
    assert other.json() == missing.json()
    assert "大云镇" not in str(other.json())
    # the service itself refuses it the same way, whoever calls it
    with pytest.raises(DomainError) as exc:
        post_appoint(actor=county.town_staff, unit=county.town, role=Role.DEPARTMENT_STAFF, user=clerk("c6"),
                     department=county.town2.departments.get())
    assert exc.value.status == 400 and list(exc.value.fields) == ["department"]


def test_a_town_department_staffs_its_own_town(county):
    own = department_create(actor=None, unit=county.town, code="TN-ZZB", name="天凝镇综治办")
    post = post_appoint(actor=county.town_staff, unit=county.town, role=Role.DEPARTMENT_STAFF, user=clerk("c7"),
                        department=own, start_date=dt.date(2025, 1, 1))
    assert scopes.may_department(post.user, own.pk, county.mg_a1)
    assert not scopes.may_department(post.user, own.pk, county.mg_c1)


def test_a_grid_worker_may_not_appoint_even_in_their_own_grid(county, zjj):
    with pytest.raises(PermissionDenied):
        post_appoint(actor=county.worker_a, unit=county.grid_a, role=Role.GRID_HEAD, user=clerk("c8"))
    refused = client_for(county.worker_a).post("/api/v1/posts/", {"unit": county.grid_a.code, "role": "grid_head",
                                                                  "user": clerk("c9").pk}, format="json")
    assert refused.status_code == 403


def test_a_resident_holder_must_live_in_the_appointers_registry_scope(county):
    with pytest.raises(DomainError) as exc:  # 赵六 lives in 大云镇
        post_appoint(actor=county.town_staff, unit=county.village, role=Role.MEDIATOR, resident=county.resident_c)
    assert exc.value.status == 400 and exc.value.fields == {"resident": ["未找到该居民"]}
    post = post_appoint(actor=county.town_staff, unit=county.village, role=Role.MEDIATOR, resident=county.resident)
    assert post.resident == county.resident
    by_api = client_for(county.town_staff).post("/api/v1/posts/", {"unit": county.village.code, "role": "mediator",
                                                                   "resident": county.resident_c.pk}, format="json")
    assert by_api.status_code == 400 and list(by_api.json()["error"]["fields"]) == ["resident"]


def test_only_a_county_admin_appoints_a_county_admin_and_superusers_follow_the_same_rule(county):
    root = user_create_staff(actor=None, username="root", password=PASSWORD, is_superuser=True,
                             check_strength=False)
    post = post_appoint(actor=root, unit=county.county, role=Role.COUNTY_ADMIN, user=clerk("c10"))
    assert post.role == Role.COUNTY_ADMIN
    with pytest.raises(NotFound):  # town staff do not even see the county unit
        post_appoint(actor=county.town_staff, unit=county.county, role=Role.COUNTY_ADMIN, user=clerk("c11"))


def test_an_id_too_long_for_the_database_is_not_found_not_a_server_error(county):
    client = client_for(county.admin)
    huge = "9" * 40
    assert client.post(f"/api/v1/posts/{huge}/end/", {}, format="json").status_code == 404
    response = client.post("/api/v1/posts/", {"unit": county.grid_a.code, "role": "grid_head", "user": int(huge)},
                           format="json")
    assert response.status_code == 400 and list(response.json()["error"]["fields"]) == ["user"]
    response = client.post("/api/v1/posts/", {"unit": county.mg_a1.code, "role": "microgrid_head",
                                              "resident": int(huge)}, format="json")
    assert response.status_code == 400 and list(response.json()["error"]["fields"]) == ["resident"]
