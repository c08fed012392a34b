"""On the phone: a resident raises a topic in their village's council, a neighbour supports it, and the
support that reaches the council's number accepts it; the author sees the step in their inbox."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from shanzhi.councils import services
from shanzhi.councils.defaults import ensure_types
from shanzhi.councils.models import CouncilType, Topic
from shanzhi.lib.testing import build_county
from shanzhi.tests_browser.conftest import browser_page, live_server, project_static
from shanzhi.tests_browser.test_case_loop import install_migration_data, migration_data_kept, resident_login

pytestmark = [pytest.mark.browser]
__all__ = ["browser_page", "live_server", "migration_data_kept", "project_static"]  # fixtures of tests_browser


def test_a_topic_raised_on_the_phone_is_supported_and_accepted(migration_data_kept, transactional_db, live_server,
                                                              browser_page):
    install_migration_data()
    ensure_types()
    c = build_county()
    CouncilType.objects.filter(code="residents").update(supports_needed=1)
    council = services.council_create(actor=None, type=CouncilType.objects.get(code="residents"), unit=c.village)
    page, base = browser_page, live_server.url
    page.set_viewport_size({"width": 390, "height": 800})

    resident_login(page, base, "13800000001", "/councils/")
    with page.expect_navigation():
        page.click("nav.mainnav >> text=议事协商")
    with page.expect_navigation():
        page.click(f"text={council.name}")
    with page.expect_navigation():
        page.click("text=提出议题")
    with page.expect_navigation():  # nothing filled: the errors come back, named
        page.click("button.primary[type=submit], form button.primary")
    expect(page.locator("#error-summary")).to_contain_text("请填写标题")
    page.fill("input[name=title]", "村口路灯不亮")
    page.fill("textarea[name=text]", "三盏路灯坏了一个月，晚上出行不便。")
    page.check("input[name=anonymous]")
    with page.expect_navigation():
        page.click("form button.primary")
    topic = Topic.objects.get()
    assert page.url.endswith(f"/councils/t/{topic.number}/")
    expect(page.locator(".status").first).to_have_text("已提出")

    with page.expect_navigation():
        page.click("form[action$='/accounts/logout/'] button")
    resident_login(page, base, "13800000002", f"/councils/t/{topic.number}/")
    expect(page.locator(".author")).to_have_text("匿名")
    with page.expect_navigation():
        page.click("text=附议 >> nth=-1")
    expect(page.locator(".status").first).to_have_text("已受理")
    expect(page.locator(".supports")).to_contain_text("1")
    expect(page.locator(".timeline")).to_contain_text("自动受理")
    topic.refresh_from_db()
    assert topic.status == "accepted" and topic.support_count == 1
    assert c.resident_user.notifications.filter(link__endswith=f"/councils/t/{topic.number}/").exists()
