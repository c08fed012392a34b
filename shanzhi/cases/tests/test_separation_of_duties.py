"""Separation of duties: whoever reported back a case may not also verify or close it (a 403 with its own
Chinese reason, after the 404 and the state's 400), unless the county allows it (SHANZHI_ALLOW_SELF_VERIFY)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from shanzhi.accounts.services import token_issue
from shanzhi.cases import services as svc
from shanzhi.cases.models import Status
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied

BASE = "/api/v1/cases/"


@pytest.fixture
def self_verify_allowed(settings):
    settings.SHANZHI = {**settings.SHANZHI, "ALLOW_SELF_VERIFY": True}


def handled_by(county, report, who):
    case = report()
    svc.case_accept(actor=who, case=case)
    svc.case_start(actor=who, case=case)
    svc.case_report_back(actor=who, case=case, note="已清理干净")
    return case


def api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(actor=user, user=user).key}")
    return client


def test_the_handler_may_not_verify_their_own_report_back(county, report):
    case = handled_by(county, report, county.worker_a)
    with pytest.raises(PermissionDenied) as err:
        svc.case_verify(actor=county.worker_a, case=case)
    assert err.value.code == "self_verify" and "处置反馈人不能核查" in str(err.value)
    with pytest.raises(PermissionDenied):
        svc.case_verify(actor=county.worker_a, case=case, passed=False, note="其实没清干净")
    case.refresh_from_db()
    assert case.status == Status.HANDLED


def test_someone_else_in_scope_verifies_and_closes(county, report):
    case = handled_by(county, report, county.worker_a)
    svc.case_verify(actor=county.town_staff, case=case)
    svc.case_close(actor=county.town_staff, case=case)
    assert case.status == Status.CLOSED


def test_a_senior_who_reported_back_may_not_close_it_either(county, report):
    case = handled_by(county, report, county.town_staff)
    with pytest.raises(PermissionDenied):
        svc.case_verify(actor=county.town_staff, case=case)
    svc.case_verify(actor=county.admin, case=case)
    with pytest.raises(PermissionDenied) as err:
        svc.case_close(actor=county.town_staff, case=case)
    assert err.value.code == "self_verify"
    svc.case_close(actor=county.admin, case=case)
    assert case.status == Status.CLOSED


def test_the_gate_answers_404_then_400_before_the_separation_403(county, report):
    case = handled_by(county, report, county.worker_a)
    with pytest.raises(NotFound):  # worker B sees nothing of grid A's case
        svc.case_verify(actor=county.worker_b, case=case)
    with pytest.raises(DomainError) as err:  # the handler closing before verification: the state's 400
        svc.case_close(actor=county.worker_a, case=case)
    assert err.value.code == "invalid_transition" and not isinstance(err.value, PermissionDenied)


def test_the_latest_report_back_decides_after_a_failed_verification(county, report):
    case = handled_by(county, report, county.worker_a)
    svc.case_verify(actor=county.town_staff, case=case, passed=False, note="还有垃圾")
    svc.case_report_back(actor=county.town_staff, case=case, note="镇里派人清完了")
    svc.case_verify(actor=county.worker_a, case=case)  # now someone else reported back
    assert case.status == Status.VERIFIED
    with pytest.raises(PermissionDenied):
        svc.case_close(actor=county.town_staff, case=case)


def test_a_county_setting_allows_self_verification_for_small_villages(county, report, self_verify_allowed):
    case = handled_by(county, report, county.worker_a)
    svc.case_verify(actor=county.worker_a, case=case)
    svc.case_close(actor=county.worker_a, case=case)
    assert case.status == Status.CLOSED


def test_the_api_refuses_with_403_and_the_reason_and_offers_no_verify(county, report):
    case = handled_by(county, report, county.worker_a)
    worker = api(county.worker_a)
    assert worker.get(f"{BASE}{case.number}/").json()["actions"] == []
    resp = worker.post(f"{BASE}{case.number}/actions/verify/", {}, format="json")
    assert resp.status_code == 403
    assert resp.json()["error"]["code"] == "self_verify" and "处置反馈人" in resp.json()["error"]["message"]
    town = api(county.town_staff)
    assert "verify" in town.get(f"{BASE}{case.number}/").json()["actions"]
    assert town.post(f"{BASE}{case.number}/actions/verify/", {}, format="json").status_code == 200


def test_the_api_lets_the_handler_verify_when_the_county_allows_it(county, report, self_verify_allowed):
    case = handled_by(county, report, county.worker_a)
    worker = api(county.worker_a)
    assert "verify" in worker.get(f"{BASE}{case.number}/").json()["actions"]
    assert worker.post(f"{BASE}{case.number}/actions/verify/", {}, format="json").status_code == 200


def _page_verify(client, user, case):
    client.force_login(user)
    return client.post(reverse("cases:staff_act", args=[case.number, "verify"]), {"note": ""})


def test_the_case_page_hides_verify_from_the_handler_and_refuses_with_the_reason(county, report, client):
    case = handled_by(county, report, county.worker_a)
    client.force_login(county.worker_a)
    page = client.get(reverse("cases:staff_detail", args=[case.number])).content.decode()
    assert 'data-action="verify"' not in page
    response = _page_verify(client, county.worker_a, case)
    assert response.status_code == 403
    assert "处置反馈人不能核查" in response.content.decode()
    case.refresh_from_db()
    assert case.status == Status.HANDLED
    assert _page_verify(client, county.town_staff, case).status_code == 302
    case.refresh_from_db()
    assert case.status == Status.VERIFIED


def test_the_case_page_lets_the_handler_verify_when_the_county_allows_it(county, report, client,
                                                                          self_verify_allowed):
    case = handled_by(county, report, county.worker_a)
    client.force_login(county.worker_a)
    page = client.get(reverse("cases:staff_detail", args=[case.number])).content.decode()
    assert 'data-action="verify"' in page
    assert _page_verify(client, county.worker_a, case).status_code == 302
