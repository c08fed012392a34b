"""Mediation extends the case workflow with the real actor: first response, transfer on escalation and
handover, conclusion with the cases' one on-time rule; mediators checked when scheduled; repeats named only
where the actor may see them; agreements with control characters still make a DOCX."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from docx import Document
from rest_framework.test import APIClient

from shanzhi.accounts.services import token_issue
from shanzhi.cases import indicators as case_indicators
from shanzhi.cases import services as case_svc
from shanzhi.cases.models import Notification, Status
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied
from shanzhi.mediation import services as svc
from shanzhi.mediation.document import agreement_docx
from shanzhi.mediation.indicators import indicators_for
from shanzhi.mediation.models import Dispute, Result, Team
from shanzhi.mediation.tests.conftest import PARTIES
from shanzhi.org.services import department_create

NINE = timezone.make_aware(dt.datetime(2026, 11, 25, 9, 0))  # a Wednesday
BASE = "/api/v1/disputes/"


@pytest.fixture(autouse=True)
def wednesday():
    with clock.frozen(NINE - dt.timedelta(hours=1)) as now:
        yield now


def api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(actor=user, user=user).key}")
    return client


def register(c, dtype, **kw):
    kw.setdefault("parties", PARTIES)
    kw.setdefault("unit", c.mg_a1)
    return svc.dispute_register(actor=kw.pop("actor", c.extra["mediator"]), kind="dispute", type=dtype,
                                summary=kw.pop("summary", "通道堆放杂物引发邻里矛盾"), **kw)


def book(c, d, *, actor=None, mediators=None, start=NINE):
    return svc.session_schedule(actor=actor or c.extra["mediator"], dispute=d, starts_at=start,
                                ends_at=start + dt.timedelta(hours=1), room=d.centre.rooms.first(),
                                mediators=mediators or [c.extra["mediator"]])


# ---- the real actor, the first response --------------------------------------------------------------

def test_a_walk_in_gets_its_first_response_from_the_mediator(centres, neighbour_type):
    d = register(centres, neighbour_type)
    assert d.case.first_response_at is None and d.case.created_by == centres.extra["mediator"]
    book(centres, d)
    d.case.refresh_from_db()
    assert d.case.first_response_at == clock.now() and d.case.status == Status.ACCEPTED
    ev = d.case.events.get(action="annotate")
    assert ev.actor == centres.extra["mediator"] and "已安排调解" in ev.note
    ind = case_indicators.indicators_for(centres.county, NINE - dt.timedelta(days=1), NINE + dt.timedelta(days=1))
    assert ind.responded == 1 and ind.median_first_response_hours == 0


def test_no_step_of_a_dispute_runs_as_the_system(centres, neighbour_type):
    m = centres.extra["mediator"]
    d = register(centres, neighbour_type)
    book(centres, d)
    svc.dispute_escalate(actor=m, dispute=d, note="村里调不了")
    svc.dispute_conclude(actor=m, dispute=d, result=Result.WITHDRAWN, note="申请人撤回")
    events = list(d.case.events.order_by("id"))
    assert [e.action for e in events] == ["report", "annotate", "transfer", "conclude"]
    assert all(e.actor == m for e in events)


# ---- escalation: a transfer, never from handled or verified -----------------------------------------------

def test_escalation_transfers_the_case_and_tells_the_new_centre(centres, neighbour_type):
    d = register(centres, neighbour_type)
    svc.dispute_escalate(actor=centres.extra["mediator"], dispute=d, note="村里调不了")
    d.case.refresh_from_db()
    assert d.case.handling_unit == centres.town and d.case.escalations == 1
    ev = d.case.events.get(action="transfer")
    assert ev.data["to"] == centres.town.code and ev.data["escalation"] is True
    assert Notification.objects.filter(user=centres.town_staff, case=d.case, kind="escalated").exists()


@pytest.mark.parametrize("steps", [("report_back",), ("report_back", "verify")])
def test_a_handled_or_verified_case_is_not_escalated(centres, neighbour_type, steps):
    d = register(centres, neighbour_type)
    admin = centres.admin
    case_svc.case_accept(actor=admin, case=d.case)
    case_svc.case_start(actor=admin, case=d.case)
    case_svc.case_report_back(actor=admin, case=d.case, note="已调处")
    if "verify" in steps:
        case_svc.case_verify(actor=centres.town_staff, case=d.case)
    before = d.case.status
    with pytest.raises(DomainError) as err:
        svc.dispute_escalate(actor=centres.extra["mediator"], dispute=d, note="上报")
    assert err.value.code == "invalid_transition"
    d.refresh_from_db()
    d.case.refresh_from_db()
    assert d.centre == centres.extra["village_centre"] and d.case.handling_unit == centres.village
    assert d.case.status == before and d.escalations == 0


def test_the_api_refuses_escalating_a_handled_case_with_400(centres, neighbour_type):
    d = register(centres, neighbour_type)
    for step in (case_svc.case_accept, case_svc.case_start):
        step(actor=centres.admin, case=d.case)
    case_svc.case_report_back(actor=centres.admin, case=d.case, note="已调处")
    resp = api(centres.extra["mediator"]).post(f"{BASE}{d.case.number}/escalate/", {"note": "上报"}, format="json")
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "invalid_transition"


def test_a_handover_to_a_department_window_transfers_the_case(centres, neighbour_type):
    dept = department_create(actor=None, unit=centres.town, code="TN-SF", name="天凝镇司法所")
    team = Team.objects.create(centre=centres.extra["village_centre"], name="司法所窗口", department=dept)
    d = register(centres, neighbour_type)
    svc.dispute_handover(actor=centres.extra["mediator"], dispute=d, team=team, note="涉法问题")
    d.case.refresh_from_db()
    assert d.case.department == dept and d.team == team
    assert d.case.events.get(action="transfer").actor == centres.extra["mediator"]


def test_a_handover_to_a_department_outside_the_mediators_scope_is_refused(centres, neighbour_type):
    dept = department_create(actor=None, unit=centres.town2, code="DY-SF", name="大云镇司法所")
    team = Team.objects.create(centre=centres.extra["village_centre"], name="大云窗口", department=dept)
    d = register(centres, neighbour_type)
    with pytest.raises(DomainError) as err:
        svc.dispute_handover(actor=centres.extra["mediator"], dispute=d, team=team)
    assert "department" in err.value.fields
    d.case.refresh_from_db()
    assert d.case.department_id is None


# ---- conclusion: the cases' one rule for on time -----------------------------------------------------------

def test_the_conclusion_closes_the_case_and_both_indicators_agree_on_time(centres, neighbour_type):
    m = centres.extra["mediator"]
    on_time, late = register(centres, neighbour_type), register(centres, neighbour_type, confirm_repeat=True)
    svc.dispute_conclude(actor=m, dispute=on_time, result=Result.WITHDRAWN)
    svc.dispute_conclude(actor=m, dispute=late, result=Result.WITHDRAWN,
                         now=late.case.deadline_at + dt.timedelta(hours=1))
    on_time.case.refresh_from_db()
    late.case.refresh_from_db()
    assert on_time.case.status == late.case.status == Status.CLOSED
    assert on_time.resolved_on_time is True and late.resolved_on_time is False
    assert on_time.resolved_level == "village" and on_time.case.closed_level == "village"
    period = (NINE - dt.timedelta(days=1), late.case.deadline_at + dt.timedelta(days=1))
    assert indicators_for(centres.county, *period)["on_time"] == 1
    assert case_indicators.indicators_for(centres.county, *period).closed_on_time == 1


def test_a_case_escalated_for_lateness_is_never_concluded_on_time(centres, neighbour_type):
    from shanzhi.cases.sweep import sweep

    d = register(centres, neighbour_type)
    sweep(d.case.deadline_at + dt.timedelta(minutes=1))  # the village is late: the case goes to the town
    d.case.refresh_from_db()
    assert d.case.overdue_escalated_level == "town"
    later = d.case.deadline_at + dt.timedelta(minutes=2)
    case_svc.case_extension_request(actor=centres.town_staff, case=d.case, until=later + dt.timedelta(days=5),
                                    note="当事人外出", now=later)
    case_svc.case_extension_decide(actor=centres.admin, case=d.case, approve=True, now=later)
    svc.dispute_conclude(actor=centres.extra["mediator"], dispute=d, result=Result.WITHDRAWN,
                         now=later + dt.timedelta(hours=1))  # well within the extended deadline
    assert d.case.deadline_at > later + dt.timedelta(hours=1) and d.resolved_on_time is False


def test_out_of_scope_mediators_cannot_conclude(centres, neighbour_type):
    d = register(centres, neighbour_type)
    with pytest.raises(NotFound):
        svc.dispute_conclude(actor=centres.extra["mediator_other_town"], dispute=d, result=Result.WITHDRAWN)
    with pytest.raises(PermissionDenied):  # sees the case of their grid, may not mediate
        svc.dispute_conclude(actor=centres.worker_a, dispute=d, result=Result.WITHDRAWN)
    d.case.refresh_from_db()
    assert d.case.status == Status.REPORTED and not d.result


# ---- scheduling a mediator ------------------------------------------------------------------------------

def test_a_mediator_of_the_centres_town_is_booked(centres, neighbour_type):
    d = register(centres, neighbour_type)
    s = book(centres, d, mediators=[centres.extra["mediator"], centres.town_staff])
    assert set(s.mediators.all()) == {centres.extra["mediator"], centres.town_staff}


@pytest.mark.parametrize("who", ["mediator_other_town", "worker_a"])
def test_someone_without_a_mediation_post_covering_the_centre_is_refused(centres, neighbour_type, who):
    person = centres.extra.get(who) or getattr(centres, who)
    d = register(centres, neighbour_type)
    with pytest.raises(DomainError) as err:
        book(centres, d, mediators=[centres.extra["mediator"], person])
    assert err.value.fields["mediators"] == [svc.MEDIATOR_REFUSED]
    assert not d.sessions.exists()


def test_the_api_refuses_an_ineligible_or_missing_mediator_alike(centres, neighbour_type):
    d = register(centres, neighbour_type)
    client = api(centres.extra["mediator"])

    def post(ids):
        return client.post(f"{BASE}{d.case.number}/sessions/", {
            "starts_at": NINE.isoformat(), "ends_at": (NINE + dt.timedelta(hours=1)).isoformat(),
            "room": d.centre.rooms.first().pk, "mediators": ids}, format="json")

    other, missing = post([centres.extra["mediator_other_town"].pk]), post([987654])
    assert other.status_code == missing.status_code == 400
    assert other.json()["error"]["fields"] == missing.json()["error"]["fields"] == {
        "mediators": [svc.MEDIATOR_REFUSED]}
    assert post([centres.extra["mediator"].pk]).status_code == 201


def test_the_page_offers_only_eligible_mediators(centres, neighbour_type, client):
    from django.urls import reverse

    d = register(centres, neighbour_type)
    client.force_login(centres.extra["mediator"])
    page = client.get(reverse("mediation:detail", args=[d.case.number])).content.decode()
    assert "调解员老王" in page and "调解员小李" not in page
    resp = client.post(reverse("mediation:act", args=[d.case.number, "schedule"]), {
        "room": d.centre.rooms.first().pk, "mediators": [centres.extra["mediator_other_town"].pk],
        "starts_at": "2026-11-25T09:00", "ends_at": "2026-11-25T10:00"})
    assert resp.status_code == 400 and not d.sessions.exists()


# ---- repeats named only where the actor may see them -------------------------------------------------------

@pytest.fixture
def town2_centre(centres):
    return svc.centre_create(actor=None, unit=centres.town2, name="大云镇矛调中心", rooms=["调解室"])


def test_a_repeat_the_actor_may_see_is_named(centres, neighbour_type):
    first = register(centres, neighbour_type)
    with pytest.raises(DomainError) as err:
        register(centres, neighbour_type)
    assert first.case.number in str(err.value) and err.value.fields["repeat_of"] == [first.case.number]


def test_a_repeat_at_another_unit_is_told_without_its_number(centres, neighbour_type, town2_centre):
    first = register(centres, neighbour_type)
    other = centres.extra["mediator_other_town"]
    with pytest.raises(DomainError) as err:
        register(centres, neighbour_type, actor=other, unit=centres.mg_c1)
    assert err.value.code == "possible_repeat"
    assert first.case.number not in str(err.value) and "其他单位" in str(err.value)
    assert err.value.fields["repeat_of"] == [] and first.case.number not in str(err.value.fields)
    second = register(centres, neighbour_type, actor=other, unit=centres.mg_c1, confirm_repeat=True)
    assert second.repeat_of == first and second.centre == town2_centre
    detail = api(other).get(f"{BASE}{second.case.number}/").json()
    assert detail["repeat_of"] is None and first.case.number not in str(detail)
    assert api(centres.admin).get(f"{BASE}{second.case.number}/").json()["repeat_of"] == first.case.number


def test_the_api_and_the_window_page_keep_the_other_units_number_back(centres, neighbour_type, town2_centre,
                                                                     client):
    from django.urls import reverse

    first = register(centres, neighbour_type)
    other = centres.extra["mediator_other_town"]
    body = {"kind": "dispute", "type": "neighbour", "summary": "通道堆放杂物", "parties": PARTIES,
            "unit": centres.mg_c1.code}
    resp = api(other).post(BASE, body, format="json")
    assert resp.status_code == 409 and resp.json()["error"]["fields"]["repeat_of"] == []
    assert first.case.number not in resp.content.decode()
    client.force_login(other)
    data = {"kind": "dispute", "type": neighbour_type.pk, "summary": "通道堆放杂物", "unit": centres.mg_c1.code,
            "parties-TOTAL_FORMS": "2", "parties-INITIAL_FORMS": "0", "parties-MIN_NUM_FORMS": "0",
            "parties-MAX_NUM_FORMS": "20"}
    for i, p in enumerate(PARTIES):
        data.update({f"parties-{i}-{k}": v for k, v in p.items()})
    page = client.post(reverse("mediation:reception"), data)
    text = page.content.decode()
    assert page.status_code == 400 and "其他单位" in text and first.case.number not in text
    assert Dispute.objects.count() == 1


# ---- control characters in agreements ---------------------------------------------------------------------

def test_an_agreement_with_control_characters_makes_a_docx_that_opens(centres, neighbour_type):
    m = centres.extra["mediator"]
    d = register(centres, neighbour_type)
    s = book(centres, d)
    svc.session_record(actor=m, session=s, attended=list(d.parties.values_list("id", flat=True)), minutes="调解")
    agreement = svc.agreement_create(actor=m, dispute=d, terms="一、王五\x01于三日内\x0b清理\x1f杂物。\x00")
    assert "\x01" not in agreement.text and "王五于三日内清理杂物。" in agreement.text
    agreement.text += "\x01\x08"  # stored before the rule: the document still opens
    doc = Document(io.BytesIO(agreement_docx(agreement)))
    assert "王五于三日内清理杂物。" in "\n".join(p.text for p in doc.paragraphs)


def test_terms_of_only_control_characters_are_refused(centres, neighbour_type):
    m = centres.extra["mediator"]
    d = register(centres, neighbour_type)
    s = book(centres, d)
    svc.session_record(actor=m, session=s, attended=[], minutes="调解")
    with pytest.raises(DomainError) as err:
        svc.agreement_create(actor=m, dispute=d, terms="\x01\x02 ")
    assert "terms" in err.value.fields
