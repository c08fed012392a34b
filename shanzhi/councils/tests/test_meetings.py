"""Meetings: scheduling with its agenda and notices, cancelling, check-in, attendance, closing, and scope."""

from __future__ import annotations

import datetime as dt

import pytest

from shanzhi.accounts.sms import MemoryBackend
from shanzhi.cases.models import Notification
from shanzhi.councils import selectors_meetings as sel
from shanzhi.councils import services_meetings as svc
from shanzhi.councils.models import Attendance, MeetingStatus, TopicStatus
from shanzhi.councils.tests.test_meetings_fixtures import *  # noqa: F403 - the fixtures
from shanzhi.councils.tests.test_meetings_fixtures import NINE, make_council, make_topic
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied

TOMORROW = NINE + dt.timedelta(days=1)


def test_scheduling_puts_topics_on_the_agenda_and_tells_every_member(council, meeting, django_capture_on_commit_callbacks):
    x = council.extra
    for t in (x["topic"], x["topic2"]):
        t.refresh_from_db()
        assert t.status == TopicStatus.SCHEDULED
        assert t.events.filter(action="schedule").exists()
    assert [i.topic_id for i in sel.agenda_of(meeting)] == [x["topic"].pk, x["topic2"].pk]
    assert meeting.is_public  # the type's default
    # every current member's account has a notice linking to the meeting, the former member none
    notified = set(Notification.objects.filter(dedupe_key=f"meeting:{meeting.pk}:notice").values_list("user_id", flat=True))
    assert notified == {x["secretary"].pk, x["u_zhang"].pk, x["u_li"].pk, x["u_wang"].pk}
    note = Notification.objects.get(user=x["u_li"], dedupe_key=f"meeting:{meeting.pk}:notice")
    assert note.link == f"/councils/meetings/{meeting.pk}/me/" and "村委会二楼" in note.text


def test_members_with_a_phone_get_an_sms(council, frozen, django_capture_on_commit_callbacks):
    x = council.extra
    with django_capture_on_commit_callbacks(execute=True):
        svc.meeting_schedule(actor=x["secretary"], council=x["council"], title="临时议事会", starts_at=TOMORROW,
                             ends_at=TOMORROW + dt.timedelta(hours=1), place="文化礼堂")
    phones = sorted(p for p, _text in MemoryBackend.outbox)
    assert phones == ["13800000001", "13800000002", "13800000003"]  # 张三, 李梅, 王五; not 赵六 (former)
    assert all("临时议事会" in text and "文化礼堂" in text for _p, text in MemoryBackend.outbox)


def test_a_closed_meeting_can_be_private(council, frozen):
    x = council.extra
    m = svc.meeting_schedule(actor=x["cadre"], council=x["council"], title="内部会议", starts_at=TOMORROW,
                             ends_at=TOMORROW + dt.timedelta(hours=1), place="村委会", is_public=False)
    assert not m.is_public
    # residents of the village do not see it; members do
    with pytest.raises(NotFound):
        sel.meeting_get_for(user=x["u_zhao"], pk=m.pk)
    assert sel.meeting_get_for(user=x["u_zhang"], pk=m.pk) == m
    assert m not in sel.feed_for(village=council.village)["meetings"]


def test_bad_input_is_named(council, frozen):
    x = council.extra
    cases = [
        (dict(title="", starts_at=TOMORROW, ends_at=TOMORROW + dt.timedelta(hours=1), place="村委会"), "title"),
        (dict(title="会", starts_at=TOMORROW, ends_at=TOMORROW, place="村委会"), "ends_at"),
        (dict(title="会", starts_at=TOMORROW, ends_at=TOMORROW - dt.timedelta(hours=1), place="村委会"), "ends_at"),
        (dict(title="会", starts_at=TOMORROW, ends_at=TOMORROW + dt.timedelta(hours=20), place="村委会"), "ends_at"),
        (dict(title="会", starts_at=None, ends_at=None, place="村委会"), "starts_at"),
        (dict(title="会", starts_at=TOMORROW, ends_at=TOMORROW + dt.timedelta(hours=1), place=""), "place"),
        (dict(title="会", starts_at=NINE - dt.timedelta(days=5), ends_at=NINE - dt.timedelta(days=5, hours=-1),
              place="村委会"), "starts_at"),
    ]
    for kwargs, field in cases:
        with pytest.raises(DomainError) as e:
            svc.meeting_schedule(actor=x["secretary"], council=x["council"], **kwargs)
        assert field in e.value.fields, (kwargs, e.value.fields)


def test_only_accepted_topics_of_this_council_go_on_the_agenda(council, meeting):
    x = council.extra
    raised = make_topic(x["council"], "还没受理", status=TopicStatus.RAISED)
    with pytest.raises(DomainError) as e:
        svc.agenda_add(actor=x["secretary"], meeting=meeting, topic=raised)
    assert "topic" in e.value.fields
    other = make_council(council.village2, code="residents")
    foreign = make_topic(other, "洋桥村的事")
    with pytest.raises(DomainError) as e:
        svc.agenda_add(actor=x["secretary"], meeting=meeting, topic=foreign)
    assert "topic" in e.value.fields
    raised.refresh_from_db()
    assert raised.status == TopicStatus.RAISED


def test_removing_from_the_agenda_and_cancelling_unschedule(council, meeting):
    x = council.extra
    svc.agenda_remove(actor=x["secretary"], meeting=meeting, topic=x["topic"])
    x["topic"].refresh_from_db()
    assert x["topic"].status == TopicStatus.ACCEPTED
    with pytest.raises(DomainError) as e:
        svc.meeting_cancel(actor=x["secretary"], meeting=meeting, reason="  ")
    assert "reason" in e.value.fields
    svc.meeting_cancel(actor=x["secretary"], meeting=meeting, reason="台风")
    x["topic2"].refresh_from_db()
    meeting.refresh_from_db()
    assert x["topic2"].status == TopicStatus.ACCEPTED and meeting.status == MeetingStatus.CANCELLED
    assert Notification.objects.filter(dedupe_key=f"meeting:{meeting.pk}:cancel", user=x["u_wang"]).exists()


def test_who_may_schedule(council, frozen):
    x = council.extra
    kw = dict(council=x["council"], title="会", starts_at=TOMORROW, ends_at=TOMORROW + dt.timedelta(hours=1),
              place="村委会")
    with pytest.raises(PermissionDenied):
        svc.meeting_schedule(actor=x["u_zhang"], **kw)  # a member who is not an officer
    with pytest.raises(NotFound):
        svc.meeting_schedule(actor=council.worker_a, **kw)  # a grid's worker: the village's council is above
    with pytest.raises(NotFound):
        svc.meeting_schedule(actor=x["cadre2"], **kw)  # the other village's cadre
    with pytest.raises(NotFound):
        svc.meeting_schedule(actor=council.worker_c, **kw)
    assert svc.meeting_schedule(actor=council.town_staff, **kw).pk


def test_check_in_only_for_members_of_an_open_meeting(council, meeting):
    x = council.extra
    token = meeting.checkin_token
    with pytest.raises(DomainError) as e:  # not open yet
        svc.meeting_check_in(actor=x["u_zhang"], meeting=meeting, token=token)
    assert e.value.code == "invalid_state"
    svc.meeting_open(actor=x["secretary"], meeting=meeting)
    with pytest.raises(DomainError) as e:
        svc.meeting_check_in(actor=x["u_zhang"], meeting=meeting, token="wrong-token-wrong-token")
    assert "code" in e.value.fields
    a = svc.meeting_check_in(actor=x["u_zhang"], meeting=meeting, token=token)
    assert a.how == Attendance.How.QR
    assert svc.meeting_check_in(actor=x["u_zhang"], meeting=meeting, token=token) == a  # once
    svc.meeting_check_in(actor=x["u_li"], meeting=meeting, code=svc.checkin_code(meeting))
    with pytest.raises(PermissionDenied):
        svc.meeting_check_in(actor=x["cadre"], meeting=meeting, token=token)  # not a member
    with pytest.raises(NotFound):
        svc.meeting_check_in(actor=x["u_zhao"], meeting=meeting, token=token)  # former member, other village
    assert svc.present_count(meeting) == 2
    svc.meeting_close(actor=x["secretary"], meeting=meeting, minutes="议定事项见决定")
    with pytest.raises(DomainError):
        svc.meeting_check_in(actor=x["u_wang"], meeting=meeting, token=token)
    assert svc.present_count(meeting) == 2


def test_the_short_code_is_six_digits_and_differs_by_meeting(council, meeting, frozen):
    x = council.extra
    other = svc.meeting_schedule(actor=x["secretary"], council=x["council"], title="另一次", starts_at=TOMORROW,
                                 ends_at=TOMORROW + dt.timedelta(hours=1), place="村委会")
    a, b = svc.checkin_code(meeting), svc.checkin_code(other)
    assert len(a) == 6 and a.isdigit() and a != b


def test_closing_records_minutes_and_deliberates_undecided_topics(council, open_meeting):
    x = council.extra
    svc.decision_record(actor=x["secretary"], topic=x["topic"], outcome="adopted", text="修复路灯",
                        meeting=open_meeting)
    motion = svc.motion_propose(actor=x["secretary"], meeting=open_meeting, text="表决", topic=x["topic2"])
    with pytest.raises(DomainError) as e:
        svc.meeting_close(actor=x["secretary"], meeting=open_meeting, minutes="纪要")
    assert "motions" in e.value.fields  # a vote is still open
    svc.motion_close(actor=x["secretary"], motion=motion)
    with pytest.raises(DomainError) as e:
        svc.meeting_close(actor=x["secretary"], meeting=open_meeting, minutes="")
    assert "minutes" in e.value.fields
    svc.meeting_close(actor=x["secretary"], meeting=open_meeting, minutes="到会3人，议定路灯修复")
    open_meeting.refresh_from_db()
    x["topic"].refresh_from_db()
    x["topic2"].refresh_from_db()
    assert open_meeting.status == MeetingStatus.CLOSED and "路灯" in open_meeting.minutes
    assert x["topic"].status == TopicStatus.DECIDED and x["topic2"].status == TopicStatus.DELIBERATED
    assert svc.present_count(open_meeting) == 3


def test_the_secretary_marks_only_current_members(council, meeting):
    x = council.extra
    with pytest.raises(DomainError):  # not open
        svc.attendance_mark(actor=x["secretary"], meeting=meeting, member=x["m_zhang"])
    svc.meeting_open(actor=x["secretary"], meeting=meeting)
    svc.attendance_mark(actor=x["secretary"], meeting=meeting, member=x["m_zhang"])
    svc.attendance_mark(actor=x["secretary"], meeting=meeting, member=x["m_zhang"], present=False)
    assert svc.present_count(meeting) == 0
    with pytest.raises(PermissionDenied):
        svc.attendance_mark(actor=x["u_li"], meeting=meeting, member=x["m_li"])  # members check in themselves


def test_meeting_scope_both_ways(council, meeting):
    """A cadre of village B gets 404 for village A's meeting; village A's own people see it."""
    x = council.extra
    for outsider in (x["cadre2"], council.worker_c, x["u_zhao"]):
        with pytest.raises(NotFound):
            sel.meeting_get_for(user=outsider, pk=meeting.pk)
        assert meeting not in sel.meeting_list_for(user=outsider)
        with pytest.raises(NotFound):
            svc.meeting_open(actor=outsider, meeting=meeting)
    for insider in (x["cadre"], council.town_staff, council.admin, x["u_wang"], x["secretary"]):
        assert sel.meeting_get_for(user=insider, pk=meeting.pk) == meeting
        assert meeting in sel.meeting_list_for(user=insider)


def test_the_feed_shows_public_meetings_and_published_decisions(council, open_meeting):
    x = council.extra
    decision = svc.decision_record(actor=x["secretary"], topic=x["topic"], outcome="adopted", text="修复路灯",
                                   meeting=open_meeting)
    feed = sel.feed_for(village=council.village)
    assert open_meeting in feed["meetings"] and decision in feed["decisions"]
    other = sel.feed_for(village=council.village2)
    assert not other["meetings"] and not other["decisions"]


def test_a_room_is_booked_and_freed(council, frozen):
    """The room goes through the one booking service: a clash is refused naming the time; cancelling frees it."""
    from shanzhi.rooms.models import Booking, Room

    x = council.extra
    hall = Room.objects.create(unit=council.town, name="镇会议厅")
    other_village = Room.objects.create(unit=council.village2, name="洋桥村会议室")
    kw = dict(council=x["council"], starts_at=TOMORROW, ends_at=TOMORROW + dt.timedelta(hours=2))
    m = svc.meeting_schedule(actor=x["secretary"], title="在镇里开", room=hall, **kw)  # an officer by grant
    assert m.booking.room == hall and m.booking.kind == "councils.meeting" and svc.place_of(m) == "镇会议厅"
    assert list(m.booking.people.all()) == [x["secretary"]]  # staff members are held too
    with pytest.raises(DomainError) as e:
        svc.meeting_schedule(actor=x["cadre"], title="撞车", room=hall, starts_at=TOMORROW + dt.timedelta(hours=1),
                             ends_at=TOMORROW + dt.timedelta(hours=3), council=x["council"])
    assert e.value.code == "clash" and "starts_at" in e.value.fields
    with pytest.raises(DomainError) as e:
        svc.meeting_schedule(actor=x["cadre"], title="别村的会议室", room=other_village, **kw)
    assert "room" in e.value.fields
    svc.meeting_cancel(actor=x["secretary"], meeting=m, reason="改期")
    assert Booking.objects.get(pk=m.booking_id).cancelled
    again = svc.meeting_schedule(actor=x["cadre"], title="改期后", room=hall, **kw)
    assert again.booking.room == hall
