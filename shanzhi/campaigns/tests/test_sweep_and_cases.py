"""The campaign sweep writes through audited services and a re-run changes nothing; a need found on a
visit becomes a case through the case intake, by the real actor, linked back to the campaign's target."""

import datetime as dt

import pytest
from django.utils import timezone

from shanzhi.audit.models import AuditEntry
from shanzhi.campaigns import services as svc
from shanzhi.campaigns.models import Kind, Outcome, Rule, Target
from shanzhi.campaigns.scope import resolve
from shanzhi.campaigns.sweep import sweep
from shanzhi.cases.models import Category, Notification
from shanzhi.lib import clock
from shanzhi.lib.errors import NotFound

DAY0 = timezone.make_aware(dt.datetime(2026, 1, 23, 9, 0))


@pytest.fixture
def quarantine(county, central):
    with clock.frozen(DAY0):
        scope = resolve(actor=county.town_staff, units=[county.grid_a.code])
        c = svc.incident_declare(actor=county.town_staff, type="密接", occurred_at=DAY0, place="新联村", scope=scope)
        t = Target.objects.get(campaign=c, household=county.household_a)
        svc.visit_record(actor=county.resident_user, target=t, outcome=Outcome.IN_PLACE)
    return c, t


def _state():
    return (AuditEntry.objects.count(), Notification.objects.count(),
            sorted(Target.objects.values_list("id", "released_at")))


def test_check_in_alerts_are_audited_as_the_system_and_sent_once(county, quarantine):
    c, _t = quarantine
    at = DAY0 + dt.timedelta(hours=6)  # 15:00: responsible person and grid worker
    r = sweep(at)
    assert r["checkins_reminded"] == 2 and r["checkins_alerted"] == 2  # 张三 and 李梅
    entry = AuditEntry.objects.get(action="campaigns.checkin_alert")
    assert entry.actor_id is None and entry.object_id == str(c.pk)
    assert entry.after["reminded"] == 2 and entry.after["alerted"] == 2
    once = _state()
    assert sweep(at) == {"checkins_reminded": 0, "checkins_alerted": 0, "released": 0}
    assert _state() == once


def test_release_is_audited_as_the_system_and_a_rerun_changes_nothing(county, quarantine):
    c, t = quarantine
    later = DAY0 + dt.timedelta(days=15)
    assert sweep(later)["released"] == 2
    entry = AuditEntry.objects.get(action="campaigns.release")
    assert entry.actor_id is None and entry.after["targets"] == 2
    t.refresh_from_db()
    once = _state()
    assert sweep(later + dt.timedelta(hours=1))["released"] == 0
    assert _state() == once
    assert AuditEntry.objects.filter(action="campaigns.release").count() == 1


def test_nothing_is_audited_when_nothing_is_due(county, quarantine):
    before = AuditEntry.objects.count()
    assert sweep(DAY0) == {"checkins_reminded": 0, "checkins_alerted": 0, "released": 0}  # 09:00, day one
    assert AuditEntry.objects.count() == before


def _night_visit(county):
    scope = resolve(actor=county.town_staff, units=[county.village.code])
    return svc.campaign_create(actor=county.town_staff, kind=Kind.NIGHT_VISIT, name="十一月网格夜访", scope=scope,
                               rule=Rule.GRID_WORKER, capacity=100)


def test_a_need_found_on_a_visit_is_a_case_of_the_real_actor_linked_to_the_target(county):
    c = _night_visit(county)
    t = Target.objects.get(campaign=c, household=county.household_a)
    svc.visit_record(actor=county.worker_a, target=t, outcome=Outcome.VISITED, met_whom="张三")
    case = svc.visit_raise_case(actor=county.worker_a, target=t, category=Category.objects.get(code="elderly_care"),
                                description="老人腿脚不便，需要送药")
    report = case.events.get(action="report")
    assert report.actor == county.worker_a and case.created_by == county.worker_a
    assert report.data["origin"] == {"campaign": c.pk, "target": t.pk}
    assert t.visits.get().case == case and case.first_response_at is not None
    assert AuditEntry.objects.filter(action="cases.report", actor=county.worker_a, object_id=str(case.pk)).exists()


def test_someone_else_cannot_raise_a_case_for_a_target(county):
    c = _night_visit(county)
    t = Target.objects.get(campaign=c, household=county.household_a)
    with pytest.raises(NotFound):
        svc.visit_raise_case(actor=county.worker_c, target=t, category=Category.objects.get(code="elderly_care"),
                             description="x")
    assert not t.visits.exists() and not Notification.objects.filter(user=county.worker_c).exists()
