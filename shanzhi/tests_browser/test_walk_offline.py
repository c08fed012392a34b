"""The walk list offline, in a real browser: grid worker A opens the night-visit list online, loses the
network, reloads the page (the service worker serves it), taps outcomes for three households, sees
"3 条待同步", gets the network back and sees them sync; two tabs syncing at once make no duplicates.
"""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from shanzhi.campaigns.models import Target, Visit
from shanzhi.campaigns.tests.test_walk_list import add_households, night_visit
from shanzhi.lib.testing import PASSWORD, build_county
from shanzhi.tests_browser.conftest import wait_until
from shanzhi.tests_browser.test_case_loop import install_migration_data

pytestmark = [pytest.mark.browser]
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def migration_data_back(django_db_blocker):
    """After this module's flush, put the data migrations' rows back for transactional tests that follow."""
    yield
    with django_db_blocker.unblock():
        install_migration_data()


def test_the_walk_list_works_offline_and_syncs_without_duplicates(
        migration_data_back, transactional_db, live_server, browser_page, tmp_path):
    install_migration_data()
    county = build_county()  # before the browser starts: plain synchronous ORM work
    homes = add_households(county, 2)
    campaign = night_visit(county)
    numbers = [county.household_a.number, *(h.number for h in homes)]
    base = live_server.url
    walk = f"{base}/campaigns/{campaign.pk}/walk/"
    timeout = float(os.environ.get("SHANZHI_BROWSER_TIMEOUT_MS", "15000"))

    ctx = browser_page.context.browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    try:
        page = ctx.new_page()
        page.set_default_timeout(timeout)
        errors: list[str] = []  # script errors and anything the Content-Security-Policy refused
        ctx.on("console", lambda msg: errors.append(msg.text)
               if msg.type == "error" and "Content Security Policy" in msg.text else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))

        page.goto(f"{base}/accounts/login/")
        page.fill("input[name=username]", county.worker_a.username)
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]")

        # -- online: the list loads, the worker keeps it for offline use
        page.goto(walk)
        expect(page.locator("h1")).to_have_text(campaign.name)
        wait_until(page, "document.documentElement.dataset.offlineReady === '1'", timeout)
        expect(page.locator("#net-status")).to_have_text("已可离线使用")

        # -- offline: a reload is answered by the service worker, with its scripts and styles
        ctx.set_offline(True)
        response = page.reload()
        assert response is not None and response.from_service_worker
        rendered = page.get_attribute("input[name=idempotency_key]", "value")  # new on every rendering
        page.reload()
        assert page.get_attribute("input[name=idempotency_key]", "value") == rendered  # the kept copy, twice
        expect(page.locator("h1")).to_have_text(campaign.name)
        expect(page.locator("#net-status")).to_contain_text("当前离线")
        assert page.evaluate("typeof window.shanzhiWalkSync") == "function"  # walk.js came from the cache
        assert page.evaluate("getComputedStyle(document.querySelector('.mg-group')).borderRadius") == "8px"

        # the case categories, in the page once, fill a household's "raise a need" form when it opens
        first = page.locator(f"li.target-card[data-household='{county.household_a.number}']")
        first.locator("details.raise > summary").click()
        sel = f"li.target-card[data-household='{county.household_a.number}'] select[name=category]"
        wait_until(page, f"document.querySelector(\"{sel}\").options.length > 10", timeout)
        first.locator("details.raise > summary").click()

        # -- three one-tap outcomes queue on the phone
        page.locator(f"details.mg-group[data-unit='{county.mg_a2.code}'] > summary").click()
        for number, outcome in zip(numbers, ["visited", "not_home", "vacant"], strict=True):
            page.locator(f"li.target-card[data-household='{number}'] button[data-outcome={outcome}]").click()
        expect(page.locator("#sync-status")).to_have_text("3 条待同步")
        expect(page.locator(f"li.target-card[data-household='{numbers[1]}'] .queued-note")).to_have_text(
            "待同步：不在家")
        assert Visit.objects.count() == 0
        page.screenshot(path=str(tmp_path / "offline.png"), full_page=True)

        # a second tab of the same phone, opened offline too, shares the queue
        other = ctx.new_page()
        other.goto(walk)
        expect(other.locator("#sync-status")).to_have_text("3 条待同步")

        # -- back online: both tabs sync at once (and once more by hand), the queue empties, no duplicates
        ctx.set_offline(False)
        page.evaluate("Promise.all([window.shanzhiWalkSync(), window.shanzhiWalkSync()])")
        other.evaluate("window.shanzhiWalkSync()")
        expect(page.locator("#sync-status")).to_have_text("已全部同步")
        expect(other.locator("#sync-status")).to_have_text("已全部同步")
        # whichever tab won the sync lock updated its own cards; the other shows them after a reload
        page.reload()
        expect(page.locator(f"li.target-card[data-household='{numbers[1]}']")).to_have_attribute(
            "data-last-outcome", "not_home")
        expect(page.locator(f"li.target-card[data-household='{numbers[2]}'] .outcome-badge")).to_have_text("空置")
        page.evaluate("window.shanzhiWalkSync()")
        assert page.evaluate("localStorage.length === 0 || Object.keys(localStorage).every("
                             "k => JSON.parse(localStorage.getItem(k)).length === 0)")
        visits = sorted(Visit.objects.values_list("target__household__number", "outcome", "by"))
        assert visits == sorted(zip(numbers, ["visited", "not_home", "vacant"],
                                    [county.worker_a.pk] * 3, strict=True))
        assert Target.objects.get(campaign=campaign, household=county.household_a).last_outcome == "visited"

        # -- logging out from the walk page drops the kept list: offline, the next person sees nothing
        with page.expect_navigation():
            page.click("form[action='/accounts/logout/'] button")
        ctx.set_offline(True)
        response = page.goto(walk)
        assert response is not None and response.status == 503
        assert campaign.name not in page.content() and "张三" not in page.content()
        ctx.set_offline(False)
        assert errors == []
    finally:
        ctx.close()
