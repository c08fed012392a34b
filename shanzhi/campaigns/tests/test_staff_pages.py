"""Staff campaign pages: declaring night visits and incidents, progress with drill-down, reassigning,
grid sign-off and quarantine sites — each permission rule both ways, bad input refused in Chinese."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shanzhi.campaigns import services as svc
from shanzhi.campaigns.models import (
    Campaign,
    Incident,
    Kind,
    Measure,
    Outcome,
    Rule,
    SignOff,
    Site,
    Stay,
    Target,
)
from shanzhi.campaigns.scope import resolve
from shanzhi.lib import clock
from shanzhi.lib.testing import box, point_in
from shanzhi.people.services import central_household_create, household_create, resident_create


def url(name: str, *args) -> str:
    return reverse(f"campaigns:{name}", args=args)


def as_user(client, user):
    client.force_login(user)
    return client


def night_visit(county, *, units=None, rule=Rule.CENTRAL_HOUSEHOLD, capacity=10):
    scope = resolve(actor=county.town_staff, units=units or [county.village.code])
    return svc.campaign_create(actor=county.town_staff, kind=Kind.NIGHT_VISIT, name="十一月网格夜访", scope=scope,
                               rule=rule, capacity=capacity)


def incident_data(**kw) -> dict:
    data = {"type": "新冠肺炎密切接触", "occurred_at": clock.now().strftime("%Y-%m-%dT%H:%M"), "place": "新联村",
            "index_household": "H-A1-001", "index_person": "张三", "contacts": "", "scope_mode": "village",
            "lat": "", "lon": "", "radius_m": "500", "polygon": "", "measure": Measure.HOME, "measure_days": "14",
            "capacity": "10"}
    data.update(kw)
    return data


def second_central(county):
    """A second central household in micro-grid A1, led by 党员乙."""
    other = household_create(actor=None, number="H-A1-009", micro_grid=county.mg_a1, address="一组9号",
                             registration="registered", lat=point_in(4, 5)[0], lon=point_in(4, 5)[1])
    leader = resident_create(actor=None, household=other, name="党员乙", id_number="33042119800101011X",
                             tags=["party_member"])
    return central_household_create(actor=None, household=other, leader=leader)


def numbers(campaign) -> set[str]:
    return set(Target.objects.filter(campaign=campaign).values_list("household__number", flat=True))


def nothing_created() -> bool:
    return not (Campaign.objects.exists() or Target.objects.exists() or Incident.objects.exists())


# ---- who may come in ---------------------------------------------------------------------------

def test_anonymous_visitors_are_sent_to_log_in(county, client):
    c = night_visit(county)
    for page in (url("list"), url("new_night_visit"), url("new_incident"), url("detail", c.pk), url("sites")):
        r = client.get(page)
        assert r.status_code == 302 and "/accounts/login" in r["Location"]


def test_a_grid_worker_cannot_declare(county, client):
    as_user(client, county.worker_a)
    assert client.get(url("new_night_visit")).status_code == 403
    assert client.get(url("new_incident")).status_code == 403
    r = client.post(url("new_night_visit"), {"name": "x", "units": [county.grid_a.code], "rule": Rule.GRID_WORKER,
                                             "capacity": "10", "tag_mode": "first"})
    assert r.status_code == 403
    assert client.post(url("new_incident"), incident_data()).status_code == 403
    assert nothing_created()
    assert "发起网格夜访" not in client.get(url("list")).content.decode()


def test_a_residents_account_gets_404(county, client):
    c = night_visit(county)
    as_user(client, county.resident_user)
    assert client.get(url("list")).status_code == 404
    assert client.get(url("detail", c.pk)).status_code == 404


# ---- night visits ------------------------------------------------------------------------------

def test_town_staff_declares_a_night_visit_and_follows_its_progress(county, central, client):
    as_user(client, county.town_staff)
    form = client.get(url("new_night_visit")).content.decode()
    assert county.village.code in form and county.grid_a.code in form
    assert county.village2.code not in form  # the other town is not offered
    r = client.post(url("new_night_visit"), {"name": "十一月网格夜访", "units": [county.village.code],
                                             "rule": Rule.CENTRAL_HOUSEHOLD, "capacity": "10", "tag_mode": "first",
                                             "tags": ["elderly_alone"]})
    c = Campaign.objects.get()
    assert r.status_code == 302 and r["Location"] == url("detail", c.pk)
    assert c.kind == Kind.NIGHT_VISIT and c.unit == county.village and c.assigned_at is not None
    assert numbers(c) == {"H-A1-001", "H-A1-002", "H-B1-001"}
    page = client.get(r["Location"]).content.decode()
    assert "全部已分配责任人" in page
    assert 'data-stat="reached">0/3' in page and 'data-stat="met_cadre">0/3' in page
    assert "走村不漏户" in page and "户户见干部" in page
    # care-tag households first: 王五 (独居老人) heads the unreached list
    assert page.index('data-household="H-B1-001"') < page.index('data-household="H-A1-001"')
    assert 'id="curve"' in page and 'id="curve-data"' in page and "vendor/echarts/echarts.custom" in page

    t = Target.objects.get(campaign=c, household=county.household_a)
    svc.visit_record(actor=county.town_staff, target=t, outcome=Outcome.VISITED, met_whom="张三")
    page = client.get(url("detail", c.pk)).content.decode()
    assert 'data-stat="reached">1/3' in page and 'data-stat="met_cadre">1/3' in page
    assert 'data-household="H-A1-001"' not in page  # no longer unreached
    curve = json.loads(page.split('id="curve-data" type="application/json">')[1].split("</script>")[0])
    assert curve[-1][1] == 1
    listing = client.get(url("list")).content.decode()
    assert "十一月网格夜访" in listing and "1/3" in listing


def test_households_without_a_responsible_person_are_shown_with_the_reason(county, client):
    as_user(client, county.town_staff)
    r = client.post(url("new_night_visit"), {"name": "夜访", "units": [county.village.code],
                                             "rule": Rule.CENTRAL_HOUSEHOLD, "capacity": "10", "tag_mode": "first"},
                    follow=True)
    html = r.content.decode()
    assert "共2户，其中2户未能分配责任人" in html
    assert 'id="unassigned"' in html and "本村社没有可分配的责任人" in html


def test_the_care_tag_filter_can_keep_only_tagged_households(county, client):
    as_user(client, county.town_staff)
    client.post(url("new_night_visit"), {"name": "关爱夜访", "units": [county.town.code], "rule": Rule.GRID_WORKER,
                                         "capacity": "100", "tag_mode": "only", "tags": ["elderly_alone"]})
    assert numbers(Campaign.objects.get()) == {"H-B1-001"}


def test_bad_night_visit_input_is_refused_in_chinese(county, client):
    as_user(client, county.town_staff)
    base = {"name": "夜访", "rule": Rule.GRID_WORKER, "capacity": "10", "tag_mode": "first"}
    html = client.post(url("new_night_visit"), base).content.decode()
    assert "该字段是必填项" in html  # no unit chosen
    html = client.post(url("new_night_visit"), {**base, "units": [county.village2.code]}).content.decode()
    assert "选择一个有效的选项" in html  # the other town's village is not among the choices
    html = client.post(url("new_night_visit"), {**base, "units": [county.village.code], "tag_mode": "only",
                                                "tags": ["disabled"]}).content.decode()
    assert "范围内没有在册的户" in html  # nobody in the village carries that tag
    html = client.post(url("new_night_visit"), {**base, "units": [county.village.code], "capacity": "0"}
                       ).content.decode()
    assert "每人户数上限" in html
    html = client.post(url("new_night_visit"), {**base, "units": [county.village.code],
                                                "starts_at": "2026-03-02T20:00", "ends_at": "2026-03-02T18:00"}
                       ).content.decode()
    assert "结束时间应晚于开始时间" in html
    assert nothing_created()


# ---- incidents ---------------------------------------------------------------------------------

def test_town_staff_declares_an_incident_for_the_village_of_the_index_case(county, central, client):
    as_user(client, county.town_staff)
    form = client.get(url("new_incident")).content.decode()
    assert 'id="scope-map"' in form and 'data-tile-url=""' in form and "campaigns/incident." in form
    r = client.post(url("new_incident"), incident_data(contacts="H-A1-002\nH-B1-001"))
    c = Campaign.objects.get()
    assert r.status_code == 302 and r["Location"] == url("detail", c.pk)
    assert c.kind == Kind.EMERGENCY and c.rule == Rule.CENTRAL_HOUSEHOLD and c.unit == county.village
    assert numbers(c) == {"H-A1-001", "H-A1-002", "H-B1-001"}
    assert set(Target.objects.filter(campaign=c).values_list("central", flat=True)) == {central.pk}
    assert set(Target.objects.filter(campaign=c).values_list("measure", flat=True)) == {Measure.HOME}
    inc = c.incident
    assert inc.index_household == county.household_a and inc.index_person == "张三"
    assert inc.contacts == ["H-A1-002", "H-B1-001"]
    page = client.get(r["Location"]).content.decode()
    assert "已落实管控" in page and 'data-stat="reached">0/3' in page and "新冠肺炎密切接触" in page


def test_an_incident_can_cover_contacts_a_radius_or_a_drawn_polygon(county, central, client):
    as_user(client, county.town_staff)
    client.post(url("new_incident"), incident_data(scope_mode="contacts", contacts="H-B1-001"))
    lat, lon = point_in(15, 5)
    client.post(url("new_incident"), incident_data(scope_mode="radius", index_household="", lat=lat, lon=lon,
                                                   radius_m="300"))
    client.post(url("new_incident"), incident_data(scope_mode="polygon", index_household="",
                                                   polygon=json.dumps(box(0, 0, 4, 10))))
    contacts, radius, polygon = Campaign.objects.order_by("id")
    assert numbers(contacts) == {"H-A1-001", "H-B1-001"}  # the index household and its contacts
    assert numbers(radius) == {"H-B1-001"}
    assert radius.incident.lat == pytest.approx(lat)
    assert numbers(polygon) == {"H-A1-001", "H-A1-002"}


def unclosed() -> str:
    ring = box(0, 0, 4, 10)
    ring["coordinates"][0] = ring["coordinates"][0][:-1]
    return json.dumps(ring)


@pytest.mark.parametrize(("data", "message"), [
    ({"scope_mode": "polygon", "index_household": ""}, "请在地图上点击绘制区域"),
    ({"scope_mode": "polygon", "polygon": unclosed()}, "没有闭合"),
    ({"scope_mode": "polygon", "polygon": "{not json"}, "绘制的区域无效"),
    ({"scope_mode": "radius", "lat": point_in(19, 19)[0], "lon": point_in(19, 19)[1], "radius_m": "50"},
     "范围内没有在册的户"),
    ({"scope_mode": "radius", "lat": point_in(2, 5)[0], "lon": point_in(2, 5)[1], "radius_m": "0"}, "半径应在1到"),
    ({"scope_mode": "radius", "lat": point_in(2, 5)[0], "lon": point_in(2, 5)[1], "radius_m": "50000"},
     "半径应在1到"),
    ({"scope_mode": "radius", "lat": "", "lon": ""}, "请在地图上点选中心点"),
    ({"scope_mode": "contacts", "contacts": "H-C1-001"}, "未找到户或无权限"),  # the other town: out of scope
    ({"scope_mode": "village", "index_household": "H-C1-001"}, "未找到该户或无权限"),
    ({"scope_mode": "village", "index_household": ""}, "请填写指示病例户号"),
    ({"capacity": "1"}, "不足以覆盖"),
    ({"place": ""}, "该字段是必填项"),
    ({"occurred_at": "2999-01-01T00:00"}, "发生时间不能晚于现在"),
])
def test_bad_incident_input_is_refused_in_chinese_and_nothing_is_created(county, central, client, data, message):
    as_user(client, county.town_staff)
    r = client.post(url("new_incident"), incident_data(**data))
    assert r.status_code == 200
    assert message in r.content.decode()
    assert nothing_created()


# ---- who sees what -----------------------------------------------------------------------------

def test_grid_b_worker_gets_404_on_a_campaign_of_grid_a_only(county, client):
    c = night_visit(county, units=[county.grid_a.code])
    as_user(client, county.worker_b)
    assert client.get(url("detail", c.pk)).status_code == 404
    assert f'data-campaign="{c.pk}"' not in client.get(url("list")).content.decode()
    as_user(client, county.worker_a)
    assert client.get(url("detail", c.pk)).status_code == 200
    assert f'data-campaign="{c.pk}"' in client.get(url("list")).content.decode()


def test_grid_b_worker_sees_only_grid_b_in_a_village_campaign(county, client):
    c = night_visit(county)
    as_user(client, county.worker_b)
    page = client.get(url("detail", c.pk)).content.decode()
    assert 'data-household="H-B1-001"' in page and 'data-household="H-A1-001"' not in page
    assert f'data-unit="{county.mg_b1.code}"' in page and county.grid_a.name not in page
    assert 'data-stat="total">1<' in page
    assert client.get(url("detail", c.pk), {"unit": county.grid_a.code}).status_code == 404
    assert client.get(url("detail", c.pk), {"unit": county.mg_a1.code}).status_code == 404


def test_town_staff_drills_down_within_the_campaign(county, client):
    c = night_visit(county)
    as_user(client, county.town_staff)
    top = client.get(url("detail", c.pk)).content.decode()
    assert f'data-unit="{county.grid_a.code}"' in top and f'data-unit="{county.grid_b.code}"' in top
    down = client.get(url("detail", c.pk), {"unit": county.grid_a.code}).content.decode()
    assert f'data-unit="{county.mg_a1.code}"' in down and 'data-household="H-B1-001"' not in down
    assert 'data-stat="total">1<' in down
    assert client.get(url("detail", c.pk), {"unit": county.village2.code}).status_code == 404


def test_the_detail_page_costs_the_same_queries_with_more_households(county, central, client,
                                                                    django_assert_max_num_queries):
    as_user(client, county.town_staff)
    small = night_visit(county)
    client.get(url("detail", small.pk))  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as baseline:
        assert client.get(url("detail", small.pk)).status_code == 200
    for i in range(30):
        mg = (county.mg_a1, county.mg_a2, county.mg_b1)[i % 3]
        lat, lon = point_in(1 + i % 18, 5)
        household_create(actor=None, number=f"H-X-{i:03d}", micro_grid=mg, address=f"新{i}号",
                         registration="registered", lat=lat, lon=lon)
    big = night_visit(county)
    for t in Target.objects.filter(campaign=big)[:10]:
        svc.visit_record(actor=county.town_staff, target=t, outcome=Outcome.VISITED, met_whom="户主")
    with django_assert_max_num_queries(len(baseline)):
        assert client.get(url("detail", big.pk)).status_code == 200


# ---- reassigning -------------------------------------------------------------------------------

def test_town_staff_reassigns_one_household_and_a_grid_worker_may_not(county, central, client):
    ch2 = second_central(county)
    c = night_visit(county, rule=Rule.CENTRAL_HOUSEHOLD, capacity=10)
    t = Target.objects.get(campaign=c, household=county.household_b)
    to = ch2 if t.central_id == central.pk else central
    as_user(client, county.worker_b)
    assert client.post(url("reassign", c.pk), {"household": "H-B1-001", "to": f"c:{to.pk}"}).status_code == 403
    t.refresh_from_db()
    assert t.central_id != to.pk
    as_user(client, county.town_staff)
    page = client.get(url("detail", c.pk)).content.decode()
    assert f'value="c:{ch2.pk}"' in page and 'id="reassign"' in page
    r = client.post(url("reassign", c.pk), {"household": "H-B1-001", "to": f"c:{to.pk}", "unit": county.grid_b.code})
    assert r.status_code == 302 and r["Location"] == url("detail", c.pk) + f"?unit={county.grid_b.code}"
    t.refresh_from_db()
    assert t.central_id == to.pk
    r = client.post(url("reassign", c.pk), {"household": "H-C1-001", "to": f"c:{to.pk}"}, follow=True)
    assert "本任务中没有户号为H-C1-001的户" in r.content.decode()


def test_everyone_of_an_absent_person_is_handed_over_in_one_step(county, central, client):
    ch2 = second_central(county)
    c = night_visit(county, rule=Rule.CENTRAL_HOUSEHOLD, capacity=10)
    assert Target.objects.filter(campaign=c, central=central).exists()
    as_user(client, county.worker_a)
    assert client.post(url("reassign_absent", c.pk), {"absent": central.pk}).status_code == 403
    as_user(client, county.town_staff)
    page = client.get(url("detail", c.pk)).content.decode()
    assert f'data-assignee="{central.pk}"' in page
    r = client.post(url("reassign_absent", c.pk), {"absent": central.pk}, follow=True)
    assert "全部转交给其他责任人" in r.content.decode()
    assert not Target.objects.filter(campaign=c, central=central).exists()
    assert Target.objects.filter(campaign=c, central=ch2).count() == 4


def test_grid_worker_and_cadre_campaigns_offer_their_own_kind_of_person(county, client):
    from shanzhi.people.services import cadre_register

    as_user(client, county.town_staff)
    by_worker = night_visit(county, rule=Rule.GRID_WORKER, capacity=100)
    page = client.get(url("detail", by_worker.pk)).content.decode()
    assert f'value="u:{county.worker_a.pk}"' in page and "网格员乙" in page  # the assignee table names worker B
    client.post(url("reassign", by_worker.pk), {"household": "H-B1-001", "to": f"u:{county.worker_a.pk}"})
    assert Target.objects.get(campaign=by_worker, household=county.household_b).user == county.worker_a
    r = client.post(url("reassign", by_worker.pk), {"household": "H-A1-001", "to": f"c:{county.worker_a.pk}"},
                    follow=True)
    assert "所选责任人不在本任务范围内" in r.content.decode()

    cadre_register(actor=None, resident=county.resident, village=county.village, kind="party_member")
    by_cadre = night_visit(county, rule=Rule.CADRE)
    assert set(Target.objects.filter(campaign=by_cadre).values_list("resident", flat=True)) == {county.resident.pk}
    page = client.get(url("detail", by_cadre.pk)).content.decode()
    assert f'value="r:{county.resident.pk}"' in page and f'data-assignee="{county.resident.pk}"' in page
    svc.visit_record(actor=county.town_staff, target=Target.objects.get(campaign=by_cadre, household=county.household_b),
                     outcome=Outcome.NOT_HOME)
    page = client.get(url("detail", by_cadre.pk)).content.decode()
    assert "不在家" in page and "张三" in page


# ---- sign-off ----------------------------------------------------------------------------------

def test_a_grid_signs_off_only_when_every_pending_household_has_a_reason(county, client):
    c = night_visit(county, rule=Rule.GRID_WORKER, capacity=100)
    tb = Target.objects.get(campaign=c, household=county.household_b)
    as_user(client, county.worker_b)
    assert client.get(url("signoff", c.pk, county.grid_a.code)).status_code == 404
    page = client.get(url("signoff", c.pk, county.grid_b.code)).content.decode()
    assert 'data-household="H-B1-001"' in page and f'name="reason_{tb.pk}"' in page
    r = client.post(url("signoff", c.pk, county.grid_b.code), {f"reason_{tb.pk}": ""})
    html = r.content.decode()
    assert r.status_code == 200 and "未完成且未说明原因，不能签收" in html
    assert 'data-household="H-B1-001" class="missing" data-missing="1"' in html
    assert not SignOff.objects.exists()
    r = client.post(url("signoff", c.pk, county.grid_b.code), {f"reason_{tb.pk}": "老人住院，出院后补访",
                                                                 "note": "已核实"})
    assert r.status_code == 302
    so = SignOff.objects.get()
    assert so.grid == county.grid_b and so.by == county.worker_b and so.note == "已核实"
    tb.refresh_from_db()
    assert tb.pending_reason == "老人住院，出院后补访"
    as_user(client, county.town_staff)
    page = client.get(url("detail", c.pk)).content.decode()
    assert "老人住院，出院后补访" in page and "已签收" in page


# ---- sites -------------------------------------------------------------------------------------

def test_sites_check_residents_of_centralised_households_in_and_out(county, central, client):
    as_user(client, county.town_staff)
    r = client.post(url("sites"), {"unit": county.town.code, "name": "天凝镇隔离点", "address": "镇南路1号",
                                   "rooms": "20", "capacity": "2"})
    assert r.status_code == 302
    site = Site.objects.get()
    client.post(url("new_incident"), incident_data(scope_mode="contacts", measure=Measure.CENTRALISED))
    c = Campaign.objects.get()
    t = Target.objects.get(campaign=c, household=county.household_a)
    page = client.get(url("sites")).content.decode()
    assert "天凝镇隔离点" in page and f'data-resident="{county.resident.pk}"' in page
    r = client.post(url("stay_check_in"), {"target": t.pk, "resident": county.resident.pk, "site": site.pk,
                                           "room": "101"})
    assert r.status_code == 302
    stay = Stay.objects.get()
    assert stay.resident == county.resident and stay.room == "101" and stay.checked_in_at
    page = client.get(url("sites")).content.decode()
    assert 'data-occupied="1"' in page and f'data-stay="{stay.pk}"' in page
    assert f'data-resident="{county.resident.pk}"' not in page  # no longer waiting
    as_user(client, county.worker_c)  # the other town sees neither the site nor the stay
    page = client.get(url("sites")).content.decode()
    assert "天凝镇隔离点" not in page
    assert client.post(url("stay_check_out", stay.pk)).status_code == 404
    as_user(client, county.worker_a)
    assert client.post(url("sites"), {"unit": county.town.code, "name": "x", "rooms": "1",
                                      "capacity": "1"}).status_code == 403
    as_user(client, county.town_staff)
    assert client.post(url("stay_check_out", stay.pk)).status_code == 302
    stay.refresh_from_db()
    assert stay.checked_out_at is not None


def test_a_full_site_refuses_a_check_in(county, central, client):
    as_user(client, county.town_staff)
    client.post(url("sites"), {"unit": county.town.code, "name": "小隔离点", "rooms": "1", "capacity": "1"})
    site = Site.objects.get()
    client.post(url("new_incident"), incident_data(scope_mode="contacts", measure=Measure.CENTRALISED))
    t = Target.objects.get(household=county.household_a)
    client.post(url("stay_check_in"), {"target": t.pk, "resident": county.resident.pk, "site": site.pk, "room": "1"})
    r = client.post(url("stay_check_in"), {"target": t.pk, "resident": county.neighbour.pk, "site": site.pk,
                                           "room": "1"}, follow=True)
    assert "已满" in r.content.decode() and Stay.objects.count() == 1


# ---- English -----------------------------------------------------------------------------------

@pytest.fixture
def english(client):
    from django.conf import settings as django_settings
    from django.utils import translation

    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    yield
    translation.deactivate()


def test_the_pages_speak_english(county, client, english):
    c = night_visit(county)
    as_user(client, county.town_staff)
    page = client.get(url("detail", c.pk)).content.decode()
    assert "Every household visited" in page and "Every household met a cadre" in page
    assert "Night visit" in page
    assert "Night visit" in client.get(url("list")).content.decode()
    assert "Declare a night visit" in client.get(url("new_night_visit")).content.decode()
    assert "Affected households" in client.get(url("new_incident")).content.decode()
    assert "Sites" in client.get(url("sites")).content.decode()
