"""Emergency mobilisation in a real browser: a central household leader, on a phone-sized screen, logs in
by SMS code, opens the walk list of an incident, acknowledges, confirms each household notified and in
place; town staff watch the live board (another browser context) and see the numbers go up.
"""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from shanzhi.campaigns import services as svc
from shanzhi.campaigns.models import Measure, Target, Visit
from shanzhi.campaigns.scope import resolve
from shanzhi.lib import clock
from shanzhi.lib.testing import PASSWORD, build_county, point_in
from shanzhi.people.services import central_household_create, central_household_link, household_create
from shanzhi.tests_browser.test_case_loop import install_migration_data, resident_login

pytestmark = [pytest.mark.browser]
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def migration_data_back(django_db_blocker):
    """After this module's flush, put the data migrations' rows back for transactional tests that follow."""
    yield
    with django_db_blocker.unblock():
        install_migration_data()


def declare_incident(county):
    """张三's household is a central household looking after a neighbour; an incident over grid A."""
    ch = central_household_create(actor=None, household=county.household_a, leader=county.resident)
    lat, lon = point_in(3, 5)
    extra = household_create(actor=None, number="H-A1-002", micro_grid=county.mg_a1, address="新联村一组2号",
                             registration="registered", lat=lat, lon=lon)
    central_household_link(actor=None, central=ch, households=[extra])
    scope = resolve(actor=county.town_staff, units=[county.grid_a.code])
    return svc.incident_declare(actor=county.town_staff, type="新冠肺炎密接", occurred_at=clock.now(),
                                place="新联村", scope=scope, measure=Measure.HOME, index_person="某某")


def stat(page, name: str) -> int:
    return int(page.inner_text(f"#board-numbers [data-stat={name}]"))


def confirm(card, outcome: str) -> None:
    """Tap one outcome on a household's card and wait for the card to come back with the new state."""
    card.locator(f"button[data-outcome={outcome}]").click()
    card.page.wait_for_selector(f"#{card.get_attribute('id')}[data-status={outcome}]")


def test_a_central_household_confirms_its_households_and_the_board_moves(
        migration_data_back, transactional_db, live_server, browser_page, tmp_path):
    install_migration_data()
    county = build_county()  # before the browser starts: plain synchronous ORM work
    incident = declare_incident(county)
    base = live_server.url
    timeout = float(os.environ.get("SHANZHI_BROWSER_TIMEOUT_MS", "15000"))

    # -- town staff open the live board on a desktop
    board = browser_page
    board.goto(f"{base}/accounts/login/")
    board.fill("input[name=username]", county.town_staff.username)
    board.fill("input[name=password]", PASSWORD)
    with board.expect_navigation():
        board.click("button[type=submit]")
    board.goto(f"{base}/campaigns/{incident.pk}/board/")
    assert incident.name in board.inner_text("h1")
    assert (stat(board, "total"), stat(board, "notified"), stat(board, "in_place")) == (2, 0, 0)
    board.wait_for_selector("#board-curve svg polyline[data-series=notified]", state="attached")

    # -- the leader, on a phone, logs in by SMS code straight into the walk list
    lat, lon = point_in(2.1, 5)
    phone_ctx = board.context.browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN",
                                                  permissions=["geolocation"],
                                                  geolocation={"latitude": lat, "longitude": lon})
    try:
        phone = phone_ctx.new_page()
        phone.set_default_timeout(timeout)
        walk = f"/campaigns/{incident.pk}/walk/"
        resident_login(phone, base, "13800000001", walk)
        assert phone.url == f"{base}{walk}"
        cards = phone.locator("li.target-card")
        order = list(Target.objects.filter(campaign=incident).order_by("route_order", "id")
                     .values_list("household__number", flat=True))
        assert [cards.nth(i).get_attribute("data-household") for i in range(cards.count())] == order
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scrolling
        phone.screenshot(path=str(tmp_path / "walk.png"), full_page=True)

        # acknowledges
        with phone.expect_navigation():
            phone.click("button[data-action=acknowledge]")
        assert "已确认接收" in phone.inner_text("main")
        assert not Target.objects.filter(campaign=incident, acknowledged_at__isnull=True).exists()
        expect(phone.locator("input.geo-lat").first).not_to_have_value("")

        # the first household: notified, then in place (one tap each; the card updates in place)
        first = phone.locator("li.target-card").nth(0)
        confirm(first, "notified")
        confirm(first, "in_place")
        assert "已记录：已落实管控" in first.inner_text()

        # the board refreshes itself (htmx, every 10 s) and shows it
        expect(board.locator("#board-numbers [data-stat=in_place]")).to_have_text("1", timeout=max(timeout, 25000))
        assert stat(board, "notified") == 1 and stat(board, "acknowledged") == 2

        # the second household, then the board after a reload
        second = phone.locator("li.target-card").nth(1)
        confirm(second, "notified")
        confirm(second, "in_place")
        expect(phone.locator("#reached-count")).to_have_text("2")
        phone.screenshot(path=str(tmp_path / "confirmed.png"), full_page=True)
    finally:
        phone_ctx.close()

    board.reload()
    assert (stat(board, "notified"), stat(board, "in_place")) == (2, 2)
    assert "尚未全部落实" not in board.inner_text("#board-numbers")
    board.screenshot(path=str(tmp_path / "board.png"), full_page=True)

    visits = list(Visit.objects.filter(target__campaign=incident).order_by("id"))
    assert [v.outcome for v in visits] == ["notified", "in_place", "notified", "in_place"]
    assert all(v.by_id == county.resident_user.pk for v in visits)
    for v in visits:  # the phone's position went with every tap, also from cards swapped in by htmx
        assert v.lat == pytest.approx(lat, abs=1e-5) and v.lon == pytest.approx(lon, abs=1e-5)
