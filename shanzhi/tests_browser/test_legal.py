"""法律服务团 in a real browser: a resident asks on the phone, the village's adviser answers at the desk, the
resident is told and reads the answer, the village sees it without the asker's name, and the resident books
a consultation slot."""

from __future__ import annotations

import datetime as dt

import pytest

from shanzhi.accounts.services import user_create_staff
from shanzhi.legal import services as legal_services
from shanzhi.legal.catalogue import install as install_categories
from shanzhi.lib import clock
from shanzhi.lib.testing import PASSWORD, build_county
from shanzhi.tests_browser.test_case_loop import install_migration_data, resident_login

pytestmark = [pytest.mark.browser]
PHONE = {"width": 390, "height": 844}
QUESTION = "村里要收回我家的承包地，合法吗？"
ANSWER = "承包期内发包方不得收回承包地，可向乡镇人民政府反映。"


@pytest.fixture(scope="module")
def migration_data_back(django_db_blocker):
    """After this module's flush, put the data migrations' rows back for transactional tests that follow."""
    yield
    with django_db_blocker.unblock():
        install_migration_data()
        install_categories()


def staff_login(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")


def test_a_resident_asks_the_adviser_answers_and_the_village_reads_it(
        migration_data_back, transactional_db, live_server, browser_page):
    install_migration_data()
    install_categories()
    county = build_county()
    lawyer = user_create_staff(actor=None, username="lawyer_chen", password=PASSWORD, display_name="陈律师",
                               check_strength=False)
    today = clock.today()
    appointment = legal_services.appointment_create(
        actor=county.town_staff, adviser=lawyer, village=county.village, started_on=today,
        term_ends_on=today + dt.timedelta(days=365))
    legal_services.duty_add(actor=county.town_staff, appointment=appointment, on_date=today + dt.timedelta(days=1),
                            starts=dt.time(9), ends=dt.time(10), place="新联村便民服务中心")
    base = live_server.url
    page = browser_page
    page.set_viewport_size(PHONE)

    # the resident asks on the phone
    resident_login(page, base, "13800000001", "/legal/")
    assert page.url.endswith("/legal/me/") and "陈律师" in page.content()
    page.click("a.button[href='/legal/ask/']")
    page.check("input[name=category][value]:near(:text('土地承包'))")
    page.fill("textarea[name=text]", QUESTION)
    with page.expect_navigation():
        page.click("button:has-text('提交')")
    assert QUESTION in page.content() and "法律顾问尚未答复" in page.content()

    # the adviser answers at the desk
    desk = page.context.browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    staff_login(desk, base, "lawyer_chen")
    desk.goto(f"{base}/legal/")
    assert desk.url.endswith("/legal/adviser/")
    row = desk.locator("tr.question", has_text=QUESTION[:10])
    with desk.expect_navigation():
        row.locator("a.button").click()
    with desk.expect_navigation():
        desk.click("button:has-text('提交答复')")
    assert "请填写答复" in desk.content()  # an empty answer is refused, naming the field
    desk.fill("textarea[name=answer]", ANSWER)
    with desk.expect_navigation():
        desk.click("button:has-text('提交答复')")
    assert "已答复，提问人会收到通知" in desk.content() and "没有待答复的问题" in desk.content()

    # the resident is told, and reads the answer
    page.goto(f"{base}/cases/inbox/")
    assert "您的法律咨询（土地承包）已有答复" in page.content()
    page.goto(f"{base}/legal/questions/")
    with page.expect_navigation():
        page.click(".question a")
    assert ANSWER in page.content()

    # the village's Q&A shows it, without the asker's name
    page.goto(f"{base}/legal/village/")
    assert QUESTION in page.content() and ANSWER in page.content() and "张三" not in page.locator("main").inner_text()

    # and a consultation slot is booked, then listed
    page.goto(f"{base}/legal/slots/")
    first = page.locator("form.slot").first
    first.locator("input[name=topic]").fill("承包地")
    with page.expect_navigation():
        first.locator("button").click()
    assert page.url.endswith("/legal/bookings/") and "预约成功" in page.content()
    assert "新联村便民服务中心" in page.locator(".booking").first.inner_text()
