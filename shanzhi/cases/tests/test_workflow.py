"""The state machine: every step allowed from the right states, refused from the others, by the right people."""

import pytest

from shanzhi.audit.models import AuditEntry
from shanzhi.cases import services as svc
from shanzhi.cases import workflow
from shanzhi.cases.models import Notification, Status, Supervision
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied


def run_to(case, county, status):
    """Drive a fresh grid-A case to `status` through the real services."""
    w = county.worker_a
    path = {
        Status.REPORTED: [],
        Status.ACCEPTED: [lambda: svc.case_accept(actor=w, case=case)],
        Status.DISPATCHED: [lambda: svc.case_dispatch(actor=county.town_staff, case=case, assignee=w)],
        Status.HANDLING: [lambda: svc.case_start(actor=w, case=case)],
        Status.HANDLED: [lambda: svc.case_start(actor=w, case=case),
                         lambda: svc.case_report_back(actor=w, case=case, note="已清理")],
        Status.VERIFIED: [lambda: svc.case_start(actor=w, case=case),
                          lambda: svc.case_report_back(actor=w, case=case, note="已清理"),
                          lambda: svc.case_verify(actor=w, case=case)],
        Status.CLOSED: [lambda: svc.case_start(actor=w, case=case),
                        lambda: svc.case_report_back(actor=w, case=case, note="已清理"),
                        lambda: svc.case_verify(actor=w, case=case),
                        lambda: svc.case_close(actor=w, case=case)],
        Status.PARKED: [lambda: svc.case_park(actor=county.town_staff, case=case, note="待资金")],
        Status.VOID: [lambda: svc.case_void(actor=county.town_staff, case=case, note="测试数据")],
    }[status]
    if status in (Status.HANDLING, Status.HANDLED, Status.VERIFIED, Status.CLOSED):
        svc.case_accept(actor=w, case=case)
    for step in path:
        step()
    case.refresh_from_db()
    assert case.status == status
    return case


def test_the_whole_loop_from_report_to_rating(county, report):
    case = report()
    w = county.worker_a
    svc.case_accept(actor=w, case=case)
    svc.case_start(actor=w, case=case)
    svc.case_report_back(actor=w, case=case, note="已清理干净")
    svc.case_verify(actor=w, case=case)
    svc.case_close(actor=w, case=case)
    assert case.closed_on_time and case.closed_level == "grid"
    svc.case_rate(actor=county.resident_user, case=case, rating=5, satisfied=True, comment="很快")
    assert case.status == Status.RATED
    actions = list(case.events.values_list("action", flat=True))
    assert actions == ["report", "accept", "start", "report_back", "verify", "close", "rate"]
    steps = AuditEntry.objects.filter(object_id=str(case.pk), action__startswith="cases.")
    assert steps.exclude(action="cases.rating_link.issue").count() == 7
    assert steps.filter(action="cases.rating_link.issue").count() == 1  # the SMS's rating link
    assert Notification.objects.filter(user=county.resident_user, kind="rate").exists()


@pytest.mark.parametrize("status", [Status.REPORTED, Status.ACCEPTED, Status.DISPATCHED, Status.HANDLING,
                                    Status.HANDLED, Status.VERIFIED, Status.CLOSED, Status.PARKED, Status.VOID])
def test_each_action_is_refused_outside_its_states(county, report, status):
    """From every reachable state, each action not allowed there is refused with the reason; state unchanged."""
    case = run_to(report(), county, status)
    calls = {
        "accept": lambda: svc.case_accept(actor=county.admin, case=case),
        "start": lambda: svc.case_start(actor=county.admin, case=case),
        "report_back": lambda: svc.case_report_back(actor=county.admin, case=case, note="x"),
        "verify": lambda: svc.case_verify(actor=county.admin, case=case),
        "close": lambda: svc.case_close(actor=county.admin, case=case),
        "rate": lambda: svc.case_rate(actor=county.resident_user, case=case, rating=3, satisfied=True),
        "return": lambda: svc.case_return(actor=county.admin, case=case, note="x"),
        "park": lambda: svc.case_park(actor=county.admin, case=case, note="x"),
        "unpark": lambda: svc.case_unpark(actor=county.admin, case=case),
        "void": lambda: svc.case_void(actor=county.admin, case=case, note="x"),
    }
    for action, call in calls.items():
        if status in workflow.allowed_from(action):
            continue
        with pytest.raises(DomainError, match="当前状态") as err:
            call()
        assert err.value.code == "invalid_transition", action
        case.refresh_from_db()
        assert case.status == status


def test_grid_worker_b_cannot_touch_grid_a_cases(county, report):
    case = report()
    with pytest.raises(NotFound):
        svc.case_accept(actor=county.worker_b, case=case)
    with pytest.raises(NotFound):
        svc.case_report_back(actor=county.worker_b, case=case, note="x")
    case.refresh_from_db()
    assert case.status == Status.REPORTED


def test_a_grid_worker_may_not_dispatch_or_supervise(county, report):
    case = report()
    with pytest.raises(PermissionDenied):
        svc.case_dispatch(actor=county.worker_a, case=case, assignee=county.worker_a)
    with pytest.raises(PermissionDenied):
        svc.case_supervise(actor=county.worker_a, case=case, level=Supervision.RED, note="快")


def test_only_the_reporter_rates(county, report):
    case = run_to(report(), county, Status.CLOSED)
    with pytest.raises(PermissionDenied):
        svc.case_rate(actor=county.worker_a, case=case, rating=5, satisfied=True)
    with pytest.raises(DomainError, match="1到5"):
        svc.case_rate(actor=county.resident_user, case=case, rating=9, satisfied=True)


def test_an_unsatisfied_rating_sends_it_back_for_rework(county, report):
    case = run_to(report(), county, Status.CLOSED)
    svc.case_rate(actor=county.resident_user, case=case, rating=2, satisfied=False, comment="没清干净")
    case.refresh_from_db()
    assert case.status == Status.DISPATCHED and case.reopen_count == 1 and case.closed_at is None
    assert case.assignee == county.worker_a


def test_escalation_climbs_one_level_at_a_time(county, report):
    case = report()
    with pytest.raises(DomainError, match="上报原因"):
        svc.case_escalate(actor=county.worker_a, case=case, note="")
    svc.case_escalate(actor=county.worker_a, case=case, note="需要村里协调")
    assert case.handling_unit == county.village and case.assignee is None
    with pytest.raises(NotFound):  # the village's case is out of worker B's scope
        svc.case_escalate(actor=county.worker_b, case=case, note="x")
    svc.case_escalate(actor=county.town_staff, case=case, note="镇里处理")
    assert case.handling_unit == county.town
    svc.case_escalate(actor=county.admin, case=case, note="县里处理")
    assert case.handling_unit == county.county
    with pytest.raises(DomainError, match="县级"):
        svc.case_escalate(actor=county.admin, case=case, note="再上报")


def test_extension_is_asked_then_approved_or_refused(county, report):
    case = run_to(report(), county, Status.HANDLING)
    old = case.deadline_at
    until = old.replace(day=old.day) + __import__("datetime").timedelta(days=5)
    svc.case_extension_request(actor=county.worker_a, case=case, until=until, note="需要采购设备")
    with pytest.raises(DomainError, match="待审批"):
        svc.case_extension_request(actor=county.worker_a, case=case, until=until, note="again")
    with pytest.raises(PermissionDenied):
        svc.case_extension_decide(actor=county.worker_a, case=case, approve=True)
    svc.case_extension_decide(actor=county.town_staff, case=case, approve=True, note="同意")
    assert case.deadline_at == until and case.extension_requested_until is None
    svc.case_extension_request(actor=county.worker_a, case=case, until=until + __import__("datetime").timedelta(days=1),
                               note="还要一天")
    svc.case_extension_decide(actor=county.town_staff, case=case, approve=False, note="不同意")
    assert case.deadline_at == until


def test_return_goes_back_to_the_unit_queue_with_a_reason(county, report):
    case = run_to(report(), county, Status.DISPATCHED)
    with pytest.raises(DomainError, match="退回原因"):
        svc.case_return(actor=county.worker_a, case=case, note=" ")
    svc.case_return(actor=county.worker_a, case=case, note="不属于本网格")
    assert case.status == Status.ACCEPTED and case.assignee is None


def test_a_duplicate_is_merged_into_the_original_followers(county, report):
    original, dup = report(), report(actor=county.resident_user)
    from shanzhi.accounts.models import User

    other = User.objects.create(username="r-other", kind="resident")
    dup.reporter = other
    dup.save()
    svc.case_mark_duplicate(actor=county.town_staff, case=dup, original=original, note="同一处垃圾")
    assert dup.status == Status.DUPLICATE and dup.duplicate_of == original
    assert original.followers.filter(pk=other.pk).exists()
    with pytest.raises(DomainError, match="自身"):
        svc.case_mark_duplicate(actor=county.town_staff, case=original, original=original)


def test_supervision_notifies_the_handler(county, report):
    case = report()
    svc.case_supervise(actor=county.town_staff, case=case, level=Supervision.YELLOW, note="请今天处理")
    assert case.supervision == Supervision.YELLOW
    assert Notification.objects.filter(user=county.worker_a, kind="supervised").exists()
    with pytest.raises(DomainError, match="督办等级"):
        svc.case_supervise(actor=county.town_staff, case=case, level="purple", note="x")


def test_park_and_unpark(county, report):
    case = run_to(report(), county, Status.PARKED)
    svc.case_unpark(actor=county.town_staff, case=case)
    assert case.status == Status.ACCEPTED
