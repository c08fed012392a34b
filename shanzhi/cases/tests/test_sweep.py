"""The deadline sweep: warns once at 80%, escalates overdue work one level once, idempotent."""

import datetime as dt

from shanzhi.cases.models import HandlingLevel, Notification, Status
from shanzhi.cases.sweep import sweep
from shanzhi.lib import clock


def test_nothing_happens_while_green(county, report):
    report()
    assert sweep(clock.now() + dt.timedelta(hours=1)) == {"warned": 0, "escalated": 0}


def test_it_warns_once_past_eighty_percent(county, report):
    case = report()
    at = case.warn_at + dt.timedelta(minutes=1)
    assert sweep(at)["warned"] == 1
    assert sweep(at)["warned"] == 0
    assert Notification.objects.filter(user=county.worker_a, kind="warning", case=case).count() == 1


def test_overdue_work_escalates_one_level_once(county, report):
    case = report()
    late = case.deadline_at + dt.timedelta(minutes=5)
    assert sweep(late)["escalated"] == 1
    case.refresh_from_db()
    assert case.handling_level == HandlingLevel.VILLAGE and case.status == Status.ACCEPTED
    assert case.events.filter(action="escalate", actor__isnull=True).count() == 1
    assert sweep(late)["escalated"] == 0
    assert sweep(late + dt.timedelta(days=3))["escalated"] == 0
    case.refresh_from_db()
    assert case.handling_level == HandlingLevel.VILLAGE


def test_handled_cases_wait_for_verification_without_escalating(county, report):
    from shanzhi.cases import services as svc

    case = report()
    svc.case_accept(actor=county.worker_a, case=case)
    svc.case_start(actor=county.worker_a, case=case)
    svc.case_report_back(actor=county.worker_a, case=case, note="done")
    assert sweep(case.deadline_at + dt.timedelta(days=1))["escalated"] == 0


def test_a_case_closed_after_auto_escalation_is_not_on_time(county, report):
    from shanzhi.cases import services as svc

    case = report()
    late = case.deadline_at + dt.timedelta(minutes=5)
    sweep(late)
    case.refresh_from_db()
    with clock.frozen(late):
        svc.case_start(actor=county.town_staff, case=case)
        svc.case_report_back(actor=county.town_staff, case=case, note="done")
        svc.case_verify(actor=county.admin, case=case)
        svc.case_close(actor=county.admin, case=case)
    assert case.closed_on_time is False
