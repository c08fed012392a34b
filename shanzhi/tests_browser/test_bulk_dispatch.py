"""Bulk dispatch from the case list in a real browser: the picker is not in the page but fetched when the
dispatch form is opened (htmx), and without JavaScript the same form leads to a full dispatch page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from shanzhi.cases.models import Case, Status
from shanzhi.lib.testing import PASSWORD, build_county, report_case
from shanzhi.tests_browser.test_case_loop import install_migration_data, migration_data_kept  # noqa: F401

pytestmark = [pytest.mark.browser]


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")


def test_the_dispatch_picker_loads_when_opened_and_without_js_on_its_own_page(
        migration_data_kept, transactional_db, live_server, browser_page):  # noqa: F811
    install_migration_data()
    county = build_county()
    first, second = report_case(county, description="一号"), report_case(county, description="二号", where=(7, 5))
    page, base = browser_page, live_server.url
    log_in(page, base, county.town_staff.username)
    fetched = []
    page.on("request", lambda r: fetched.append(r.url) if "/cases/all/targets/" in r.url else None)
    page.goto(f"{base}/cases/all/")
    assert page.locator("select[name=target]").count() == 0 and fetched == []  # not in the page
    page.check(f"input[name=ids][aria-label='{first.number}']")
    page.locator("details.bulk-bar summary").click()
    picker = page.locator("details.bulk-bar select[name=target]")
    expect(picker).to_be_visible()
    assert len(fetched) == 1
    picker.select_option(f"user:{county.worker_a.pk}")
    with page.expect_navigation():
        page.locator("details.bulk-bar button[name=go]").click()
    expect(page.locator("ul.bulk-done")).to_contain_text(first.number)
    first.refresh_from_db()
    assert first.status == Status.DISPATCHED and first.assignee == county.worker_a

    # the same list without JavaScript: the form's button opens the full dispatch page
    context = page.context.browser.new_context(java_script_enabled=False, locale="zh-CN")
    try:
        plain = context.new_page()
        log_in(plain, base, county.town_staff.username)
        plain.goto(f"{base}/cases/all/")
        plain.check(f"input[name=ids][aria-label='{second.number}']")
        plain.locator("details.bulk-bar summary").click()
        with plain.expect_navigation():
            plain.locator("details.bulk-bar button[name=pick]").click()
        assert plain.url == f"{base}/cases/all/targets/"
        expect(plain.locator("ul.bulk-chosen")).to_contain_text(second.number)
        plain.locator("select[name=target]").select_option(f"unit:{county.grid_a.code}")
        with plain.expect_navigation():
            plain.locator("button[name=go]").click()
        expect(plain.locator("ul.bulk-done")).to_contain_text(second.number)
    finally:
        context.close()
    assert Case.objects.get(pk=second.pk).status == Status.DISPATCHED
