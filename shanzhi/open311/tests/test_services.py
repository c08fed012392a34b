"""Discovery, the service list and service definitions, in JSON and XML."""

from __future__ import annotations

import pytest

from shanzhi.cases.models import Category
from shanzhi.open311.tests.conftest import FORMATS, body, errors_of

pytestmark = pytest.mark.django_db

LEAVES = {"garbage", "river", "illegal_building", "noise", "street_light", "road", "manhole", "water_supply",
          "hazard", "fire", "rental", "neighbour", "family", "land", "wages", "property_mgmt", "hardship",
          "elderly_care", "medical", "policy", "other_issue", "consumer", "traffic", "medical_dispute", "other_dispute"}


def test_discovery_in_json_points_to_the_v2_endpoint(client):
    response = client.get("/open311/discovery.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    doc = body(response)
    assert doc["changeset"].endswith("+08:00") and doc["contact"] and "/open311/keys/" in doc["key_service"]
    (endpoint,) = doc["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["type"] == "production" and endpoint["changeset"]
    assert endpoint["formats"] == ["text/xml", "application/json"]


def test_discovery_in_xml_uses_the_spec_element_names(client):
    response = client.get("/open311/discovery.xml")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    root = body(response)
    assert root.tag == "discovery"
    assert root.findtext("changeset") and root.findtext("key_service")
    endpoint = root.find("endpoints/endpoint")
    assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint.findtext("type") == "production"
    assert [f.text for f in endpoint.findall("formats/format")] == ["text/xml", "application/json"]


def test_an_unknown_extension_is_not_found(client):
    for url in ["/open311/discovery.yaml", "/open311/v2/services.csv", "/open311/v2/requests.html",
                "/open311/v2/services/garbage.txt"]:
        assert client.get(url).status_code == 404, url


def test_the_service_list_is_a_top_level_array_of_active_leaf_categories(client, county):
    Category.objects.filter(code="noise").update(is_active=False)
    response = client.get("/open311/v2/services.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    services = body(response)
    assert isinstance(services, list)
    assert {s["service_code"] for s in services} == LEAVES - {"noise"}
    garbage = next(s for s in services if s["service_code"] == "garbage")
    assert garbage == {"service_code": "garbage", "service_name": "垃圾堆放", "description": "垃圾堆放",
                       "metadata": False, "type": "realtime", "keywords": "垃圾, 卫生, 脏", "group": "环境卫生"}
    elderly = next(s for s in services if s["service_code"] == "elderly_care")
    assert elderly["metadata"] is True and elderly["group"] == "民生求助"


def test_the_service_list_in_xml(client, county):
    response = client.get("/open311/v2/services.xml")
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    root = body(response)
    assert root.tag == "services"
    services = root.findall("service")
    assert {s.findtext("service_code") for s in services} == LEAVES
    road = next(s for s in services if s.findtext("service_code") == "road")
    assert [c.tag for c in road] == ["service_code", "service_name", "description", "metadata", "type",
                                     "keywords", "group"]
    assert road.findtext("metadata") == "false" and road.findtext("type") == "realtime"
    assert road.findtext("group") == "市政设施"


def test_service_names_follow_the_clients_language(client, county):
    services = body(client.get("/open311/v2/services.json", headers={"Accept-Language": "en"}))
    garbage = next(s for s in services if s["service_code"] == "garbage")
    assert garbage["service_name"] == "Garbage dumping" and garbage["group"] == "Environment"


def test_a_help_service_defines_an_optional_priority(client, county):
    response = client.get("/open311/v2/services/elderly_care.json")
    assert response.status_code == 200
    definition = body(response)
    assert definition["service_code"] == "elderly_care"
    (attr,) = definition["attributes"]
    assert attr["code"] == "priority" and attr["datatype"] == "singlevaluelist"
    assert attr["required"] is False and attr["variable"] is True and attr["order"] == 1
    assert [v["key"] for v in attr["values"]] == ["normal", "urgent"]


def test_a_service_definition_in_xml(client, county):
    response = client.get("/open311/v2/services/medical.xml")
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    root = body(response)
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "medical"
    attr = root.find("attributes/attribute")
    assert attr.findtext("code") == "priority" and attr.findtext("required") == "false"
    assert [v.findtext("key") for v in attr.findall("values/value")] == ["normal", "urgent"]
    assert [v.findtext("name") for v in attr.findall("values/value")] == ["一般", "紧急"]


def test_a_problem_service_has_no_attributes(client, county):
    assert body(client.get("/open311/v2/services/garbage.json"))["attributes"] == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_services_and_groups_are_not_found(client, county, fmt):
    for code in ["no_such_thing", "environment"]:
        response = client.get(f"/open311/v2/services/{code}.{fmt}")
        assert response.status_code == 404
        ((status, description),) = errors_of(response, fmt)
        assert status == 404 and code in description
