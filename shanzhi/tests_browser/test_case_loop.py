"""The whole loop in a real browser: a resident logs in by SMS code and reports a problem by map pin;
grid worker A (the right one) logs in, finds it in their queue, accepts, starts, reports back with a
photo; town staff verify and close it (never the handler); the resident rates it.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from shanzhi.cases.models import Case, Status
from shanzhi.cases.tests.conftest import photo
from shanzhi.lib.testing import PASSWORD, build_county
from shanzhi.tests_browser.conftest import wait_until

pytestmark = [pytest.mark.browser]

CODE = re.compile(r"验证码是(\d{6})")


def install_migration_data() -> None:
    """Create the rows data migrations make (case categories, care tags, incident types) when they are
    missing: a transactional test before this one flushed them away."""
    from shanzhi.campaigns.catalogue import install as install_incident_types
    from shanzhi.cases.catalogue import install
    from shanzhi.councils.defaults import ensure_types
    from shanzhi.mediation.catalogue import install as install_dispute_types
    from shanzhi.people.models import DEFAULT_CARE_TAGS, CareTag

    install()
    install_dispute_types()
    install_incident_types()
    ensure_types()
    for code, name, name_en in DEFAULT_CARE_TAGS:
        CareTag.objects.get_or_create(code=code, defaults={"name": name, "name_en": name_en})


@pytest.fixture(scope="module")
def migration_data_kept(django_db_blocker):
    """After this module's flush, put the data migrations' rows back for transactional tests that follow."""
    yield
    with django_db_blocker.unblock():
        install_migration_data()


def resident_login(page, base: str, phone: str, next_url: str) -> None:
    """Log in by phone number and the code read from the in-memory SMS outbox (same process)."""
    from shanzhi.accounts.sms import MemoryBackend

    page.goto(f"{base}/accounts/resident/?next={next_url}")
    page.fill("input[name=phone]", phone)
    with page.expect_navigation():
        page.click("button.primary[type=submit]")
    sent = [text for to, text in MemoryBackend.outbox if to == phone]
    assert sent, "no SMS code was sent"
    code = CODE.search(sent[-1]).group(1)
    page.fill("input[name=code]", code)
    with page.expect_navigation():
        page.click("button.primary[type=submit]")


def step(page, action: str, status_label: str) -> None:
    """Tap one of the case page's buttons and check the status the page shows afterwards."""
    form = page.locator(f"form.act[data-action={action}]")
    with page.expect_navigation():
        form.locator("button").click()
    assert page.locator(".tag.status").inner_text() == status_label
    assert "role=\"alert\"" not in page.content()


def test_a_resident_report_goes_round_the_whole_loop(migration_data_kept, transactional_db, live_server,
                                                     browser_page, tmp_path):
    install_migration_data()
    county = build_county()  # before the browser starts: plain synchronous ORM work
    page = browser_page
    base = live_server.url
    context = page.context

    # -- the resident logs in with a code and reports a problem by map pin
    resident_login(page, base, "13800000001", "/cases/report/")
    assert page.url == f"{base}/cases/report/"
    page.locator(".chip", has_text="垃圾堆放").click()
    page.fill("textarea[name=description]", "村口桥边垃圾堆了三天")
    page.wait_for_selector("#pin-map path.leaflet-interactive")
    page.locator("#pin-map").scroll_into_view_if_needed()
    village = page.locator('#pin-map path[stroke-dasharray="6 4"]').first
    box = village.bounding_box()  # the village outline spans grids A and B; A is its western half
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * 0.15, box["y"] + box["height"] * 0.5)
    expect(page.locator("input[name=lat]")).not_to_have_value("")
    with page.expect_navigation():
        page.click("#report-form button[type=submit].primary")
    assert "/cases/mine/" in page.url
    number = re.search(r"\d{6}-\d{8}-\d{5}", page.inner_text("h1")).group(0)
    assert page.locator(".status").first.inner_text() == "已上报"
    case = Case.objects.get(number=number)
    assert case.assignee_id == county.worker_a.pk and case.unit == county.mg_a1
    resident_cookies = context.cookies()
    page.screenshot(path=str(tmp_path / "reported.png"), full_page=True)

    # -- grid worker A logs in through the form and finds it in the queue
    context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", county.worker_a.username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.goto(f"{base}/cases/queue/")
    card = page.locator(f".case-card[data-number='{number}']")
    assert card.count() == 1
    assert "垃圾堆放" in card.inner_text() and "村口桥边垃圾" in card.inner_text()
    with page.expect_navigation():
        card.locator("a").click()
    assert page.url == f"{base}/cases/staff/{number}/"
    assert county.resident.name in page.inner_text(".reporter")
    page.wait_for_selector("#case-map[data-loaded]")
    assert page.locator("#case-map .leaflet-tile").count() == 0  # no tile server needed
    buttons = {el.get_attribute("data-action") for el in page.locator("form.act").all()}
    assert buttons == {"accept", "escalate"}

    # -- accept, start, report back with a photo, verify, close
    step(page, "accept", "已受理")
    step(page, "start", "处置中")
    picture = tmp_path / "after.png"
    picture.write_bytes(photo("PNG"))
    page.locator("details.act-box summary", has_text="处置反馈").click()
    back = page.locator("form.act[data-action=report_back]")
    back.locator("textarea[name=note]").fill("已清运完毕，桥边恢复整洁")
    back.locator("input[name=photos]").set_input_files(str(picture))
    with page.expect_navigation():  # sent while the photo uploads: the form waits for it, then goes
        back.locator("button.primary").click()
    assert page.locator(".tag.status").inner_text() == "已处置"
    assert "已清运完毕" in page.inner_text(".timeline")
    wait_until(page, "[...document.querySelectorAll('.photos img')].every(i => i.complete && i.naturalWidth > 0)")
    assert page.locator(".photos img").count() == 1
    assert page.locator("form.act").count() == 0  # separation of duties: someone else verifies

    # -- town staff verify and close
    context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", county.town_staff.username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.goto(f"{base}/cases/staff/{number}/")
    step(page, "verify", "已核查")
    step(page, "close", "已结案")
    assert {el.get_attribute("data-action") for el in page.locator("form.act").all()} == {"reopen"}
    page.wait_for_selector("#case-map[data-loaded]")
    page.screenshot(path=str(tmp_path / "closed.png"), full_page=True)

    # -- the resident is asked to rate, and rates it
    context.clear_cookies()
    context.add_cookies(resident_cookies)
    page.goto(f"{base}/cases/inbox/")
    assert number in page.inner_text(".inbox")
    page.goto(f"{base}/cases/mine/{number}/")
    assert page.locator(".status").first.inner_text() == "已结案"
    assert "已清运完毕" in page.inner_text(".timeline")
    with page.expect_navigation():
        page.click("a.button.primary[href$='/rate/']")
    page.click("label[for=rating-5]")
    page.locator(".toggle-item").filter(has=page.locator("input[name=satisfied][value='1']")).click()
    page.fill("textarea[name=comment]", "处理很快，谢谢")
    with page.expect_navigation():
        page.click("button[type=submit].primary")
    assert page.url == f"{base}/cases/mine/{number}/"
    assert page.locator(".status").first.inner_text() == "已评价"
    assert "★★★★★" in page.inner_text(".rating-shown")
    case.refresh_from_db()
    assert case.status == Status.RATED and case.rating == 5 and case.satisfied is True
