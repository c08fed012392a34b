"""The council meeting and decision API: scoped, secret ballots anonymous, bad query named, in the schema."""

from __future__ import annotations

from django.test import Client
from rest_framework.authtoken.models import Token

from shanzhi.councils import services_meetings as svc
from shanzhi.councils.tests.test_meetings_fixtures import *  # noqa: F403 - the fixtures


def api(user) -> Client:
    token, _ = Token.objects.get_or_create(user=user)
    return Client(HTTP_AUTHORIZATION=f"Token {token.key}")


def test_meetings_are_scoped_and_secret_ballots_say_nobody(council, open_meeting):
    x = council.extra
    open_vote = svc.motion_propose(actor=x["secretary"], meeting=open_meeting, text="记名", topic=x["topic"])
    svc.ballot_cast(actor=x["u_zhang"], motion=open_vote, choice="yes")
    svc.motion_close(actor=x["secretary"], motion=open_vote)
    secret = svc.motion_propose(actor=x["secretary"], meeting=open_meeting, text="无记名", secret=True)
    svc.ballot_cast(actor=x["u_li"], motion=secret, choice="no")
    svc.motion_close(actor=x["secretary"], motion=secret)
    cadre, outsider = api(x["cadre"]), api(x["cadre2"])
    rows = cadre.get("/api/v1/council-meetings/").json()
    assert [r["id"] for r in rows["results"]] == [open_meeting.pk]
    assert outsider.get("/api/v1/council-meetings/").json()["results"] == []
    assert outsider.get(f"/api/v1/council-meetings/{open_meeting.pk}/").status_code == 404
    detail = cadre.get(f"/api/v1/council-meetings/{open_meeting.pk}/").json()
    assert detail["present"] == 3 and detail["members"] == 4 and detail["quorum_met"] is True
    by_text = {m["text"]: m for m in detail["motions"]}
    assert by_text["记名"]["ballots"] == [{"member": "张三", "choice": "yes", "at": by_text["记名"]["ballots"][0]["at"]}]
    assert by_text["无记名"]["ballots"] == [] and by_text["无记名"]["no"] == 1
    assert "李梅" not in str(by_text["无记名"])
    assert [a["topic"] for a in detail["agenda"]] == [x["topic"].number, x["topic2"].number]


def test_decisions_are_scoped(council, open_meeting):
    x = council.extra
    decision = svc.decision_record(actor=x["secretary"], topic=x["topic"], outcome="adopted", text="修路灯",
                                   meeting=open_meeting)
    svc.progress_note_add(actor=x["cadre"], decision=decision, percent=30, note="已采购")
    cadre, outsider = api(x["cadre"]), api(x["cadre2"])
    assert [r["id"] for r in cadre.get("/api/v1/council-decisions/").json()["results"]] == [decision.pk]
    assert outsider.get("/api/v1/council-decisions/").json()["results"] == []
    assert outsider.get(f"/api/v1/council-decisions/{decision.pk}/").status_code == 404
    detail = cadre.get(f"/api/v1/council-decisions/{decision.pk}/").json()
    assert detail["progress"] == 30 and detail["notes"][0]["note"] == "已采购" and detail["topic"] == x["topic"].number


def test_bad_query_is_named(council, open_meeting):
    x = council.extra
    cadre = api(x["cadre"])
    for url, field in [("/api/v1/council-meetings/?council=abc", "council"),
                       ("/api/v1/council-meetings/?status=soon", "status"),
                       ("/api/v1/council-decisions/?council=0", "council"),
                       ("/api/v1/council-decisions/?outcome=maybe", "outcome")]:
        r = cadre.get(url)
        assert r.status_code == 400 and field in r.content.decode(), url
    assert cadre.get("/api/v1/council-meetings/99999999999999999999/").status_code == 404
    assert Client().get("/api/v1/council-meetings/").status_code == 401


def test_the_endpoints_are_in_the_schema(db):
    schema = Client().get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/v1/council-meetings/" in schema and "/api/v1/council-decisions/{id}/" in schema
