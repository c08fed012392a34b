"""Names from the database reach the maps as text, never as HTML: a unit (and a household address)
named like an HTML tag shows literally in every tooltip and label, creates no element and runs nothing.
Pages run under the Content-Security-Policy, so a blocked inline script would also show up here.
"""

from __future__ import annotations

import pytest

from shanzhi.lib.testing import PASSWORD, build_county
from shanzhi.org.services import orgunit_rename
from shanzhi.people.services import household_update

pytestmark = [pytest.mark.browser]

EVIL = "<img src=x onerror=alert(1)>"
EVIL_TOWN = "<img src=x onerror=alert('town')>天凝镇"
EVIL_ADDRESS = "<b id=injected onmouseover=alert(3)>3号</b>"


def watch(page) -> dict:
    """Record dialogs, CSP violations reported to the console, and page errors."""
    seen = {"dialogs": [], "console": [], "errors": []}

    def on_dialog(dialog):
        seen["dialogs"].append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("console", lambda msg: seen["console"].append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: seen["errors"].append(str(exc)))
    return seen


def no_injected_elements(page) -> None:
    assert page.locator("img[src=x]").count() == 0
    assert page.locator("#injected").count() == 0
    assert page.evaluate("document.querySelectorAll('.leaflet-tooltip img, .leaflet-tooltip b#injected').length") == 0


def staff_login(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")


def test_unit_names_shaped_like_html_show_as_text_on_every_map(transactional_db, live_server, browser_page):
    county = build_county()  # before the browser starts: plain synchronous ORM work
    orgunit_rename(actor=None, unit=county.grid_a, name=EVIL)
    orgunit_rename(actor=None, unit=county.town, name=EVIL_TOWN)
    household_update(actor=None, household=county.household_a, address=EVIL_ADDRESS)
    page = browser_page
    base = live_server.url
    seen = watch(page)

    staff_login(page, base, county.admin.username)

    # the county map labels its towns: the renamed town's label is its literal name
    page.goto(f"{base}/units/{county.county.code}/")
    page.wait_for_selector("#map[data-loaded]")
    labels = page.locator("#map .leaflet-tooltip.unit-label")
    assert EVIL_TOWN in [labels.nth(i).inner_text() for i in range(labels.count())]
    no_injected_elements(page)

    # the town's page shows the name as text in the heading
    page.goto(f"{base}/units/{county.town.code}/")
    page.wait_for_selector("#map[data-loaded]")
    assert EVIL_TOWN in page.inner_text("h1")
    no_injected_elements(page)

    # the village map labels its grids, grid A by its literal name
    page.goto(f"{base}/units/{county.village.code}/")
    page.wait_for_selector("#map[data-loaded]")
    labels = page.locator("#map .leaflet-tooltip.unit-label")
    assert EVIL in [labels.nth(i).inner_text() for i in range(labels.count())]
    no_injected_elements(page)

    # a micro-grid's household points: hovering one shows the address as text
    page.goto(f"{base}/units/{county.household_a.micro_grid.code}/")
    page.wait_for_selector("#map[data-loaded]")
    point = page.locator("#map path.leaflet-interactive").first
    point.hover()
    page.wait_for_selector("#map .leaflet-tooltip")
    tooltip = page.locator("#map .leaflet-tooltip").last.inner_text()
    assert EVIL_ADDRESS in tooltip and county.household_a.number in tooltip
    no_injected_elements(page)

    # the resident's report map: hovering grid A shows its name as text
    page.context.clear_cookies()
    from shanzhi.tests_browser.test_case_loop import resident_login

    resident_login(page, base, "13800000001", "/cases/report/")
    assert page.url == f"{base}/cases/report/"
    page.wait_for_selector("#pin-map path.leaflet-interactive")
    page.locator("#pin-map").scroll_into_view_if_needed()
    # grid outlines (blue) lie under the micro-grids: hover each directly, as a pointer over its edge would
    grids = page.locator('#pin-map path[stroke="#1f6feb"]')
    assert grids.count() == 2
    names = []
    for i in range(grids.count()):
        box = grids.nth(i).bounding_box()
        grids.nth(i).dispatch_event("mouseover", {"clientX": box["x"] + 2, "clientY": box["y"] + 2})
        page.wait_for_selector("#pin-map .leaflet-tooltip")
        names.append(page.locator("#pin-map .leaflet-tooltip").last.inner_text())
        grids.nth(i).dispatch_event("mouseout")
    assert EVIL in names and county.grid_b.name in names
    no_injected_elements(page)

    assert seen["dialogs"] == []
    assert seen["errors"] == []
    assert not [m for m in seen["console"] if "Content Security Policy" in m], seen["console"]
