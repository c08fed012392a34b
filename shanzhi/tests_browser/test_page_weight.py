"""The page-weight budget: every page a resident or a grid worker opens on a phone transfers at most
150 kB on a cold load (HTML and every stylesheet, script, image and font it pulls in; map tiles left out)
and at most 30 kB on a warm one (cached files not fetched again), as Chromium receives them from the
live server: compressed by WhiteNoise where it may, headers included (shanzhi.lib.pageweight).

Bytes are deterministic, so this is a test: a page that grows past its budget fails it, naming the
page and its heaviest responses.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from shanzhi.lib.pageweight import Meter
from shanzhi.lib.testing import build_county, report_case
from shanzhi.tests_browser.test_case_loop import install_migration_data

pytestmark = [pytest.mark.browser]

COLD_BUDGET = 150_000  # bytes
WARM_BUDGET = 30_000
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def field_world(transactional_db):
    """The small county with a resident's report in grid A and an incident over grid A (张三 walks it)."""
    from shanzhi.campaigns import services as svc
    from shanzhi.campaigns.models import Measure
    from shanzhi.campaigns.scope import resolve
    from shanzhi.lib import clock
    from shanzhi.people.services import central_household_create

    install_migration_data()  # an earlier transactional test may have flushed the categories and tags
    county = build_county()
    case = report_case(county)
    central_household_create(actor=None, household=county.household_a, leader=county.resident)
    scope = resolve(actor=county.town_staff, units=[county.grid_a.code])
    incident = svc.incident_declare(actor=county.town_staff, type="新冠肺炎密接", occurred_at=clock.now(),
                                    place="新联村", scope=scope, measure=Measure.HOME, index_person="某某")
    return county, case, incident


def _session(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def phone_pages(county, case, incident) -> list[tuple[str, object, str]]:
    """(page, who, path): the pages of a resident's and a grid worker's phone, as the budget lists them."""
    r, w = county.resident_user, county.worker_a
    return [
        ("staff log-in", None, "/accounts/login/"),
        ("resident log-in", None, "/accounts/resident/"),
        ("resident home", r, "/"),
        ("report form", r, "/cases/report/"),
        ("my cases", r, "/cases/mine/"),
        ("case detail", r, f"/cases/mine/{case.number}/"),
        ("rating", r, f"/cases/{case.number}/rate/"),
        ("resident inbox", r, "/cases/inbox/"),
        ("village feed", r, "/cases/feed/"),
        ("tasks", r, "/campaigns/mine/"),
        ("walk list", r, f"/campaigns/{incident.pk}/walk/"),
        ("worker home", w, "/"),
        ("worker queue", w, "/cases/queue/"),
        ("worker inbox", w, "/cases/inbox/"),
        ("case page", w, f"/cases/staff/{case.number}/"),
        ("board", w, f"/campaigns/{incident.pk}/board/"),
    ]


def _phone_context(browser, base: str, user):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    if user is not None:
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": _session(user), "url": base}])
    return context


def _over(label: str, load, budget: int) -> str:
    return f"{label} {load.url}: {load.total:,} B > {budget:,} B\n{load.describe()}"


def test_every_phone_page_stays_within_its_budget_cold_and_warm(field_world, live_server, browser_page):
    county, case, incident = field_world
    base, browser = live_server.url, browser_page.context.browser
    over, seen = [], {}
    for label, user, path in phone_pages(county, case, incident):
        context = _phone_context(browser, base, user)
        try:
            meter = Meter(context.new_page(), base)
            cold = meter.open(path)
            warm = meter.open(path)
        finally:
            context.close()
        assert cold.status == 200 and warm.status == 200, f"{label} {path} answered {cold.status}"
        seen[label] = (cold.total, warm.total)
        if cold.total > COLD_BUDGET:
            over.append(_over(f"{label} (cold)", cold, COLD_BUDGET))
        if warm.total > WARM_BUDGET:
            over.append(_over(f"{label} (warm)", warm, WARM_BUDGET))
        # The budget counts what was really fetched: the page's own stylesheet came, compressed, once.
        assert any("/static/shanzhi/site." in u for u in cold.bytes_by_url), f"{label}: no site.css fetched"
        assert not any("/static/" in u for u in warm.bytes_by_url), f"{label}: warm load refetched {warm.bytes_by_url}"
        assert not any("echarts" in u for u in cold.bytes_by_url), f"{label}: ECharts reached a phone page"
    assert over == [], "\n\n".join(over)
    assert len(seen) == 16


def test_an_action_on_the_case_page_costs_no_more_than_a_warm_load(field_world, live_server, browser_page):
    county, case, _incident = field_world
    base, browser = live_server.url, browser_page.context.browser
    context = _phone_context(browser, base, county.worker_a)
    try:
        meter = Meter(context.new_page(), base)
        cold = meter.open(f"/cases/staff/{case.number}/")
        first = meter.page.locator("form.act button").first
        name = first.evaluate("b => b.form.dataset.action")
        acted = meter.act(f"form.act[data-action={name}] button")
    finally:
        context.close()
    assert cold.total <= COLD_BUDGET, _over("case page (cold)", cold, COLD_BUDGET)
    assert acted.status == 200 and acted.url.endswith(f"/cases/staff/{case.number}/")
    assert acted.total <= WARM_BUDGET, _over(f"case action {name}", acted, WARM_BUDGET)
    assert not any("/static/" in u for u in acted.bytes_by_url)


def test_static_files_go_out_compressed_and_cached_for_good(field_world, live_server, browser_page):
    """The heavy files a phone page pulls in are sent brotli-compressed, a fraction of their size."""
    page = browser_page
    seen = {}
    page.on("response", lambda r: seen.__setitem__(r.url, r) if "/static/" in r.url else None)
    page.goto(f"{live_server.url}/accounts/login/")
    page.wait_for_load_state("networkidle")
    assert seen, "the log-in page fetched no static file"
    for url, response in seen.items():
        headers = response.all_headers()
        assert headers.get("content-encoding") == "br", url
        assert "immutable" in headers.get("cache-control", ""), url


def test_desk_charts_draw_with_the_custom_echarts_build(field_world, live_server, browser_page):
    """The desk pages' charts still draw (as SVG) from the custom build holding only the parts they use."""
    county, _case, incident = field_world
    base, browser = live_server.url, browser_page.context.browser
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": _session(county.town_staff), "url": base}])
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        meter = Meter(page, base)
        curve = meter.open(f"/campaigns/{incident.pk}/")
        assert curve.status == 200
        page.wait_for_selector("#curve svg path", state="attached")
        assert any("echarts.custom." in u for u in curve.bytes_by_url)
    finally:
        context.close()
    assert errors == []
