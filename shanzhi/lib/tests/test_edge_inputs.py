"""Every filter and form that reads a date or a number from the request, at the calendar's edges and beyond:
each answers 400 naming the field (the API, Open311) or the page with the field's error (staff pages),
never a 5xx. Through Django's test client, as the persona who may use the page."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from shanzhi.campaigns import services as campaign_services
from shanzhi.campaigns.models import Kind, Rule
from shanzhi.campaigns.scope import resolve
from shanzhi.lib.testing import PASSWORD, report_case
from shanzhi.mediation.services import centre_create
from shanzhi.org.models import Post, Role
from shanzhi.org.services import post_appoint
from shanzhi.people.services import central_household_create

EDGES = ["0001-01-01", "9999-12-31", "9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00-12:00",
         "0001-01-01T00:00:00+14:00", "garbage", "1" * 40]
DAYS_BEYOND = ["0001-01-01", "9999-12-31"]


@pytest.fixture
def web():
    """A client that answers a server error with a 500 instead of raising, as a user would see it."""
    return Client(raise_request_exception=False)


def signed_in(web, user):
    web.force_login(user)
    return web


def api(web, user, method: str, url: str, data=None):
    from rest_framework.test import APIClient

    c = APIClient(raise_request_exception=False)
    c.force_authenticate(user)
    return getattr(c, method)(url, data, format="json" if method != "get" else None)


def fields_of(response) -> dict:
    return response.json()["error"]["fields"]


# ---- Open311 (GeoReport errors: a list of {code, description}) -------------------------------------

@pytest.mark.parametrize("name", ["start_date", "end_date"])
@pytest.mark.parametrize("value", EDGES + ["2026-11-25"])
def test_open311_refuses_dates_beyond_the_calendar_naming_the_parameter(web, county, name, value):
    response = web.get("/open311/v2/requests.json", {name: value})
    assert response.status_code == 400
    errors = json.loads(response.content)
    assert [e["code"] for e in errors] == [400] and errors[0]["description"].startswith(f"{name}: ")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_open311_answers_a_window_inside_the_calendar(web, county, fmt):
    response = web.get(f"/open311/v2/requests.{fmt}", {"start_date": "2026-11-01T00:00:00+08:00",
                                                        "end_date": "2026-11-30T00:00:00Z"})
    assert response.status_code == 200
    assert web.get("/open311/v2/requests.json", {"start_date": ""}).status_code == 200


# ---- the dispute list API ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["registered_from", "registered_to"])
@pytest.mark.parametrize("value", EDGES)
def test_the_dispute_api_refuses_edge_dates_naming_the_filter(web, county, name, value):
    response = api(web, county.admin, "get", "/api/v1/disputes/", {name: value})
    assert response.status_code == 400 and list(fields_of(response)) == [name]


def test_the_dispute_api_filters_by_days_inside_the_calendar(web, county):
    response = api(web, county.admin, "get", "/api/v1/disputes/", {"registered_from": "1900-01-01",
                                                                     "registered_to": "2999-12-31"})
    assert response.status_code == 200 and response.json()["count"] == 0


# ---- the case list page and the case API --------------------------------------------------------------

@pytest.mark.parametrize("name,label", [("since", "上报起"), ("until", "上报止")])
@pytest.mark.parametrize("value", EDGES)
def test_the_case_list_shows_an_error_naming_the_date_filter(web, county, name, label, value):
    report_case(county)
    response = signed_in(web, county.town_staff).get("/cases/all/", {name: value})
    body = response.content.decode()
    assert response.status_code == 200 and f"{label}：" in body
    if value in DAYS_BEYOND:
        assert "日期超出可用范围" in body


def test_the_case_list_filters_by_days_at_the_limits(web, county):
    case = report_case(county)
    response = signed_in(web, county.town_staff).get("/cases/all/", {"since": "1900-01-01", "until": "2999-12-31"})
    assert response.status_code == 200 and case.number in response.content.decode()


@pytest.mark.parametrize("value", EDGES[:5])
def test_an_extension_beyond_the_calendar_is_refused_on_the_page_and_in_the_api(web, county, value):
    from shanzhi.cases.services import case_accept

    case = report_case(county)
    case_accept(actor=county.worker_a, case=case, note="")
    page = signed_in(web, county.worker_a).post(f"/cases/staff/{case.number}/do/extension_request/",
                                                {"until": value, "note": "等待"})
    assert page.status_code == 400 and "延期至：" in page.content.decode()
    response = api(web, county.worker_a, "post", f"/api/v1/cases/{case.number}/actions/extension_request/",
                   {"until": value, "note": "等待"})
    assert response.status_code == 400 and list(fields_of(response)) == ["until"]


@pytest.mark.parametrize("field", ["assignee", "department"])
@pytest.mark.parametrize("value", ["1" * 40, str(2**63), "0", "²"])
def test_a_dispatch_to_an_impossible_id_names_the_field(web, county, field, value):
    case = report_case(county)
    response = api(web, county.admin, "post", f"/api/v1/cases/{case.number}/actions/dispatch/", {field: value})
    assert response.status_code == 400 and list(fields_of(response)) == [field]


@pytest.mark.parametrize("value", ["1" * 40, "²", "00", "-1"])
def test_a_case_by_an_impossible_number_or_id_is_not_found(web, county, value):
    report_case(county)
    assert api(web, county.admin, "get", f"/api/v1/cases/{value}/").status_code == 404
    assert signed_in(web, county.admin).get(f"/cases/staff/{value}/").status_code == 404


@pytest.mark.parametrize("value", ["1" * 40, "²", "１"])
def test_bulk_dispatch_ignores_impossible_ids(web, county, value):
    response = signed_in(web, county.town_staff).post("/cases/all/dispatch/", {"ids": [value], "target": f"user:{value}"})
    assert response.status_code == 400 and "请至少选择一条诉求" in response.content.decode()


# ---- indicators -------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", EDGES)
def test_indicators_fall_back_to_this_month_naming_the_bad_date(web, county, value):
    response = signed_in(web, county.admin).get(f"/dashboard/{county.county.code}/",
                                                {"period": "custom", "from": value, "to": "2026-11-30"})
    body = response.content.decode()
    assert response.status_code == 400 and "日期无效：开始日期" in body and "已显示本月" in body


def test_indicators_refuse_a_period_past_the_last_day(web, county):
    response = signed_in(web, county.admin).get(f"/dashboard/{county.county.code}/",
                                                {"period": "custom", "from": "2026-11-01", "to": "9999-12-31"})
    assert response.status_code == 400 and "日期无效：结束日期" in response.content.decode()


def test_indicators_show_a_period_at_the_last_allowed_days(web, county):
    response = signed_in(web, county.admin).get(f"/dashboard/{county.county.code}/",
                                                {"period": "custom", "from": "2999-01-01", "to": "2999-12-31"})
    body = response.content.decode()
    assert response.status_code == 200 and "日期无效" not in body and "2999-12-31" in body


# ---- the mediation calendar and centre pages ----------------------------------------------------------

@pytest.fixture
def mediator(county):
    from shanzhi.accounts.services import user_create_staff

    user = user_create_staff(actor=None, username="mediator", password=PASSWORD, display_name="调解员老王",
                             check_strength=False)
    post_appoint(actor=None, unit=county.town, role=Role.MEDIATOR, user=user, start_date=dt.date(2024, 1, 1))
    centre_create(actor=None, unit=county.town, name="天凝镇矛调中心", rooms=["调解室A"], teams=["镇调解团"])
    return user


@pytest.mark.parametrize("value", EDGES)
def test_the_calendar_shows_this_week_and_names_the_bad_week(web, county, mediator, value):
    response = signed_in(web, mediator).get("/mediation/calendar/", {"week": value})
    assert response.status_code == 200
    assert any(str(m).startswith("week（周）：") for m in get_messages(response.wsgi_request))


@pytest.mark.parametrize("value", ["1900-01-01", "2999-12-31"])
def test_the_calendar_shows_the_first_and_last_weeks_of_the_calendar(web, county, mediator, value):
    response = signed_in(web, mediator).get("/mediation/calendar/", {"week": value})
    assert response.status_code == 200 and not list(get_messages(response.wsgi_request))


@pytest.mark.parametrize("name,label", [("start", "起"), ("end", "止")])
@pytest.mark.parametrize("value", EDGES)
def test_the_centre_page_names_the_bad_period_end(web, county, mediator, name, label, value):
    response = signed_in(web, county.admin).get(f"/mediation/centre/{county.town.code}/", {name: value})
    body = response.content.decode()
    assert response.status_code == 200 and f'<span class="errorlist">{label}：' in body


# ---- the audit log ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name,label", [("date_from", "开始日期"), ("date_to", "结束日期")])
@pytest.mark.parametrize("value", EDGES)
def test_the_audit_search_names_the_bad_date(web, county, name, label, value):
    response = signed_in(web, county.admin).get("/audit/", {name: value})
    body = response.content.decode()
    assert response.status_code == 200 and f"{label}：" in body and "org.unit.create" not in body


# ---- campaign pages --------------------------------------------------------------------------------

@pytest.fixture
def campaign(county):
    central_household_create(actor=None, household=county.household_a, leader=county.resident)
    scope = resolve(actor=county.town_staff, units=[county.village.code])
    return campaign_services.campaign_create(actor=county.town_staff, kind=Kind.NIGHT_VISIT, name="十一月网格夜访",
                                             scope=scope, rule=Rule.CENTRAL_HOUSEHOLD, capacity=10)


def flashed(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize("value", ["1" * 40, str(2**63), "0", "²", "abc", ""])
def test_reassigning_to_an_impossible_person_is_explained(web, county, campaign, value):
    response = signed_in(web, county.town_staff).post(f"/campaigns/{campaign.pk}/reassign/",
                                                      {"household": "H-A1-001", "to": f"c:{value}"})
    assert response.status_code == 302 and flashed(response) == ["请选择新的责任人"]


@pytest.mark.parametrize("value", ["1" * 40, str(2**63), "²", "abc", ""])
def test_reassigning_an_impossible_absent_person_is_explained(web, county, campaign, value):
    response = signed_in(web, county.town_staff).post(f"/campaigns/{campaign.pk}/reassign-absent/", {"absent": value})
    assert response.status_code == 302 and flashed(response) == ["请指定缺席的责任人"]


@pytest.mark.parametrize("name", ["starts_at", "ends_at"])
@pytest.mark.parametrize("value", ["0001-01-01T00:00", "9999-12-31T23:59", "garbage"])
def test_declaring_a_night_visit_with_an_impossible_time_names_it(web, county, name, value):
    response = signed_in(web, county.town_staff).post("/campaigns/new/night-visit/", {
        "name": "夜访", "units": [county.village.code], "rule": Rule.CENTRAL_HOUSEHOLD, "capacity": "10",
        name: value})
    assert response.status_code in (200, 400) and "errorlist" in response.content.decode()


def _int_routes(patterns=None, prefix: str = "") -> list[str]:
    """Every page address with an integer id in it, ids replaced by a 40-digit number (the str parts by x)."""
    from django.urls import URLPattern, URLResolver, get_resolver
    from django.urls.converters import IntConverter

    out = []
    for p in get_resolver().url_patterns if patterns is None else patterns:
        route = str(p.pattern)
        if isinstance(p, URLResolver):
            if route.startswith(("api/", "admin/", "i18n/")):
                continue
            out += _int_routes(p.url_patterns, prefix + route)
        elif isinstance(p, URLPattern) and any(isinstance(c, IntConverter)
                                               for c in getattr(p.pattern, "converters", {}).values()):
            path = prefix + route
            for name, conv in p.pattern.converters.items():
                kind = "int" if isinstance(conv, IntConverter) else type(conv).__name__.lower().removesuffix("converter")
                path = path.replace(f"<{kind}:{name}>", "1" * 40 if kind == "int" else "x")
            out.append("/" + path)
    return out


INT_ROUTES = _int_routes()


def test_the_walk_finds_the_pages_with_ids():
    assert "/campaigns/" + "1" * 40 + "/reassign/" in INT_ROUTES and len(INT_ROUTES) > 15


@pytest.mark.parametrize("path", INT_ROUTES)
def test_a_40_digit_id_in_a_page_address_is_not_found(web, county, path):
    signed_in(web, county.admin)
    statuses = {web.get(path).status_code, web.post(path).status_code}
    assert 404 in statuses and statuses <= {404, 405}, statuses  # 405: the other method is not offered


# ---- people and org API ----------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/api/v1/households/{big}/", "/api/v1/residents/{big}/", "/api/v1/posts/{big}/end/"])
def test_a_40_digit_id_in_an_api_address_is_not_found(web, county, url):
    method = "post" if url.endswith("end/") else "get"
    response = api(web, county.admin, method, url.format(big="1" * 40), {})
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("name", ["start_date", "end_date"])
@pytest.mark.parametrize("value", EDGES)
def test_appointing_a_post_with_an_edge_date_names_it(web, county, name, value):
    response = api(web, county.admin, "post", "/api/v1/posts/", {"unit": county.town.code, "role": Role.TOWN_STAFF,
                                                                  "holder_name": "新干部", name: value})
    assert response.status_code == 400 and list(fields_of(response)) == [name]
    assert not Post.objects.filter(holder_name="新干部").exists()


@pytest.mark.parametrize("field", ["user", "resident"])
@pytest.mark.parametrize("value", ["1" * 40, str(2**63), "0"])
def test_appointing_an_impossible_holder_names_the_field(web, county, field, value):
    response = api(web, county.admin, "post", "/api/v1/posts/", {"unit": county.town.code, "role": Role.TOWN_STAFF,
                                                                  field: value})
    assert response.status_code == 400 and list(fields_of(response)) == [field]


@pytest.mark.parametrize("value", ["1" * 40, "0"])
def test_moving_a_resident_to_an_impossible_household_names_it(web, county, value):
    response = api(web, county.admin, "post", f"/api/v1/residents/{county.resident_b.pk}/move/", {"household": value})
    assert response.status_code == 400 and list(fields_of(response)) == ["household"]


@pytest.mark.parametrize("name,value", [(n, v) for n, out in (("lat", "90.5"), ("lon", "-180.5"))
                                        for v in (out, "nan", "inf", "1" * 40, "garbage")])
def test_locate_refuses_a_point_off_the_earth_naming_the_coordinate(web, county, name, value):
    point = {"lat": "30.85", "lon": "120.95", name: value}
    response = api(web, county.admin, "get", "/api/v1/locate/", point)
    assert response.status_code == 400 and list(fields_of(response)) == [name]


@pytest.mark.parametrize("page", ["abc", "0", "999", "1" * 40])
def test_a_page_that_does_not_exist_is_a_400_naming_page(web, county, page):
    response = api(web, county.admin, "get", "/api/v1/units/", {"page": page})
    assert response.status_code == 400 and list(fields_of(response)) == ["page"]


def test_an_api_path_no_route_matches_answers_in_the_api_error_format(web, county):
    response = api(web, county.admin, "get", "/api/v1/disputes/x/sessions/abc/record/")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert response.json() == {"error": {"code": "not_found", "message": "未找到", "fields": {}}}
    assert "<html" in web.get("/no-such-page/").content.decode()


# ---- NUL characters (PostgreSQL cannot compare text holding them) -------------------------------------

@pytest.mark.parametrize("url", ["/api/v1/units/a%00b/", "/cases/staff/a%00b/", "/units/a%00b/", "/mediation/d/a%00/",
                                 "/mediation/centre/a%00/", "/cases/indicators/a%00/", "/people/units/a%00/households/"])
def test_a_nul_in_the_address_is_bad_input(web, county, url):
    response = signed_in(web, county.admin).get(url)
    assert response.status_code == 400 and "path 含有不允许的空字符" in response.content.decode()


@pytest.mark.parametrize("url,name", [("/audit/", "actor"), ("/cases/all/", "category"),
                                      ("/people/units/330421/residents/", "q")])
def test_a_nul_in_a_page_filter_is_bad_input_naming_it(web, county, url, name):
    response = signed_in(web, county.admin).get(url, {name: "a\x00"})
    assert response.status_code == 400 and f"{name} 含有不允许的空字符" in response.content.decode()


@pytest.mark.parametrize("name", ["service_code", "service_request_id", "status"])
def test_a_nul_in_an_open311_parameter_is_a_georeport_error(web, county, name):
    response = web.get("/open311/v2/requests.json", {name: "a\x00"})
    assert response.status_code == 400
    assert json.loads(response.content)[0]["description"].startswith(f"{name}: ")


def test_a_nul_in_an_api_filter_or_a_posted_form_names_the_field(web, county, campaign):
    response = api(web, county.admin, "get", "/api/v1/households/", {"q": "a\x00"})
    assert response.status_code == 400 and list(fields_of(response)) == ["q"]
    response = signed_in(web, county.town_staff).post(f"/campaigns/{campaign.pk}/reassign/",
                                                      {"household": "H\x00", "to": "c:1"})
    assert response.status_code == 400 and "household 含有不允许的空字符" in response.content.decode()


# ---- control characters in text written into documents ------------------------------------------------

def test_an_agreement_with_control_characters_still_renders_as_a_docx(county):
    import io

    from docx import Document

    from shanzhi.mediation import document
    from shanzhi.mediation.models import Agreement

    agreement = Agreement(text="人民调解协议书\n一、甲方于\x0b三日内\x1f清理杂物\x00。\n二、乙方\x07不再堆放。")
    paragraphs = [p.text for p in Document(io.BytesIO(document.agreement_docx(agreement))).paragraphs]
    assert paragraphs == ["人民调解协议书", "一、甲方于三日内清理杂物。", "二、乙方不再堆放。"]


def test_an_address_with_control_characters_still_exports_as_xlsx(county):
    import io

    import openpyxl

    from shanzhi.people.exporting import export_people
    from shanzhi.people.services import household_update

    household_update(actor=county.admin, household=county.household_a, address="新联村\x0b一组\x1b1号")
    book = openpyxl.load_workbook(io.BytesIO(export_people(actor=county.admin, fmt="xlsx")))
    addresses = {row[2] for row in book.active.iter_rows(min_row=2, values_only=True)}
    assert "新联村一组1号" in addresses


def test_a_malformed_multipart_body_to_the_api_is_a_json_400(web, county):
    """Django refuses a broken multipart body before any view: the API still answers in its own format."""
    signed_in(web, county.admin)
    body = b"--xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--xyz"  # never closed
    response = web.generic("POST", "/api/v1/households/", body, content_type="multipart/form-data; boundary=xyz")
    assert response.status_code == 400 and response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] in ("invalid", "parse_error")
