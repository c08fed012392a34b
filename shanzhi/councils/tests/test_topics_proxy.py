"""Proxy participation (a grid worker acts for a resident without a phone, audited) and "提交议事会" from a
case (linked both ways, noted on the case's timeline)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from shanzhi.audit.models import AuditEntry
from shanzhi.councils import services
from shanzhi.councils.models import Support, Topic
from shanzhi.councils.tests.test_councils import MONDAY, build_setting, client_for
from shanzhi.councils.tests.test_topics import raise_topic
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, NotFound
from shanzhi.lib.testing import ID_B, ID_C, ID_RESIDENT, report_case
from shanzhi.org.models import Role
from shanzhi.org.services import post_appoint


@pytest.fixture
def setting(county):
    with clock.frozen(MONDAY):
        yield build_setting(county)


def test_a_grid_worker_raises_a_topic_for_a_resident_of_their_grid(setting):
    s = setting
    topic = services.topic_raise(actor=s.c.worker_a, council=s.council, title="老人想要一个休息亭",
                                 text="村口等车没有地方坐", for_resident=s.c.resident)
    assert topic.proxy == s.c.worker_a and topic.author_resident == s.c.resident and topic.author_name == "张三"
    assert topic.author_user == s.zhang  # a resident with an account still hears of the steps
    event = topic.events.get(action="raise")
    assert event.actor == s.c.worker_a and "代居民张三提出" in event.note
    entry = AuditEntry.objects.get(action="councils.proxy_raise", actor=s.c.worker_a)
    assert entry.object_id == str(topic.pk) and entry.after["resident"] == s.c.resident.pk


def test_a_proxy_is_only_for_residents_in_the_workers_scope_and_village(setting):
    s = setting
    with pytest.raises(DomainError) as exc:  # 张三 lives in grid A, not grid B
        services.topic_raise(actor=s.c.worker_b, council=s.council, title="x", text="y", for_resident=s.c.resident)
    assert "resident" in exc.value.fields
    with pytest.raises(DomainError) as exc:  # 赵六 lives in 洋桥村: not worker A's, not this council's
        services.topic_raise(actor=s.c.worker_a, council=s.council, title="x", text="y", for_resident=s.c.resident_c)
    assert "resident" in exc.value.fields
    with pytest.raises(DomainError) as exc:  # worker C's own resident, but the council is another village's
        services.topic_raise(actor=s.c.worker_c, council=s.council, title="x", text="y", for_resident=s.c.resident_c)
    assert "resident" in exc.value.fields
    with pytest.raises(DomainError):  # a resident cannot act for another
        services.topic_raise(actor=s.zhang, council=s.council, title="x", text="y", for_resident=s.c.neighbour)
    assert not Topic.objects.exists() and not AuditEntry.objects.filter(action="councils.proxy_raise").exists()


def test_an_anonymous_proxy_topic_does_not_name_the_resident_in_public(setting):
    s = setting
    topic = services.topic_raise(actor=s.c.worker_a, council=s.council, title="邻居噪音", text="夜里吵",
                                 anonymous=True, for_resident=s.c.resident)
    assert "张三" not in topic.events.get().note
    body = client_for(s.li).get(reverse("councils:topic_detail", args=[topic.number])).content.decode()
    assert "张三" not in body


def test_a_proxy_support_names_the_resident_and_is_audited(setting):
    s = setting
    topic = raise_topic(s)
    services.topic_support(actor=s.c.worker_b, topic=topic, for_resident=s.c.resident_b)
    support = Support.objects.get(topic=topic)
    assert support.resident == s.c.resident_b and support.proxy == s.c.worker_b
    assert topic.events.filter(action="proxy_support", note__contains="王五").exists()
    assert AuditEntry.objects.filter(action="councils.proxy_support", actor=s.c.worker_b).exists()
    with pytest.raises(DomainError) as exc:
        services.topic_support(actor=s.c.worker_b, topic=topic, for_resident=s.c.resident_b)
    assert exc.value.code == "already_supported"
    with pytest.raises(DomainError) as exc:
        services.topic_support(actor=s.c.worker_b, topic=topic, for_resident=s.c.resident)
    assert "resident" in exc.value.fields


def test_the_proxy_page(setting):
    s = setting
    client = client_for(s.c.worker_a)
    url = reverse("councils:proxy")
    assert client.get(url).status_code == 200
    assert client_for(s.zhang).get(url).status_code == 404
    assert client_for(s.c.town_staff).get(url).status_code == 404  # town staff hold no proxy post
    resp = client.post(url, {"mode": "raise", "id_number": "bad", "council_type": "residents", "title": "", "text": ""})
    body = resp.content.decode()
    assert resp.status_code == 400 and "请填写标题" in body and "身份证号" in body
    resp = client.post(url, {"mode": "raise", "id_number": ID_C, "council_type": "residents", "title": "x",
                             "text": "y"})
    assert resp.status_code == 400 and "不在您的代办范围" in resp.content.decode()
    resp = client.post(url, {"mode": "raise", "id_number": ID_RESIDENT, "council_type": "worthies", "title": "x",
                             "text": "y"})
    assert resp.status_code == 400 and "尚未设立该组织" in resp.content.decode()
    resp = client.post(url, {"mode": "raise", "id_number": ID_RESIDENT, "council_type": "residents",
                             "title": "休息亭", "text": "村口等车没有地方坐"})
    assert resp.status_code == 302
    topic = Topic.objects.get()
    assert topic.proxy == s.c.worker_a and topic.council == s.council
    resp = client_for(s.c.worker_b).post(url, {"mode": "support", "id_number": ID_B, "topic": "YS00000000-0000"})
    assert resp.status_code == 400 and "未找到该议题" in resp.content.decode()
    resp = client_for(s.c.worker_b).post(url, {"mode": "support", "id_number": ID_B, "topic": topic.number})
    assert resp.status_code == 302 and Support.objects.filter(resident=s.c.resident_b).exists()
    resp = client_for(s.c.worker_b).post(url, {"mode": "support", "id_number": ID_RESIDENT, "topic": topic.number})
    assert resp.status_code == 400 and "不在您的代办范围" in resp.content.decode()


# ---- from a case -----------------------------------------------------------------------------------

def test_a_case_is_brought_to_the_council_and_linked_both_ways(setting):
    s = setting
    case = report_case(s.c, description="村道积水严重，多户出行困难")
    topic = services.topic_from_case(actor=s.cadre, case=case, council=s.council, title="村道积水")
    assert topic.case == case and topic.title == "村道积水" and topic.text == case.description
    note = case.events.get(action="annotate")
    assert topic.number in note.note and note.actor == s.cadre and note.public  # the reporter reads it too
    with pytest.raises(DomainError):  # once per council
        services.topic_from_case(actor=s.cadre, case=case, council=s.council)
    case_page = client_for(s.cadre).get(reverse("cases:staff_detail", args=[case.number])).content.decode()
    assert reverse("councils:topic_detail", args=[topic.number]) in case_page
    topic_page = client_for(s.cadre).get(reverse("councils:topic_detail", args=[topic.number])).content.decode()
    assert reverse("cases:staff_detail", args=[case.number]) in topic_page
    # residents see the topic, not a link to the staff case page
    resident_page = client_for(s.li).get(reverse("councils:topic_detail", args=[topic.number])).content.decode()
    assert reverse("cases:staff_detail", args=[case.number]) not in resident_page


def test_who_may_bring_a_case_to_the_council(setting):
    s = setting
    case = report_case(s.c)
    with pytest.raises(NotFound):
        services.topic_from_case(actor=s.c.worker_b, case=case, council=s.council)
    with pytest.raises(DomainError) as exc:  # a council of another village is not this case's
        services.topic_from_case(actor=s.c.admin, case=case, council=s.council2)
    assert "council" in exc.value.fields
    # the button shows where the user runs a council of the case's village
    page = reverse("cases:staff_detail", args=[case.number])
    button = reverse("councils:from_case", args=[case.number])
    assert button in client_for(s.cadre).get(page).content.decode()
    assert button not in client_for(s.c.worker_a).get(page).content.decode()
    assert client_for(s.c.worker_b).get(button).status_code == 404
    assert client_for(s.zhang).get(button).status_code == 404


def test_the_from_case_page(setting):
    s = setting
    case = report_case(s.c)
    url = reverse("councils:from_case", args=[case.number])
    client = client_for(s.cadre)
    assert client.get(url).status_code == 200
    resp = client.post(url, {"council": s.council2.pk})
    assert resp.status_code == 400 and "请选择议事组织" in resp.content.decode()
    resp = client.post(url, {"council": "abc"})
    assert resp.status_code == 400
    resp = client.post(url, {"council": s.council.pk, "note": "请议事会商议村道排水改造"})
    topic = Topic.objects.get(case=case)
    assert resp.status_code == 302 and resp["Location"] == reverse("councils:topic_detail", args=[topic.number])
    assert topic.text == "请议事会商议村道排水改造"
    resp = client.post(url, {"council": s.council.pk})
    assert resp.status_code == 400 and "已提交过" in resp.content.decode()


def test_a_town_cadre_with_a_grid_post_elsewhere(setting):
    """A worker who also holds a cadre post of the village may bring grid A's case to its council."""
    s = setting
    post_appoint(actor=None, unit=s.c.village, role=Role.VILLAGE_CADRE, user=s.c.worker_b,
                 start_date=dt.date(2024, 1, 1))
    case = report_case(s.c)
    assert services.topic_from_case(actor=s.c.worker_b, case=case, council=s.council).case == case
