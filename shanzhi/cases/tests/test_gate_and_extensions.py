"""The one gate on case steps (404, then 400, then 403), the service's checks of dispatch targets, the
workflow's extension steps (annotate, transfer, conclude) and the audited, idempotent deadline sweep."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from shanzhi.accounts.services import token_issue
from shanzhi.audit.models import AuditEntry
from shanzhi.cases import indicators
from shanzhi.cases import services as svc
from shanzhi.cases.models import HandlingLevel, Notification, Status
from shanzhi.cases.sweep import sweep
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied
from shanzhi.org.services import department_create

BASE = "/api/v1/cases/"


def api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(actor=user, user=user).key}")
    return client


def dispatch(user, case, **data):
    return api(user).post(f"{BASE}{case.number}/actions/dispatch/", {"note": "请处理", **data}, format="json")


@pytest.fixture
def departments(county):
    """A department of 天凝镇 (town staff's own), one of 大云镇 and one of the county."""
    return {
        "town": department_create(actor=None, unit=county.town, code="TN-ZJ", name="天凝镇建设办"),
        "town2": department_create(actor=None, unit=county.town2, code="DY-ZJ", name="大云镇建设办"),
        "county": department_create(actor=None, unit=county.county, code="XJ-ZJ", name="县住建局"),
    }


# ---- the gate's order ------------------------------------------------------------------------------

def test_out_of_scope_staff_get_not_found_whatever_the_state(county, report):
    case = report()
    with pytest.raises(NotFound):
        svc.case_accept(actor=county.worker_c, case=case)
    svc.case_void(actor=county.town_staff, case=case, note="重复上报")
    with pytest.raises(NotFound):  # still 404, not the state's 400: the case does not exist for them
        svc.case_accept(actor=county.worker_c, case=case)


def test_a_forbidden_state_answers_before_a_forbidden_role(county, report):
    case = report()
    with pytest.raises(PermissionDenied):  # the reporter sees it but may not accept it
        svc.case_accept(actor=county.resident_user, case=case)
    svc.case_void(actor=county.town_staff, case=case, note="重复上报")
    with pytest.raises(DomainError) as err:
        svc.case_accept(actor=county.resident_user, case=case)
    assert err.value.code == "invalid_transition" and not isinstance(err.value, PermissionDenied)


def test_only_the_reporter_rates(county, report):
    case = report()
    for step in (svc.case_accept, svc.case_start):
        step(actor=county.worker_a, case=case)
    svc.case_report_back(actor=county.worker_a, case=case, note="已清理")
    svc.case_verify(actor=county.town_staff, case=case)
    svc.case_close(actor=county.town_staff, case=case)
    with pytest.raises(PermissionDenied):  # the handler sees it, but rating is the reporter's
        svc.case_rate(actor=county.worker_a, case=case, rating=5, satisfied=True)
    with pytest.raises(NotFound):
        svc.case_rate(actor=county.worker_b, case=case, rating=5, satisfied=True)
    svc.case_rate(actor=county.resident_user, case=case, rating=5, satisfied=True)
    assert case.status == Status.RATED


# ---- dispatch targets --------------------------------------------------------------------------------

def test_town_staff_dispatch_to_their_own_towns_department(county, report, departments):
    case = report()
    resp = dispatch(county.town_staff, case, department=departments["town"].pk)
    assert resp.status_code == 200 and resp.json()["department"] == departments["town"].pk


@pytest.mark.parametrize("which", ["town2", "county"])
def test_town_staff_cannot_dispatch_to_a_department_outside_their_scope(county, report, departments, which):
    case = report()
    resp = dispatch(county.town_staff, case, department=departments[which].pk)
    assert resp.status_code == 400
    assert resp.json()["error"]["fields"]["department"] == [svc.DEPARTMENT_REFUSED]
    case.refresh_from_db()
    assert case.department_id is None and case.status == Status.REPORTED


def test_a_missing_department_answers_like_one_out_of_scope(county, report, departments):
    case = report()
    missing = dispatch(county.town_staff, case, department=987654)
    other = dispatch(county.town_staff, case, department=departments["town2"].pk)
    assert missing.status_code == other.status_code == 400
    assert missing.json()["error"]["fields"] == other.json()["error"]["fields"]


def test_the_county_dispatches_to_a_county_department(county, report, departments):
    case = report()
    assert dispatch(county.admin, case, department=departments["county"].pk).status_code == 200


def test_the_page_refuses_an_out_of_scope_department_like_the_api(county, report, departments, client):
    case = report()
    client.force_login(county.town_staff)
    resp = client.post(reverse("cases:staff_act", args=[case.number, "dispatch"]),
                       {"target": f"dept:{departments['town2'].pk}", "note": "请处理"})
    assert resp.status_code == 400 and svc.DEPARTMENT_REFUSED in resp.content.decode()
    case.refresh_from_db()
    assert case.department_id is None
    options = client.get(reverse("cases:staff_detail", args=[case.number])).content.decode()
    assert f"dept:{departments['town'].pk}" in options and f"dept:{departments['town2'].pk}" not in options


def test_a_case_goes_to_a_grid_worker_under_its_handling_unit(county, report):
    case = svc.case_escalate(actor=county.worker_a, case=report(), note="网格处理不了")  # now the village's
    resp = dispatch(county.town_staff, case, assignee=county.worker_b.pk)
    assert resp.status_code == 200 and resp.json()["assignee"] == county.worker_b.pk


@pytest.mark.parametrize("who", ["worker_c", "admin"])
def test_a_case_never_goes_to_someone_outside_its_handling_unit(county, report, who):
    case = report()  # handled by grid A; worker C works in another town, the admin above
    case = svc.case_escalate(actor=county.worker_a, case=case, note="网格处理不了")  # now the village's
    resp = dispatch(county.town_staff, case, assignee=getattr(county, who).pk)
    assert resp.status_code == 400 and resp.json()["error"]["fields"]["assignee"] == [svc.ASSIGNEE_REFUSED]
    missing = dispatch(county.town_staff, case, assignee=987654)
    assert missing.status_code == 400 and missing.json()["error"]["fields"] == resp.json()["error"]["fields"]


# ---- extension steps ------------------------------------------------------------------------------------

def test_annotate_adds_a_timeline_entry_in_any_state_by_the_real_actor(county, report):
    case = report()
    svc.case_void(actor=county.town_staff, case=case, note="重复上报")
    ev = svc.case_annotate(actor=county.worker_a, case=case, note="已电话告知居民")
    assert ev.actor == county.worker_a and ev.action == "annotate" and ev.to_status == Status.VOID
    assert AuditEntry.objects.filter(action="cases.annotate", actor=county.worker_a).count() == 1


def test_the_first_staff_entry_is_the_first_response(county, report):
    case = report()
    assert case.first_response_at is None
    svc.case_annotate(actor=county.worker_a, case=case, note="已联系", take_up=True)
    case.refresh_from_db()
    assert case.first_response_at is not None and case.status == Status.ACCEPTED


def test_annotate_refuses_those_who_may_not(county, report):
    case = report()
    with pytest.raises(NotFound):
        svc.case_annotate(actor=county.worker_b, case=case, note="x")
    with pytest.raises(PermissionDenied):  # the reporter sees the case, but does not handle it
        svc.case_annotate(actor=county.resident_user, case=case, note="x")
    assert not case.events.filter(action="annotate").exists()


def test_an_unknown_authority_is_a_programming_error(county, report):
    with pytest.raises(ValueError):
        svc.case_annotate(actor=county.worker_a, case=report(), note="x", authority="org.view")


def test_transfer_moves_the_case_with_an_event_and_a_notice(county, report):
    case = report()
    svc.case_transfer(actor=county.worker_a, case=case, unit=county.town, note="需镇里协调",
                      authority="cases.handle", escalation=True)
    case.refresh_from_db()
    assert case.handling_unit == county.town and case.handling_level == HandlingLevel.TOWN
    assert case.escalations == 1 and case.assignee_id is None
    ev = case.events.get(action="transfer")
    assert ev.actor == county.worker_a and ev.data["to"] == county.town.code
    assert Notification.objects.filter(user=county.town_staff, case=case, kind="escalated").exists()


def test_transfer_refuses_a_unit_outside_the_actors_scope(county, report):
    case = report()
    with pytest.raises(DomainError) as err:
        svc.case_transfer(actor=county.town_staff, case=case, unit=county.grid_c, note="转大云")
    assert "unit" in err.value.fields
    case.refresh_from_db()
    assert case.handling_unit == county.grid_a


def test_transfer_refuses_a_department_outside_the_actors_scope(county, report, departments):
    case = report()
    with pytest.raises(DomainError) as err:
        svc.case_transfer(actor=county.town_staff, case=case, department=departments["county"], note="转县")
    assert "department" in err.value.fields
    svc.case_transfer(actor=county.town_staff, case=case, department=departments["town"], note="转建设办")
    case.refresh_from_db()
    assert case.department == departments["town"]


def test_transfer_is_refused_once_handled(county, report):
    case = report()
    svc.case_accept(actor=county.worker_a, case=case)
    svc.case_start(actor=county.worker_a, case=case)
    svc.case_report_back(actor=county.worker_a, case=case, note="已清理")
    with pytest.raises(DomainError) as err:
        svc.case_transfer(actor=county.town_staff, case=case, unit=county.town, note="上报")
    assert err.value.code == "invalid_transition"
    case.refresh_from_db()
    assert case.handling_unit == county.grid_a and case.status == Status.HANDLED


def test_conclude_closes_an_open_case_with_its_outcome(county, report):
    case = report()
    svc.case_conclude(actor=county.worker_a, case=case, outcome="已协调解决", note="双方满意")
    case.refresh_from_db()
    assert case.status == Status.CLOSED and case.closed_on_time is True
    assert case.closed_level == HandlingLevel.GRID and case.first_response_at is not None
    assert case.events.get(action="conclude").actor == county.worker_a
    with pytest.raises(DomainError) as err:
        svc.case_conclude(actor=county.worker_a, case=case, outcome="再次办结")
    assert err.value.code == "invalid_transition"


def test_conclude_refuses_those_who_may_not(county, report):
    case = report()
    with pytest.raises(NotFound):
        svc.case_conclude(actor=county.worker_c, case=case, outcome="x")
    with pytest.raises(PermissionDenied):
        svc.case_conclude(actor=county.resident_user, case=case, outcome="x")
    case.refresh_from_db()
    assert case.status == Status.REPORTED


def test_one_rule_for_closed_on_time(county, report):
    early, late = report(), report(description="第二件")
    svc.case_conclude(actor=county.worker_a, case=early, outcome="已解决", now=early.deadline_at)
    svc.case_conclude(actor=county.worker_a, case=late, outcome="已解决",
                      now=late.deadline_at + dt.timedelta(minutes=1))
    early.refresh_from_db()
    late.refresh_from_db()
    assert early.closed_on_time is True and late.closed_on_time is False
    ind = indicators.indicators_for(county.county, early.reported_at - dt.timedelta(days=1),
                                    early.reported_at + dt.timedelta(days=1))
    assert ind.closed == 2 and ind.closed_on_time == 1


# ---- the sweep: through services, audited, idempotent -----------------------------------------------------

def _state():
    return (AuditEntry.objects.count(), Notification.objects.count(),
            sorted(AuditEntry.objects.values_list("action", flat=True)))


def test_the_sweep_audits_its_warnings_and_escalations_and_a_rerun_changes_nothing(county, report):
    warned, late = report(), report(description="第二件")
    at = late.deadline_at + dt.timedelta(minutes=5)
    warned_at = warned.warn_at + dt.timedelta(minutes=1)
    before = AuditEntry.objects.count()
    assert sweep(warned_at) == {"warned": 2, "escalated": 0}
    assert AuditEntry.objects.filter(action="cases.warn", actor__isnull=True).count() == 2
    assert sweep(at)["escalated"] == 2
    assert AuditEntry.objects.filter(action="cases.escalate", actor__isnull=True).count() == 2
    assert AuditEntry.objects.count() == before + 4
    once = _state()
    assert sweep(at) == {"warned": 0, "escalated": 0}
    assert sweep(warned_at) == {"warned": 0, "escalated": 0}
    assert _state() == once
