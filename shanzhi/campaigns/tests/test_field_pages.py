"""The responsible persons' phone pages and the live board, through the test client.

The `central` fixture (张三's central household looking after H-A1-002) is in this package's conftest.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shanzhi.accounts.models import User, UserKind
from shanzhi.campaigns import services as svc
from shanzhi.campaigns.models import CheckIn, Kind, Measure, Outcome, Rule, Target, Visit
from shanzhi.campaigns.scope import resolve
from shanzhi.lib import clock
from shanzhi.lib.testing import point_in
from shanzhi.people.services import household_create


def declare(county, unit=None, **kw):
    """Town staff declare an incident over grid A (home quarantine, 14 days)."""
    scope = resolve(actor=county.town_staff, units=[(unit or county.grid_a).code])
    return svc.incident_declare(actor=county.town_staff, type="新冠肺炎密接", occurred_at=clock.now(),
                                place="新联村", scope=scope, measure=Measure.HOME, index_person="某某", **kw)


def resident_user_for(resident) -> User:
    return User.objects.create(username=f"r{resident.pk}", kind=UserKind.RESIDENT, display_name=resident.name,
                               resident=resident)


def stat(html: str, name: str) -> int:
    return int(re.search(rf'data-stat="{name}">(\d+)<', html).group(1))


@pytest.fixture
def incident(county, central):
    return declare(county)


@pytest.fixture
def zhang(client, county):
    client.force_login(county.resident_user)
    return client


def test_a_visitor_is_sent_to_the_phone_login(client, incident):
    r = client.get(reverse("campaigns:walk", args=[incident.pk]))
    assert r.status_code == 302 and reverse("accounts:resident_login") in r["Location"]


def test_my_campaigns_lists_the_incident_with_counts(zhang, county, incident):
    r = zhang.get(reverse("campaigns:mine"))
    html = r.content.decode()
    assert r.status_code == 200 and incident.name in html
    assert 'data-count="total">2<' in html and 'data-count="in_place">0<' in html
    assert "请尽快确认接收" in html
    assert "去做今日健康打卡" in html  # his own household is under the measure too


def test_the_walk_list_shows_his_households_in_route_order(zhang, county, incident):
    r = zhang.get(reverse("campaigns:walk", args=[incident.pk]))
    assert r.status_code == 200
    html = r.content.decode()
    shown = re.findall(r'data-household="([^"]+)"', html)
    expected = list(Target.objects.filter(campaign=incident).order_by("route_order", "id")
                    .values_list("household__number", flat=True))
    assert shown == expected and set(shown) == {"H-A1-001", "H-A1-002"}
    assert "新联村一组1号" in html and "一组2号" in html
    outcomes = re.findall(r'data-outcome="([^"]+)"', html)
    assert outcomes[:6] == ["notified", "in_place", "not_home", "refused", "vacant", "moved"]
    assert 'data-action="acknowledge"' in html


def test_care_tag_households_are_marked_on_a_night_visit(zhang, county, central):
    scope = resolve(actor=county.town_staff, units=[county.village.code])
    c = svc.campaign_create(actor=county.town_staff, kind=Kind.NIGHT_VISIT, name="十一月网格夜访", scope=scope,
                            rule=Rule.CENTRAL_HOUSEHOLD)
    html = zhang.get(reverse("campaigns:walk", args=[c.pk])).content.decode()
    card = re.search(r'<li class="target-card[^"]*"[^>]*data-household="H-B1-001".*?</li>', html, re.S).group(0)
    assert "care" in card.split('"')[1] and "独居老人" in card
    own = re.search(r'<li class="target-card[^"]*"[^>]*data-household="H-A1-001"', html).group(0)
    assert "care" not in own.split('"')[1]  # a party member is not a care need
    assert 'data-outcome="visited"' in html and 'data-action="acknowledge"' not in html


def test_he_acknowledges_his_households(zhang, county, incident):
    r = zhang.post(reverse("campaigns:acknowledge", args=[incident.pk]), follow=True)
    assert r.status_code == 200 and "已确认接收，共2户" in r.content.decode()
    assert not Target.objects.filter(campaign=incident, acknowledged_at__isnull=True).exists()
    assert 'data-acknowledged="1"' in r.content.decode()


def test_outcomes_are_recorded_and_a_double_tap_makes_one_visit(zhang, county, incident):
    t = Target.objects.get(campaign=incident, household=county.household_a)
    url = reverse("campaigns:visit", args=[incident.pk, t.pk])
    form = {"outcome": "notified", "idempotency_key": "form-1", "lat": "30.85", "lon": "120.92"}
    assert zhang.post(url, form).status_code == 302
    assert zhang.post(url, form).status_code == 302  # the flaky phone sends it again
    assert Visit.objects.filter(target=t).count() == 1
    v = Visit.objects.get(target=t)
    assert (v.outcome, v.lat, v.lon, v.by) == ("notified", 30.85, 120.92, county.resident_user)
    # htmx: the household's card comes back, now "in place"
    r = zhang.post(url, {"outcome": "in_place", "idempotency_key": "form-2", "met_whom": "李梅", "note": "已告知"},
                   HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert r.status_code == 200 and html.startswith("<li") and 'data-status="in_place"' in html
    assert "已记录：已落实管控" in html and 'id="reached-count" hx-swap-oob="true">1<' in html
    t.refresh_from_db()
    assert t.in_place_at and t.notified_at and t.last_outcome == Outcome.IN_PLACE
    assert Visit.objects.filter(target=t).count() == 2


def test_a_bad_outcome_is_refused_with_a_clear_message(zhang, county, incident):
    t = Target.objects.get(campaign=incident, household=county.household_a)
    r = zhang.post(reverse("campaigns:visit", args=[incident.pk, t.pk]),
                   {"outcome": "visited", "idempotency_key": "k"}, HTTP_HX_REQUEST="true")
    assert "该结果不适用于此任务" in r.content.decode()
    assert not Visit.objects.exists()


def test_a_need_becomes_a_case_in_one_tap(zhang, county, incident):
    from shanzhi.cases.models import Case

    t = Target.objects.get(campaign=incident, household=county.household_a)
    url = reverse("campaigns:raise_case", args=[incident.pk, t.pk])
    form = {"category": "elderly_care", "description": "隔离期间老人需要送药", "idempotency_key": "case-1"}
    r = zhang.post(url, form, HTTP_HX_REQUEST="true")
    assert "已上报诉求" in r.content.decode()
    zhang.post(url, form, HTTP_HX_REQUEST="true")  # double tap
    case = Case.objects.get()
    assert (case.lat, case.lon) == (county.household_a.lat, county.household_a.lon)
    assert case.address == county.household_a.address and case.category.code == "elderly_care"
    r = zhang.post(url, {"category": "", "description": "x"}, HTTP_HX_REQUEST="true")
    assert "请选择诉求类别" in r.content.decode()


def test_a_stranger_gets_404_on_the_walk_page_and_the_households(client, county, incident):
    stranger = resident_user_for(county.resident_c)
    client.force_login(stranger)
    t = Target.objects.get(campaign=incident, household=county.household_a)
    assert client.get(reverse("campaigns:walk", args=[incident.pk])).status_code == 404
    assert client.post(reverse("campaigns:visit", args=[incident.pk, t.pk]),
                       {"outcome": "in_place"}).status_code == 404
    assert client.post(reverse("campaigns:raise_case", args=[incident.pk, t.pk]),
                       {"category": "elderly_care", "description": "x"}).status_code == 404
    assert client.post(reverse("campaigns:acknowledge", args=[incident.pk])).status_code == 404
    assert client.get(reverse("campaigns:checkin", args=[incident.pk])).status_code == 404
    assert client.get(reverse("campaigns:board", args=[incident.pk])).status_code == 404
    assert incident.name not in client.get(reverse("campaigns:mine")).content.decode()
    assert not Visit.objects.exists()


def test_the_board_is_for_staff_who_may_view_the_incident(client, county, incident):
    for user, status in ((county.worker_b, 404), (county.worker_c, 404), (county.resident_user, 404),
                         (county.worker_a, 200), (county.town_staff, 200), (county.admin, 200)):
        client.force_login(user)
        assert client.get(reverse("campaigns:board", args=[incident.pk])).status_code == status, user
        assert client.get(reverse("campaigns:board_partial", args=[incident.pk])).status_code == status, user


def test_a_grid_worker_below_a_village_incident_sees_his_grid_only(client, county, central):
    c = declare(county, unit=county.village)
    client.force_login(county.worker_b)
    html = client.get(reverse("campaigns:board", args=[c.pk])).content.decode()
    assert stat(html, "total") == 1 and county.grid_b.name in html


def test_the_board_numbers_move_after_confirmations(client, county, incident):
    client.force_login(county.town_staff)
    url = reverse("campaigns:board_partial", args=[incident.pk])
    html = client.get(url).content.decode()
    assert (stat(html, "total"), stat(html, "notified"), stat(html, "in_place"), stat(html, "checked_in")) == (2, 0, 0, 0)
    assert "尚未全部落实" in html
    for t in Target.objects.filter(campaign=incident):
        svc.visit_record(actor=county.resident_user, target=t, outcome=Outcome.IN_PLACE)
    t = Target.objects.get(campaign=incident, household=county.household_a)
    svc.checkin_record(actor=county.resident_user, target=t, resident=county.neighbour, temperature="36.6")
    html = client.get(url).content.decode()
    assert (stat(html, "notified"), stat(html, "in_place"), stat(html, "checked_in")) == (2, 2, 1)
    assert "尚未全部落实" not in html
    row = re.search(rf'<tr data-unit="{county.mg_a1.code}">.*?</tr>', html, re.S).group(0)
    assert re.search(r'data-col="in_place">2 ', row)
    page = client.get(reverse("campaigns:board", args=[incident.pk])).content.decode()
    assert 'hx-trigger="every 10s"' in page and "echarts" not in page  # the curve is inline SVG
    assert re.search(r'<polyline data-series="in_place" data-last="2"', page)


def test_the_board_costs_the_same_queries_at_two_sizes(client, county, incident, django_assert_max_num_queries):
    client.force_login(county.town_staff)
    client.get(reverse("campaigns:board", args=[incident.pk]))  # warm the session
    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse("campaigns:board", args=[incident.pk])).status_code == 200
    for n in range(30):
        lat, lon = point_in(7, 1 + n * 0.2)
        household_create(actor=None, number=f"H-A2-{n:03}", micro_grid=county.mg_a2, address=f"二组{n}号",
                         registration="registered", lat=lat, lon=lon)
    big = declare(county, capacity=40)  # the one central household takes all 32
    targets = list(Target.objects.filter(campaign=big))
    assert len(targets) == 32
    for t in targets[:12]:
        svc.visit_record(actor=None, target=t, outcome=Outcome.IN_PLACE)
    home = next(t for t in targets if t.household_id == county.household_a.pk)
    svc.checkin_record(actor=None, target=home, resident=county.neighbour, temperature="36.6")
    assert len(small) <= 20
    with django_assert_max_num_queries(len(small)):
        html = client.get(reverse("campaigns:board", args=[big.pk])).content.decode()
    assert stat(html, "total") == 32 and stat(html, "in_place") == 12
    with django_assert_max_num_queries(len(small)):
        client.get(reverse("campaigns:board_partial", args=[big.pk]))


def test_check_ins_by_the_responsible_person_and_by_the_resident(zhang, county, incident):
    url = reverse("campaigns:checkin", args=[incident.pk])
    html = zhang.get(url).content.decode()
    assert "李梅" in html and "张三" in html
    t = Target.objects.get(campaign=incident, household=county.household_a)
    bad = zhang.post(url, {"target": t.pk, "resident": county.neighbour.pk, "temperature": "48"})
    assert bad.status_code == 400 and "体温应在34.0到43.0之间" in bad.content.decode()
    bad = zhang.post(url, {"target": t.pk, "resident": county.neighbour.pk, "temperature": "高"})
    assert bad.status_code == 400 and "体温必须是数字" in bad.content.decode()
    assert not CheckIn.objects.exists()
    r = zhang.post(url, {"target": t.pk, "resident": county.neighbour.pk, "temperature": "36.8", "symptoms": "无"},
                   follow=True)
    assert "李梅 今日已打卡：36.8℃" in r.content.decode()
    ci = CheckIn.objects.get()
    assert (ci.resident, ci.self_reported, ci.by) == (county.neighbour, False, county.resident_user)
    # 王五 (grid B) is not in the household: refused, nothing written
    bad = zhang.post(url, {"target": t.pk, "resident": county.resident_b.pk, "temperature": "36.5"})
    assert bad.status_code == 400 and "该人员不在此户" in bad.content.decode()

    # 李梅 logs in herself: her check-in is in
    li = Client()
    li.force_login(resident_user_for(county.neighbour))
    html = li.get(reverse("campaigns:checkin_self")).content.decode()
    assert "今日已打卡" in html and "36.8" in html
    # 张三 checks in for himself
    r = zhang.post(reverse("campaigns:checkin_self"), {"temperature": "36.5"}, follow=True)
    assert "今日已打卡：36.5℃" in r.content.decode()
    assert CheckIn.objects.get(resident=county.resident).self_reported is True
    bad = zhang.post(reverse("campaigns:checkin_self"), {"temperature": "36.5"})
    assert bad.status_code == 302  # a second tap: the day's check-in is already in
    assert CheckIn.objects.count() == 2


def test_a_self_check_in_outside_quarantine_is_refused(client, county, incident):
    client.force_login(resident_user_for(county.resident_b))  # 王五: grid B, not under the measure
    r = client.get(reverse("campaigns:checkin_self"))
    assert r.status_code == 200 and "不在隔离管控期内" in r.content.decode() and "<form method" not in \
        r.content.decode().split("<main>")[1]
    r = client.post(reverse("campaigns:checkin_self"), {"temperature": "36.5"})
    assert r.status_code == 400 and "不在隔离管控期内" in r.content.decode()
    assert not CheckIn.objects.exists()


def test_a_bad_self_temperature_is_refused_in_chinese(zhang, incident):
    r = zhang.post(reverse("campaigns:checkin_self"), {"temperature": "29"})
    assert r.status_code == 400 and "体温应在34.0到43.0之间" in r.content.decode()
    assert 'value="29"' in r.content.decode() and not CheckIn.objects.exists()
