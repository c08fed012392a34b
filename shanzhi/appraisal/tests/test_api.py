"""The panel's REST endpoints: the honour roll (public data only, scoped) and complaints (staff in scope)."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from shanzhi.appraisal import services
from shanzhi.appraisal.models import Remedy
from shanzhi.appraisal.tests.conftest import decide

pytestmark = pytest.mark.django_db
HONOUR, COMPLAINTS = "/api/v1/honour-roll/", "/api/v1/appraisal-complaints/"


def api(user) -> Client:
    if user is None:
        return Client()
    token, _ = Token.objects.get_or_create(user=user)
    return Client(HTTP_AUTHORIZATION=f"Token {token.key}")


@pytest.fixture
def work(panels):
    c = panels
    here = services.nomination_create(actor=c.resident_user, village=c.village, kind="brave", nominee_name="周勇",
                                      deed="救起落水儿童，电话13912345678")
    there = services.nomination_create(actor=c.extra["other_resident"], village=c.village2, kind="family",
                                       nominee_name="洋桥家庭", deed="家风好")
    decide(here.topic, "adopted")
    decide(there.topic, "adopted")
    comp = services.complaint_create(actor=c.resident_user, village=c.village, kind="dumping",
                                     act="倒垃圾，身份证33042119900101123X", subject_name="钱七")
    services.hearing_record(actor=c.extra["chair"], complaint=comp, heard="钱七", findings="属实",
                            proposed=Remedy.CORRECT)
    c.extra.update(here=here, there=there, comp=comp)
    return c


def names(resp) -> set[str]:
    return {r["nominee_name"] for r in resp.json()["results"]}


def test_the_honour_roll_is_scoped_and_public_data_only(work):
    c = work
    assert names(api(c.admin).get(HONOUR)) == {"周勇", "洋桥家庭"}
    assert names(api(c.resident_user).get(HONOUR)) == {"周勇"}
    assert names(api(c.extra["other_resident"]).get(HONOUR)) == {"洋桥家庭"}
    assert names(api(c.town_staff).get(HONOUR)) == {"周勇"}
    assert names(api(c.worker_a).get(HONOUR)) == set()
    row = api(c.resident_user).get(HONOUR).json()["results"][0]
    assert set(row) == {"id", "nominee_name", "kind", "kind_label", "citation", "honoured_on", "village",
                        "village_name"}
    assert "13912345678" not in row["citation"] and row["village"] == c.village.code
    assert api(None).get(HONOUR).status_code == 401
    assert names(api(c.admin).get(HONOUR, {"village": c.village2.code})) == {"洋桥家庭"}
    assert names(api(c.admin).get(HONOUR, {"kind": "brave", "honoured_from": "2000-01-01"})) == {"周勇"}


@pytest.mark.parametrize("query,field", [({"kind": "hero"}, "kind"), ({"honoured_from": "0001-01-01"}, "honoured_from"),
                                         ({"honoured_to": "yesterday"}, "honoured_to"), ({"page": "x"}, "page")])
def test_bad_honour_queries_name_the_parameter(work, query, field):
    resp = api(work.admin).get(HONOUR, query)
    assert resp.status_code == 400 and field in resp.json()["error"]["fields"]


def test_complaints_are_for_staff_in_scope(work):
    c = work
    comp = c.extra["comp"]
    rows = api(c.town_staff).get(COMPLAINTS).json()["results"]
    assert [r["number"] for r in rows] == [comp.topic.number]
    assert rows[0]["subject_name"] == "钱七" and rows[0]["proposed"] == "correct" and rows[0]["decision"] == ""
    assert "33042119900101123X" not in str(rows) and "13800000001" not in str(rows)
    assert "author" not in str(rows[0].keys())
    detail = f"{COMPLAINTS}{comp.pk}/"
    assert api(c.admin).get(detail).json()["heard"] == "钱七"
    for outside in (c.worker_c, c.worker_a):
        assert api(outside).get(COMPLAINTS).json()["results"] == []
        assert api(outside).get(detail).status_code == 404
    assert api(c.resident_user).get(COMPLAINTS).status_code == 403  # residents have no staff API
    assert api(c.resident_user).get(detail).status_code == 403
    assert api(None).get(detail).status_code == 401
    assert api(c.admin).get(f"{COMPLAINTS}99999999999999999999999/").status_code == 404
    decide(comp.topic, "adopted")
    assert api(c.admin).get(COMPLAINTS, {"decision": "correct"}).json()["count"] == 1
    assert api(c.admin).get(COMPLAINTS, {"decision": "none"}).json()["count"] == 0
    resp = api(c.admin).get(COMPLAINTS, {"decision": "jail"})
    assert resp.status_code == 400 and "decision" in resp.json()["error"]["fields"]


def test_the_schema_documents_both(work):
    resp = api(work.admin).get("/api/schema/", HTTP_ACCEPT="application/json")
    paths = resp.json()["paths"] if resp["Content-Type"].startswith("application/json") else None
    text = resp.content.decode()
    assert "/api/v1/honour-roll/" in text and "/api/v1/appraisal-complaints/{id}/" in text
    assert paths is None or "get" in paths["/api/v1/honour-roll/"]
