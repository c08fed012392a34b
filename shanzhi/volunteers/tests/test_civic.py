"""Civic points: staff award a configured act to a resident living in their scope (grid B's worker and the
other town get 404); a council topic carried out credits its author once; a good deed on the honour roll
credits the nominee once."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from shanzhi.appraisal import services as appraisal
from shanzhi.appraisal.tests.conftest import decide, panels  # noqa: F401 - the panels fixture
from shanzhi.audit.models import AuditEntry
from shanzhi.councils import services_meetings as meetings
from shanzhi.councils.models import Council, CouncilType, Member, Position, Topic, TopicStatus
from shanzhi.councils.signals import topic_decided, topic_done
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, NotFound
from shanzhi.volunteers import civic, ledger
from shanzhi.volunteers.models import CivicAct, Entry, EntryKind
from shanzhi.volunteers.tests.bank_setting import *  # noqa: F403 - the setting
from shanzhi.volunteers.tests.bank_setting import client_for


def test_staff_award_civic_points_in_their_scope(bank):
    s = bank
    e = civic.award(actor=s.c.worker_a, resident=s.c.resident, act_code="waste_sorting", note="12月入户检查合格")
    assert (e.kind, e.points, e.village) == (EntryKind.CIVIC, 5, s.c.village)
    assert e.account == ledger.account_for(village=s.c.village, name="张三", resident=s.c.resident)
    assert AuditEntry.objects.filter(action="volunteers.civic_award", object_id=str(e.pk)).exists()
    # a second check next month is a second award
    civic.award(actor=s.cadre, resident=s.c.resident, act_code="waste_sorting", note="1月检查合格")
    assert ledger.balance(e.account) == 10
    with pytest.raises(NotFound):  # grid B's worker: 张三 lives in grid A
        civic.award(actor=s.c.worker_b, resident=s.c.resident, act_code="waste_sorting", note="x")
    with pytest.raises(NotFound):
        civic.award(actor=s.c.worker_c, resident=s.c.resident, act_code="waste_sorting", note="x")
    with pytest.raises(NotFound):
        civic.award(actor=s.zhao, resident=s.c.resident, act_code="waste_sorting", note="x")
    for kw, field in (({"act_code": "nope", "note": "x"}, "act_code"), ({"act_code": "waste_sorting", "note": " "},
                                                                         "note"),
                      ({"act_code": "waste_sorting", "note": "长" * 201}, "note")):
        with pytest.raises(DomainError) as exc:
            civic.award(actor=s.cadre, resident=s.c.resident, **kw)
        assert field in exc.value.fields
    CivicAct.objects.filter(code="waste_sorting").update(is_active=False)
    with pytest.raises(DomainError) as exc:
        civic.award(actor=s.cadre, resident=s.c.resident, act_code="waste_sorting", note="x")
    assert "act_code" in exc.value.fields
    assert Entry.objects.count() == 2


def test_the_award_desk(bank):
    s = bank
    url = reverse("volunteers:civic")
    body = client_for(s.c.worker_a).get(url, {"name": "张"}).content.decode()
    assert "张三" in body and "33042119900101123X" not in body
    assert "张三" not in client_for(s.c.worker_b).get(url, {"name": "张"}).content.decode()
    assert client_for(s.zhang).get(url).status_code == 404
    token = re.search(r'name="token" value="([0-9a-f]{32})"', body).group(1)
    resp = client_for(s.c.worker_a).post(url, {"resident": str(s.c.resident.pk), "act_code": "waste_sorting",
                                               "note": "", "token": token})
    assert resp.status_code == 400 and "请填写说明" in resp.content.decode()
    assert f'value="{token}"' in resp.content.decode()  # the same form keeps its token
    assert client_for(s.c.worker_b).post(url, {"resident": str(s.c.resident.pk), "act_code": "waste_sorting",
                                               "note": "x", "token": token}).status_code == 404
    assert client_for(s.c.worker_a).post(url, {"resident": "abc", "act_code": "waste_sorting",
                                               "note": "x", "token": token}).status_code == 404
    resp = client_for(s.c.worker_a).post(url, {"resident": str(s.c.resident.pk), "act_code": "waste_sorting",
                                               "note": "检查合格", "token": token})
    assert resp.status_code == 302 and Entry.objects.get().points == 5


def test_the_desk_awards_once_per_form(bank):
    s = bank
    url = reverse("volunteers:civic")
    worker = client_for(s.c.worker_a)
    body = worker.get(url, {"name": "张"}).content.decode()
    token = re.search(r'name="token" value="([0-9a-f]{32})"', body).group(1)
    post = {"resident": str(s.c.resident.pk), "act_code": "waste_sorting", "note": "检查合格", "token": token}
    assert worker.post(url, post).status_code == 302
    resp = worker.post(url, post, follow=True)  # the same form posted again: no second award
    assert resp.status_code == 200 and "已记录过" in resp.content.decode()
    entry = Entry.objects.get()
    assert entry.source == f"civic:desk:{token}" and ledger.balance(entry.account) == 5
    assert AuditEntry.objects.filter(action="volunteers.civic_award").count() == 1
    # a new form (a new token) is a new award; the page gives a new token after each award
    new = re.search(r'name="token" value="([0-9a-f]{32})"', worker.get(url, {"name": "张"}).content.decode()).group(1)
    assert new != token
    assert worker.post(url, {**post, "token": new}).status_code == 302 and Entry.objects.count() == 2
    for bad in ("", "x" * 32, "g" * 32, "a" * 31):  # a missing or forged token: refused naming it, nothing written
        resp = worker.post(url, {**post, "token": bad})
        assert resp.status_code == 400 and "表单已失效" in resp.content.decode(), bad
    assert Entry.objects.count() == 2
    with pytest.raises(DomainError) as exc:
        civic.desk_award(actor=s.cadre, resident=s.c.resident, act_code="waste_sorting", note="x", token="zz")
    assert "token" in exc.value.fields
    # the token of 张三's award reused for 李梅: refused, not 张三's entry
    with pytest.raises(DomainError) as exc:
        civic.desk_award(actor=s.cadre, resident=s.c.neighbour, act_code="waste_sorting", note="x", token=token)
    assert "token" in exc.value.fields
    # out of scope: grid B's worker with a used token gets nothing of grid A's entry
    with pytest.raises(NotFound):
        civic.desk_award(actor=s.c.worker_b, resident=s.c.resident, act_code="waste_sorting", note="x", token=token)
    again, created = civic.desk_award(actor=s.cadre, resident=s.c.resident, act_code="waste_sorting", note="x",
                                      token=token)
    assert (again, created) == (entry, False) and Entry.objects.count() == 2


def _residents_council_topic(c, chair):
    kind = CouncilType.objects.get(code="residents")
    council = Council.objects.create(type=kind, unit=c.village, name="新联村百姓议事会")
    Member.objects.create(council=council, user=chair, name="主任", position=Position.CHAIR,
                          started_on=dt.date(2024, 1, 1))
    now = clock.now()
    return Topic.objects.create(council=council, number="YS-T-1", title="修村口路灯", text="路灯坏了",
                                author_resident=c.resident, author_user=c.resident_user, author_name="张三",
                                created_at=now, updated_at=now)


def test_a_council_topic_done_credits_its_author_once(panels):  # noqa: F811
    c = panels
    chair = c.extra["chair"]
    topic = _residents_council_topic(c, chair)
    decision = decide(topic, "adopted", actor=chair)
    task = meetings.task_add(actor=chair, decision=decision, title="修好路灯", owner=chair, due_on=dt.date(2026, 12, 31))
    meetings.task_done(actor=chair, task=task)
    topic.refresh_from_db()
    assert topic.status == TopicStatus.DONE
    entry = Entry.objects.get(source=f"civic:topic:{topic.pk}")
    assert (entry.kind, entry.points, entry.account.resident) == (EntryKind.CIVIC, 20, c.resident)
    topic_done.send(sender=type(decision), decision=decision, actor=None, now=None)  # a retried signal
    assert Entry.objects.filter(kind=EntryKind.CIVIC).count() == 1


def test_a_good_deed_on_the_honour_roll_credits_the_nominee_once(panels):  # noqa: F811
    c = panels
    n = appraisal.nomination_create(actor=c.resident_user, village=c.village, kind="good_deed", nominee_name="李梅",
                                    deed="雨夜送邻居老人去医院")
    rejected = appraisal.nomination_create(actor=c.resident_user, village=c.village, kind="good_deed",
                                           nominee_name="王五", deed="x")
    unknown = appraisal.nomination_create(actor=c.resident_user, village=c.village, kind="good_deed",
                                          nominee_name="不在册的人", deed="y")
    decision = decide(n.topic, "adopted")
    decide(rejected.topic, "rejected")
    decide(unknown.topic, "adopted")
    entry = Entry.objects.get(kind=EntryKind.CIVIC)
    assert entry.account.resident == c.neighbour and entry.points == 30 and entry.source.startswith("civic:honour:")
    topic_decided.send(sender=type(decision), decision=decision, actor=None, now=None)
    assert Entry.objects.filter(kind=EntryKind.CIVIC).count() == 1
