"""百事服务团's whole loop in a real browser: a resident asks for help on the phone; the village cadre assigns
the volunteer the page suggests; the volunteer accepts, checks in (with the phone's position) and checks out on
their phone; the resident confirms and rates; the volunteer finds the hours and points on "my hours and points"
from the service's home; at the village store's counter the cadre types the volunteer's code and redeems an item;
the volunteer's balance and the item's stock change, and the ledger holds one service credit and one redemption
whose sum is the balance."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db.models import Sum

from shanzhi.lib.testing import build_county
from shanzhi.tests_browser.conftest import browser_page, live_server, project_static  # noqa: F401 - fixtures
from shanzhi.tests_browser.test_case_loop import install_migration_data, resident_login
from shanzhi.tests_browser.test_mediation import log_in
from shanzhi.volunteers import ledger, store
from shanzhi.volunteers.models import (
    DEFAULT_CIVIC_ACTS,
    DEFAULT_SKILLS,
    CivicAct,
    Entry,
    EntryKind,
    PointsRule,
    RequestStatus,
    ServiceRequest,
    Skill,
    StoreItem,
)
from shanzhi.volunteers.tests.test_volunteers import build_setting, volunteer

PHONE = {"viewport": {"width": 390, "height": 844}, "locale": "zh-CN"}
HERE = {"latitude": 30.8512, "longitude": 120.9231}


def install_volunteer_data() -> None:
    """The rows the volunteers' data migrations make (skills, civic acts, the points rule)."""
    for i, (code, name, name_en) in enumerate(DEFAULT_SKILLS):
        Skill.objects.get_or_create(code=code, defaults={"name": name, "name_en": name_en, "sort": i})
    for code, name, points in DEFAULT_CIVIC_ACTS:
        CivicAct.objects.get_or_create(code=code, defaults={"name": name, "points": points})
    if not PointsRule.objects.exists():
        PointsRule.objects.create(points_per_hour=10)


@pytest.fixture(scope="module")
def migration_data_kept(django_db_blocker):
    """After this module's flush, put the data migrations' rows back for the tests that follow."""
    yield
    with django_db_blocker.unblock():
        install_migration_data()
        install_volunteer_data()


def _click(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)
    assert page.locator("[role=alert]").count() == 0, page.inner_text("main")


def _balance(page) -> int:
    return int(page.locator("[data-balance]").first.get_attribute("data-balance"))


@pytest.mark.browser
def test_a_resident_is_helped_and_the_volunteer_spends_the_points(
        migration_data_kept, transactional_db, live_server, browser_page):  # noqa: F811
    install_migration_data()
    install_volunteer_data()
    c = build_county()
    s = build_setting(c)  # the village cadre of 新联村 and its service team
    li = volunteer(s, s.li)  # 李梅 (13800000002), an approved volunteer who repairs
    item = store.item_create(actor=s.cadre, village=c.village, name="洗衣液", price=15, stock=3, is_active=True)
    rule = PointsRule.objects.first()
    page, base = browser_page, live_server.url
    browser = page.context.browser

    # -- 张三 asks for help on the phone, from the service's home
    zhang = browser.new_context(**PHONE).new_page()
    resident_login(zhang, base, "13800000001", "/volunteers/")
    _click(zhang, "text=我要求助")
    zhang.locator("select[name=skill]").select_option(label=Skill.objects.get(code="repair").name)
    zhang.fill("textarea[name=text]", "厨房水龙头漏水，请帮忙修一下")
    _click(zhang, "form button.primary")
    req = ServiceRequest.objects.get()
    assert zhang.url == f"{base}/volunteers/requests/{req.pk}/"
    assert req.status == RequestStatus.REQUESTED and "待派单" in zhang.inner_text(".status >> nth=0")

    # -- the village cadre finds it waiting on the desk and assigns the volunteer the page suggests
    log_in(page, base, s.cadre, "/volunteers/")
    assert page.inner_text(".desk-counts .waiting") == "1"
    _click(page, ".desk-counts a[href$='status=requested']")
    _click(page, f"text={req.number}")
    _click(page, ".request-actions a.button")
    first = page.locator("ol.suggestions li").first
    assert first.get_attribute("data-volunteer") == str(li.pk) and "李梅" in first.inner_text()
    _click(page, "form button.primary")
    req.refresh_from_db()
    assert req.status == RequestStatus.ASSIGNED and req.volunteer_id == li.pk
    assert "李梅" in page.inner_text(".volunteer")

    # -- 李梅 accepts on the phone, checks in where the phone is, and checks out with a note
    li_phone = browser.new_context(**PHONE, geolocation=HERE, permissions=["geolocation"]).new_page()
    resident_login(li_phone, base, "13800000002", "/volunteers/")
    _click(li_phone, f".my-tasks >> text={req.number}")
    _click(li_phone, "button:has-text('接单')")
    assert "已接单" in li_phone.inner_text(".status >> nth=0")
    li_phone.locator("form.geo-form[data-located]").wait_for()  # the position came from the phone
    _click(li_phone, "form.geo-form button.primary")
    req.refresh_from_db()
    assert req.status == RequestStatus.SERVING and "服务中" in li_phone.inner_text(".status >> nth=0")
    assert (round(req.checkin_lat, 4), round(req.checkin_lon, 4)) == (HERE["latitude"], HERE["longitude"])
    li_phone.locator("form.geo-form[data-located]").wait_for()
    li_phone.fill("form.geo-form textarea[name=note]", "换了水龙头阀芯，试水不漏")
    _click(li_phone, "form.geo-form button.primary")
    req.refresh_from_db()
    assert req.status == RequestStatus.SERVED and "待确认" in li_phone.inner_text(".status >> nth=0")
    # the service took two hours (the clock of the live server cannot be frozen: move the check-in back)
    ServiceRequest.objects.filter(pk=req.pk).update(checkin_at=req.checkout_at - dt.timedelta(hours=2))
    points = ledger.points_for(Decimal("2.00"), rule=rule)

    # -- 张三 confirms and rates
    zhang.reload()
    zhang.locator("input[name=rating][value='5']").check()
    zhang.fill("textarea[name=comment]", "修得很好，谢谢李梅")
    _click(zhang, "button:has-text('确认完成')")
    req.refresh_from_db()
    assert req.status == RequestStatus.CONFIRMED and req.rating == 5 and req.hours == Decimal("2.00")
    assert "已完成" in zhang.inner_text(".status >> nth=0") and "2.00" in zhang.inner_text(".hours")
    zhang.context.close()

    # -- 李梅 sees the hours and points, from the service's home
    li_phone.goto(f"{base}/volunteers/")
    _click(li_phone, ".bank-links >> text=我的时长积分")
    assert li_phone.url == f"{base}/volunteers/me/points/"
    assert _balance(li_phone) == points == 20
    assert "2.00" in li_phone.inner_text(".card >> nth=0")
    row = li_phone.inner_text("tr[data-entry]")
    assert req.number in row and "2.00" in row and f"+{points}" in row
    code = li_phone.inner_text(".qr code").strip()
    account = ledger.account_of_person(s.li)
    assert code == account.code and re.fullmatch(r"[A-Za-z0-9-]+", code)

    # -- at the village store's counter the cadre types the code and redeems the item
    page.goto(f"{base}/volunteers/")
    _click(page, ".desk-bank-links >> text=兑换柜台")
    page.fill("input[name=code]", code)
    _click(page, "form.search button")
    assert "李梅" in page.inner_text("[data-account]") and _balance(page) == points
    page.check(f"#item-{item.pk}")
    _click(page, "button:has-text('确认兑换')")
    assert "已兑换“洗衣液”" in page.inner_text("main") and _balance(page) == points - 15
    item.refresh_from_db()
    assert item.stock == 2 and page.inner_text(f"tr[data-item='{item.pk}'] td >> nth=-1") == "2"

    # -- 李梅's balance changed; the ledger holds one credit and one redemption, and the balance is their sum
    li_phone.reload()
    assert _balance(li_phone) == points - 15
    assert li_phone.locator("tr[data-entry]").count() == 2
    assert "洗衣液" in li_phone.inner_text("table") and "-15" in li_phone.inner_text("table")
    service = Entry.objects.get(kind=EntryKind.SERVICE)
    redeem = Entry.objects.get(kind=EntryKind.REDEEM)
    assert (service.account_id, service.request_id, service.hours, service.points) == (
        account.pk, req.pk, Decimal("2.00"), points)
    assert (redeem.account_id, redeem.item_id, redeem.points) == (account.pk, item.pk, -15)
    assert Entry.objects.count() == 2
    assert ledger.balance(account) == Entry.objects.filter(account=account).aggregate(t=Sum("points"))["t"] == 5
    assert StoreItem.objects.get(pk=item.pk).stock == 2
    li_phone.context.close()
