"""Campaigns through the services: scopes both ways, outcomes, sign-off, quarantine with a frozen clock."""

import datetime as dt

import pytest
from django.utils import timezone

from shanzhi.campaigns import services as svc
from shanzhi.campaigns.models import CampaignStatus, CheckIn, Kind, Measure, Outcome, Rule, Target
from shanzhi.campaigns.scope import resolve
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied
from shanzhi.lib.testing import box, point_in
from shanzhi.people.services import household_create


def night_visit(county, actor=None, **kw):
    scope = resolve(actor=actor or county.town_staff, units=[county.village.code])
    return svc.campaign_create(actor=actor or county.town_staff, kind=Kind.NIGHT_VISIT, name="十一月网格夜访",
                               scope=scope, rule=kw.pop("rule", Rule.CENTRAL_HOUSEHOLD), **kw)


def test_every_household_of_the_village_gets_a_responsible_person(county, central):
    c = night_visit(county)
    targets = {t.household.number: t for t in Target.objects.filter(campaign=c).select_related("household")}
    assert set(targets) == {"H-A1-001", "H-A1-002", "H-B1-001"}
    assert targets["H-A1-001"].central == central and targets["H-A1-002"].central == central
    # 王五's household (grid B) is in the village: the only central household takes it.
    assert targets["H-B1-001"].central == central
    assert c.unit == county.village and c.assigned_at is not None


def test_without_helpers_households_are_listed_with_the_reason(county):
    c = night_visit(county)
    reasons = set(Target.objects.filter(campaign=c).values_list("unassigned_reason", flat=True))
    assert reasons == {"本村社没有可分配的责任人"}
    assert c.assigned_at is None


def test_scope_errors_are_clear(county):
    with pytest.raises(DomainError, match="请选择范围"):
        resolve(actor=county.town_staff)
    with pytest.raises(NotFound):
        resolve(actor=county.town_staff, units=[county.village2.code])  # the other town
    with pytest.raises(DomainError, match="没有闭合"):
        bad = box(0, 0, 5, 5)
        bad["coordinates"][0] = bad["coordinates"][0][:-1]
        resolve(actor=county.town_staff, polygon=bad)
    with pytest.raises(DomainError, match="没有在册的户"):
        resolve(actor=county.town_staff, point=point_in(19, 19), radius_m=50)
    with pytest.raises(DomainError, match="半径"):
        resolve(actor=county.town_staff, point=point_in(2, 5), radius_m=0)


def test_radius_and_polygon_and_tags_select_households(county):
    near = resolve(actor=county.admin, point=point_in(2, 5), radius_m=200)
    assert near.households == [county.household_a.pk]
    drawn = resolve(actor=county.admin, polygon=box(10, 0, 30, 10))
    assert set(drawn.households) == {county.household_b.pk, county.household_c.pk}
    tagged = resolve(actor=county.admin, units=[county.county.code], tags=["elderly_alone"])
    assert tagged.households == [county.household_b.pk]


def test_a_grid_worker_cannot_declare_and_out_of_scope_is_not_found(county):
    scope = resolve(actor=county.town_staff, units=[county.grid_a.code])
    with pytest.raises(PermissionDenied):
        svc.campaign_create(actor=county.worker_a, kind=Kind.NIGHT_VISIT, name="x", scope=scope,
                            rule=Rule.GRID_WORKER)
    with pytest.raises(NotFound):
        svc.campaign_create(actor=county.worker_c, kind=Kind.NIGHT_VISIT, name="x", scope=scope,
                            rule=Rule.GRID_WORKER)


def test_grid_workers_rule_and_outcomes_and_sign_off(county):
    c = night_visit(county, rule=Rule.GRID_WORKER, capacity=100)
    ta = Target.objects.get(campaign=c, household=county.household_a)
    tb = Target.objects.get(campaign=c, household=county.household_b)
    assert ta.user == county.worker_a and tb.user == county.worker_b
    with pytest.raises(NotFound):
        svc.visit_record(actor=county.worker_c, target=ta, outcome=Outcome.VISITED)
    with pytest.raises(NotFound):  # grid B's worker sees nothing of grid A
        svc.visit_record(actor=county.worker_b, target=ta, outcome=Outcome.VISITED)
    with pytest.raises(NotFound):
        svc.grid_signoff(actor=county.worker_b, campaign=c, grid=county.grid_a)
    v1 = svc.visit_record(actor=county.worker_a, target=ta, outcome=Outcome.NOT_HOME, idempotency_key="k1")
    assert svc.visit_record(actor=county.worker_a, target=ta, outcome=Outcome.NOT_HOME, idempotency_key="k1") == v1
    ta.refresh_from_db()
    assert ta.reached_at is None and ta.revisit_due is not None
    with pytest.raises(DomainError, match="未完成且未说明原因"):
        svc.grid_signoff(actor=county.worker_a, campaign=c, grid=county.grid_a)
    svc.visit_record(actor=county.worker_a, target=ta, outcome=Outcome.VISITED, met_whom="张三")
    ta.refresh_from_db()
    assert ta.reached_at and ta.met_cadre
    svc.grid_signoff(actor=county.worker_a, campaign=c, grid=county.grid_a)
    svc.grid_signoff(actor=county.worker_b, campaign=c, grid=county.grid_b, reasons={tb.pk: "老人住院，出院后补访"})
    c.refresh_from_db()
    assert c.status == CampaignStatus.CLOSED
    with pytest.raises(DomainError, match="已结束"):
        svc.visit_record(actor=county.worker_b, target=tb, outcome=Outcome.VISITED)


def test_a_bad_outcome_is_refused(county):
    c = night_visit(county, rule=Rule.GRID_WORKER, capacity=100)
    ta = Target.objects.get(campaign=c, household=county.household_a)
    with pytest.raises(DomainError, match="不适用"):
        svc.visit_record(actor=county.worker_a, target=ta, outcome=Outcome.IN_PLACE)


def test_a_need_found_on_a_visit_becomes_a_case(county):
    from shanzhi.cases.models import Category

    c = night_visit(county, rule=Rule.GRID_WORKER, capacity=100)
    ta = Target.objects.get(campaign=c, household=county.household_a)
    svc.visit_record(actor=county.worker_a, target=ta, outcome=Outcome.VISITED, met_whom="张三")
    case = svc.visit_raise_case(actor=county.worker_a, target=ta, category=Category.objects.get(code="elderly_care"),
                                description="老人腿脚不便，需要送药")
    assert case.household == county.household_a and case.channel == "night_visit"
    assert ta.visits.get().case == case


def test_reassign_everyone_of_an_absent_person(county, central):
    from shanzhi.people.services import central_household_create as make_ch
    from shanzhi.people.services import resident_create

    other = household_create(actor=None, number="H-A1-009", micro_grid=county.mg_a1, address="一组9号",
                             registration="registered", lat=point_in(4, 5)[0], lon=point_in(4, 5)[1])
    leader = resident_create(actor=None, household=other, name="党员乙", id_number="33042119800101011X",
                             tags=["party_member"])
    ch2 = make_ch(actor=None, household=other, leader=leader)
    c = night_visit(county)
    result = svc.campaign_reassign_absent(actor=county.town_staff, campaign=c, central_id=central.pk)
    assert not result.unassigned
    assert not Target.objects.filter(campaign=c, central=central).exists()
    assert Target.objects.filter(campaign=c, central=ch2).count() == 4


def test_quarantine_lifecycle_with_a_frozen_clock(county, central):
    day0 = timezone.make_aware(dt.datetime(2026, 1, 23, 9, 0))
    with clock.frozen(day0):
        scope = resolve(actor=county.town_staff, units=[county.grid_a.code])
        c = svc.incident_declare(actor=county.town_staff, type="新冠肺炎密接", occurred_at=day0 - dt.timedelta(hours=2),
                                 place="新联村", scope=scope, measure=Measure.HOME, measure_days=14,
                                 index_household=county.household_a, index_person="张三")
    t = Target.objects.get(campaign=c, household=county.household_a)
    assert t.measure == Measure.HOME and t.measure_end == dt.date(2026, 2, 6)
    with clock.frozen(day0 + dt.timedelta(hours=1)):
        assert svc.campaign_acknowledge(actor=county.resident_user, campaign=c) == 2
        svc.visit_record(actor=county.resident_user, target=t, outcome=Outcome.NOTIFIED)
        svc.visit_record(actor=county.resident_user, target=t, outcome=Outcome.IN_PLACE)
        t2 = Target.objects.get(campaign=c, household=county.extra["h2"])
        svc.visit_record(actor=county.resident_user, target=t2, outcome=Outcome.IN_PLACE)
    c.refresh_from_db()
    assert c.all_notified_at == day0 + dt.timedelta(hours=1)
    with clock.frozen(day0 + dt.timedelta(days=1)):
        ci = svc.checkin_record(actor=county.resident_user, target=t, resident=county.neighbour, temperature="36.6")
        again = svc.checkin_record(actor=county.resident_user, target=t, resident=county.neighbour, temperature="36.6")
        assert ci == again and CheckIn.objects.count() == 1
        with pytest.raises(DomainError, match="体温"):
            svc.checkin_record(actor=county.resident_user, target=t, resident=county.resident, temperature="48")
        with pytest.raises(DomainError, match="不在此户"):
            svc.checkin_record(actor=county.resident_user, target=t, resident=county.resident_b, temperature="36.5")
    with clock.frozen(day0 + dt.timedelta(days=20)), pytest.raises(DomainError, match="管控期"):
        svc.checkin_record(actor=county.resident_user, target=t, resident=county.neighbour, temperature="36.5")


def test_a_confirmation_by_someone_not_responsible_is_refused(county, central):
    scope = resolve(actor=county.town_staff, units=[county.grid_a.code])
    c = svc.incident_declare(actor=county.town_staff, type="密接", occurred_at=clock.now(), place="新联村",
                             scope=scope)
    t = Target.objects.get(campaign=c, household=county.household_a)
    from shanzhi.accounts.models import User

    stranger = User.objects.create(username="r-x", kind="resident", resident=county.resident_c)
    with pytest.raises(NotFound):
        svc.visit_record(actor=stranger, target=t, outcome=Outcome.IN_PLACE)
    with pytest.raises(NotFound):
        svc.campaign_acknowledge(actor=stranger, campaign=c)


def test_missed_check_ins_alert_the_responsible_person_then_the_grid_worker(county, central):
    from shanzhi.campaigns.sweep import sweep
    from shanzhi.cases.models import Notification

    day0 = timezone.make_aware(dt.datetime(2026, 1, 23, 9, 0))
    with clock.frozen(day0):
        scope = resolve(actor=county.town_staff, units=[county.grid_a.code])
        c = svc.incident_declare(actor=county.town_staff, type="密接", occurred_at=day0, place="新联村", scope=scope)
        t = Target.objects.get(campaign=c, household=county.household_a)
        svc.visit_record(actor=county.resident_user, target=t, outcome=Outcome.IN_PLACE)
        svc.checkin_record(actor=county.resident_user, target=t, resident=county.neighbour, temperature="36.5")
    assert sweep(day0)["checkins_reminded"] == 0  # before 10:00
    r = sweep(day0 + dt.timedelta(hours=2))  # 11:00: 张三 has not checked in, 李梅 has
    assert r["checkins_reminded"] == 1 and r["checkins_alerted"] == 0
    sweep(day0 + dt.timedelta(hours=2, minutes=5))
    assert Notification.objects.filter(user=county.resident_user, kind="checkin_missed").count() == 1
    r = sweep(day0 + dt.timedelta(hours=6))  # 15:00: the grid worker hears of it too
    assert Notification.objects.filter(user=county.worker_a, kind="checkin_missed").count() == 1
    assert sweep(day0 + dt.timedelta(days=15))["released"] == 2
    t.refresh_from_db()
    assert t.released_at is not None


def test_grid_worker_campaigns_file_households_under_their_micro_grid(county):
    c = night_visit(county, rule=Rule.GRID_WORKER, capacity=100)
    assert Target.objects.get(campaign=c, household=county.household_a).unit == county.mg_a1


def test_a_capacity_that_cannot_cover_the_households_is_refused_whole(county, central):
    from shanzhi.campaigns.models import Campaign

    scope = resolve(actor=county.town_staff, units=[county.village.code])
    with pytest.raises(DomainError, match="不足以覆盖"):
        svc.incident_declare(actor=county.town_staff, type="密接", occurred_at=clock.now(), place="新联村",
                             scope=scope, capacity=1)
    assert not Campaign.objects.exists() and not Target.objects.exists()
