"""The moral-appraisal panel in a real browser: a resident logs in by SMS code, finds the honour roll on the
village feed, nominates a neighbour's good deed on the phone form (a wrong field named first), the panel
adopts it in a meeting, and the resident sees the neighbour on the village's honour roll."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from shanzhi.accounts.services import user_create_staff
from shanzhi.appraisal.models import Nomination
from shanzhi.appraisal.tests.conftest import decide, moral_type
from shanzhi.councils.models import Council, Member, Position
from shanzhi.lib.testing import PASSWORD, build_county
from shanzhi.tests_browser.test_case_loop import install_migration_data, migration_data_kept, resident_login

pytestmark = [pytest.mark.browser]
__all__ = ["migration_data_kept"]


def test_a_nominated_good_deed_reaches_the_honour_roll(migration_data_kept, transactional_db, live_server,
                                                       browser_page):
    install_migration_data()
    county = build_county()
    panel = Council.objects.create(type=moral_type(), unit=county.village, name="新联村道德评判团")
    chair = user_create_staff(actor=None, username="chair", password=PASSWORD, display_name="评判团主任",
                              check_strength=False)
    Member.objects.create(council=panel, user=chair, name="评判团主任", position=Position.CHAIR,
                          started_on=dt.date(2024, 1, 1))
    page, base = browser_page, live_server.url
    page.set_viewport_size({"width": 390, "height": 844})  # a phone

    resident_login(page, base, "13800000001", "/cases/feed/")
    feed = page.locator("section.honour-feed")
    expect(feed).to_contain_text("红榜暂时还没有上榜的事迹")
    with page.expect_navigation():
        feed.get_by_role("link", name="推荐好人好事").click()
    assert page.url == f"{base}/appraisal/nominate/"

    page.get_by_label("孝老爱亲").check()
    page.fill("input[name=nominee_name]", "王大妈13912345678")
    page.fill("textarea[name=deed]", "十年如一日照顾瘫痪在床的婆婆")
    with page.expect_navigation():
        page.click("button[type=submit].primary")
    expect(page.locator("#error-summary")).to_contain_text("不要填写电话")
    assert page.input_value("textarea[name=deed]") == "十年如一日照顾瘫痪在床的婆婆"  # kept
    page.fill("input[name=nominee_name]", "王大妈")
    with page.expect_navigation():
        page.click("button[type=submit].primary")
    assert page.url == f"{base}/appraisal/mine/"
    nomination = Nomination.objects.get()
    expect(page.locator("main")).to_contain_text(nomination.topic.number)
    expect(page.locator("main")).to_contain_text("已提出")

    decide(nomination.topic, "adopted", actor=chair)  # the panel meets and adopts it

    page.goto(f"{base}/appraisal/")
    assert page.url == f"{base}/appraisal/honour/{county.village.code}/"
    card = page.locator(".honour-roll .case-card")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("王大妈")
    expect(card).to_contain_text("孝老爱亲")
    page.goto(f"{base}/appraisal/mine/")
    expect(page.locator("main")).to_contain_text("通过")
