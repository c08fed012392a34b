"""Incident types with their own measures and words: an epidemic quarantines with health check-ins; a flood
evacuation records 已转移 / 留守 (with a reason) / 已安置到安置点 per household and never speaks of
quarantine or asks for a check-in. The capacity line tells the truth (a central household's own home is
on top of its 10). The `central` fixture (张三 looks after his own H-A1-001 and H-A1-002) is in conftest."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shanzhi.campaigns import services as svc
from shanzhi.campaigns.models import Campaign, IncidentType, Measure, Outcome, Stay, Target
from shanzhi.campaigns.scope import resolve
from shanzhi.campaigns.sweep import checkin_alerts_send
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, NotFound

QUARANTINE_WORDS = ("隔离", "健康打卡", "体温", "管控")


def content(html: str) -> str:
    """The page below its heading (the staff navigation links every campaign page, sites included)."""
    return html[html.index("<h1"):]


def kind(code: str) -> IncidentType:
    return IncidentType.objects.get(code=code)


def declare(county, code: str, **kw) -> Campaign:
    scope = resolve(actor=county.town_staff, units=[county.grid_a.code])
    return svc.incident_declare(actor=county.town_staff, kind=kind(code), type=kw.pop("type", ""),
                                occurred_at=clock.now(), place="新联村", scope=scope, **kw)


def zhangs(campaign: Campaign, number: str = "H-A1-002") -> Target:
    return Target.objects.get(campaign=campaign, household__number=number)


def test_the_migration_seeds_five_types_with_their_measures(db):
    assert list(IncidentType.objects.values_list("code", "name")) == [
        ("epidemic", "疫情隔离"), ("evacuation", "转移安置"), ("fire", "火灾"), ("missing", "寻人"),
        ("supplies", "物资保障")]
    evacuation = kind("evacuation")
    assert [m.name for m in evacuation.measures.all()] == ["已转移", "留守（说明原因）", "已安置到安置点"]
    assert not evacuation.has_checkins and not any(m.checkins for m in evacuation.measures.all())
    epidemic = kind("epidemic")
    assert {m.code: m.checkins for m in epidemic.measures.all()} == {"home": True, "centralised": True}


# ---- the epidemic -------------------------------------------------------------------------------

def test_an_epidemic_quarantines_every_household_with_check_ins(county, central):
    c = declare(county, "epidemic", measure=Measure.CENTRALISED, measure_days=7)
    t = zhangs(c, "H-A1-001")
    assert t.measure == Measure.CENTRALISED and t.checkin and t.measure_end is not None
    assert svc.outcome_codes(c) == ["notified", "in_place", "not_home", "refused", "vacant", "moved"]
    assert svc.outcome_label(c, Outcome.IN_PLACE) == "已落实管控"
    ci = svc.checkin_record(actor=county.resident_user, target=t, resident=county.neighbour, temperature="36.6")
    assert str(ci.temperature) == "36.6"
    assert c.incident.kind.code == "epidemic" and c.incident.type == "疫情隔离"  # named after its type


def test_an_epidemic_needs_one_of_its_own_measures(county, central):
    with pytest.raises(DomainError) as err:
        declare(county, "epidemic", measure="transferred")
    assert "measure" in err.value.fields and Campaign.objects.count() == 0
    assert zhangs(declare(county, "epidemic")).measure == Measure.HOME  # default: its first measure


# ---- the flood evacuation ---------------------------------------------------------------------------

def test_an_evacuation_has_no_quarantine_and_no_check_ins(county, central):
    c = declare(county, "evacuation", type="7月暴雨防汛转移")
    t = zhangs(c, "H-A1-001")
    assert t.measure == "" and not t.checkin and t.measure_start is None
    assert svc.outcome_codes(c) == ["notified", "transferred", "stayed", "sheltered", "not_home", "refused",
                                    "vacant", "moved"]
    with pytest.raises(DomainError) as err:
        svc.checkin_record(actor=county.resident_user, target=t, resident=county.neighbour, temperature="36.6")
    assert "不需要健康打卡" in str(err.value)
    with pytest.raises(DomainError) as err:
        declare(county, "evacuation", measure=Measure.HOME)
    assert "measure" in err.value.fields


def test_evacuation_outcomes_set_each_households_measure(county, central):
    c = declare(county, "evacuation")
    t = zhangs(c)
    svc.visit_record(actor=county.resident_user, target=t, outcome="transferred")
    t.refresh_from_db()
    assert t.measure == "transferred" and t.reached_at and t.in_place_at and not t.checkin
    own = zhangs(c, "H-A1-001")
    with pytest.raises(DomainError) as err:  # staying needs a reason
        svc.visit_record(actor=county.resident_user, target=own, outcome="stayed")
    assert "note" in err.value.fields and "说明原因" in str(err.value)
    svc.visit_record(actor=county.resident_user, target=own, outcome="stayed", note="老人行动不便，二楼安全")
    own.refresh_from_db()
    assert own.measure == "stayed" and own.reached_at and own.in_place_at is None  # accounted for, not moved
    with pytest.raises(DomainError):
        svc.visit_record(actor=county.resident_user, target=own, outcome=Outcome.IN_PLACE)  # not this type's


def test_no_check_in_alert_is_sent_for_an_evacuation(county, central):
    c = declare(county, "evacuation")
    for t in Target.objects.filter(campaign=c):
        svc.visit_record(actor=county.resident_user, target=t, outcome="sheltered")
    late = clock.now().replace(hour=15)
    assert checkin_alerts_send(now=late) == (0, 0)


def test_the_walk_list_of_an_evacuation_speaks_of_transfer_not_quarantine(county, central, client):
    c = declare(county, "evacuation")
    client.force_login(county.resident_user)
    page = content(client.get(reverse("campaigns:walk", args=[c.pk])).content.decode())
    for word in ("已转移", "留守（说明原因）", "已安置到安置点"):
        assert word in page
    for word in QUARANTINE_WORDS:
        assert word not in page, word
    with pytest.raises(NotFound):
        from shanzhi.campaigns import selectors

        selectors.campaign_get_for(user=county.worker_c, pk=c.pk)  # another town's worker sees nothing
    assert client.get(reverse("campaigns:checkin", args=[c.pk])).status_code == 404
    t = zhangs(c)
    r = client.post(reverse("campaigns:visit", args=[c.pk, t.pk]), {"outcome": "stayed", "note": ""},
                    HTTP_HX_REQUEST="true")
    assert "说明原因" in r.content.decode()
    t.refresh_from_db()
    assert t.reached_at is None


def test_the_board_and_progress_of_an_evacuation_use_its_words(county, central, client):
    c = declare(county, "evacuation")
    svc.visit_record(actor=county.resident_user, target=zhangs(c), outcome="transferred")
    client.force_login(county.town_staff)
    board = content(client.get(reverse("campaigns:board", args=[c.pk])).content.decode())
    assert "已转移安置" in board and 'data-stat="in_place">1<' in board
    for word in QUARANTINE_WORDS:
        assert word not in board, word
    detail = content(client.get(reverse("campaigns:detail", args=[c.pk])).content.decode())
    assert "已转移安置" in detail and 'data-incident-type="evacuation"' in detail
    for word in QUARANTINE_WORDS:
        assert word not in detail, word
    epidemic = declare(county, "epidemic")
    board = client.get(reverse("campaigns:board", args=[epidemic.pk])).content.decode()
    assert "已落实管控" in board and "今日已打卡" in board


# ---- sites: quarantine sites and shelters alike ---------------------------------------------------------

def _shelter(county):
    return svc.site_create(actor=county.town_staff, unit=county.town, name="新联村文化礼堂", rooms=4, capacity=30,
                           address="新联村中心路8号")


def test_a_household_sheltered_in_the_field_is_checked_into_a_shelter(county, central, client):
    c = declare(county, "evacuation")
    shelter = _shelter(county)
    own = zhangs(c, "H-A1-001")
    svc.visit_record(actor=county.resident_user, target=own, outcome="sheltered")
    svc.visit_record(actor=county.resident_user, target=zhangs(c), outcome="transferred")
    client.force_login(county.town_staff)
    page = client.get(reverse("campaigns:sites")).content.decode()
    waiting = page[page.index('class="responsive to-check-in"'):]
    assert f'data-resident="{county.resident.pk}"' in waiting and f'data-resident="{county.neighbour.pk}"' in waiting
    assert 'data-measure="sheltered">已安置到安置点<' in waiting and "新联村文化礼堂" in waiting
    assert "transferred" not in waiting  # moved elsewhere: no site to check into
    r = client.post(reverse("campaigns:stay_check_in"), {"target": own.pk, "resident": county.resident.pk,
                                                         "site": shelter.pk, "room": "礼堂东"})
    assert r.status_code == 302
    stay = Stay.objects.get()
    assert (stay.site, stay.resident, stay.campaign_id, stay.room) == (shelter, county.resident, c.pk, "礼堂东")
    page = client.get(reverse("campaigns:sites")).content.decode()
    assert f'data-stay="{stay.pk}"' in page and 'data-occupied="1"' in page


def test_a_household_transferred_elsewhere_cannot_be_checked_into_a_site(county, central, client):
    c = declare(county, "evacuation")
    shelter = _shelter(county)
    t = zhangs(c, "H-A1-001")
    svc.visit_record(actor=county.resident_user, target=t, outcome="transferred")
    with pytest.raises(DomainError) as err:
        svc.stay_check_in(actor=county.town_staff, target=t, resident=county.resident, site=shelter, room="1")
    assert "不需要入住集中点" in str(err.value) and "target" in err.value.fields
    t2 = zhangs(declare(county, "epidemic", measure=Measure.HOME), "H-A1-001")  # home quarantine: no site either
    with pytest.raises(DomainError):
        svc.stay_check_in(actor=county.town_staff, target=t2, resident=county.resident, site=shelter, room="1")
    assert not Stay.objects.exists()


def test_another_towns_worker_sees_no_sheltered_household_and_cannot_check_it_in(county, central, client):
    c = declare(county, "evacuation")
    shelter = _shelter(county)
    own = zhangs(c, "H-A1-001")
    svc.visit_record(actor=county.resident_user, target=own, outcome="sheltered")
    client.force_login(county.worker_c)
    page = client.get(reverse("campaigns:sites")).content.decode()
    assert f'data-resident="{county.resident.pk}"' not in page and "新联村文化礼堂" not in page
    r = client.post(reverse("campaigns:stay_check_in"), {"target": own.pk, "resident": county.resident.pk,
                                                         "site": shelter.pk, "room": "1"})
    assert r.status_code == 404 and not Stay.objects.exists()


def test_the_navigation_names_sites_of_every_kind_not_quarantine_sites(county, central, client):
    c = declare(county, "evacuation")
    client.force_login(county.town_staff)
    for path in (reverse("campaigns:detail", args=[c.pk]), reverse("campaigns:sites"), reverse("campaigns:list")):
        page = client.get(path).content.decode()
        nav = page[:page.index("<h1")]
        assert "集中点" in nav and "隔离" not in nav, path
    page = client.get(reverse("campaigns:sites")).content.decode()
    assert "<h1>集中点</h1>" in page
    words = page[page.index('id="site-words"'):]
    assert "隔离点、安置点、临时安置点、物资发放点" in words[:words.index("</p>")]



def test_the_declare_form_takes_the_types_words(county, central, client):
    client.force_login(county.town_staff)
    page = content(client.get(reverse("campaigns:new_incident") + "?type=evacuation").content.decode())
    assert 'data-incident-type="evacuation"' in page and 'href="?type=epidemic"' in page  # types to choose
    form = page[page.index('<form method="post"'):]  # the form itself, below the list of types
    assert "已安置到安置点" in form and "受影响户号" in form
    assert 'name="measure"' not in form
    for word in QUARANTINE_WORDS + ("指示病例", "密切接触"):
        assert word not in form, word
    form = client.get(reverse("campaigns:new_incident") + "?type=epidemic").content.decode()
    assert "居家隔离" in form and "集中隔离" in form and "指示病例户号" in form
    assert client.get(reverse("campaigns:new_incident") + "?type=nonsense").status_code == 404
    r = client.post(reverse("campaigns:new_incident"), {
        "kind": "evacuation", "type": "", "occurred_at": clock.now().strftime("%Y-%m-%dT%H:%M"), "place": "新联村",
        "index_household": "H-A1-001", "contacts": "", "scope_mode": "village", "lat": "", "lon": "",
        "radius_m": "500", "polygon": "", "capacity": "10"})
    assert r.status_code == 302, r.content.decode()[:400]
    c = Campaign.objects.get()
    assert c.incident.kind.code == "evacuation" and c.name.startswith("转移安置")
    assert set(Target.objects.filter(campaign=c).values_list("measure", flat=True)) == {""}


# ---- the capacity line ---------------------------------------------------------------------------

def test_the_capacity_line_counts_the_helpers_own_home_on_top(county, central, client):
    c = declare(county, "epidemic", capacity=1)
    loads = list(Target.objects.filter(campaign=c, central=central).values_list("household__number", flat=True))
    assert sorted(loads) == ["H-A1-001", "H-A1-002"]  # 1 + his own household
    client.force_login(county.town_staff)
    page = client.get(reverse("campaigns:detail", args=[c.pk])).content.decode()
    assert "每人不超过1户（另加本户）" in page
    # reassigning within the capacity does not count the own home against it
    other = Target.objects.get(campaign=c, household__number="H-A1-002")
    assert svc.campaign_reassign(actor=county.town_staff, campaign=c, targets=[other], central=central) == 1


def test_admin_lets_the_county_admin_configure_types_but_not_a_grid_worker(county, client):
    url = reverse("admin:campaigns_incidenttype_change", args=[kind("evacuation").pk])
    county.admin.is_staff = True
    county.admin.save(update_fields=["is_staff"])
    client.force_login(county.admin)
    page = client.get(url)
    assert page.status_code == 200 and 'name="name"' in page.content.decode()
    county.worker_a.is_staff = True
    county.worker_a.save(update_fields=["is_staff"])
    client.force_login(county.worker_a)
    page = client.get(url)  # campaign staff may look, read-only
    assert page.status_code == 200 and 'name="name"' not in page.content.decode()
    assert client.post(url, {"name": "改名"}).status_code == 403
    assert kind("evacuation").name == "转移安置"
