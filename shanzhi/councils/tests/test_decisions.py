"""Decisions and their follow-through: a decision opens a case and tasks, the topic is in progress, and done
when the case has closed and every task is done."""

from __future__ import annotations

import datetime as dt

import pytest

from shanzhi.cases import services as case_services
from shanzhi.cases.models import Category, Channel, Notification
from shanzhi.councils import selectors_meetings as sel
from shanzhi.councils import services_meetings as svc
from shanzhi.councils.models import Decision, DecisionCase, TopicKind, TopicStatus
from shanzhi.councils.signals import topic_decided, topic_done
from shanzhi.councils.tests.test_meetings_fixtures import *  # noqa: F403 - the fixtures
from shanzhi.councils.tests.test_meetings_fixtures import NINE, make_topic
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied


@pytest.fixture
def signals_heard():
    heard = []

    def on_decided(sender, *, decision, actor, now, **kw):
        heard.append(("decided", decision.pk))

    def on_done(sender, *, decision, actor, now, **kw):
        heard.append(("done", decision.pk))

    topic_decided.connect(on_decided, dispatch_uid="test.decided")
    topic_done.connect(on_done, dispatch_uid="test.done")
    yield heard
    topic_decided.disconnect(dispatch_uid="test.decided")
    topic_done.disconnect(dispatch_uid="test.done")


def _voted(council, meeting, *, yes: int):
    x = council.extra
    motion = svc.motion_propose(actor=x["secretary"], meeting=meeting, text="同意修复村口路灯", topic=x["topic"])
    svc.motion_show_of_hands(actor=x["secretary"], motion=motion, yes=yes, no=3 - yes, abstain=0)
    return motion


def test_decision_case_closed_topic_done(council, open_meeting, signals_heard):
    x = council.extra
    motion = _voted(council, open_meeting, yes=2)
    decision = svc.decision_record(actor=x["secretary"], topic=x["topic"], outcome="adopted",
                                   text="由村里修复村口路灯", motion=motion)
    topic = x["topic"]
    topic.refresh_from_db()
    assert topic.status == TopicStatus.DECIDED and decision.published_at is not None
    assert signals_heard == [("decided", decision.pk)]
    # the cadre opens a case (channel 议事会) to carry it out; the topic is in progress
    case = svc.decision_case_open(actor=x["cadre"], decision=decision, category=Category.objects.get(code="garbage"),
                                  description="修复村口路灯两盏")
    assert case.channel == Channel.COUNCIL and case.handling_unit == council.village
    assert case.events.get(action="report").data["origin"]["council_decision"] == decision.pk
    assert DecisionCase.objects.get(case=case).decision == decision
    topic.refresh_from_db()
    assert topic.status == TopicStatus.IN_PROGRESS
    task = svc.task_add(actor=x["secretary"], decision=decision, title="验收路灯", owner=x["u_li"],
                        due_on=dt.date(2026, 12, 10))
    assert Notification.objects.filter(user=x["u_li"], dedupe_key=f"council_task:{task.pk}").exists()
    # the case closes through the case workflow: the task is still open, so not done yet
    with clock.frozen(NINE + dt.timedelta(days=2)):
        case_services.case_conclude(actor=x["cadre"], case=case, outcome="路灯已修复")
    topic.refresh_from_db()
    assert topic.status == TopicStatus.IN_PROGRESS
    # the task's owner (a member, not an officer) marks it done: everything is, so the topic is done
    with clock.frozen(NINE + dt.timedelta(days=3)):
        svc.task_done(actor=x["u_li"], task=task)
    topic.refresh_from_db()
    decision.refresh_from_db()
    assert topic.status == TopicStatus.DONE and decision.done_at is not None and decision.progress == 100
    assert signals_heard[-1] == ("done", decision.pk)
    assert topic.events.filter(action="finish").count() == 1


def test_the_case_closing_last_finishes_the_topic(council, open_meeting, signals_heard):
    x = council.extra
    decision = svc.decision_record(actor=x["secretary"], topic=x["topic"], outcome="referred", text="转镇里办理",
                                   referred_to="天凝镇城建办", meeting=open_meeting)
    case = svc.decision_case_open(actor=x["cadre"], decision=decision,
                                  category=Category.objects.get(code="garbage"), description="路灯")
    case_services.case_conclude(actor=x["cadre"], case=case, outcome="已修复")
    x["topic"].refresh_from_db()
    assert x["topic"].status == TopicStatus.DONE
    assert signals_heard == [("decided", decision.pk), ("done", decision.pk)]


def test_the_outcome_must_follow_the_vote(council, open_meeting):
    x = council.extra
    motion = _voted(council, open_meeting, yes=1)  # 1 of 3 present: failed
    assert motion.result == "failed"
    with pytest.raises(DomainError) as e:
        svc.decision_record(actor=x["secretary"], topic=x["topic"], outcome="adopted", text="修", motion=motion)
    assert "outcome" in e.value.fields
    decision = svc.decision_record(actor=x["secretary"], topic=x["topic"], outcome="rejected", text="暂不修",
                                   motion=motion)
    with pytest.raises(DomainError) as e:  # nothing to carry out
        svc.task_add(actor=x["secretary"], decision=decision, title="t", owner=x["u_li"], due_on=dt.date(2026, 12, 1))
    assert e.value.code == "invalid_state"


def test_one_decision_per_topic_and_bad_input(council, open_meeting):
    x = council.extra
    for kwargs, field in [
        (dict(outcome="maybe", text="x"), "outcome"), (dict(outcome="adopted", text="  "), "text"),
        (dict(outcome="referred", text="x"), "referred_to"),
    ]:
        with pytest.raises(DomainError) as e:
            svc.decision_record(actor=x["secretary"], topic=x["topic"], meeting=open_meeting, **kwargs)
        assert field in e.value.fields
    with pytest.raises(DomainError) as e:  # not at a meeting, no vote
        svc.decision_record(actor=x["secretary"], topic=x["topic"], outcome="adopted", text="修")
    assert "meeting" in e.value.fields
    svc.decision_record(actor=x["secretary"], topic=x["topic"], outcome="adopted", text="修", meeting=open_meeting)
    with pytest.raises(DomainError) as e:
        svc.decision_record(actor=x["secretary"], topic=x["topic"], outcome="adopted", text="再修",
                            meeting=open_meeting)
    assert e.value.code == "invalid_state"
    assert Decision.objects.count() == 1


def test_a_consensus_decision_needs_the_quorum(council, meeting):
    x = council.extra
    svc.meeting_open(actor=x["secretary"], meeting=meeting)
    with pytest.raises(DomainError) as e:
        svc.decision_record(actor=x["secretary"], topic=x["topic"], outcome="adopted", text="修", meeting=meeting)
    assert e.value.code == "no_quorum"


def test_only_officers_and_cadres_decide(council, open_meeting):
    x = council.extra
    with pytest.raises(PermissionDenied):
        svc.decision_record(actor=x["u_zhang"], topic=x["topic"], outcome="adopted", text="修", meeting=open_meeting)
    with pytest.raises(NotFound):
        svc.decision_record(actor=x["cadre2"], topic=x["topic"], outcome="adopted", text="修", meeting=open_meeting)


def test_follow_through_bad_input(council, open_meeting):
    x = council.extra
    decision = svc.decision_record(actor=x["secretary"], topic=x["topic"], outcome="adopted", text="修",
                                   meeting=open_meeting)
    for kwargs, field in [
        (dict(title="", owner=x["u_li"], due_on=dt.date(2026, 12, 1)), "title"),
        (dict(title="t", owner=x["cadre2"], due_on=dt.date(2026, 12, 1)), "owner"),  # another village's cadre
        (dict(title="t", owner=x["u_zhao"], due_on=dt.date(2026, 12, 1)), "owner"),  # a former member
        (dict(title="t", owner=x["u_li"], due_on=dt.date(2026, 1, 1)), "due_on"),
        (dict(title="t", owner=x["u_li"], due_on=None), "due_on"),
    ]:
        with pytest.raises(DomainError) as e:
            svc.task_add(actor=x["secretary"], decision=decision, **kwargs)
        assert field in e.value.fields
    for percent, note, field in [(101, "x", "percent"), (-1, "x", "percent"), ("abc", "x", "percent"), (50, "", "note")]:
        with pytest.raises(DomainError) as e:
            svc.progress_note_add(actor=x["secretary"], decision=decision, percent=percent, note=note)
        assert field in e.value.fields
    svc.progress_note_add(actor=x["secretary"], decision=decision, percent=40, note="已采购灯具")
    decision.refresh_from_db()
    assert decision.progress == 40
    with pytest.raises(PermissionDenied):  # a member who is not an officer: no case
        svc.decision_case_open(actor=x["u_zhang"], decision=decision, category=Category.objects.get(code="garbage"),
                               description="修")


def test_a_task_is_done_by_its_owner_or_an_officer_only(council, open_meeting):
    x = council.extra
    decision = svc.decision_record(actor=x["secretary"], topic=x["topic"], outcome="adopted", text="修",
                                   meeting=open_meeting)
    task = svc.task_add(actor=x["secretary"], decision=decision, title="验收", owner=x["u_li"],
                        due_on=dt.date(2026, 12, 10))
    with pytest.raises(PermissionDenied):
        svc.task_done(actor=x["u_zhang"], task=task)
    with pytest.raises(NotFound):
        svc.task_done(actor=x["cadre2"], task=task)
    svc.task_done(actor=x["secretary"], task=task)
    with pytest.raises(DomainError):
        svc.task_done(actor=x["u_li"], task=task)


def test_decision_scope_and_publication(council, open_meeting):
    x = council.extra
    decision = svc.decision_record(actor=x["secretary"], topic=x["topic"], outcome="adopted", text="修",
                                   meeting=open_meeting)
    complaint = make_topic(x["council"], "乱倒垃圾评议", kind=TopicKind.COMPLAINT)
    svc.agenda_add(actor=x["secretary"], meeting=open_meeting, topic=complaint)
    private = svc.decision_record(actor=x["secretary"], topic=complaint, outcome="adopted", text="批评教育",
                                  meeting=open_meeting)
    assert private.published_at is None  # conduct complaints are not on the feed
    # a resident of the village (not a member) sees the published decision only
    neighbour = council.extra["u_zhang"]
    assert sel.decision_get_for(user=neighbour, pk=decision.pk) == decision  # member
    from shanzhi.councils.models import Member

    Member.objects.filter(pk=x["m_zhang"].pk).update(ended_on=dt.date(2026, 1, 1))
    assert sel.decision_get_for(user=neighbour, pk=decision.pk) == decision  # now only a resident: published
    with pytest.raises(NotFound):
        sel.decision_get_for(user=neighbour, pk=private.pk)
    for outsider in (x["cadre2"], x["u_zhao"], council.worker_c):
        with pytest.raises(NotFound):
            sel.decision_get_for(user=outsider, pk=decision.pk)
        assert not sel.decision_list_for(user=outsider).exists()
