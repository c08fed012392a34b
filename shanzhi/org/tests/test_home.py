"""Home pages by person, not by post; one navigation for residents; links to the command centre."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from shanzhi.campaigns.models import Kind, Rule
from shanzhi.campaigns.scope import resolve
from shanzhi.campaigns.services import campaign_create
from shanzhi.lib.testing import PASSWORD
from shanzhi.org.models import Role
from shanzhi.org.services import post_appoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def central(county):
    """张三's household (A1) is a central household linked to a neighbour household in A1."""
    from shanzhi.lib.testing import point_in
    from shanzhi.people.services import central_household_create, central_household_link, household_create

    ch = central_household_create(actor=None, household=county.household_a, leader=county.resident)
    lat, lon = point_in(3, 5)
    extra = household_create(actor=None, number="H-A1-002", micro_grid=county.mg_a1, address="一组2号",
                             registration="registered", lat=lat, lon=lon)
    central_household_link(actor=None, central=ch, households=[extra])
    return ch


def nav_links(html: str) -> list[tuple[str, str]]:
    """(href, label) of the main navigation."""
    block = re.search(r'<nav class="mainnav">(.*?)</nav>', html, re.S)
    assert block, "no main navigation on the page"
    return re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', block.group(1))


def make_microgrid_head(county):
    return post_appoint(actor=None, unit=county.mg_a1, role=Role.MICROGRID_HEAD, resident=county.resident,
                        start_date=dt.date(2024, 1, 1))


# --- anonymous -----------------------------------------------------------------------------------

def test_an_anonymous_visitor_gets_the_landing_page_with_the_resident_log_in_first(client, county):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    resident, staff = html.find('id="resident-login"'), html.find('id="staff-login"')
    assert 0 < resident < staff
    assert 'action="/accounts/resident/"' in html and 'action="/accounts/login/"' in html
    assert 'name="phone"' in html and 'name="password"' in html


def test_the_landing_page_logs_a_resident_in_by_phone(client, county):
    from shanzhi.accounts.sms import MemoryBackend

    page = client.get("/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    response = client.post("/accounts/resident/", {"step": "phone", "phone": "13800000001",
                                                   "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert [to for to, _text in MemoryBackend.outbox] == ["13800000001"]


# --- residents -----------------------------------------------------------------------------------

def test_a_resident_sees_report_and_help_first(client, county):
    client.force_login(county.resident_user)
    html = client.get("/").content.decode()
    report, help_, household = html.find('id="start-report"'), html.find('id="start-help"'), html.find("我的家庭</h2>")
    assert 0 < report < help_ < household
    assert "/cases/report/?kind=help" in html
    assert 'id="post-work"' not in html  # no post, no post work


def test_the_help_button_opens_the_form_as_a_help_request(client, county):
    client.force_login(county.resident_user)
    html = client.get("/cases/report/?kind=help").content.decode()
    assert re.search(r'<input[^>]*name="kind"[^>]*value="help"[^>]*checked', html)
    plain = client.get("/cases/report/").content.decode()
    assert re.search(r'<input[^>]*name="kind"[^>]*value="problem"[^>]*checked', plain)


def test_a_resident_who_heads_a_micro_grid_sees_report_first_and_their_posts_work_below(client, county):
    make_microgrid_head(county)
    client.force_login(county.resident_user)
    response = client.get("/")
    assert response.status_code == 200  # not sent to a staff page
    html = response.content.decode()
    report, work = html.find('id="start-report"'), html.find('id="post-work"')
    assert 0 < report < work
    assert f"/people/units/{county.mg_a1.code}/households/" in html[work:]
    assert f"/people/units/{county.mg_b1.code}/households/" not in html


def test_a_central_household_leader_sees_their_walk_list_below_report(client, county, central):
    scope = resolve(actor=county.town_staff, units=[county.village.code])
    campaign = campaign_create(actor=county.town_staff, kind=Kind.NIGHT_VISIT, name="十一月网格夜访",
                               scope=scope, rule=Rule.CENTRAL_HOUSEHOLD)
    client.force_login(county.resident_user)
    html = client.get("/").content.decode()
    report, work = html.find('id="start-report"'), html.find('id="post-work"')
    assert 0 < report < work
    assert f'href="/campaigns/{campaign.pk}/walk/">十一月网格夜访</a>' in html[work:]


def test_a_plain_residents_neighbour_sees_no_one_elses_tasks(client, county, central):
    scope = resolve(actor=county.town_staff, units=[county.village.code])
    campaign_create(actor=county.town_staff, kind=Kind.NIGHT_VISIT, name="十一月网格夜访", scope=scope,
                    rule=Rule.CENTRAL_HOUSEHOLD)
    from shanzhi.accounts.models import User, UserKind

    neighbour = User.objects.create(username="neighbour", kind=UserKind.RESIDENT, resident=county.neighbour)
    client.force_login(neighbour)
    html = client.get("/").content.decode()
    assert 'id="start-report"' in html and 'id="post-work"' not in html


def test_a_micro_grid_head_opens_only_their_own_households_from_home(client, county):
    make_microgrid_head(county)
    client.force_login(county.resident_user)
    assert client.get(f"/people/units/{county.mg_a1.code}/households/").status_code == 200
    assert client.get(f"/people/units/{county.mg_b1.code}/households/").status_code == 404


def test_residents_have_one_navigation_naming_each_page_once(client, county):
    client.force_login(county.resident_user)
    for url in ["/", "/cases/mine/", "/cases/feed/", "/cases/report/"]:
        html = client.get(url).content.decode()
        assert 'class="res-tabs"' not in html
        links = nav_links(html)
        hrefs = [h for h, _label in links]
        assert len(hrefs) == len(set(hrefs))
        assert ("/cases/feed/", "村里动态") in links
    feed = client.get("/cases/feed/").content.decode()
    assert "<h1>村里动态" in feed


def test_the_navigation_marks_the_page_it_belongs_to(client, county, report_case_for_resident):
    client.force_login(county.resident_user)
    html = client.get(f"/cases/mine/{report_case_for_resident.number}/").content.decode()
    assert '<a href="/cases/mine/" aria-current="page">我的诉求</a>' in html
    assert html.count('aria-current="page"') == 1


def test_a_resident_with_a_post_keeps_the_resident_navigation(client, county):
    make_microgrid_head(county)
    client.force_login(county.resident_user)
    labels = [label for _h, label in nav_links(client.get("/cases/mine/").content.decode())]
    assert labels[:3] == ["首页", "我要反映", "我的诉求"]
    assert "网格与人口" not in labels


# --- staff ---------------------------------------------------------------------------------------

def test_a_grid_worker_lands_on_the_queue_after_logging_in(client, county):
    response = client.post("/accounts/login/", {"username": county.worker_a.username, "password": PASSWORD},
                           follow=True)
    assert response.redirect_chain[-1][0] == "/cases/queue/"


def test_the_town_staff_still_land_on_their_town(client, county):
    client.force_login(county.town_staff)
    assert client.get("/")["Location"] == f"/units/{county.town.code}/"


def test_staff_reach_the_command_centre_from_the_navigation(client, county):
    client.force_login(county.town_staff)
    links = nav_links(client.get("/cases/all/").content.decode())
    assert ("/dashboard/", "指挥中心") in links
    assert client.get("/dashboard/")["Location"] == f"/dashboard/{county.town.code}/"
    assert client.get("/indicators/")["Location"] == "/dashboard/"  # the old link still leads there


def test_the_command_centre_link_leads_a_grid_worker_to_their_grid_only(client, county):
    client.force_login(county.worker_a)
    assert client.get("/dashboard/")["Location"] == f"/dashboard/{county.grid_a.code}/"
    assert client.get(f"/dashboard/{county.grid_b.code}/").status_code == 404
    assert client.get(f"/cases/indicators/{county.grid_b.code}/").status_code == 404


def test_residents_have_no_command_centre(client, county):
    client.force_login(county.resident_user)
    assert client.get("/indicators/").status_code == 404
    assert client.get("/dashboard/").status_code == 404
    assert "/dashboard/" not in [h for h, _l in nav_links(client.get("/").content.decode())]


def test_unit_pages_link_to_their_command_centre(client, county):
    client.force_login(county.town_staff)
    html = client.get(f"/units/{county.village.code}/").content.decode()
    assert f'href="/dashboard/{county.village.code}/"' in html


def test_a_unit_page_offers_no_indicators_to_who_cannot_see_them(client, county):
    make_microgrid_head(county)  # org.view on A1, but no cases.view
    client.force_login(county.resident_user)
    response = client.get(f"/units/{county.mg_a1.code}/")
    assert response.status_code == 200
    assert "/cases/indicators/" not in response.content.decode()


@pytest.fixture
def report_case_for_resident(county):
    from shanzhi.lib.testing import report_case

    return report_case(county)
