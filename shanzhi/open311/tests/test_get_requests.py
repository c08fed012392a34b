"""GET requests: filters, the default window and limit, one request, and what is never published."""

from __future__ import annotations

import datetime as dt

import pytest

from shanzhi.cases import services as cs
from shanzhi.cases.models import Case
from shanzhi.lib.testing import report_case
from shanzhi.open311.tests.conftest import FORMATS, at, body, errors_of, post

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


def ids(response) -> list[str]:
    found = body(response)
    if isinstance(found, list):
        return [r["service_request_id"] for r in found]
    return [r.findtext("service_request_id") for r in found.findall("request")]


def get(client, fmt: str = "json", **params):
    return client.get(f"/open311/v2/requests.{fmt}", params)


def close(county, case: Case, note: str = "垃圾已清运，现场已恢复") -> Case:
    """Walk a grid A case through the loop to closed: worker A handles, town staff verify and close."""
    w = county.worker_a
    cs.case_accept(actor=w, case=case)
    cs.case_start(actor=w, case=case)
    cs.case_report_back(actor=w, case=case, note=note)
    cs.case_verify(actor=county.town_staff, case=case)
    cs.case_close(actor=county.town_staff, case=case)
    return case


@pytest.fixture
def cases(county, now):
    """An open garbage case, a closed one, a road case, one 100 days old and one voided."""
    made = {
        "garbage_open": report_case(county, description="河边垃圾"),
        "garbage_closed": close(county, report_case(county, description="桥下垃圾")),
        "road": report_case(county, code="road", where=(15, 5), description="路面塌陷"),
        "old": report_case(county, description="去年的垃圾", now=now - 100 * DAY),
        "void": report_case(county, description="误报"),
    }
    cs.case_void(actor=None, case=made["void"], note="误报")
    return made


def test_the_default_is_the_last_90_days_newest_first(client, cases):
    response = get(client)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    found = ids(response)
    assert set(found) == {cases[k].number for k in ("garbage_open", "garbage_closed", "road")}
    assert found[0] == cases["road"].number  # the last made


def test_a_request_has_every_field_of_the_spec(client, county, cases):
    (request,) = body(get(client, service_request_id=cases["garbage_closed"].number))
    case = cases["garbage_closed"]
    assert list(request) == ["service_request_id", "status", "status_notes", "service_name", "service_code",
                             "description", "agency_responsible", "service_notice", "requested_datetime",
                             "updated_datetime", "expected_datetime", "address", "address_id", "zipcode",
                             "lat", "long", "media_url"]
    assert request["status"] == "closed" and request["status_notes"] == "垃圾已清运，现场已恢复"
    assert request["service_code"] == "garbage" and request["service_name"] == "垃圾堆放"
    assert request["description"] == "桥下垃圾" and request["agency_responsible"] == county.grid_a.name
    assert request["requested_datetime"] == "2026-11-25T10:00:00+08:00"
    assert request["updated_datetime"].endswith("+08:00") and request["expected_datetime"].endswith("+08:00")
    assert request["address_id"] == county.mg_a1.code
    assert (request["lat"], request["long"]) == (case.lat, case.lon)


def test_requests_in_xml_use_the_spec_element_names(client, cases):
    response = get(client, "xml", service_code="road")
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    root = body(response)
    assert root.tag == "service_requests"
    (request,) = root.findall("request")
    assert request.findtext("service_request_id") == cases["road"].number
    assert request.findtext("status") == "open" and request.findtext("lat")
    assert request.find("media_url") is not None and request.find("zipcode") is not None


def test_filter_by_service_code_and_status(client, cases):
    assert set(ids(get(client, service_code="garbage"))) == {cases["garbage_open"].number,
                                                             cases["garbage_closed"].number}
    assert set(ids(get(client, service_code="garbage,road", status="open"))) == {
        cases["garbage_open"].number, cases["road"].number}
    assert ids(get(client, status="closed")) == [cases["garbage_closed"].number]
    assert set(ids(get(client, status="open,closed"))) == set(ids(get(client)))
    assert ids(get(client, service_code="no_such")) == []


def test_parked_cases_count_as_open(client, county, cases):
    cs.case_park(actor=None, case=cases["road"], note="等待镇里统一修路")
    assert cases["road"].number in ids(get(client, status="open"))


def test_filter_by_start_and_end_date(client, now, cases):
    older = get(client, start_date=(now - 101 * DAY).isoformat(), end_date=(now - 99 * DAY).isoformat())
    assert ids(older) == [cases["old"].number]
    # "Z" works, and an unencoded "+" (which arrives as a space) is understood too.
    assert len(ids(get(client, start_date="2026-11-25T01:59:00Z"))) == 3
    assert ids(get(client, start_date="2026-11-25T10:00:01 08:00")) == []
    assert ids(get(client, end_date="2026-08-20T00:00:00+08:00")) == [cases["old"].number]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"start_date": "yesterday"}, "start_date"),
        ({"end_date": "2026-11-25T10:00:00"}, "end_date"),  # no time zone
        ({"start_date": "2026-01-01T00:00:00+08:00", "end_date": "2026-11-01T00:00:00+08:00"}, "end_date"),
        ({"start_date": "2026-11-02T00:00:00+08:00", "end_date": "2026-11-01T00:00:00+08:00"}, "start_date"),
        ({"status": "pending"}, "status"),
    ],
)
def test_bad_filters_are_refused_with_400(client, cases, fmt, params, named):
    response = get(client, fmt, **params)
    assert response.status_code == 400
    ((code, description),) = errors_of(response, fmt)
    assert code == 400 and description.startswith(f"{named}:")


def test_ids_override_every_other_filter(client, cases):
    wanted = f"{cases['old'].number},{cases['road'].number}, nonsense"
    found = ids(get(client, service_request_id=wanted, status="closed", service_code="garbage"))
    assert set(found) == {cases["old"].number, cases["road"].number}


def test_at_most_1000_requests(client, county, now):
    first = report_case(county)
    fields = {f.attname: getattr(first, f.attname) for f in Case._meta.concrete_fields if f.attname != "id"}
    Case.objects.bulk_create([
        Case(**{**fields, "number": f"330421-20260101-{i:05d}", "reported_at": now - i * dt.timedelta(minutes=1),
                "idempotency_key": None})
        for i in range(2, 1003)])
    found = ids(get(client))
    assert len(found) == 1000 and found[0] == first.number


def test_filters_cost_a_fixed_few_queries(client, county, now, django_assert_max_num_queries):
    for i in range(12):
        case = report_case(county, description=f"第{i}处垃圾")
        if i % 3 == 0:
            close(county, case)
    with django_assert_max_num_queries(2):
        response = get(client, service_code="garbage,road", status="open,closed",
                       start_date=(now - 30 * DAY).isoformat(), end_date=now.isoformat())
    assert len(ids(response)) == 12
    with django_assert_max_num_queries(2):
        assert len(ids(get(client, "xml"))) == 12


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_request(client, cases, fmt):
    number = cases["garbage_open"].number
    response = client.get(f"/open311/v2/requests/{number}.{fmt}")
    assert response.status_code == 200
    assert ids(response) == [number]


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_voided_private_and_help_requests_are_not_found(client, county, cases, fmt):
    private = report_case(county, is_public=False, description="不公开")
    help_case = report_case(county, code="elderly_care", kind="help", description="独居老人需要照看")
    for number in ["330421-20261125-99999", cases["void"].number, private.number, help_case.number]:
        response = client.get(f"/open311/v2/requests/{number}.{fmt}")
        assert response.status_code == 404, number
        ((code, _description),) = errors_of(response, fmt)
        assert code == 404
    listed = ids(get(client, fmt))
    assert not {cases["void"].number, private.number, help_case.number} & set(listed)


@pytest.mark.parametrize("fmt", FORMATS)
def test_personal_data_is_never_published(client, county, now, api_key, fmt):
    report_case(county, description="垃圾", reporter_name="张三", reporter_phone="13800000001")
    report_case(county, description="垃圾", anonymous=True, reporter_phone="13800000001")
    at_home = report_case(county, description="门口垃圾", household=county.household_a, where=None)
    post(client, api_key=api_key, service_code="garbage", first_name="三丰", last_name="张", phone="13912345678",
         email="zsf@example.com", device_id="dev-secret-1", account_id="acc-secret-9", **at(2, 5))
    listing = get(client, fmt)
    one = client.get(f"/open311/v2/requests/{at_home.number}.{fmt}")
    for response in (listing, one):
        text = response.content.decode()
        for secret in ["张三", "13800000001", "138****0001", "张三丰", "13912345678", "139****5678",
                       "zsf@example.com", "dev-secret-1", "acc-secret-9", county.resident.name,
                       county.household_a.address, county.household_a.number]:
            assert secret not in text, secret
    assert len(ids(listing)) == 4
    (home,) = body(get(client, service_request_id=at_home.number))
    assert home["address"] == "" and home["lat"] == round(county.household_a.lat, 3)


@pytest.mark.parametrize("fmt", FORMATS)
def test_phone_and_id_numbers_written_in_the_text_are_masked(client, county, now, fmt):
    case = report_case(county, description="垃圾堆在门口，联系13800000002，身份证330421198502022223",
                       address="一组5号，电话0573-84123456")
    cs.case_accept(actor=county.worker_a, case=case)
    cs.case_start(actor=county.worker_a, case=case)
    cs.case_report_back(actor=county.worker_a, case=case, note="已清运，已告知13800000002")
    for response in (get(client, fmt), client.get(f"/open311/v2/requests/{case.number}.{fmt}")):
        text = response.content.decode()
        assert "13800000002" not in text and "330421198502022223" not in text and "84123456" not in text
        found = body(response)
        (request,) = found if fmt == "json" else [
            {child.tag: child.text or "" for child in found.find("request")}]
        assert request["description"] == "垃圾堆在门口，联系138****0002，身份证330421********2223"
        assert request["status_notes"] == "已清运，已告知138****0002"
        assert request["address"] == "一组5号，电话0573-****3456"


def test_the_clients_media_url_is_published(client, county, api_key):
    number = body(post(client, api_key=api_key, service_code="garbage", media_url="https://img.example.com/1.jpg",
                       **at(2, 5)))[0]["service_request_id"]
    (request,) = body(client.get(f"/open311/v2/requests/{number}.json"))
    assert request["media_url"] == "https://img.example.com/1.jpg"
    assert request["status"] == "open" and request["expected_datetime"]


def test_english_clients_get_english_names(client, cases):
    (request,) = body(client.get(f"/open311/v2/requests/{cases['road'].number}.json",
                                 headers={"Accept-Language": "en"}))
    assert request["service_name"] == "Damaged road"

