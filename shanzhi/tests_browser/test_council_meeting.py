"""The council's whole loop in a real browser: a resident raises a topic on the phone and a neighbour's support
puts it on the list; the secretary schedules and opens a meeting with it on the agenda, a resident member
checks in on the phone with the code from the screen and votes, the motion passes, the council decides, the
cadre opens a case from the decision; once the case is closed the resident sees the decision carried out on
the feed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shanzhi.accounts.services import user_create_staff
from shanzhi.cases import services as case_services
from shanzhi.councils.models import Council, CouncilType, Decision, Member, Position, Topic, TopicStatus
from shanzhi.councils.tests.test_meetings_fixtures import resident_user
from shanzhi.lib import clock
from shanzhi.lib.testing import PASSWORD, build_county
from shanzhi.org.models import Role
from shanzhi.org.services import post_appoint
from shanzhi.tests_browser.conftest import browser_page, live_server, project_static  # noqa: F401 - fixtures
from shanzhi.tests_browser.test_case_loop import install_migration_data, migration_data_kept, resident_login  # noqa: F401
from shanzhi.tests_browser.test_mediation import log_in


def _staff(username: str, name: str, unit=None, role: str | None = None):
    user = user_create_staff(actor=None, username=username, password=PASSWORD, display_name=name,
                             check_strength=False)
    if unit is not None:
        post_appoint(actor=None, unit=unit, role=role, user=user, start_date=dt.date(2024, 1, 1))
    return user


def _submit(page, form) -> None:
    with page.expect_navigation():
        form.locator("button.primary").click()
    assert page.locator("[role=alert]").count() == 0, page.inner_text("main")


def _act(page, name: str, fill) -> None:
    page.locator(f"details[data-box={name}] summary").click()
    form = page.locator(f"form.act[data-action={name}]")
    fill(form)
    _submit(page, form)


@pytest.mark.browser
def test_a_meeting_checks_in_votes_decides_and_the_resident_sees_it_done(
        migration_data_kept, transactional_db, live_server, browser_page, tmp_path):  # noqa: F811
    install_migration_data()
    c = build_county()
    cadre = _staff("cadre_xl", "新联村干部", c.village, Role.VILLAGE_CADRE)
    secretary = _staff("secretary", "周秘书")
    ctype = CouncilType.objects.create(code="browser_residents", name="百姓议事会", levels=["village"],
                                       quorum_percent=50, supports_needed=1)
    council = Council.objects.create(type=ctype, unit=c.village, name="新联村百姓议事会")
    start = dt.date(2024, 1, 1)
    Member.objects.create(council=council, user=secretary, name="周秘书", position=Position.SECRETARY,
                          started_on=start)
    Member.objects.create(council=council, resident=c.resident, name="张三", started_on=start)
    li = Member.objects.create(council=council, resident=c.neighbour, name="李梅", started_on=start)
    Member.objects.create(council=council, resident=c.resident_b, name="王五", started_on=start)
    resident_user(c.neighbour)
    now = timezone.localtime(clock.now())
    page, base = browser_page, live_server.url

    # -- 王五 raises the topic on the phone (and keeps it: they come back for the result at the end); 李梅's
    # support reaches the council's number and it is accepted
    wang = page.context.browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()
    resident_login(wang, base, "13800000003", f"/councils/c/{council.pk}/raise/")
    wang.fill("input[name=title]", "村口路灯不亮")
    wang.fill("textarea[name=text]", "请修路灯")
    with wang.expect_navigation():
        wang.click("form button.primary")
    topic = Topic.objects.get(council=council)
    assert wang.url.endswith(f"/councils/t/{topic.number}/") and topic.status == TopicStatus.RAISED
    resident_login(page, base, "13800000002", f"/councils/t/{topic.number}/")
    with page.expect_navigation():
        page.click("text=附议 >> nth=-1")
    assert "已受理" in page.inner_text(".status >> nth=0")
    topic.refresh_from_db()
    assert topic.status == TopicStatus.ACCEPTED and topic.support_count == 1
    label = f"{topic.number} 村口路灯不亮"


    # -- the secretary schedules the meeting with the topic on its agenda, opens it, shows the code
    log_in(page, base, secretary, f"/councils/meetings/new/?council={council.pk}")
    starts = (now + dt.timedelta(hours=1)).replace(second=0, microsecond=0)
    page.fill("input[name=title]", "十一月议事会")
    page.fill("input[name=starts_at]", f"{starts:%Y-%m-%dT%H:%M}")
    page.fill("input[name=ends_at]", f"{starts + dt.timedelta(hours=2):%Y-%m-%dT%H:%M}")
    page.fill("input[name=place]", "村委会二楼")
    page.locator("label", has_text="村口路灯不亮").locator("input[type=checkbox]").check()
    with page.expect_navigation():
        page.click("form.meeting-new button.primary")
    meeting_url = page.url.removeprefix(base)
    assert "/councils/meetings/" in meeting_url and "村口路灯不亮" in page.inner_text(".agenda")
    with page.expect_navigation():
        page.click("text=开始会议")
    page.click("text=签到屏幕")
    code = page.inner_text(".checkin-code b").strip()
    assert len(code) == 6
    page.screenshot(path=str(tmp_path / "screen.png"), full_page=True)

    # -- 张三 checks in on the phone (a browser of their own) by typing the code
    phone = page.context.browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()
    resident_login(phone, base, "13800000001", "/councils/meetings/mine/")
    with phone.expect_navigation():
        phone.click("text=十一月议事会")
    member_url = phone.url.removeprefix(base)
    phone.fill("input[name=code]", code)
    with phone.expect_navigation():
        phone.click("#checkin button.primary")
    assert "您已签到" in phone.inner_text("#checkin")

    # -- the secretary marks 李梅 and themself present, puts the topic to the vote
    log_in(page, base, secretary, meeting_url)
    for name in ("李梅", "周秘书"):
        _act(page, "attend", lambda form, name=name: form.locator("select[name=member]").select_option(label=name))
    assert page.locator(".quorum-met").count() == 1

    def motion(form):
        form.locator("textarea[name=text]").fill("同意由村里修复村口路灯")
        form.locator("select[name=topic]").select_option(label=label)
    _act(page, "motion", motion)
    # the secretary votes yes as a member, on the member page
    page.goto(f"{base}{member_url}")
    page.locator("input[name=choice][value=yes]").check()
    with page.expect_navigation():
        page.click("#vote button.primary")
    assert "您已投票" in page.inner_text("#vote")

    # -- 张三 votes yes on the phone
    phone.goto(f"{base}{member_url}")
    phone.locator("input[name=choice][value=yes]").check()
    with phone.expect_navigation():
        phone.click("#vote button.primary")
    assert "您已投票" in phone.inner_text("#vote")
    phone.screenshot(path=str(tmp_path / "phone.png"), full_page=True)
    phone.context.close()

    # -- the secretary closes the vote (2 of 3 present: passed), decides, closes the meeting
    log_in(page, base, secretary, meeting_url)
    with page.expect_navigation():
        page.click("text=结束表决")
    assert page.locator(".motion .result").get_attribute("data-result") == "passed"

    def decide(form):
        form.locator("select[name=topic]").select_option(label=label)
        form.locator("select[name=outcome]").select_option("adopted")
        form.locator("textarea[name=text]").fill("由村里修复村口路灯两盏")
        form.locator("select[name=motion]").select_option(index=1)
    _act(page, "decide", decide)
    _act(page, "close", lambda form: form.locator("textarea[name=minutes]").fill("到会3人，通过修复路灯"))
    assert page.locator(".tag.status").get_attribute("data-status") == "closed"
    decision = Decision.objects.get(topic=topic)
    assert li.attendance.exists()

    # -- the cadre opens a case from the decision; the case is closed; the topic is done
    log_in(page, base, cadre, f"/councils/decisions/{decision.pk}/")

    def case(form):
        form.locator("select[name=category]").select_option(label="垃圾堆放")
        form.locator("textarea[name=description]").fill("修复村口路灯两盏")
    _act(page, "case", case)
    link = decision.case_links.get()
    assert link.case.number in page.inner_text(".cases")
    case_services.case_conclude(actor=cadre, case=link.case, outcome="路灯已修复")
    topic.refresh_from_db()
    assert topic.status == TopicStatus.DONE

    # -- the resident who raised it sees it on the village feed, the decision's page and the topic
    wang.goto(f"{base}/cases/feed/")
    assert "由村里修复村口路灯两盏" in wang.inner_text(".council-feed")
    wang.click(".council-feed .decision a")
    wang.wait_for_url(f"**/councils/decisions/{decision.pk}/")
    assert "已落实" in wang.inner_text(".facts")
    wang.screenshot(path=str(tmp_path / "done.png"), full_page=True)
    wang.goto(f"{base}/councils/t/{topic.number}/")  # the author's own topic: done, with the whole timeline
    assert "已办结" in wang.inner_text(".status >> nth=0")
    wang.context.close()
