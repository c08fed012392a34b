"""The mediation centre in a real browser: the reception window registers a walk-in neighbour dispute
(adding a party row with the page's script); the mediator schedules a session, holds it, drafts the
agreement, marks it signed and concludes; the dispute shows as resolved and its case is closed.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from shanzhi.accounts.services import user_create_staff
from shanzhi.cases.models import Status
from shanzhi.lib import clock
from shanzhi.lib.testing import ID_RESIDENT, PASSWORD, build_county
from shanzhi.mediation.models import Dispute, Result
from shanzhi.mediation.services import centre_create
from shanzhi.org.models import Role
from shanzhi.org.services import post_appoint
from shanzhi.tests_browser.test_case_loop import install_migration_data

pytestmark = [pytest.mark.browser]


def install_all_migration_data() -> None:
    """The data migrations' rows a transactional flush removes: care tags, case categories, dispute types."""
    from shanzhi.mediation.catalogue import install

    install_migration_data()
    install()


@pytest.fixture(scope="module")
def mediation_data_back(django_db_blocker):
    """After this module's flush, put the data migrations' rows back for transactional tests that follow."""
    yield
    with django_db_blocker.unblock():
        install_all_migration_data()


def staff(username: str, name: str, unit, role: str):
    user = user_create_staff(actor=None, username=username, password=PASSWORD, display_name=name,
                             check_strength=False)
    post_appoint(actor=None, unit=unit, role=role, user=user, start_date=dt.date(2024, 1, 1))
    return user


def log_in(page, base: str, user, next_url: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/?next={next_url}")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.url == f"{base}{next_url}"


def act(page, action: str, fill) -> None:
    """Open one action box of the dispute page, fill it and submit; the page must come back without a refusal."""
    page.locator(f"details[data-box={action}] summary").click()
    form = page.locator(f"form.act[data-action={action}]")
    fill(form)
    with page.expect_navigation():
        form.locator("button.primary").click()
    assert page.locator("[role=alert]").count() == 0, page.inner_text("main")


def test_a_walk_in_is_registered_mediated_and_resolved(mediation_data_back, transactional_db, live_server,
                                                       browser_page, tmp_path):
    install_all_migration_data()
    county = build_county()  # before the browser starts: plain synchronous ORM work
    centre_create(actor=None, unit=county.town, name="天凝镇矛调中心", rooms=["调解室A"], teams=["镇调解团"])
    centre_create(actor=None, unit=county.village, name="新联村调解室", rooms=["村调解室"])
    clerk = staff("reception", "接待员小周", county.town, Role.MEDIATOR)
    mediator = staff("mediator", "调解员老王", county.town, Role.MEDIATOR)
    page = browser_page
    base = live_server.url

    # -- the reception window registers a walk-in: two parties typed, a third added by the page's script
    log_in(page, base, clerk, "/mediation/reception/")
    page.locator("input[name=kind][value=dispute]").check()
    page.select_option("select[name=type]", label="邻里纠纷")
    page.fill("textarea[name=summary]", "邻居在公共通道堆放杂物，出入不便")
    page.fill("input[name=unit]", county.mg_a1.code)
    page.fill("input[name=parties-0-name]", "张三")
    page.fill("input[name=parties-0-id_number]", ID_RESIDENT)
    page.fill("input[name=parties-0-phone]", "13800000001")
    page.fill("textarea[name=parties-0-claim]", "要求清理通道")
    page.fill("input[name=parties-1-name]", "王五")
    page.fill("input[name=parties-1-phone]", "13800000003")
    page.click("#add-party")
    assert page.locator("fieldset.party-row").count() == 3  # no reload: the script added the row
    assert page.input_value("input[name=parties-TOTAL_FORMS]") == "3"
    assert page.input_value("select[name=parties-2-role]") == "respondent"
    page.fill("input[name=parties-2-name]", "王五之妻")
    page.fill("input[name=parties-2-representative]", "王五")
    page.screenshot(path=str(tmp_path / "window.png"), full_page=True)
    with page.expect_navigation():
        page.click("#register")
    match = re.search(r"/mediation/d/([\w-]+)/$", page.url)
    assert match, page.inner_text("main")
    number = match.group(1)
    assert page.inner_text(".number") == number
    assert [page.locator("tr.party .party-name").nth(i).inner_text().split()[0] for i in range(3)] == [
        "张三", "王五", "王五之妻"]
    assert ID_RESIDENT not in page.content() and "330421********123X" in page.content()
    assert page.locator(".tag.status").inner_text() == "已上报"
    page.screenshot(path=str(tmp_path / "registered.png"), full_page=True)

    # -- the mediator schedules a session tomorrow morning in the village room
    log_in(page, base, mediator, f"/mediation/d/{number}/")
    tomorrow = timezone.localtime(clock.now()).date() + dt.timedelta(days=1)

    def schedule(form):
        form.locator("select[name=room]").select_option(label="村调解室")
        form.locator("label", has_text="调解员老王").locator("input[type=checkbox]").check()
        form.locator("input[name=starts_at]").fill(f"{tomorrow:%Y-%m-%d}T09:00")
        form.locator("input[name=ends_at]").fill(f"{tomorrow:%Y-%m-%d}T10:00")

    act(page, "schedule", schedule)
    row = page.locator("tr.session")
    assert row.count() == 1 and "村调解室" in row.inner_text() and "调解员老王" in row.inner_text()
    assert page.locator(".tag.status").inner_text() == "已受理"

    # -- the calendar shows it on tomorrow's column
    page.goto(f"{base}/mediation/calendar/?week={tomorrow:%Y-%m-%d}")
    assert number in page.inner_text(f".day[data-date='{tomorrow:%Y-%m-%d}']")
    page.screenshot(path=str(tmp_path / "calendar.png"), full_page=True)
    with page.expect_navigation():
        page.locator(f".slot[data-number='{number}']").click()

    # -- the session is held: attendance and minutes
    def record(form):
        for box in form.locator("input[name=attended]").all():
            box.check()
        form.locator("textarea[name=minutes]").fill("双方陈述事实，经调解同意三日内清理通道")

    act(page, "record", record)
    assert "双方陈述事实" in page.inner_text("tr.session") and "王五之妻" in page.inner_text("tr.session")

    # -- the agreement is drafted from the template, signed and the dispute concluded
    act(page, "agreement", lambda form: form.locator("textarea[name=terms]").fill("一、王五于三日内清理通道杂物。"))
    card = page.locator("article.agreement")
    assert card.count() == 1 and "未签署" in card.inner_text()
    assert page.locator("a.docx").get_attribute("href").endswith("/docx/")
    card.locator("summary", has_text="协议全文").click()
    assert "张三" in card.locator(".agreement-text").inner_text()
    with page.expect_navigation():
        card.locator("form.act[data-action=sign] button").click()
    assert "已签署" in page.inner_text("article.agreement")
    act(page, "conclude", lambda form: form.locator("select[name=result]").select_option(value=Result.AGREEMENT))

    # -- resolved: the page says so, there is nothing left to do, and the case is closed
    assert page.locator(".tag.result").inner_text() == "达成协议"
    assert page.locator(".tag.ok", has_text="一次化解").count() == 1
    assert page.locator("form.act[data-action=schedule]").count() == 0
    page.screenshot(path=str(tmp_path / "resolved.png"), full_page=True)
    dispute = Dispute.objects.select_related("case").get(case__number=number)
    assert dispute.result == Result.AGREEMENT and dispute.first_time
    assert dispute.case.status == Status.CLOSED
    assert dispute.parties.count() == 3 and dispute.agreements.get().signed_at is not None
