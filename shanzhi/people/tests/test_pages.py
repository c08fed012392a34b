"""Registry pages: lists, details, search, pagination and the audited reveal — each rule both ways."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.db import connection
from django.shortcuts import resolve_url
from django.test.utils import CaptureQueriesContext

from shanzhi.accounts.services import user_create_staff
from shanzhi.audit.models import AuditEntry
from shanzhi.lib.codes import make_id_number
from shanzhi.lib.testing import ID_B, ID_RESIDENT, PASSWORD
from shanzhi.org.models import Role
from shanzhi.org.services import post_appoint
from shanzhi.people.models import Registration, Relation
from shanzhi.people.services import (
    central_household_create,
    central_household_link,
    household_create,
    resident_create,
    resident_move,
)

pytestmark = pytest.mark.django_db


def without_csrf(html: bytes) -> bytes:
    """Drop the per-request CSRF tokens so two pages can be compared byte for byte."""
    import re

    html = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", html)
    html = re.sub(rb'name="next" type="hidden" value="[^"]*"', b"", html)
    return re.sub(rb'"X-CSRFToken": "[^"]+"', b"", html)


def households_url(unit) -> str:
    return f"/people/units/{unit.code}/households/"


def residents_url(unit) -> str:
    return f"/people/units/{unit.code}/residents/"


def household_url(h) -> str:
    return f"/people/households/{h.pk}/"


def resident_url(r) -> str:
    return f"/people/residents/{r.pk}/"


def reveal_url(r) -> str:
    return f"/people/residents/{r.pk}/reveal/"


def add_households(county, n: int) -> None:
    """Add n households with one resident each to micro-grid A2."""
    for i in range(n):
        h = household_create(actor=None, number=f"H-A2-{i:03d}", micro_grid=county.mg_a2,
                             address=f"新联村二组{i}号", registration=Registration.FLOATING)
        resident_create(actor=None, household=h, name=f"住户{i:03d}", relation=Relation.HEAD,
                        id_number=make_id_number("330421", dt.date(1960, 1, 1) + dt.timedelta(days=i), i + 1, "F"),
                        phone=f"139{i:08d}", residence=Registration.FLOATING, tags=["low_income"])


# --- anonymous ------------------------------------------------------------------------------

def test_it_sends_anonymous_users_to_the_login_page(client, county):
    login = resolve_url(settings.LOGIN_URL)
    for url in [households_url(county.grid_a), residents_url(county.grid_a), household_url(county.household_a),
                resident_url(county.resident)]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(login)
    response = client.post(reveal_url(county.resident), {"field": "id_number", "reason": "核实身份"})
    assert response.status_code == 302
    assert not AuditEntry.objects.filter(action__startswith="people.reveal").exists()


# --- lists ----------------------------------------------------------------------------------

def test_a_grid_worker_sees_their_households(client, county):
    client.force_login(county.worker_a)
    response = client.get(households_url(county.grid_a))
    assert response.status_code == 200
    html = response.content.decode()
    assert county.household_a.number in html and county.household_a.address in html
    assert county.household_b.number not in html


def test_it_hides_other_grids_lists(client, county):
    client.force_login(county.worker_b)
    for url in (households_url(county.grid_a), residents_url(county.grid_a), households_url(county.mg_a1),
                households_url(county.village)):
        assert client.get(url).status_code == 404
    assert client.get(households_url(county.grid_b)).status_code == 200


def test_town_staff_cannot_list_another_towns_people(client, county):
    client.force_login(county.town_staff)
    assert client.get(residents_url(county.town)).status_code == 200
    assert client.get(residents_url(county.town2)).status_code == 404
    assert client.get(households_url(county.grid_c)).status_code == 404


def test_the_resident_list_shows_only_masked_identifiers(client, county):
    client.force_login(county.worker_a)
    html = client.get(residents_url(county.grid_a)).content.decode()
    assert county.resident.name in html and county.neighbour.name in html
    assert county.resident.id_number_masked in html and "138****0001" in html
    assert ID_RESIDENT not in html and "13800000001" not in html
    assert county.resident_b.name not in html


def test_search_by_exact_id_number_finds_the_resident(client, county):
    client.force_login(county.worker_a)
    html = client.get(residents_url(county.grid_a), {"q": ID_RESIDENT}).content.decode()
    assert county.resident.name in html and county.neighbour.name not in html
    assert html.count(ID_RESIDENT) == 1 and f'value="{ID_RESIDENT}"' in html  # only echoed in the search box


def test_search_by_phone_finds_the_resident(client, county):
    client.force_login(county.worker_a)
    html = client.get(residents_url(county.grid_a), {"q": "13800000002"}).content.decode()
    assert county.neighbour.name in html and county.resident.name not in html


def test_search_does_not_reach_other_grids(client, county):
    client.force_login(county.worker_a)
    html = client.get(residents_url(county.grid_a), {"q": ID_B}).content.decode()
    assert county.resident_b.name not in html
    assert "没有符合条件的居民" in html


def test_households_are_searchable_by_address(client, county):
    client.force_login(county.admin)
    html = client.get(households_url(county.county), {"q": "洋桥"}).content.decode()
    assert county.household_c.number in html and county.household_a.number not in html


def test_residents_can_be_filtered_by_care_tag(client, county):
    client.force_login(county.admin)
    html = client.get(residents_url(county.county), {"tag": "elderly_alone"}).content.decode()
    assert county.resident_b.name in html and county.resident.name not in html


def test_htmx_search_returns_only_the_rows(client, county):
    client.force_login(county.worker_a)
    response = client.get(residents_url(county.grid_a), {"q": "张"}, HTTP_HX_REQUEST="true",
                          HTTP_HX_TARGET="results")
    html = response.content.decode()
    assert "<html" not in html and county.resident.name in html and county.neighbour.name not in html


def test_lists_are_paginated_fifty_a_page(client, county):
    add_households(county, 60)
    client.force_login(county.worker_a)
    first = client.get(households_url(county.grid_a)).content.decode()
    assert first.count('class="household"') == 50
    assert "page=2" in first
    second = client.get(households_url(county.grid_a), {"page": 2}).content.decode()
    assert second.count('class="household"') == 11
    residents = client.get(residents_url(county.grid_a), {"page": 2}).content.decode()
    assert residents.count('class="resident"') == 12


def test_search_results_are_paginated_by_their_own_count(client, county):
    add_households(county, 60)
    client.force_login(county.worker_a)
    html = client.get(residents_url(county.grid_a), {"tag": "low_income"}).content.decode()
    assert html.count('class="resident"') == 50 and "共 60 条" in html


def test_list_pages_cost_the_same_queries_whatever_the_rows(client, county, django_assert_max_num_queries):
    client.force_login(county.worker_a)
    with CaptureQueriesContext(connection) as few_households:
        client.get(households_url(county.grid_a))
    with CaptureQueriesContext(connection) as few_residents:
        client.get(residents_url(county.grid_a))
    add_households(county, 60)
    with django_assert_max_num_queries(len(few_households)):
        assert client.get(households_url(county.grid_a)).content.decode().count('class="household"') == 50
    with django_assert_max_num_queries(len(few_residents)):
        assert client.get(residents_url(county.grid_a)).content.decode().count('class="resident"') == 50
    with django_assert_max_num_queries(len(few_residents) + 1):  # + the COUNT of a filtered list
        client.get(residents_url(county.grid_a), {"tag": "low_income", "page": 2})


# --- household and resident pages ------------------------------------------------------------

def test_a_grid_worker_opens_their_household(client, county):
    client.force_login(county.worker_a)
    response = client.get(household_url(county.household_a))
    assert response.status_code == 200
    html = response.content.decode()
    assert county.household_a.address in html and county.mg_a1.name in html and county.grid_a.name in html
    assert county.resident.name in html and county.resident.id_number_masked in html
    assert ID_RESIDENT not in html and "13800000001" not in html
    assert "户籍" in html


def test_households_and_residents_of_other_grids_are_not_found(client, county):
    client.force_login(county.worker_b)
    assert client.get(household_url(county.household_a)).status_code == 404
    assert client.get(resident_url(county.resident)).status_code == 404
    missing = client.get("/people/households/999999/")
    assert missing.status_code == 404
    assert without_csrf(client.get(household_url(county.household_a)).content) == without_csrf(missing.content)
    assert client.get(household_url(county.household_b)).status_code == 200


def test_town_staff_cannot_open_another_towns_household(client, county):
    client.force_login(county.town_staff)
    assert client.get(household_url(county.household_b)).status_code == 200
    assert client.get(household_url(county.household_c)).status_code == 404
    assert client.get(resident_url(county.resident_c)).status_code == 404


def test_a_resident_page_shows_masked_details_tags_and_history(client, county):
    client.force_login(county.worker_a)
    html = client.get(resident_url(county.resident)).content.decode()
    assert county.resident.name in html and "330421********123X" in html and "138****0001" in html
    assert ID_RESIDENT not in html and "13800000001" not in html
    assert "党员" in html  # care tag
    assert county.household_a.address in html  # history
    assert 'name="reason"' in html


def test_a_household_page_shows_its_central_household_both_ways(client, county):
    central = central_household_create(actor=None, household=county.household_a, leader=county.resident)
    linked = household_create(actor=None, number="H-A1-002", micro_grid=county.mg_a1, address="新联村一组2号",
                              registration=Registration.REGISTERED)
    central_household_link(actor=None, central=central, households=[linked])
    client.force_login(county.worker_a)
    html = client.get(household_url(linked)).content.decode()
    assert county.resident.name in html and f'href="{household_url(county.household_a)}"' in html
    html = client.get(household_url(county.household_a)).content.decode()
    assert f'href="{household_url(linked)}"' in html and "作为党员中心户联系的户（1）" in html


def test_history_of_a_moved_resident_hides_the_old_household_out_of_scope(client, county):
    resident_move(actor=None, resident=county.neighbour, to_household=county.household_b)
    client.force_login(county.worker_b)
    html = client.get(resident_url(county.neighbour)).content.decode()
    assert county.household_b.address in html
    assert county.household_a.address not in html and "辖区外的户" in html
    client.force_login(county.worker_a)
    assert client.get(resident_url(county.neighbour)).status_code == 404


# --- reveal ---------------------------------------------------------------------------------

def test_reveal_shows_the_value_once_and_writes_an_audit_row(client, county):
    client.force_login(county.worker_a)
    response = client.post(reveal_url(county.resident), {"field": "id_number", "reason": "核实身份办理低保"})
    assert response.status_code == 200
    assert ID_RESIDENT in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    entry = AuditEntry.objects.get(action="people.reveal.id_number")
    assert entry.actor == county.worker_a and entry.reason == "核实身份办理低保"
    assert entry.object_id == str(county.resident.pk)
    assert ID_RESIDENT not in client.get(resident_url(county.resident)).content.decode()


def test_reveal_over_htmx_returns_the_partial(client, county):
    client.force_login(county.worker_a)
    response = client.post(reveal_url(county.resident), {"field": "phone", "reason": "联系本人"},
                           HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html and "13800000001" in html and 'id="reveal"' in html
    assert AuditEntry.objects.filter(action="people.reveal.phone").count() == 1


def test_reveal_without_a_reason_says_so_in_chinese(client, county):
    client.force_login(county.worker_a)
    response = client.post(reveal_url(county.resident), {"field": "id_number", "reason": " "})
    assert response.status_code == 200
    html = response.content.decode()
    assert "查看完整信息必须填写事由" in html
    assert ID_RESIDENT not in html
    assert not AuditEntry.objects.filter(action__startswith="people.reveal").exists()


def test_reveal_out_of_scope_is_not_found(client, county):
    client.force_login(county.worker_b)
    response = client.post(reveal_url(county.resident), {"field": "id_number", "reason": "核实身份"})
    assert response.status_code == 404
    assert ID_RESIDENT not in response.content.decode()
    # The attempt is in the audit log as a refusal; nothing was revealed.
    (refused,) = AuditEntry.objects.filter(action__startswith="people.reveal")
    assert refused.action == "people.reveal.refused" and refused.actor == county.worker_b
    assert refused.after["refused"] == "not_found"


def test_a_micro_grid_head_sees_residents_but_may_not_reveal(client, county):
    head = user_create_staff(actor=None, username="mg_head", password=PASSWORD, display_name="微网格长",
                             check_strength=False)
    post_appoint(actor=None, unit=county.mg_a1, role=Role.MICROGRID_HEAD, user=head,
                 start_date=dt.date(2024, 1, 1))
    client.force_login(head)
    page = client.get(resident_url(county.resident))
    assert page.status_code == 200 and 'name="reason"' not in page.content.decode()
    response = client.post(reveal_url(county.resident), {"field": "id_number", "reason": "核实身份"})
    assert response.status_code == 403
    assert list(AuditEntry.objects.filter(action__startswith="people.reveal").values_list("action", flat=True)) \
        == ["people.reveal.refused"]


def test_reveal_only_accepts_post(client, county):
    client.force_login(county.worker_a)
    assert client.get(reveal_url(county.resident)).status_code == 405


# --- language -------------------------------------------------------------------------------

def test_registry_pages_are_chinese_by_default_and_english_on_request(client, county):
    client.force_login(county.worker_a)
    zh = client.get(residents_url(county.grid_a)).content.decode()
    assert "身份证号" in zh and "党员" in zh
    client.cookies["django_language"] = "en"
    en = client.get(residents_url(county.grid_a)).content.decode()
    assert "ID number" in en and "Party member" in en and "Registered" in en
    assert "身份证号" not in en
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Household" in client.get(household_url(county.household_a)).content.decode()
