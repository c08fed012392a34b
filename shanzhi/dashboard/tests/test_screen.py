"""The command centre through the Django test client: scope both ways, numbers equal to the registry's,
bad period input, the live feed without personal data, and a query count that does not grow."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from lxml import html as lxml_html

from shanzhi.cases import services as case_services
from shanzhi.dashboard import registry
from shanzhi.dashboard.views import legend
from shanzhi.lib import clock
from shanzhi.lib.periods import month_period, period_for
from shanzhi.lib.testing import report_case
from shanzhi.org.models import Level, OrgUnit
from shanzhi.org.services import orgunit_create

pytestmark = pytest.mark.django_db

T0 = timezone.make_aware(dt.datetime(2026, 11, 25, 10, 0))  # a Wednesday
MISSING = "330421999999"


def _get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def _page(code: str) -> str:
    return f"/dashboard/{code}/"


def _doc(resp):
    return lxml_html.fromstring(resp.content.decode())


def _cards(resp) -> dict[str, str]:
    doc = _doc(resp)
    return {li.get("data-key"): li.xpath(".//span[@class='card-value']")[0].text_content().strip()
            for li in doc.xpath("//li[@data-key]")}


def _table(resp, key: str) -> list[list[str]]:
    doc = _doc(resp)
    return [[td.text_content().strip() for td in tr.xpath("./td")]
            for tr in doc.xpath(f"//*[@id='table-{key}']//tbody/tr")]


@pytest.fixture
def cases(county):
    """Three cases in 天凝镇 (two in grid A, one in grid B) and one in 大云镇, on 25 November."""
    with clock.frozen(T0):
        made = [report_case(county), report_case(county), report_case(county, where=(15, 5)),
                report_case(county, where=(25, 5))]
        case_services.case_accept(actor=county.worker_a, case=made[0])
    return made


# ---- scope ----------------------------------------------------------------------------------------------

def test_the_county_admin_sees_both_towns(client, county, cases):
    resp = _get(client, county.admin, _page(county.county.code))
    assert resp.status_code == 200
    names = [row[0] for row in _table(resp, "children")]
    assert names == ["大云镇", "天凝镇"]
    feed = json.loads(_get(client, county.admin, f"{_page(county.county.code)}map.json",
                           indicator="cases.reported").content)
    assert {f["properties"]["name"] for f in feed["features"] if f["properties"]["kind"] == "child"} == {
        "天凝镇", "大云镇"}


def test_town_staff_see_their_town_only(client, county, cases):
    assert _get(client, county.town_staff, _page(county.town.code)).status_code == 200
    for code in (county.town2.code, county.county.code, county.grid_c.code, MISSING):
        assert _get(client, county.town_staff, _page(code)).status_code == 404
        assert _get(client, county.town_staff, f"{_page(code)}map.json", indicator="cases.reported"
                    ).status_code == 404
        assert _get(client, county.town_staff, f"{_page(code)}feed/").status_code == 404
    names = [row[0] for row in _table(_get(client, county.town_staff, _page(county.town.code)), "children")]
    assert names == ["新联村"]


def test_grid_worker_b_gets_not_found_for_grid_a(client, county):
    assert _get(client, county.worker_b, _page(county.grid_b.code)).status_code == 200
    for suffix in ("", "map.json", "feed/"):
        assert _get(client, county.worker_b, _page(county.grid_a.code) + suffix).status_code == 404
        assert _get(client, county.worker_b, _page(MISSING) + suffix).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, county):
    for url in ("/dashboard/", _page(county.town.code), f"{_page(county.town.code)}map.json",
                f"{_page(county.town.code)}feed/"):
        resp = client.get(url)
        assert resp.status_code == 302 and resp["Location"].startswith("/accounts/login/"), url


def test_a_resident_gets_what_a_missing_code_gets(client, county):
    for url in ("/dashboard/", _page(county.grid_a.code), f"{_page(county.grid_a.code)}feed/"):
        assert _get(client, county.resident_user, url).status_code == 404
    assert _get(client, county.resident_user, _page(MISSING)).status_code == 404


def test_home_redirects_to_the_top_unit_of_the_scope(client, county):
    assert _get(client, county.admin, "/dashboard/")["Location"] == _page(county.county.code)
    assert _get(client, county.worker_a, "/dashboard/")["Location"] == _page(county.grid_a.code)


# ---- numbers ------------------------------------------------------------------------------------------

def test_the_numbers_shown_are_the_registrys(client, county, cases):
    with clock.frozen(T0 + dt.timedelta(hours=2)):
        resp = _get(client, county.admin, _page(county.county.code), period="month")
        period = period_for("month", clock.today())
    assert resp.status_code == 200
    inds = registry.visible(county.admin, county.county)
    county_unit = OrgUnit.objects.get(pk=county.county.pk)
    towns = list(OrgUnit.objects.filter(parent=county_unit).order_by("code"))
    expected = registry.values([county_unit], period)[county_unit.id]
    cards = _cards(resp)
    assert set(cards) == {i.key for i in inds}
    for ind in inds:
        shown = registry.format_value(ind, expected[ind.key])
        assert cards[ind.key].startswith(shown), ind.key
    assert cards["cases.reported"].startswith("4")
    per_town = registry.values(towns, period)
    rows = _table(resp, "children")
    for town, row in zip(towns, rows, strict=True):
        assert row[1:] == [registry.format_value(i, per_town[town.id][i.key]) for i in _ordered(inds)]
    assert rows[1][0] == "天凝镇" and rows[1][1] == "3"


def _ordered(inds):
    from shanzhi.dashboard.views import ordered

    return ordered(inds)


def test_the_map_gives_each_child_its_value_and_a_legend(client, county, cases):
    with clock.frozen(T0 + dt.timedelta(hours=2)):
        resp = _get(client, county.admin, f"{_page(county.county.code)}map.json", indicator="cases.reported")
    data = json.loads(resp.content)
    children = {f["properties"]["name"]: f["properties"] for f in data["features"]
                if f["properties"]["kind"] == "child"}
    assert children["天凝镇"]["value"] == 3 and children["大云镇"]["value"] == 1
    assert children["天凝镇"]["url"].startswith(f"/dashboard/{county.town.code}/?period=month")
    assert [c["text"] for c in data["legend"]] == ["1", "3"]
    assert children["天凝镇"]["color"] != children["大云镇"]["color"]


def test_the_legend_colours_follow_the_direction():
    better_high = registry.get("cases.closure_rate")
    better_low = registry.get("cases.rework_rate")
    high = legend(better_high, [0.1, 0.5, 0.9])
    low = legend(better_low, [0.1, 0.5, 0.9])
    assert high[0]["color"] == low[-1]["color"] == "#d73027"  # the worst class is red either way
    assert high[-1]["color"] == low[0]["color"] == "#1a9850"
    assert legend(better_high, [None, None]) == []


def test_every_number_links_to_the_list_behind_it(client, county, cases):
    with clock.frozen(T0 + dt.timedelta(hours=2)):
        resp = _get(client, county.admin, _page(county.county.code), period="month")
        doc = _doc(resp)
        link = doc.xpath("//*[@id='table-children']//tbody/tr")[1].xpath("./td")[1].xpath(".//a")[0].get("href")
        assert link.startswith("/cases/all/?unit=330421112&since=2026-11-01&until=2026-11-30")
        listed = client.get(link).content.decode()
    assert all(c.number in listed for c in cases[:3]) and cases[3].number not in listed
    town_link = doc.xpath("//*[@id='table-children']//tbody/tr")[1].xpath("./td//a")[0].get("href")
    assert town_link == f"/dashboard/{county.town.code}/?period=month"


def test_the_change_against_the_previous_period_is_shown(client, county, cases):
    with clock.frozen(T0 - dt.timedelta(days=35)):  # 21 October, within the days of October compared: one case
        report_case(county)
    with clock.frozen(T0 + dt.timedelta(hours=2)):
        resp = _get(client, county.admin, _page(county.county.code), period="month")
    card = _doc(resp).xpath("//li[@data-key='cases.reported']")[0]
    changes = [b.text_content() for b in card.xpath(".//span[@class='card-change']/b")]
    assert changes == ["▲ +3", "▲ +4"]  # 4 against 1 in October and against none last November
    assert card.xpath(".//span[@class='card-change']/b")[0].get("class") == "same"  # 受理数 is neither better nor worse


# ---- bad input -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("params, field", [
    ({"period": "custom", "from": "2026-13-01", "to": "x"}, "from"),
    ({"period": "custom", "from": "2026-11-01"}, "to"),
    ({"period": "custom", "from": "2026-11-30", "to": "2026-11-01"}, "to"),
    ({"period": "fortnight"}, "period"),
    ({"period": "custom", "from": "0001-01-01", "to": "9999-12-31"}, "from"),
])
def test_bad_period_input_is_a_chinese_message_not_a_server_error(client, county, params, field):
    with clock.frozen(T0):
        resp = _get(client, county.admin, _page(county.town.code), **params)
        assert resp.status_code == 400
        errors = _doc(resp).xpath("//ul[contains(@class, 'period-errors')]/li")
        assert errors and any(li.get("data-field") == field for li in errors), resp.content.decode()[:500]
        assert "本月" in errors[0].text_content()
        assert "2026-11-01 ~ 2026-11-30" in resp.content.decode()  # this month is shown beside the message
        js = _get(client, county.admin, f"{_page(county.town.code)}map.json", indicator="cases.reported", **params)
    assert js.status_code == 400 and field in json.loads(js.content)["errors"]


def test_an_unknown_indicator_on_the_map_is_a_400_naming_it(client, county):
    resp = _get(client, county.admin, f"{_page(county.town.code)}map.json", indicator="cases.nope")
    assert resp.status_code == 400
    assert "indicator" in json.loads(resp.content)["errors"]
    assert _get(client, county.admin, f"{_page(county.town.code)}map.json").status_code == 400


# ---- the live parts ------------------------------------------------------------------------------------

def test_the_feed_shows_a_new_case_without_personal_data(client, county, cases):
    with clock.frozen(T0 + dt.timedelta(minutes=5)):
        new = report_case(county, description="张三家门口垃圾，电话13812345678，身份证33042119900101123X")
    resp = _get(client, county.town_staff, f"{_page(county.town.code)}feed/")
    body = resp.content.decode()
    assert resp.status_code == 200
    assert body.index(new.number) < body.index(cases[0].number)  # newest first
    assert "垃圾" in body  # the category
    for personal in ("13812345678", "138****5678", "33042119900101123X", "张三", "13800000001", "门口"):
        assert personal not in body
    other = report_case(county, where=(25, 5))  # 大云镇: not in 天凝镇's feed
    assert other.number not in _get(client, county.town_staff, f"{_page(county.town.code)}feed/").content.decode()


def test_overdue_and_supervised_cases_by_child_link_to_the_filtered_list(client, county, cases):
    late = cases[2]  # grid B
    with clock.frozen(T0 + dt.timedelta(hours=3)):
        case_services.case_supervise(actor=county.town_staff, case=cases[0], level="normal", note="尽快")
    after_deadline = late.deadline_at + dt.timedelta(hours=1)
    with clock.frozen(after_deadline):
        resp = _get(client, county.admin, _page(county.county.code))
        rows = _table(resp, "pressing")
        assert rows == [["大云镇", "1", "0"], ["天凝镇", "3", "1"], ["合计", "4", "1"]]
        doc = _doc(resp)
        links = [a.get("href") for a in doc.xpath("//*[@id='table-pressing']//tbody/tr")[1].xpath(".//a")]
        assert links[0] == f"/cases/all/?unit={county.town.code}&overdue=1"
        listed = client.get(links[0]).content.decode()
        assert all(c.number in listed for c in cases[:3]) and cases[3].number not in listed
        supervised = client.get(links[1]).content.decode()
        assert cases[0].number in supervised and cases[1].number not in supervised


def test_campaigns_mediation_and_staff_ratio_sections(client, county, settings):
    from shanzhi.campaigns import services as campaign_services
    from shanzhi.campaigns.models import Kind, Rule
    from shanzhi.campaigns.scope import resolve
    from shanzhi.mediation import services as mediation_services

    settings.SHANZHI = {**settings.SHANZHI, "STAFF_RATIO_TARGET": 1}
    campaign_services.campaign_create(actor=county.admin, kind=Kind.NIGHT_VISIT, name="十一月网格夜访",
                                      scope=resolve(actor=county.admin, units=[county.village.code]),
                                      rule=Rule.GRID_WORKER, capacity=100)
    mediation_services.centre_create(actor=None, unit=county.village, name="新联村调解室", rooms=["调解室"])
    resp = _get(client, county.town_staff, _page(county.town.code))
    assert _table(resp, "campaigns")[0][:5] == ["十一月网格夜访", "网格夜访", "2", "0", "0.0%"]
    assert _table(resp, "mediation") == [["新联村调解室", "0", "0"]]
    # 新联村: 3 residents, 2 grid workers: 2 per worker, over a target of 1
    assert _table(resp, "staff_ratio") == [["新联村", "3", "2", "2", "超出目标"]]


# ---- cost ----------------------------------------------------------------------------------------------

def _queries(client, user, url) -> int:
    client.force_login(user)
    client.get(url)  # warm the session and caches
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_the_page_costs_the_same_queries_with_more_cases_and_more_children(client, county, cases):
    with clock.frozen(T0 + dt.timedelta(hours=2)):
        before = _queries(client, county.admin, _page(county.county.code))
        map_before = _queries(client, county.admin, f"{_page(county.county.code)}map.json?indicator=cases.reported")
        town3 = orgunit_create(actor=None, code="330421103", name="惠民街道", level=Level.TOWN, parent=county.county,
                               kind="subdistrict", boundary=None)
        orgunit_create(actor=None, code="330421103201", name="新村", level=Level.VILLAGE, parent=town3,
                       kind="village", boundary=None)
        for _ in range(6):
            report_case(county)
            report_case(county, where=(25, 5))
        after = _queries(client, county.admin, _page(county.county.code))
        map_after = _queries(client, county.admin, f"{_page(county.county.code)}map.json?indicator=cases.reported")
        rows = _table(client.get(_page(county.county.code)), "children")
    assert len(rows) == 3
    assert before == after <= 100  # 86 on SQLite with the sources of today (each app source adds 2-3)
    assert map_before == map_after <= 12


def test_periods_of_every_kind_answer(client, county, cases):
    client.force_login(county.admin)
    with clock.frozen(T0):
        for kind in ("today", "week", "month", "quarter", "year"):
            assert client.get(_page(county.town.code), {"period": kind}).status_code == 200
        resp = client.get(_page(county.town.code), {"period": "custom", "from": "2026-11-01", "to": "2026-11-30"})
    assert resp.status_code == 200
    assert month_period(2026, 11).label() in resp.content.decode()


def test_the_supervised_link_lists_only_cases_still_open(client, county, cases):
    with clock.frozen(T0 + dt.timedelta(hours=3)):
        for c in cases[:2]:
            case_services.case_supervise(actor=county.town_staff, case=c, level="normal", note="尽快")
        case_services.case_void(actor=county.town_staff, case=cases[1], note="误报")
    client.force_login(county.admin)
    with clock.frozen(T0 + dt.timedelta(hours=4)):  # before any deadline
        rows = _table(client.get(_page(county.county.code)), "pressing")
    assert rows[1] == ["天凝镇", "0", "1"]  # the voided case is no longer open
    open_only = client.get("/cases/all/", {"unit": county.town.code, "supervision": "any", "open": "1"})
    everything = client.get("/cases/all/", {"unit": county.town.code, "supervision": "any"})
    assert cases[0].number in open_only.content.decode() and cases[1].number not in open_only.content.decode()
    assert cases[1].number in everything.content.decode()


def test_only_the_indicators_and_sections_the_user_may_see_are_shown(client, county, cases):
    """A mediator of the village may see the command centre and cases, not campaigns or the registry."""
    from shanzhi.accounts.services import user_create_staff
    from shanzhi.org.models import Role
    from shanzhi.org.services import post_appoint

    mediator = user_create_staff(actor=None, username="mediator", password="x-Shanzhi-2026", display_name="调解员",
                                 check_strength=False)
    post_appoint(actor=None, unit=county.village, role=Role.MEDIATOR, user=mediator, start_date=dt.date(2024, 1, 1))
    resp = _get(client, mediator, _page(county.village.code))
    assert resp.status_code == 200
    shown = set(_cards(resp))
    assert shown == {i.key for i in registry.visible(mediator, county.village)}
    assert "cases.reported" in shown
    assert not {k for k in shown if k.startswith(("campaigns.", "registry.cadres"))}
    doc = _doc(resp)
    assert doc.xpath("//*[@id='table-campaigns']") == [] and doc.xpath("//*[@id='table-pressing']")
    headers = [th.text_content() for th in doc.xpath("//*[@id='table-children']//th")]
    assert "走访覆盖率" not in headers and "受理数" in headers
    assert _get(client, mediator, f"{_page(county.village.code)}map.json",
                indicator="campaigns.visit_coverage").status_code == 400
    assert _get(client, mediator, _page(county.town.code)).status_code == 404


def test_the_children_table_downloads_as_xlsx_and_csv_with_the_page_numbers(client, county):
    import csv
    import io

    import openpyxl

    client.force_login(county.admin)
    url = f"/dashboard/{county.county.code}/?period=month&table=children"
    xlsx = client.get(url + "&format=xlsx")
    assert xlsx.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    names = [row[0].value for row in sheet.iter_rows(min_row=2, max_row=3)]
    assert sorted(names) == sorted([county.town.name, county.town2.name])
    text = client.get(url + "&format=csv").content
    assert text.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    assert {r[0] for r in rows[1:3]} == {county.town.name, county.town2.name}


def test_an_export_of_another_town_is_404_and_a_bad_format_a_400_in_chinese(client, county):
    client.force_login(county.town_staff)
    assert client.get(f"/dashboard/{county.town2.code}/?table=children&format=xlsx").status_code == 404
    bad = client.get(f"/dashboard/{county.town.code}/?table=children&format=pdf")
    assert bad.status_code == 400
    assert "导出格式只能是 xlsx 或 csv" in bad.content.decode()
    missing = client.get(f"/dashboard/{county.town.code}/?table=nothing&format=csv")
    assert missing.status_code == 400


def test_the_closure_rate_drills_to_every_closed_case_rated_or_not(client, county, cases):
    from shanzhi.cases.models import Case, Status

    Case.objects.filter(pk=cases[0].pk).update(status=Status.CLOSED)
    Case.objects.filter(pk=cases[1].pk).update(status=Status.RATED)
    with clock.frozen(T0):
        ind = registry.get("cases.closure_rate")
        url = ind.drill(county.town, period_for("month", clock.today()))
        page = _get(client, county.admin, url).content.decode()
    assert cases[0].number in page and cases[1].number in page
    assert cases[2].number not in page  # open
    assert cases[3].number not in page  # the other town


def test_this_month_is_compared_with_the_same_days_of_last_month(client, county):
    from shanzhi.cases.models import Case

    with clock.frozen(T0 - dt.timedelta(days=31)):  # 25 October: inside the first 25 days of October
        report_case(county)
    with clock.frozen(T0 - dt.timedelta(days=26)):  # 30 October: after them
        late = report_case(county)
    with clock.frozen(T0):
        report_case(county)
        report_case(county)
        doc = _doc(_get(client, county.admin, _page(county.county.code), period="month"))
    assert Case.objects.filter(pk=late.pk).exists()
    change = doc.xpath("//li[@data-key='cases.reported']//span[@class='card-change']")[0].text_content()
    assert "+1" in change  # 2 this month so far against 1 in 1–25 October, not 2 in the whole of October
