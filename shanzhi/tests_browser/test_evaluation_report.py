"""The monthly report prints on A4 without navigation, one section a page; the evaluation's trend lines are
drawn by the server (visible without any script)."""

from __future__ import annotations

import re

import pytest

from shanzhi.dashboard.evaluation_models import Mapping
from shanzhi.dashboard.tests.evaluation_fixtures import make_scheme
from shanzhi.lib.testing import PASSWORD, build_county

pytestmark = [pytest.mark.browser]


def _migration_data() -> None:
    from shanzhi.dashboard import evaluation_defaults
    from shanzhi.tests_browser.test_case_loop import install_migration_data

    install_migration_data()
    evaluation_defaults.install()


@pytest.fixture
def county(transactional_db):
    """The small county, with the data migrations' rows put back first (an earlier transactional test may
    have flushed them) and again afterwards for the tests that follow."""
    _migration_data()
    yield build_county()


def staff_login(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")


@pytest.fixture(scope="module", autouse=True)
def migration_data_back(django_db_blocker):
    yield
    with django_db_blocker.unblock():
        _migration_data()


def test_the_monthly_report_prints_on_a4_without_navigation(county, live_server, browser_page):
    make_scheme([("cases.on_time_rate", 60, Mapping.SHARE, None, None),
                 ("cases.satisfaction_rate", 40, Mapping.SHARE, None, None)])
    page = browser_page
    staff_login(page, live_server.url, county.admin.username)
    page.goto(f"{live_server.url}/dashboard/report/{county.village.code}/?month=2026-11")
    assert page.locator("h1", has_text="新联村 2026-11 月度报告").is_visible()
    assert page.locator("header.topbar").is_visible()
    page.emulate_media(media="print")
    assert page.locator("header.topbar").is_hidden()
    assert page.locator("form.search").is_hidden()
    breaks = page.evaluate("[...document.querySelectorAll('.report-section')]"
                           ".map(s => getComputedStyle(s).breakBefore)")
    assert breaks == ["auto", "page", "page", "page"]
    pdf = page.pdf(prefer_css_page_size=True)
    sizes = set(re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf))
    assert {(round(float(w)), round(float(h))) for w, h in sizes} == {(595, 842)}  # A4 in points
    assert len(re.findall(rb"/Type /Page\b", pdf)) >= 4


def test_the_trend_lines_show_without_script(county, live_server, browser_page):
    make_scheme([("cases.on_time_rate", 100, Mapping.SHARE, None, None)])
    page = browser_page
    staff_login(page, live_server.url, county.admin.username)
    page.goto(f"{live_server.url}/dashboard/evaluation/{county.village.code}/?month=2026-11")
    assert page.locator("#table-ranking tbody tr:not(.group)").count() == 2
    assert page.locator("#table-ranking tr.group th").inner_text() == "天凝镇 · 新联村"
    box = page.locator("svg.sparkline").first.bounding_box()
    assert box is not None and box["width"] == 120 and box["height"] == 28
