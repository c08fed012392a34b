"""Election day in a real browser: the town opens the vote; two clerks on two stations check voters in on their
phones (a scanned card, a voter found by name, a second ballot refused naming where and when); the turnout
board counts them; the vote is closed, each station's tally entered, the result computed and published, and
certified; the winners hold their posts, and the new chair, logging in by phone, gets a village cadre's
navigation."""

from __future__ import annotations

import pytest

from shanzhi.elections.models import Participation, Result, Stage
from shanzhi.elections.tests.day_fixtures import build_day
from shanzhi.lib import clock
from shanzhi.lib.testing import build_county
from shanzhi.org.models import Post, Role
from shanzhi.tests_browser.conftest import browser_page, live_server, project_static  # noqa: F401 - fixtures
from shanzhi.tests_browser.test_case_loop import install_migration_data, migration_data_kept, resident_login  # noqa: F401
from shanzhi.tests_browser.test_mediation import log_in


def _phone(page):
    return page.context.browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()


def _scan(page, token: str) -> str:
    page.fill("input[name=card_token]", token)
    with page.expect_navigation():
        page.click("button[data-act=scan]")
    return page.locator("[data-outcome]").get_attribute("data-outcome")


def _click(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)
    assert page.locator(".error-summary").count() == 0, page.inner_text("main")


@pytest.mark.browser
def test_election_day_from_check_in_to_the_winners_posts(migration_data_kept, transactional_db,  # noqa: F811
                                                         live_server, browser_page):  # noqa: F811
    install_migration_data()
    c = build_county()
    d = build_day(c)
    today = clock.today()
    e = d.election
    e.election_day = today  # the live server runs on today's clock
    e.save(update_fields=["election_day"])
    page, base = browser_page, live_server.url

    # -- the town opens the vote
    log_in(page, base, c.town_staff, f"/elections/{e.pk}/day/")
    _click(page, "button[data-act=open]")
    assert page.locator("[data-stage]").get_attribute("data-stage") == Stage.VOTING

    # -- two clerks, two stations, on their phones
    one, two = _phone(page), _phone(page)
    log_in(one, base, d.clerk1, f"/elections/station/{d.s1.pk}/checkin/")
    log_in(two, base, d.clerk2, f"/elections/station/{d.s2.pk}/checkin/")
    for i in (0, 1, 3, 4, 5, 6):
        assert _scan(one, d.voters[i].card_token) == "ok"
        assert d.voters[i].name in one.inner_text("[data-outcome]")
    two.fill("input[name=q]", "王五")  # a voter without the card: found by name
    with two.expect_navigation():
        two.click("form.search button")
    with two.expect_navigation():
        two.click(f"button[data-checkin='{d.voters[2].number}']")
    assert two.locator("[data-outcome]").get_attribute("data-outcome") == "ok"
    assert _scan(two, d.voters[7].card_token) == "ok"
    assert _scan(two, d.voters[0].card_token) == "refused"  # already voted at station one
    assert "在第一投票站领取选票" in two.inner_text("[data-outcome]")
    assert Participation.objects.filter(election=e).count() == 8

    # -- the turnout board
    page.goto(f"{base}/elections/{e.pk}/day/")
    assert page.inner_text("[data-turnout=total]") == "8 / 10"
    assert page.inner_text("[data-station-voted='第一投票站']") == "6"

    # -- close, tally each station, compute
    _click(page, "button[data-act=close]")
    cand = {c_.name: c_.pk for cs in d.cands.values() for c_ in cs}
    for station, numbers, votes in (
            (d.s1, ("6", "6", "6", "0"), {"张三": 4, "钱一": 2, "郑五": 4, "周三": 2, "吴四": 4, "陈七": 2}),
            (d.s2, ("2", "2", "1", "1"), {"张三": 1, "郑五": 1, "吴四": 1})):
        page.goto(f"{base}/elections/{e.pk}/tally/{station.pk}/")
        for name, value in zip(("issued", "returned", "valid", "invalid"), numbers, strict=True):
            page.fill(f"input[name={name}]", value)
        for name, n in votes.items():
            page.fill(f"input[name=cand_{cand[name]}]", str(n))
        _click(page, "button[data-act=tally]")
    _click(page, "button[data-act=compute]")
    for name in ("张三", "郑五", "吴四"):
        assert page.locator(f"[data-elected='{name}']").count() == 1
    assert page.locator("[data-stage]").get_attribute("data-stage") == Stage.COUNTED

    # -- certify: the winners take their posts today
    page.fill("input[name=on]", today.isoformat())
    _click(page, "button[data-act=certify]")
    assert page.locator("[data-stage]").get_attribute("data-stage") == Stage.CERTIFIED
    posts = Post.objects.filter(unit=c.village, role__in=[Role.COMMITTEE_CHAIR, Role.COMMITTEE_VICE,
                                                          Role.COMMITTEE_MEMBER])
    assert sorted((p.role, p.holder_name, p.start_date, p.resident.name) for p in posts) == [
        (Role.COMMITTEE_CHAIR, "张三", today, "张三"), (Role.COMMITTEE_MEMBER, "吴四", today, "吴四"),
        (Role.COMMITTEE_VICE, "郑五", today, "郑五")]
    assert Result.objects.filter(election=e, elected=True, post__isnull=False).count() == 3

    # -- the new chair logs in by phone: the result, and a village cadre's navigation
    chair = _phone(page)
    resident_login(chair, base, "13800000001", f"/elections/{e.pk}/result/")
    assert chair.locator("[data-elected='张三']").count() == 1
    assert "周三、吴四、李梅" in chair.inner_text("main")  # the scrutineers' names
    nav = chair.locator("nav.mainnav")
    assert nav.locator("a", has_text="我的待办").count() == 1 and nav.locator("a", has_text="走访与动员").count() == 1
