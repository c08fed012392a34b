"""POST requests: an Open311 client raises a case that is routed and handled like any other."""

from __future__ import annotations

import pytest
from django.db import connection

from shanzhi.cases.models import Case, Channel, Event, Priority
from shanzhi.cases.selectors import queue_for
from shanzhi.lib import crypto
from shanzhi.open311.services import apikey_issue, apikey_revoke
from shanzhi.open311.tests.conftest import FORMATS, at, body, errors_of, post

pytestmark = pytest.mark.django_db


def test_a_request_in_grid_a_lands_in_worker_as_queue(client, county, api_key):
    response = post(client, api_key=api_key, service_code="garbage", description="桥头垃圾堆了一周",
                    **at(2, 5))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    (created,) = body(response)
    case = Case.objects.get(number=created["service_request_id"])
    assert case.channel == Channel.OPEN311 and case.open311_client.name == "12345 热线"
    assert case.description == "桥头垃圾堆了一周" and case.kind == "problem"
    assert case.unit == county.mg_a1 and case.assignee == county.worker_a
    assert case in queue_for(user=county.worker_a)
    assert case not in queue_for(user=county.worker_b)
    assert county.grid_a.name in created["service_notice"] and created["account_id"] == ""


def test_the_answer_in_xml_has_the_spec_elements(client, county, api_key):
    response = post(client, "xml", api_key=api_key, service_code="street_light", account_id="u-77", **at(15, 5))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    root = body(response)
    assert root.tag == "service_requests"
    (request,) = root.findall("request")
    assert [c.tag for c in request] == ["service_request_id", "service_notice", "account_id"]
    assert request.findtext("account_id") == "u-77"
    case = Case.objects.get(number=request.findtext("service_request_id"))
    assert case.handling_unit == county.village  # street lights are handled by the village
    assert case.description == "路灯损坏"  # no description given: the service name


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # its flush must not re-seed content types
def test_a_success_means_the_case_is_committed(client, county, api_key):
    response = post(client, api_key=api_key, service_code="garbage", description="x", **at(2, 5))
    assert response.status_code == 200
    assert not connection.in_atomic_block
    number = body(response)[0]["service_request_id"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cases_case WHERE number = %s", [number])
        assert cursor.fetchone()[0] == 1


def test_the_reporters_details_are_kept_for_staff_only(client, county, api_key):
    response = post(client, api_key=api_key, service_code="garbage", description="x", first_name="三丰",
                    last_name="张", phone="139 1234 5678", email="zsf@example.com", device_id="dev-1",
                    account_id="acc-9", media_url="https://img.example.com/p/1.jpg", **at(2, 5))
    assert response.status_code == 200
    case = Case.objects.get(number=body(response)[0]["service_request_id"])
    assert case.reporter_name == "张三丰" and case.reporter is None
    assert case.reporter_phone_masked == "139****5678" and crypto.decrypt(case.reporter_phone_enc) == "13912345678"
    event = Event.objects.get(case=case, action="open311")
    assert event.note == "https://img.example.com/p/1.jpg" and event.public is False
    assert event.data["device_id"] == "dev-1" and event.data["account_id"] == "acc-9"
    assert "zsf@example.com" not in str(event.data)
    assert crypto.decrypt(event.data["email_enc"]) == "zsf@example.com"


def test_a_latin_name_is_first_then_last(client, county, api_key):
    response = post(client, api_key=api_key, service_code="garbage", first_name="Ada", last_name="Lovelace",
                    **at(2, 5))
    assert Case.objects.get(number=body(response)[0]["service_request_id"]).reporter_name == "Ada Lovelace"


def test_an_address_string_alone_goes_to_county_triage(client, county, api_key):
    response = post(client, api_key=api_key, service_code="garbage", address_string="天凝镇新联村桥头")
    assert response.status_code == 200
    case = Case.objects.get(number=body(response)[0]["service_request_id"])
    assert case.unit == county.county and case.handling_unit == county.county
    assert case.address == "天凝镇新联村桥头" and case.lat is None


def test_an_address_id_is_one_of_our_unit_codes(client, county, api_key):
    response = post(client, api_key=api_key, service_code="garbage", address_id=county.mg_b1.code)
    assert response.status_code == 200
    case = Case.objects.get(number=body(response)[0]["service_request_id"])
    assert case.unit == county.mg_b1 and case.assignee == county.worker_b
    assert case.address == county.mg_b1.name


def test_a_help_request_takes_its_priority_from_the_attribute(client, county, api_key):
    response = post(client, api_key=api_key, service_code="elderly_care", description="独居老人摔倒",
                    **{"attribute[priority]": "urgent"}, **at(2, 5))
    assert response.status_code == 200
    case = Case.objects.get(number=body(response)[0]["service_request_id"])
    assert case.kind == "help" and case.priority == Priority.URGENT


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_missing_invalid_or_revoked_key_is_forbidden(client, county, api_key, fmt):
    revoked, plain_revoked = apikey_issue(actor=None, name="旧系统")
    apikey_revoke(actor=None, key=revoked)
    for key in [None, "", "not-a-key", plain_revoked, api_key + "x"]:
        data = {"service_code": "garbage", **at(2, 5)}
        if key is not None:
            data["api_key"] = key
        response = post(client, fmt, **data)
        assert response.status_code == 403, key
        ((code, description),) = errors_of(response, fmt)
        assert code == 403 and "api_key" in description
    assert Case.objects.count() == 0


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("data", "named"),
    [
        ({"service_code": "no_such_service", **at(2, 5)}, "service_code"),
        ({"service_code": "environment", **at(2, 5)}, "service_code"),  # a group, not a service
        ({**at(2, 5)}, "service_code"),
        ({"service_code": "garbage"}, "lat"),  # no location at all
        ({"service_code": "garbage", "lat": "123", "long": "500"}, "lat"),
        ({"service_code": "garbage", "lat": "30.85"}, "lat"),
        ({"service_code": "garbage", "lat": "north", "long": "east"}, "lat"),
        ({"service_code": "garbage", "address_id": "999"}, "address_id"),
        ({"service_code": "elderly_care", "attribute[priority]": "critical", **at(2, 5)}, "attribute[priority]"),
        ({"service_code": "garbage", "attribute[colour]": "red", **at(2, 5)}, "attribute[colour]"),
        ({"service_code": "garbage", "phone": "12345", **at(2, 5)}, "phone"),
        ({"service_code": "garbage", "email": "not-an-email", **at(2, 5)}, "email"),
        ({"service_code": "garbage", "media_url": "ftp://x/y.jpg", **at(2, 5)}, "media_url"),
        ({"service_code": "garbage", "description": "x" * 2001, **at(2, 5)}, "description"),
    ],
)
def test_bad_requests_are_refused_with_400_naming_the_parameter(client, county, api_key, fmt, data, named):
    response = post(client, fmt, api_key=api_key, **data)
    assert response.status_code == 400
    errors = errors_of(response, fmt)
    assert errors and all(code == 400 for code, _ in errors)
    assert any(description.startswith(f"{named}:") for _, description in errors), errors
    assert Case.objects.count() == 0 and Event.objects.count() == 0


def test_html_in_the_description_is_stored_as_text(client, county, api_key):
    response = post(client, "xml", api_key=api_key, service_code="garbage",
                    description="<script>alert(1)</script> & more", **at(2, 5))
    number = body(response).findtext("request/service_request_id")
    assert Case.objects.get(number=number).description == "<script>alert(1)</script> & more"


def test_a_repeated_idempotency_key_gives_the_same_request(client, county, api_key):
    headers = {"Idempotency-Key": "hotline-20261125-0001"}
    first = post(client, headers=headers, api_key=api_key, service_code="garbage", description="x", **at(2, 5))
    again = post(client, headers=headers, api_key=api_key, service_code="garbage", description="x", **at(2, 5))
    assert first.status_code == again.status_code == 200
    assert body(first)[0]["service_request_id"] == body(again)[0]["service_request_id"]
    assert Case.objects.count() == 1 and Event.objects.filter(action="open311").count() == 1


def test_two_clients_may_use_the_same_idempotency_key(client, county, api_key):
    _other, other_key = apikey_issue(actor=None, name="城市服务平台")
    headers = {"Idempotency-Key": "same"}
    a = post(client, headers=headers, api_key=api_key, service_code="garbage", **at(2, 5))
    b = post(client, headers=headers, api_key=other_key, service_code="garbage", **at(2, 5))
    assert body(a)[0]["service_request_id"] != body(b)[0]["service_request_id"]
    assert Case.objects.count() == 2


def test_the_post_needs_no_csrf_token(county, api_key):
    from django.test import Client

    response = post(Client(enforce_csrf_checks=True), api_key=api_key, service_code="garbage", **at(2, 5))
    assert response.status_code == 200


def test_other_methods_are_not_allowed(client, county):
    assert client.put("/open311/v2/requests.json").status_code == 405
    assert client.post("/open311/v2/services.json").status_code == 405


def test_a_token_is_the_request_id(client, county, api_key):
    number = body(post(client, api_key=api_key, service_code="garbage", **at(2, 5)))[0]["service_request_id"]
    response = client.get(f"/open311/v2/tokens/{number}.json")
    assert response.status_code == 200
    assert body(response) == [{"service_request_id": number, "token": number}]
    root = body(client.get(f"/open311/v2/tokens/{number}.xml"))
    assert root.tag == "service_requests" and root.findtext("request/token") == number


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_token_is_not_found(client, county, now, fmt):
    from shanzhi.lib.testing import report_case

    resident_case = report_case(county)  # made in the resident app: its number is no token
    for token in ["330421-20261125-99999", resident_case.number]:
        response = client.get(f"/open311/v2/tokens/{token}.{fmt}")
        assert response.status_code == 404
        assert errors_of(response, fmt)[0][0] == 404
