"""Staff pages of the grid: home, unit page, children GeoJSON, language — each rule both ways."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.shortcuts import resolve_url

from shanzhi.org.models import Role
from shanzhi.org.services import post_appoint

pytestmark = pytest.mark.django_db


def without_csrf(html: bytes) -> bytes:
    """Drop the per-request CSRF tokens so two pages can be compared byte for byte."""
    import re

    html = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", html)
    html = re.sub(rb'name="next" type="hidden" value="[^"]*"', b"", html)
    return re.sub(rb'"X-CSRFToken": "[^"]+"', b"", html)


def unit_url(unit) -> str:
    return f"/units/{unit.code}/"


def geojson_url(unit) -> str:
    return f"/units/{unit.code}/children.geojson"


# --- home -----------------------------------------------------------------------------------

def test_it_sends_anonymous_users_to_the_login_page(client, county):
    for url in [unit_url(county.grid_a), geojson_url(county.grid_a)]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(resolve_url(settings.LOGIN_URL))


def test_a_grid_worker_lands_on_their_queue(client, county):
    client.force_login(county.worker_a)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/cases/queue/"


def test_the_county_admin_lands_on_the_county(client, county):
    client.force_login(county.admin)
    assert client.get("/")["Location"] == unit_url(county.county)


def test_someone_with_two_scopes_sees_both_on_the_home_page(client, county):
    post_appoint(actor=None, unit=county.grid_c, role=Role.GRID_HEAD, user=county.town_staff,
                 start_date=dt.date(2024, 1, 1))
    client.force_login(county.town_staff)
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert unit_url(county.town) in html and unit_url(county.grid_c) in html
    assert unit_url(county.town2) not in html


def test_a_resident_sees_their_own_household_masked(client, county):
    client.force_login(county.resident_user)
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert county.household_a.address in html
    assert county.neighbour.name in html
    assert county.resident.id_number_masked in html
    assert county.resident.id_number_plain() not in html
    assert county.household_b.address not in html


def test_a_resident_cannot_open_staff_unit_pages(client, county):
    client.force_login(county.resident_user)
    assert client.get(unit_url(county.mg_a1)).status_code == 404
    assert client.get(geojson_url(county.mg_a1)).status_code == 404


# --- unit page ------------------------------------------------------------------------------

def test_a_grid_worker_sees_their_grid_with_counts_children_and_posts(client, county):
    client.force_login(county.worker_a)
    response = client.get(unit_url(county.grid_a))
    assert response.status_code == 200
    html = response.content.decode()
    assert county.grid_a.name in html
    assert county.mg_a1.name in html and county.mg_a2.name in html
    assert unit_url(county.mg_a1) in html
    assert "网格员甲" in html and "专职网格员" in html
    assert "1:2" in html  # 2 residents per grid worker
    assert f"/people/units/{county.grid_a.code}/households/" in html
    # ancestors above the scope are shown but not linked
    assert county.village.name in html and unit_url(county.village) not in html
    assert 'id="map"' in html and geojson_url(county.grid_a) in html


def test_the_admin_breadcrumb_links_every_ancestor(client, county):
    client.force_login(county.admin)
    html = client.get(unit_url(county.grid_a)).content.decode()
    for a in (county.county, county.town, county.village):
        assert f'href="{unit_url(a)}"' in html


def test_it_hides_other_grids(client, county):
    client.force_login(county.worker_b)
    for unit in (county.grid_a, county.mg_a1, county.village, county.county):
        assert client.get(unit_url(unit)).status_code == 404
        assert client.get(geojson_url(unit)).status_code == 404
    assert client.get(unit_url(county.grid_b)).status_code == 200


def test_out_of_scope_answers_exactly_like_missing(client, county):
    client.force_login(county.worker_b)
    hidden = client.get(unit_url(county.grid_a))
    missing = client.get("/units/999999999999999/")
    assert hidden.status_code == missing.status_code == 404
    assert without_csrf(hidden.content) == without_csrf(missing.content)


def test_town_staff_cannot_see_another_town(client, county):
    client.force_login(county.town_staff)
    assert client.get(unit_url(county.town)).status_code == 200
    assert client.get(unit_url(county.grid_b)).status_code == 200
    for unit in (county.town2, county.village2, county.grid_c, county.mg_c1):
        assert client.get(unit_url(unit)).status_code == 404
        assert client.get(geojson_url(unit)).status_code == 404


def test_the_county_page_lists_only_what_the_user_may_see(client, county):
    client.force_login(county.admin)
    html = client.get(unit_url(county.county)).content.decode()
    assert county.town.name in html and county.town2.name in html


# --- GeoJSON --------------------------------------------------------------------------------

def test_the_grid_geojson_has_the_outline_and_each_micro_grid(client, county):
    client.force_login(county.worker_a)
    response = client.get(geojson_url(county.grid_a))
    assert response.status_code == 200
    data = response.json()
    assert data["type"] == "FeatureCollection"
    by_code = {f["properties"]["code"]: f for f in data["features"]}
    assert set(by_code) == {county.grid_a.code, county.mg_a1.code, county.mg_a2.code}
    assert by_code[county.grid_a.code]["properties"]["kind"] == "self"
    child = by_code[county.mg_a1.code]
    assert child["properties"]["kind"] == "child"
    assert child["properties"]["url"] == unit_url(county.mg_a1)
    assert child["properties"]["households"] == 1 and child["properties"]["residents"] == 2
    assert child["geometry"]["type"] == "Polygon"


def test_a_micro_grid_geojson_shows_its_households_as_points(client, county):
    client.force_login(county.worker_a)
    data = client.get(geojson_url(county.mg_a1)).json()
    points = [f for f in data["features"] if f["properties"]["kind"] == "household"]
    assert len(points) == 1
    assert points[0]["geometry"] == {"type": "Point", "coordinates": [county.household_a.lon, county.household_a.lat]}
    assert points[0]["properties"]["url"] == f"/people/households/{county.household_a.pk}/"


def test_the_town_geojson_leaves_out_the_other_town(client, county):
    client.force_login(county.town_staff)
    codes = {f["properties"]["code"] for f in client.get(geojson_url(county.town)).json()["features"]}
    assert codes == {county.town.code, county.village.code}


def test_the_map_gets_a_tile_layer_only_when_configured(client, county, settings):
    client.force_login(county.worker_a)
    assert 'data-tile-url=""' in client.get(unit_url(county.grid_a)).content.decode()
    settings.SHANZHI = {**settings.SHANZHI, "TILE_URL": "https://tiles.example/{z}/{x}/{y}.png",
                        "TILE_ATTRIBUTION": "© Example"}
    html = client.get(unit_url(county.grid_a)).content.decode()
    assert 'data-tile-url="https://tiles.example/{z}/{x}/{y}.png"' in html
    assert "© Example" in html


# --- language -------------------------------------------------------------------------------

def test_pages_are_chinese_by_default(client, county):
    client.force_login(county.worker_a)
    html = client.get(unit_url(county.grid_a)).content.decode()
    assert "户数" in html and "专职网格员" in html and "Households" not in html


def test_pages_are_english_when_the_user_chose_english(client, county):
    client.force_login(county.worker_a)
    client.cookies["django_language"] = "en"
    html = client.get(unit_url(county.grid_a)).content.decode()
    assert "Households" in html and "Full-time grid worker" in html and "Log out" in html
    assert "户数" not in html


def test_an_english_browser_still_gets_chinese_pages(client, county):
    client.force_login(county.worker_a)
    html = client.get(unit_url(county.grid_a), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "户数" in html and "Households" not in html


def test_the_language_switch_turns_pages_english(client, county):
    client.force_login(county.worker_a)
    response = client.post("/i18n/setlang/", {"language": "en", "next": unit_url(county.grid_a)})
    assert response.status_code == 302
    html = client.get(unit_url(county.grid_a)).content.decode()
    assert "Residents per grid worker" in html
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "人网比" in client.get(unit_url(county.grid_a)).content.decode()
