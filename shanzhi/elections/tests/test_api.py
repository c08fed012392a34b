"""The elections API: scoped like the overview (out of scope is 404), published candidates and certified
results only, no personal data anywhere in the JSON, bad query named, in the schema."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from shanzhi.elections.tests.overview_data import at, make
from shanzhi.lib import clock

pytestmark = pytest.mark.django_db
PERSONAL = ("id_number", "phone", "card_token", "number", "resident", "birth")


@pytest.fixture
def data(county):
    return make(county)


def api(user) -> Client:
    token, _ = Token.objects.get_or_create(user=user)
    return Client(HTTP_AUTHORIZATION=f"Token {token.key}")


def get(user, url: str):
    with clock.frozen(at(12, 7, 10)):
        return api(user).get(url)


def _keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | set().union(*(_keys(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_keys(v) for v in value)) if value else set()
    return set()


def test_elections_are_scoped_with_stage_dates_seats_and_turnout(county, data):
    a, b = data["a"], data["b"]
    rows = get(county.admin, "/api/v1/elections/").json()["results"]
    assert [r["id"] for r in rows] == [b.pk, a.pk]
    by_id = {r["id"]: r for r in rows}
    assert by_id[a.pk]["stage"] == "certified" and by_id[a.pk]["seats"] == 2
    assert by_id[a.pk]["voters"] == 2 and by_id[a.pk]["voted"] == 1 and by_id[a.pk]["turnout"] == 0.5
    assert by_id[a.pk]["town"] == {"code": county.town.code, "name": "天凝镇"}
    assert by_id[b.pk]["dates"]["roll_by"] == "2026-12-09" and by_id[b.pk]["at_risk"] == ["选民名单须在2日内公布"]
    assert by_id[b.pk]["voted"] is None and by_id[b.pk]["turnout"] is None and by_id[b.pk]["voters"] == 4
    town = [r["id"] for r in get(county.town_staff, "/api/v1/elections/").json()["results"]]
    assert town == [a.pk]
    assert [r["id"] for r in get(data["town2_staff"], "/api/v1/elections/").json()["results"]] == [b.pk]
    for user in (county.worker_a, county.worker_b, data["town2_staff"]):
        if user is not data["town2_staff"]:
            assert get(user, "/api/v1/elections/").json()["results"] == []
        assert get(user, f"/api/v1/elections/{a.pk}/").status_code == 404
    assert get(county.town_staff, f"/api/v1/elections/{a.pk}/").json()["id"] == a.pk
    assert get(county.admin, f"/api/v1/elections/?town={county.town2.code}").json()["results"][0]["id"] == b.pk
    assert get(county.admin, "/api/v1/elections/?stage=certified").json()["results"][0]["id"] == a.pk


def test_rounds_are_seen_through_their_elections(county, data):
    rnd = data["round"]
    rows = get(county.town_staff, "/api/v1/election-rounds/").json()["results"]
    assert [r["id"] for r in rows] == [rnd.pk] and rows[0]["rules"]["roll_days_before"] == 20
    assert get(county.worker_b, "/api/v1/election-rounds/").json()["results"] == []
    assert get(county.worker_b, f"/api/v1/election-rounds/{rnd.pk}/").status_code == 404
    assert get(county.admin, f"/api/v1/election-rounds/{rnd.pk}/").status_code == 200


def test_only_published_official_candidates_with_name_sex_and_position(county, data):
    rows = get(county.admin, "/api/v1/election-candidates/").json()["results"]
    assert [(r["name"], r["position"], r["sex"]) for r in rows] == [("张三", "chair", "M"), ("李梅", "member", "F")]
    assert data["hidden"].pk not in {r["id"] for r in rows} and data["dropped"].pk not in {r["id"] for r in rows}
    assert get(county.admin, f"/api/v1/election-candidates/{data['hidden'].pk}/").status_code == 404
    assert get(county.worker_b, "/api/v1/election-candidates/").json()["results"] == []
    assert get(county.worker_b, f"/api/v1/election-candidates/{data['chair'].pk}/").status_code == 404
    assert get(data["town2_staff"], f"/api/v1/election-candidates/{data['chair'].pk}/").status_code == 404


def test_only_certified_results(county, data):
    rows = get(county.town_staff, "/api/v1/election-results/").json()["results"]
    assert [(r["name"], r["votes"], r["elected"]) for r in rows] == [("张三", 1, True), ("李梅", 1, True)]
    a = data["a"]
    a.stage, a.certified_on = "counted", None
    a.save()
    assert get(county.town_staff, "/api/v1/election-results/").json()["results"] == []
    assert get(county.town_staff, f"/api/v1/election-results/{data['result'].pk}/").status_code == 404


def test_no_personal_data_in_any_answer(county, data):
    urls = ["/api/v1/election-rounds/", "/api/v1/elections/", "/api/v1/election-candidates/",
            "/api/v1/election-results/", f"/api/v1/elections/{data['a'].pk}/",
            f"/api/v1/election-candidates/{data['chair'].pk}/", f"/api/v1/election-results/{data['result'].pk}/"]
    for url in urls:
        resp = get(county.admin, url)
        assert resp.status_code == 200, url
        body = resp.content.decode()
        keys = _keys(json.loads(body))
        assert not [k for k in keys if any(p in k for p in PERSONAL)], (url, keys)
        assert not re.search(r"\d{17}[\dX]", body) and "1380000000" not in body and "tok-" not in body, url
        assert county.resident.id_number_masked not in body


def test_bad_query_is_named(county, data):
    admin = api(county.admin)
    for url, field in [("/api/v1/elections/?round=abc", "round"), ("/api/v1/elections/?stage=soon", "stage"),
                       ("/api/v1/election-candidates/?election=0", "election"),
                       ("/api/v1/election-results/?round=-1", "round")]:
        r = admin.get(url)
        assert r.status_code == 400 and field in r.content.decode(), url
    assert admin.get("/api/v1/elections/99999999999999999999/").status_code == 404
    assert admin.get("/api/v1/elections/abc/").status_code == 404
    assert Client().get("/api/v1/elections/").status_code == 401
    assert api(county.resident_user).get("/api/v1/elections/").status_code == 403


def test_the_endpoints_are_in_the_schema(db):
    schema = Client().get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    for path in ("/api/v1/election-rounds/", "/api/v1/elections/{id}/", "/api/v1/election-candidates/",
                 "/api/v1/election-results/{id}/"):
        assert path in schema
