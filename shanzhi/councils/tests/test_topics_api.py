"""The read API of councils and topics: scoped like the pages, no anonymous author, no hidden text, bad
filters answered 400 naming the parameter, documented in the OpenAPI schema."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from shanzhi.councils import services
from shanzhi.councils.tests.test_councils import MONDAY, build_setting
from shanzhi.councils.tests.test_topics import raise_topic
from shanzhi.lib import clock


@pytest.fixture
def setting(county):
    with clock.frozen(MONDAY):
        yield build_setting(county)


def api(user) -> Client:
    if user is None:
        return Client()
    token, _ = Token.objects.get_or_create(user=user)
    return Client(HTTP_AUTHORIZATION=f"Token {token.key}")


def test_councils_in_scope(setting):
    s = setting
    services.member_add(actor=s.cadre, council=s.council, resident=s.c.resident, position="chair")
    rows = api(s.c.town_staff).get("/api/v1/councils/").json()["results"]
    assert [r["name"] for r in rows] == ["新联村百姓议事会"]
    assert rows[0]["members"] == [{"name": "张三", "position": "chair"}] and rows[0]["type"]["code"] == "residents"
    assert len(api(s.c.admin).get("/api/v1/councils/").json()["results"]) == 2
    assert api(s.c.worker_b).get("/api/v1/councils/").json()["results"] == []
    assert api(s.c.worker_b).get(f"/api/v1/councils/{s.council.pk}/").status_code == 404
    assert api(s.zhao).get(f"/api/v1/councils/{s.council.pk}/").status_code == 404
    assert api(s.zhang).get(f"/api/v1/councils/{s.council.pk}/").status_code == 200
    assert api(None).get("/api/v1/councils/").status_code == 401
    assert api(s.c.admin).get("/api/v1/councils/", {"type": "moral"}).json()["results"] == []


def test_an_anonymous_author_is_never_in_the_api(setting):
    s = setting
    topic = raise_topic(s, anonymous=True)
    plain = raise_topic(s, title="另一件事")
    for user in (s.c.admin, s.cadre, s.li):
        rows = {r["number"]: r for r in api(user).get("/api/v1/council-topics/").json()["results"]}
        assert rows[topic.number]["author"] is None and rows[topic.number]["anonymous"] is True
        assert rows[plain.number]["author"] == "张某"
        body = api(user).get(f"/api/v1/council-topics/{topic.number}/").content.decode()
        assert "张三" not in body


def test_hidden_text_is_never_in_the_api(setting):
    s = setting
    topic = raise_topic(s, title="丑事", text="不实的指责")
    comment = services.comment_post(actor=s.li, topic=topic, text="骂人的话")
    services.comment_hide(actor=s.cadre, comment=comment, reason="不文明")
    services.topic_hide(actor=s.cadre, topic=topic, reason="涉及隐私")
    for user in (s.c.admin, s.li):
        body = api(user).get(f"/api/v1/council-topics/{topic.number}/").json()
        assert body["title"] == "该议题已被隐藏" and body["text"] == "" and body["hidden"] is True
        assert body["comments"][0]["text"] == "该评论已被隐藏"
        assert "骂人的话" not in str(body) and "不实的指责" not in str(body)


def test_topics_are_scoped(setting):
    s = setting
    topic = raise_topic(s)
    other = raise_topic(s, actor=s.zhao, council=s.council2, title="洋桥村的事")
    for user in (s.c.worker_a, s.c.worker_b):
        assert api(user).get("/api/v1/council-topics/").json()["results"] == []
        assert api(user).get(f"/api/v1/council-topics/{topic.number}/").status_code == 404
    numbers = [r["number"] for r in api(s.zhao).get("/api/v1/council-topics/").json()["results"]]
    assert numbers == [other.number]
    assert api(s.zhao).get(f"/api/v1/council-topics/{topic.number}/").status_code == 404
    assert api(s.c.town_staff).get(f"/api/v1/council-topics/{topic.number}/").status_code == 200


def test_bad_filters_name_the_parameter(setting):
    s = setting
    raise_topic(s)
    resp = api(s.c.admin).get("/api/v1/council-topics/", {"status": "bogus"})
    assert resp.status_code == 400 and "status" in resp.json()["error"]["fields"]
    resp = api(s.c.admin).get("/api/v1/council-topics/", {"council": "abc"})
    assert resp.status_code == 400 and "council" in resp.json()["error"]["fields"]
    resp = api(s.c.worker_b).get("/api/v1/council-topics/", {"council": s.council.pk})
    assert resp.status_code == 400 and "council" in resp.json()["error"]["fields"]
    resp = api(s.c.admin).get("/api/v1/council-topics/", {"council": s.council.pk, "status": "raised"})
    assert resp.status_code == 200 and len(resp.json()["results"]) == 1
    resp = api(s.c.admin).get("/api/v1/council-topics/", {"page": "x"})
    assert resp.status_code == 400 and "page" in resp.json()["error"]["fields"]


def test_the_schema_documents_the_endpoints(db):
    schema = Client().get("/api/schema/", {"format": "json"}).json()
    for path in ("/api/v1/councils/", "/api/v1/councils/{id}/", "/api/v1/council-topics/",
                 "/api/v1/council-topics/{number}/"):
        assert path in schema["paths"], path


def test_the_council_list_costs_the_same_queries_for_more_councils(setting):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from shanzhi.councils.models import CouncilType

    s = setting
    client = api(s.c.admin)
    client.get("/api/v1/councils/")
    with CaptureQueriesContext(connection) as two:
        assert len(client.get("/api/v1/councils/").json()["results"]) == 2
    for code in ("worthies", "legal", "moral"):
        council = services.council_create(actor=None, type=CouncilType.objects.get(code=code), unit=s.c.village)
        if code != "legal":  # the legal team takes staff only
            services.member_add(actor=None, council=council, resident=s.c.resident)
    with CaptureQueriesContext(connection) as five:
        assert len(client.get("/api/v1/councils/").json()["results"]) == 5
    assert len(five) == len(two)
