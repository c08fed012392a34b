"""Open311 POST: api_key in the body only, and a rate per client address."""

from __future__ import annotations

import pytest

from shanzhi.cases.models import Case
from shanzhi.open311.tests.conftest import FORMATS, at, body, errors_of

pytestmark = pytest.mark.django_db


def post_from(client, address: str, fmt: str = "json", query: str = "", **data):
    return client.post(f"/open311/v2/requests.{fmt}{query}", data, REMOTE_ADDR=address)


@pytest.fixture
def post_rate(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                                                          "open311_post": "2/hour"}}
    return 2


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_key_in_the_query_string_of_a_post_is_refused_saying_where_it_belongs(client, county, api_key, fmt):
    response = post_from(client, "10.0.0.1", fmt, query=f"?api_key={api_key}", service_code="garbage",
                         description="x", **at(2, 5))
    assert response.status_code == 400
    ((code, description),) = errors_of(response, fmt)
    assert code == 400
    assert "api_key" in description and "POST" in description and "请求体" in description
    assert not Case.objects.exists()


def test_a_key_in_both_places_is_refused_too(client, county, api_key):
    response = post_from(client, "10.0.0.1", query=f"?api_key={api_key}", api_key=api_key,
                         service_code="garbage", description="x", **at(2, 5))
    assert response.status_code == 400
    assert not Case.objects.exists()


def test_the_same_key_in_the_body_is_accepted(client, county, api_key):
    response = post_from(client, "10.0.0.1", api_key=api_key, service_code="garbage", description="x",
                         **at(2, 5))
    assert response.status_code == 200
    assert Case.objects.filter(number=body(response)[0]["service_request_id"]).exists()


def test_the_default_rate_is_thirty_an_hour(settings):
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["open311_post"] == "30/hour"


@pytest.mark.parametrize("fmt", FORMATS)
def test_posts_past_the_rate_from_one_address_are_refused_in_the_spec_format(client, county, api_key,
                                                                          post_rate, fmt):
    for _ in range(post_rate):
        ok = post_from(client, "10.0.0.1", fmt, api_key=api_key, service_code="garbage", description="x",
                       **at(2, 5))
        assert ok.status_code == 200
    refused = post_from(client, "10.0.0.1", fmt, api_key=api_key, service_code="garbage", description="x",
                        **at(2, 5))
    assert refused.status_code == 429
    ((code, description),) = errors_of(refused, fmt)
    assert code == 429 and "频繁" in description
    assert int(refused["Retry-After"]) > 0
    assert Case.objects.count() == post_rate


def test_another_address_may_still_post(client, county, api_key, post_rate):
    for _ in range(post_rate + 1):
        post_from(client, "10.0.0.1", api_key=api_key, service_code="garbage", description="x", **at(2, 5))
    other = post_from(client, "10.0.0.2", api_key=api_key, service_code="garbage", description="x", **at(2, 5))
    assert other.status_code == 200


def test_bad_keys_count_against_the_rate_so_keys_cannot_be_guessed_quickly(client, county, api_key, post_rate):
    for i in range(post_rate):
        assert post_from(client, "10.0.0.1", api_key=f"guess-{i}", service_code="garbage").status_code == 403
    assert post_from(client, "10.0.0.1", api_key=api_key, service_code="garbage", description="x",
                     **at(2, 5)).status_code == 429


def test_reading_requests_is_not_limited_by_the_post_rate(client, county, api_key, post_rate):
    for _ in range(post_rate + 1):
        post_from(client, "10.0.0.1", api_key=api_key, service_code="garbage", description="x", **at(2, 5))
    assert client.get("/open311/v2/requests.json", REMOTE_ADDR="10.0.0.1").status_code == 200
