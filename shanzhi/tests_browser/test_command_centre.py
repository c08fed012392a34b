"""The county admin's command centre at 1920×1080 in a real browser: the map of the towns coloured by an
indicator with its legend, another indicator picked, a new case arriving in the live feed without a
reload, and a drill down by clicking a town on the map. Saves docs/command-centre.png when
SHANZHI_SCREENSHOTS is set (always a copy in the test's tmp dir)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from shanzhi.lib.testing import PASSWORD, build_county, report_case
from shanzhi.org.services import orgunit_rename
from shanzhi.tests_browser.conftest import wait_until
from shanzhi.tests_browser.test_case_loop import install_migration_data

pytestmark = [pytest.mark.browser]

SCREEN = {"width": 1920, "height": 1080}
HOSTILE = '新联村<img src=x onerror="window.__pwned=1"><b id="injected">'  # within the name's 100 characters
DOCS = Path(__file__).resolve().parents[2] / "docs"


def _legend(page) -> list[str]:
    return page.locator("#map-legend li").all_inner_texts()


def test_the_county_command_centre_on_a_big_screen(transactional_db, live_server, browser_page, tmp_path):
    install_migration_data()  # an earlier transactional test may have flushed the categories
    county = build_county()
    for where in ((2, 5), (15, 5), (25, 5)):  # two cases in 天凝镇, one in 大云镇
        report_case(county, where=where)
    base, browser = live_server.url, browser_page.context.browser
    context = browser.new_context(viewport=SCREEN, locale="zh-CN")
    problems: list[str] = []
    try:
        page = context.new_page()
        page.set_default_timeout(float(os.environ.get("SHANZHI_BROWSER_TIMEOUT_MS", "15000")))
        page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: problems.append(str(exc)))

        page.goto(f"{base}/accounts/login/")
        page.fill("input[name=username]", county.admin.username)
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]")

        # the navigation leads to the county's command centre
        page.click("nav.mainnav >> text=指挥中心")
        page.wait_for_url(f"{base}/dashboard/{county.county.code}/")
        assert "嘉善县 指挥中心" in page.inner_text("h1")

        # the map: both towns drawn and coloured by 受理数 (2 against 1: two classes), with a legend
        wait_until(page, "document.getElementById('screen-map').dataset.loaded === '2'")
        towns = page.locator("#screen-map path.leaflet-interactive")
        assert towns.count() == 2
        fills = {towns.nth(i).get_attribute("fill") for i in range(2)}
        assert len(fills) == 2
        assert page.locator("#screen-map .leaflet-tile").count() == 0  # no tile server needed
        assert page.inner_text("#map-legend .legend-title") == "受理数"
        assert _legend(page) == ["1", "2", "无数据"]
        labels = page.locator("#screen-map .screen-label").all_inner_texts()
        assert sorted(t.split("\n")[0] for t in labels) == ["大云镇", "天凝镇"]

        # another indicator: the legend changes (人网比: 3 residents / 2 workers against 1 / 1)
        page.select_option("#map-indicator", "registry.residents_per_grid_worker")
        wait_until(page, "document.getElementById('map-legend').dataset.indicator === "
                         "'registry.residents_per_grid_worker'")
        assert page.inner_text("#map-legend .legend-title") == "人网比"
        assert _legend(page) == ["1", "2", "无数据"]  # 1.0 and 1.5, shown rounded
        assert "indicator=registry.residents_per_grid_worker" in page.url
        assert "indicator=registry.residents_per_grid_worker" in page.get_attribute(".periods > a >> nth=0", "href")

        shot = tmp_path / "command-centre.png"
        page.screenshot(path=str(shot))
        page.screenshot(path=str(tmp_path / "command-centre-full.png"), full_page=True)
        if os.environ.get("SHANZHI_SCREENSHOTS"):
            DOCS.mkdir(exist_ok=True)
            shutil.copyfile(shot, DOCS / "command-centre.png")

        # a case reported meanwhile appears in the live feed within 10 s, without a reload
        page.evaluate("window.__sameDocument = true")
        new = report_case(county, where=(25, 5))
        expect(page.locator(f"#feed li[data-case='{new.number}']")).to_be_visible(timeout=10_000)
        assert page.evaluate("window.__sameDocument === true")
        assert "13800000001" not in page.inner_text("#feed")

        # drill down: click 天凝镇 on the map
        town = page.locator("#screen-map path.leaflet-interactive").nth(
            [t.split("\n")[0] for t in page.locator("#screen-map .screen-label").all_inner_texts()].index("天凝镇"))
        with page.expect_navigation():
            town.click()
        assert page.url.startswith(f"{base}/dashboard/{county.town.code}/?period=month")
        assert "天凝镇 指挥中心" in page.inner_text("h1")
        wait_until(page, "document.getElementById('screen-map').dataset.loaded === '1'")
        assert page.locator("#table-children tbody tr").all_inner_texts()[0].startswith("新联村")

        # names are data: a village named like markup is shown as text on the map and in the table
        orgunit_rename(actor=None, unit=county.village, name=HOSTILE)
        page.reload()
        wait_until(page, "document.getElementById('screen-map').dataset.loaded === '1'")
        assert page.locator("#screen-map .screen-label").inner_text().split("\n")[0] == HOSTILE
        assert page.evaluate("document.querySelectorAll('#screen img, #screen b#injected').length") == 0
        assert page.evaluate("window.__pwned === undefined")
    finally:
        context.close()
    assert problems == []
