"""Field fit in a real browser: the landing page, a resident who heads a micro-grid (log-in by phone code,
report and help first, their post's work below, a report made), one navigation, a grid worker landing on
the queue, the case page's call button (audited reveal, tel:) and map link, Leaflet's controls in Chinese.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from shanzhi.audit.models import AuditEntry
from shanzhi.cases.models import Case
from shanzhi.lib.testing import PASSWORD, build_county
from shanzhi.org.models import Role
from shanzhi.org.services import post_appoint
from shanzhi.tests_browser.test_case_loop import install_migration_data, migration_data_kept  # noqa: F401

pytestmark = [pytest.mark.browser]

CODE = re.compile(r"验证码是(\d{6})")


def test_a_micro_grid_head_reports_and_a_grid_worker_calls_back(migration_data_kept, transactional_db,  # noqa: F811
                                                                 live_server, browser_page):
    from shanzhi.accounts.sms import MemoryBackend

    install_migration_data()
    county = build_county()
    post_appoint(actor=None, unit=county.mg_a1, role=Role.MICROGRID_HEAD, resident=county.resident,
                 start_date=dt.date(2024, 1, 1))
    page, base = browser_page, live_server.url

    # -- an anonymous visitor gets the landing page: the resident log-in first, the staff one beside it
    page.goto(f"{base}/")
    resident_box = page.locator("#resident-login")
    staff_box = page.locator("#staff-login")
    expect(resident_box).to_be_visible()
    expect(staff_box).to_be_visible()
    r, s = resident_box.bounding_box(), staff_box.bounding_box()
    assert r["x"] < s["x"] and abs(r["y"] - s["y"]) < 5  # side by side on a wide screen, residents first
    assert page.evaluate("document.activeElement.name") == "phone"

    # -- the micro-grid head logs in by phone code from the landing page
    page.fill("#resident-login input[name=phone]", "13800000001")
    with page.expect_navigation():
        page.click("#resident-login button[type=submit]")
    code = CODE.search([t for to, t in MemoryBackend.outbox if to == "13800000001"][-1]).group(1)
    page.fill("input[name=code]", code)
    with page.expect_navigation():
        page.click("button.primary[type=submit]")
    assert page.url == f"{base}/"

    # -- 我要反映 and 求助 come first, the post's work below
    first = page.locator("main a.button").first
    assert first.inner_text() == "我要反映"
    assert page.locator("main a.button").nth(1).inner_text() == "求助"
    top_report = page.locator("#start-report").bounding_box()["y"]
    assert page.locator("#post-work").bounding_box()["y"] > top_report
    expect(page.locator("#post-work")).to_contain_text("一组")
    # -- one navigation, and it names the feed as the feed page does
    assert page.locator("nav.mainnav").count() == 1 and page.locator(".res-tabs").count() == 0
    nav = page.locator("nav.mainnav a").all_inner_texts()
    assert nav[:4] == ["首页", "我要反映", "我的诉求", "村里动态"]
    assert len(nav) == len(set(nav))

    # -- reports a problem by map pin
    with page.expect_navigation():
        page.click("#start-report")
    assert page.locator("nav.mainnav").count() == 1 and page.locator(".res-tabs").count() == 0
    expect(page.locator('nav.mainnav a[aria-current="page"]')).to_have_text("我要反映")
    page.locator(".chip", has_text="垃圾堆放").click()
    page.fill("textarea[name=description]", "村口桥边垃圾堆了三天")
    page.wait_for_selector("#pin-map path.leaflet-interactive")
    assert page.get_attribute("#pin-map a.leaflet-control-zoom-in", "title") == "放大"
    assert page.get_attribute("#pin-map a.leaflet-control-zoom-out", "title") == "缩小"
    page.locator("#pin-map").scroll_into_view_if_needed()
    village = page.locator('#pin-map path[stroke-dasharray="6 4"]').first
    box = village.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.15, box["y"] + box["height"] * 0.5)
    expect(page.locator("input[name=lat]")).not_to_have_value("")
    with page.expect_navigation():
        page.click("#report-form button[type=submit].primary")
    assert "/cases/mine/" in page.url
    number = re.search(r"\d{6}-\d{8}-\d{5}", page.inner_text("h1")).group(0)
    case = Case.objects.get(number=number)
    assert case.assignee_id == county.worker_a.pk

    # -- grid worker A logs in from the landing page and lands on the queue
    page.context.clear_cookies()
    page.goto(f"{base}/")
    page.fill("#staff-login input[name=username]", county.worker_a.username)
    page.fill("#staff-login input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("#staff-login button[type=submit]")
    assert page.url == f"{base}/cases/queue/"
    with page.expect_navigation():
        page.locator(f".case-card[data-number='{number}'] a").click()

    # -- the case page: Leaflet in Chinese, a map-app link, the call button
    page.wait_for_selector("#case-map[data-loaded]")
    assert page.get_attribute("#case-map a.leaflet-control-zoom-in", "title") == "放大"
    assert page.get_attribute("#case-map a.leaflet-control-zoom-in", "aria-label") == "放大"
    geo = page.get_attribute("#open-map", "href")
    assert geo.startswith(f"geo:{case.lat:.6f},{case.lon:.6f}?q=")
    assert page.locator("a[href^='tel:']").count() == 0
    assert "13800000001" not in page.content()
    page.click("#call-reporter")
    expect(page.locator("#dial")).to_have_attribute("href", "tel:13800000001")
    assert AuditEntry.objects.filter(action="people.reveal.phone", object_id=str(case.pk),
                                     actor=county.worker_a).count() == 1

    # -- the unit page links to its command centre; its map's attribution prefix is in Chinese too
    page.goto(f"{base}/units/{county.grid_a.code}/")
    page.wait_for_selector("#map .leaflet-control-zoom-in")
    assert page.get_attribute("#map a.leaflet-control-zoom-out", "title") == "缩小"
    assert "交互式地图开源库" in page.evaluate("L.Control.Attribution.prototype.options.prefix")
    with page.expect_navigation():
        page.click("#unit-indicators")
    assert page.url == f"{base}/dashboard/{county.grid_a.code}/"
    expect(page.locator('nav.mainnav a[aria-current="page"]')).to_have_text("指挥中心")


def test_worker_b_cannot_call_grid_a_reporters(migration_data_kept, transactional_db, live_server,  # noqa: F811
                                               browser_page):
    install_migration_data()
    county = build_county()
    from shanzhi.lib.testing import report_case

    case = report_case(county)
    page, base = browser_page, live_server.url
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", county.worker_b.username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.url == f"{base}/cases/queue/"
    response = page.goto(f"{base}/cases/staff/{case.number}/")
    assert response.status == 404
    status = page.evaluate(
        """async (url) => { const csrf = document.cookie.match(/csrftoken=([^;]+)/);
             const r = await fetch(url, {method: 'POST', headers: {'X-CSRFToken': csrf ? csrf[1] : ''}});
             return [r.status, await r.text()]; }""", f"/cases/staff/{case.number}/call/")
    assert status[0] == 404 and "13800000001" not in status[1]
    assert not AuditEntry.objects.filter(action="people.reveal.phone").exists()
    assert AuditEntry.objects.filter(action="people.reveal.refused", actor=county.worker_b).count() == 1
