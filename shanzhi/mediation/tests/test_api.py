"""The disputes REST API: scoped reads with masked parties, one-step registration, every step after it."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from docx import Document
from rest_framework.test import APIClient

from shanzhi.accounts.services import token_issue
from shanzhi.cases.models import Status
from shanzhi.lib import clock
from shanzhi.mediation.models import Dispute, Session
from shanzhi.mediation.tests.conftest import PARTIES

BASE = "/api/v1/disputes/"
NINE = timezone.make_aware(dt.datetime(2026, 11, 25, 9, 0))  # a Wednesday


@pytest.fixture(autouse=True)
def wednesday():
    with clock.frozen(NINE - dt.timedelta(hours=1)) as now:
        yield now


def staff(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(actor=user, user=user).key}")
    return client


def body(c, **kw) -> dict:
    return {"kind": "dispute", "type": "neighbour", "summary": "通道堆放杂物引发邻里矛盾", "parties": PARTIES,
            "unit": c.mg_a1.code, **kw}


@pytest.fixture
def mediator(centres) -> APIClient:
    return staff(centres.extra["mediator"])


@pytest.fixture
def registered(centres, neighbour_type, mediator) -> dict:
    resp = mediator.post(BASE, body(centres), format="json")
    assert resp.status_code == 201, resp.json()
    return resp.json()


def book(client, number: str, room: int, start: dt.datetime, mediators: list[int], hours: float = 1):
    return client.post(f"{BASE}{number}/sessions/", {
        "starts_at": start.isoformat(), "ends_at": (start + dt.timedelta(hours=hours)).isoformat(), "room": room,
        "mediators": mediators}, format="json")


# ---- registering -------------------------------------------------------------------------------------

def test_the_window_registers_a_dispute_with_masked_parties(centres, registered, mediator):
    d = registered
    assert d["number"].startswith("330421-") and d["centre"] == centres.village.code
    assert d["status"] == Status.REPORTED and d["result"] == "" and d["applicants"] == ["张三"]
    zhang = next(p for p in d["parties"] if p["name"] == "张三")
    assert zhang["id_number_masked"] == "330421********123X" and zhang["phone_masked"].endswith("0001")
    shown = mediator.get(f"{BASE}{d['number']}/")
    assert shown.status_code == 200
    for text in (str(d), shown.content.decode()):
        assert "33042119900101123X" not in text and "13800000001" not in text and "13800000003" not in text


def test_a_grid_worker_cannot_register(centres, neighbour_type):
    resp = staff(centres.worker_a).post(BASE, body(centres), format="json")
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "permission_denied"
    assert Dispute.objects.count() == 0


def test_bad_parties_are_named_field_by_field(centres, neighbour_type, mediator):
    resp = mediator.post(BASE, body(centres, parties=[{"role": "applicant", "name": "", "id_number": "123"}]),
                         format="json")
    assert resp.status_code == 400
    fields = resp.json()["error"]["fields"]
    assert {"parties", "parties[1].name", "parties[1].id_number"} <= set(fields)
    resp = mediator.post(BASE, body(centres, parties="张三"), format="json")
    assert resp.status_code == 400 and "parties" in resp.json()["error"]["fields"]
    resp = mediator.post(BASE, body(centres, parties=[{"role": "applicant", "name": "张三", "resident": 999999},
                                                     {"role": "respondent", "name": "王五"}]), format="json")
    assert resp.status_code == 400 and "parties[1].resident" in resp.json()["error"]["fields"]
    resp = mediator.post(BASE, body(centres, type="nonsense"), format="json")
    assert resp.status_code == 400 and "type" in resp.json()["error"]["fields"]
    assert Dispute.objects.count() == 0


def test_a_repeat_is_warned_with_the_numbers_then_linked_on_confirmation(centres, registered, mediator):
    resp = mediator.post(BASE, body(centres), format="json")
    assert resp.status_code == 409
    err = resp.json()["error"]
    assert err["code"] == "possible_repeat" and err["fields"]["repeat_of"] == [registered["number"]]
    assert Dispute.objects.count() == 1
    resp = mediator.post(BASE, body(centres, confirm_repeat=True), format="json")
    assert resp.status_code == 201 and resp.json()["repeat_of"] == registered["number"]


# ---- reading -----------------------------------------------------------------------------------------

def test_a_mediator_of_another_town_sees_nothing(centres, registered):
    other = staff(centres.extra["mediator_other_town"])
    number = registered["number"]
    resp = other.get(f"{BASE}{number}/")
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "not_found"
    assert other.get(BASE).json()["results"] == []
    assert other.post(f"{BASE}{number}/escalate/", {"note": "x"}, format="json").status_code == 404
    assert other.get(f"{BASE}{number}/agreements/").status_code == 404


def test_residents_and_strangers_are_refused(centres, registered):
    assert APIClient().get(BASE).status_code in (401, 403)
    resident = APIClient()
    resident.force_login(centres.resident_user)
    assert resident.get(f"{BASE}{registered['number']}/").status_code == 403


def test_list_filters(centres, registered, mediator, neighbour_type):
    number = registered["number"]
    petition = mediator.post(BASE, body(centres, kind="petition", type="land", parties=[
        {"role": "applicant", "name": "赵六", "phone": "13900000009"}]), format="json")
    assert petition.status_code == 201, petition.json()
    p_number = petition.json()["number"]

    def numbers(**query) -> list[str]:
        resp = mediator.get(BASE, query)
        assert resp.status_code == 200, resp.json()
        return [r["number"] for r in resp.json()["results"]]

    assert set(numbers()) == {number, p_number}
    assert numbers(kind="petition") == [p_number]
    assert numbers(type="neighbour") == [number]
    assert numbers(centre=centres.town.code) == [p_number]  # land matters go to the town centre
    assert set(numbers(status="open")) == {number, p_number} and numbers(status="resolved") == []
    today = clock.today()
    assert len(numbers(registered_from=today.isoformat(), registered_to=today.isoformat())) == 2
    assert numbers(registered_from=(today + dt.timedelta(days=1)).isoformat()) == []
    resp = mediator.get(BASE, {"status": "sideways"})
    assert resp.status_code == 400 and "status" in resp.json()["error"]["fields"]
    resp = mediator.get(BASE, {"registered_from": "yesterday"})
    assert resp.status_code == 400 and "registered_from" in resp.json()["error"]["fields"]


def test_the_list_costs_the_same_number_of_queries_for_one_or_many(centres, registered, mediator):
    with CaptureQueriesContext(connection) as one:
        assert len(mediator.get(BASE).json()["results"]) == 1
    for i in range(5):
        resp = mediator.post(BASE, body(centres, confirm_repeat=True, kind="petition" if i % 2 else "dispute",
                                        type="land" if i % 2 else "neighbour"), format="json")
        assert resp.status_code == 201
    with CaptureQueriesContext(connection) as six:
        assert len(mediator.get(BASE).json()["results"]) == 6
    assert len(one) == len(six)


# ---- steps -------------------------------------------------------------------------------------------

def test_escalation_and_hand_over(centres, registered, mediator):
    number = registered["number"]
    resp = mediator.post(f"{BASE}{number}/escalate/", {"note": ""}, format="json")
    assert resp.status_code == 400 and "note" in resp.json()["error"]["fields"]
    resp = mediator.post(f"{BASE}{number}/escalate/", {"note": "村里调不了"}, format="json")
    assert resp.status_code == 200 and resp.json()["centre"] == centres.town.code
    assert resp.json()["escalations"] == 1
    county_team = centres.extra["county_centre"].teams.first()
    resp = mediator.post(f"{BASE}{number}/handover/", {"team": county_team.pk}, format="json")
    assert resp.status_code == 400 and "team" in resp.json()["error"]["fields"]
    town_team = centres.extra["town_centre"].teams.first()
    resp = mediator.post(f"{BASE}{number}/handover/", {"team": town_team.pk, "note": "交镇调解团"}, format="json")
    assert resp.status_code == 200 and resp.json()["team_name"] == "镇调解团"


def test_a_session_clash_is_refused_with_code_clash(centres, registered, mediator, neighbour_type):
    m = centres.extra["mediator"]
    number = registered["number"]
    room = centres.extra["village_centre"].rooms.first().pk
    first = book(mediator, number, room, NINE, [m.pk])
    assert first.status_code == 201 and first.json()["room_name"] == "村调解室"
    other = mediator.post(BASE, body(centres, confirm_repeat=True), format="json").json()["number"]
    resp = book(mediator, other, room, NINE + dt.timedelta(minutes=30), [m.pk])
    assert resp.status_code == 400
    err = resp.json()["error"]
    assert err["code"] == "clash" and "starts_at" in err["fields"]
    assert Session.objects.count() == 1
    assert book(mediator, other, room, NINE + dt.timedelta(hours=1), [m.pk]).status_code == 201
    resp = book(mediator, other, room, NINE + dt.timedelta(hours=3), [987654])
    assert resp.status_code == 400 and "mediators" in resp.json()["error"]["fields"]


def test_from_session_to_signed_agreement_to_follow_up(centres, registered, mediator):
    m = centres.extra["mediator"]
    number = registered["number"]
    resp = mediator.post(f"{BASE}{number}/agreements/", {"terms": "王五三日内清理杂物"}, format="json")
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "no_session"
    room = centres.extra["village_centre"].rooms.first().pk
    session = book(mediator, number, room, NINE, [m.pk]).json()
    party_ids = [p["id"] for p in registered["parties"]]
    resp = mediator.post(f"{BASE}{number}/sessions/{session['id']}/record/",
                         {"attended": party_ids, "minutes": "双方陈述，同意清理通道"}, format="json")
    assert resp.status_code == 200 and resp.json()["held"] and resp.json()["attended"] == sorted(party_ids)
    resp = mediator.post(f"{BASE}{number}/agreements/", {"terms": "一、王五于三日内清理通道杂物。"}, format="json")
    assert resp.status_code == 201
    agreement = resp.json()["id"]
    resp = mediator.post(f"{BASE}{number}/conclude/", {"result": "agreement"}, format="json")
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "not_signed"
    assert mediator.post(f"{BASE}{number}/agreements/{agreement}/sign/").json()["signed_at"]
    download = mediator.get(f"{BASE}{number}/agreements/{agreement}/docx/")
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    text = "\n".join(p.text for p in Document(io.BytesIO(download.content)).paragraphs)
    assert "张三" in text and "王五" in text and "33042119900101123X" not in text
    resp = mediator.post(f"{BASE}{number}/conclude/", {"result": "agreement", "note": "当场履行"}, format="json")
    assert resp.status_code == 200 and resp.json()["status"] == Status.CLOSED and resp.json()["first_time"]
    resp = mediator.post(f"{BASE}{number}/agreements/{agreement}/followups/", {"result": "sometimes"},
                         format="json")
    assert resp.status_code == 400 and "result" in resp.json()["error"]["fields"]
    resp = mediator.post(f"{BASE}{number}/agreements/{agreement}/followups/", {"result": "performed"},
                         format="json")
    assert resp.status_code == 201 and resp.json()["result"] == "performed"
    shown = mediator.get(f"{BASE}{number}/").json()
    assert shown["agreements"][0]["followups"][0]["result_label"] == "已履行"
    assert shown["sessions"][0]["mediators"] == [{"id": m.pk, "name": str(m)}]


def test_sub_resources_of_another_dispute_are_not_found(centres, registered, mediator):
    m = centres.extra["mediator"]
    room = centres.extra["village_centre"].rooms.first().pk
    session = book(mediator, registered["number"], room, NINE, [m.pk]).json()
    other = mediator.post(BASE, body(centres, confirm_repeat=True), format="json").json()["number"]
    resp = mediator.post(f"{BASE}{other}/sessions/{session['id']}/record/", {"minutes": "x"}, format="json")
    assert resp.status_code == 404
    assert mediator.get(f"{BASE}{other}/agreements/12345/docx/").status_code == 404


def test_a_referral_needs_a_destination(centres, registered, mediator):
    number = registered["number"]
    resp = mediator.post(f"{BASE}{number}/conclude/", {"result": "referred"}, format="json")
    assert resp.status_code == 400 and "referred_to" in resp.json()["error"]["fields"]
    resp = mediator.post(f"{BASE}{number}/conclude/", {"result": "referred", "referred_to": "诉讼"}, format="json")
    assert resp.status_code == 200 and resp.json()["result"] == "referred"
    assert mediator.get(BASE, {"status": "concluded"}).json()["results"][0]["number"] == number
