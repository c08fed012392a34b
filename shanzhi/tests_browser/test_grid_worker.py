"""Grid worker A logs in through the real form, sees their grid on the map and their households,
and cannot open a household of grid B.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from shanzhi.lib.testing import PASSWORD, build_county

pytestmark = [pytest.mark.browser]


def test_grid_worker_sees_their_grid_and_nothing_of_grid_b(transactional_db, live_server, browser_page, tmp_path):
    county = build_county()  # before the browser starts: plain synchronous ORM work
    page = browser_page
    base = live_server.url

    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", county.worker_a.username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")

    # lands on their queue (issue 9); their grid is one tap away
    assert page.url == f"{base}/cases/queue/"
    page.goto(f"{base}/units/{county.grid_a.code}/")
    assert county.grid_a.name in page.inner_text("h1")

    # the map draws each micro-grid of grid A as an interactive polygon (the outline is not interactive)
    page.wait_for_selector("#map[data-loaded]")
    assert page.get_attribute("#map", "data-loaded") == "2"
    assert page.locator("#map path.leaflet-interactive").count() == 2
    assert page.locator("#map .leaflet-tile").count() == 0  # no tile server needed
    page.screenshot(path=str(tmp_path / "grid.png"), full_page=True)

    # clicking a micro-grid on the map opens it
    page.locator("#map path.leaflet-interactive").first.click()
    page.wait_for_url(f"{base}/units/{county.grid_a.code}*/")
    assert page.url.startswith(f"{base}/units/{county.grid_a.code}")
    page.go_back()

    # their households
    page.goto(f"{base}/people/units/{county.grid_a.code}/households/")
    rows = page.locator("tr.household")
    assert rows.count() == 1
    assert county.household_a.number in rows.first.inner_text()
    assert county.household_b.number not in page.content()

    # search as you type (htmx) narrows the list without a full reload
    page.goto(f"{base}/people/units/{county.grid_a.code}/residents/")
    assert page.locator("tr.resident").count() == 2
    page.fill("input[name=q]", county.resident.name)
    expect(page.locator("tr.resident")).to_have_count(1)
    assert county.resident.name in page.locator("tr.resident").first.inner_text()

    # a household of grid B answers 404, like a missing one
    response = page.goto(f"{base}/people/households/{county.household_b.pk}/")
    assert response is not None and response.status == 404
    assert county.household_b.address not in page.content()
