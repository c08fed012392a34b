"""Writes of council meetings, votes, decisions and their follow-through.

Each service takes the actor keyword-only, runs in one transaction, asks the gate (`access.require_run`
for what officers and cadres do, `scopes.require` with the member's grant for what members do), moves
topics only through `lifecycle.move`, and leaves an audit row. Notices go to the inbox, SMS to members
with a phone after commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence

from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from shanzhi.accounts import scopes
from shanzhi.accounts.models import User
from shanzhi.accounts.sms import send_sms
from shanzhi.audit.services import audit_record
from shanzhi.cases.models import OPEN_STATUSES, Case, Channel, Kind, Status
from shanzhi.cases.notify import inbox_notify
from shanzhi.councils import access, lifecycle
from shanzhi.councils.models import (
    AgendaItem,
    Attendance,
    Ballot,
    CouncilType,
    Decision,
    DecisionCase,
    DecisionOutcome,
    Meeting,
    MeetingStatus,
    Member,
    Motion,
    MotionResult,
    ProgressNote,
    Task,
    Topic,
    TopicKind,
    TopicStatus,
)
from shanzhi.councils.signals import topic_decided, topic_done
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, PermissionDenied

MAX_MEETING_HOURS = 12
BOOKING_KIND = "councils.meeting"
CODE_DIGITS = 6
# A case of a decision counts as finished once it left the open states (closed, rated, void, merged)
UNFINISHED_CASE_STATUSES = (*OPEN_STATUSES, Status.PARKED)
Majority = CouncilType.Majority


def _bad(field: str, message: str, code: str | None = None) -> DomainError:
    return DomainError(message, fields={field: [message]}, code=code)


def _link(name: str, *args) -> str:
    return reverse(f"councils:{name}", args=args)


# ---- the rules, as pure functions --------------------------------------------------------------------

def quorum_needed(members: int, percent: int) -> int:
    """How many of `members` must be present: more than `percent` % of them (more than half for 50), and
    never more than all of them (100 % means everyone)."""
    if members <= 0:
        return 1
    return min(members, members * percent // 100 + 1)


def majority_passes(rule: str, *, yes: int, present: int, members: int) -> bool:
    """Does a motion with `yes` votes pass under `rule` (CouncilType.Majority)?

    More than half (过半数) is strictly more than half; two thirds (三分之二以上) includes two thirds
    exactly. A motion without a single yes never passes."""
    if yes <= 0:
        return False
    if rule == Majority.HALF_PRESENT:
        return yes * 2 > present
    if rule == Majority.HALF_MEMBERS:
        return yes * 2 > members
    if rule == Majority.TWO_THIRDS_PRESENT:
        return yes * 3 >= present * 2
    if rule == Majority.TWO_THIRDS_MEMBERS:
        return yes * 3 >= members * 2
    raise ValueError(f"unknown majority rule {rule!r}")


def present_count(meeting: Meeting) -> int:
    """Current members of the council checked in (or marked present) at the meeting."""
    on = timezone.localdate(meeting.starts_at) if meeting.status == MeetingStatus.CLOSED else None
    return meeting.attendance.filter(access.current_q(on, "member")).count()


def members_count(meeting: Meeting) -> int:
    return access.current_members(meeting.council).count()


def quorum_met(meeting: Meeting) -> bool:
    """Are enough current members present for the council type's quorum_percent? Two queries."""
    members = members_count(meeting)
    return members > 0 and present_count(meeting) >= quorum_needed(members, meeting.council.type.quorum_percent)


def quorum_refusal(meeting: Meeting) -> DomainError:
    members = members_count(meeting)
    pct = meeting.council.type.quorum_percent
    need = quorum_needed(members, pct)
    message = (f"未达到法定人数：本会规定须有超过全体成员{pct}%的成员到会（现有成员{members}人，"
               f"须到会{need}人），目前到会{present_count(meeting)}人，不能表决")
    return DomainError(message, fields={"quorum": [message]}, code="no_quorum")


def _require_quorum(meeting: Meeting) -> None:
    if not quorum_met(meeting):
        raise quorum_refusal(meeting)


# ---- checks on state ---------------------------------------------------------------------------------

def _status_in(meeting: Meeting, *statuses: str, doing: str):
    def check() -> None:
        if meeting.status not in statuses:
            raise DomainError(f"会议{meeting.get_status_display()}，不能{doing}", code="invalid_state")
    return check


def _lock(meeting: Meeting) -> Meeting:
    """Re-read the meeting under a row lock, so two steps on one meeting run one after the other."""
    fresh = Meeting.objects.select_for_update().get(pk=meeting.pk)
    meeting.status = fresh.status
    return meeting


# ---- who hears about a meeting -------------------------------------------------------------------------

def member_user_ids(members: Iterable[Member]) -> list[int]:
    """Accounts of members: their staff user, or the resident account of their registry record."""
    members = list(members)
    ids = {m.user_id for m in members if m.user_id}
    residents = [m.resident_id for m in members if m.resident_id and not m.user_id]
    if residents:
        ids.update(User.objects.filter(resident_id__in=residents, is_active=True).values_list("id", flat=True))
    return sorted(ids)


def _notify_members(meeting: Meeting, *, text: str, key: str, now: dt.datetime, sms: bool = True) -> int:
    members = list(access.current_members(meeting.council).select_related("resident"))
    link = _link("meeting_member", meeting.pk)
    sent = inbox_notify(member_user_ids(members), kind="council", text=text, key=key, now=now, link=link)
    if sms:
        phones = sorted({m.resident.phone_plain() for m in members
                         if m.resident_id and m.resident.phone_enc} - {""})
        message = f"【善治】{text}"
        transaction.on_commit(lambda: [send_sms(p, message) for p in phones])
    return sent


def _when_where(meeting: Meeting) -> str:
    local = timezone.localtime(meeting.starts_at)
    return f"{local:%m月%d日 %H:%M}，{place_of(meeting)}"


def place_of(meeting: Meeting) -> str:
    if meeting.booking_id and not meeting.booking.cancelled:
        return meeting.booking.room.name
    return meeting.place


# ---- meetings ----------------------------------------------------------------------------------------

def _check_times(starts_at, ends_at) -> None:
    errors: dict[str, list[str]] = {}
    if starts_at is None:
        errors["starts_at"] = ["请填写开始时间"]
    if ends_at is None:
        errors["ends_at"] = ["请填写结束时间"]
    if not errors and ends_at <= starts_at:
        errors["ends_at"] = ["结束时间应晚于开始时间"]
    elif not errors and ends_at - starts_at > dt.timedelta(hours=MAX_MEETING_HOURS):
        errors["ends_at"] = [f"会议不能超过{MAX_MEETING_HOURS}小时"]
    if errors:
        raise DomainError("；".join(m for ms in errors.values() for m in ms), fields=errors)


def _room_actor(actor, council):
    """Who books the room: the actor when their post runs the council's unit; a council officer acting by
    their grant (no post) books as the system, after this module's gate and its own check of the room."""
    if actor is not None and scopes.may(actor, "councils.run", council.unit):
        return actor
    return None


def _book(*, actor, meeting: Meeting, room) -> None:
    from shanzhi.rooms import services as rooms

    council = meeting.council
    if room is None or not room.is_active or not council.unit.path.startswith(room.unit.path):
        raise _bad("room", "请选择本村（社区）或上级单位的会议室")
    staff = member_user_ids(access.current_members(council).filter(user__isnull=False))
    meeting.booking = rooms.book(actor=_room_actor(actor, council), room=room, starts_at=meeting.starts_at,
                                 ends_at=meeting.ends_at, purpose=f"{council.name}：{meeting.title}"[:200],
                                 kind=BOOKING_KIND, people=User.objects.filter(pk__in=staff),
                                 authority="councils.run")


@transaction.atomic
def meeting_schedule(*, actor, council, title: str, starts_at: dt.datetime | None, ends_at: dt.datetime | None,
                     room=None, place: str = "", is_public: bool | None = None, topics: Sequence[Topic] = (),
                     now: dt.datetime | None = None) -> Meeting:
    """Plan a meeting of a council: time, a booked room or a free-text place, its agenda of accepted topics.

    Current members hear of it in their inbox (and by SMS when they have a phone); a public meeting is on
    the village feed (`selectors_meetings.feed_for`). Public by default as the council's type says."""
    access.require_run(actor, council)
    now = now or clock.now()
    title = (title or "").strip()
    place = (place or "").strip()
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = ["请填写会议名称"]
    elif len(title) > 100:
        errors["title"] = ["会议名称不能超过100字"]
    if room is None and not place:
        errors["place"] = ["请选择会议室或填写会议地点"]
    elif len(place) > 100:
        errors["place"] = ["地点不能超过100字"]
    if errors:
        raise DomainError("；".join(m for ms in errors.values() for m in ms), fields=errors)
    _check_times(starts_at, ends_at)
    if starts_at < now - dt.timedelta(days=1):
        raise _bad("starts_at", "不能安排已经过去的会议")
    if not council.is_active:
        raise DomainError("该议事组织已停用", code="invalid_state")
    meeting = Meeting.objects.create(
        council=council, title=title, starts_at=starts_at, ends_at=ends_at, place=place if room is None else "",
        is_public=council.type.public_meetings if is_public is None else bool(is_public),
        created_by=actor if getattr(actor, "pk", None) else None, created_at=now,
        checkin_token=secrets.token_urlsafe(18)[:24])
    if room is not None:
        _book(actor=actor, meeting=meeting, room=room)
        meeting.save(update_fields=["booking"])
    for topic in topics:
        _agenda_add(actor=actor, meeting=meeting, topic=topic, now=now)
    meeting.notified_at = now
    meeting.save(update_fields=["notified_at"])
    _notify_members(meeting, text=f"{council.name}将于{_when_where(meeting)}召开“{title}”，请准时参加",
                    key=f"meeting:{meeting.pk}:notice", now=now)
    audit_record(actor=actor, action="councils.meeting_schedule", obj=meeting, unit_path=council.unit.path,
                 after={"title": title, "starts_at": starts_at.isoformat(), "public": meeting.is_public,
                        "topics": [t.number for t in topics]})
    return meeting


def _agenda_add(*, actor, meeting: Meeting, topic: Topic, now: dt.datetime) -> AgendaItem:
    if topic.council_id != meeting.council_id:
        raise _bad("topic", "只能把本议事组织的议题列入议程")
    if topic.hidden:
        raise _bad("topic", "该议题已隐藏，不能列入议程")
    if topic.status != TopicStatus.ACCEPTED:
        raise _bad("topic", f"议题“{topic.title[:30]}”当前状态为“{topic.get_status_display()}”，只有已受理的议题可以列入议程",
                   code="invalid_state")
    order = (meeting.agenda.order_by("-order").values_list("order", flat=True).first() or 0) + 1
    item = AgendaItem.objects.create(meeting=meeting, topic=topic, order=order)
    lifecycle.move(topic, action="schedule", actor=actor, now=now, data={"meeting": meeting.pk},
                   note=f"列入{timezone.localtime(meeting.starts_at):%Y-%m-%d}“{meeting.title}”议程")
    return item


@transaction.atomic
def agenda_add(*, actor, meeting: Meeting, topic: Topic, now: dt.datetime | None = None) -> AgendaItem:
    """Put an accepted topic of the council on a planned or open meeting's agenda (the topic is scheduled)."""
    access.require_run(actor, meeting.council, what="该会议",
                       state=_status_in(meeting, MeetingStatus.PLANNED, MeetingStatus.OPEN, doing="调整议程"))
    _lock(meeting)
    now = now or clock.now()
    item = _agenda_add(actor=actor, meeting=meeting, topic=Topic.objects.select_for_update().get(pk=topic.pk),
                       now=now)
    audit_record(actor=actor, action="councils.agenda_add", obj=meeting, unit_path=meeting.council.unit.path,
                 after={"topic": topic.number})
    return item


@transaction.atomic
def agenda_remove(*, actor, meeting: Meeting, topic: Topic, now: dt.datetime | None = None) -> None:
    """Take a topic off a planned or open meeting's agenda; a topic not yet decided goes back to accepted."""
    access.require_run(actor, meeting.council, what="该会议",
                       state=_status_in(meeting, MeetingStatus.PLANNED, MeetingStatus.OPEN, doing="调整议程"))
    item = meeting.agenda.filter(topic=topic).first()
    if item is None:
        raise _bad("topic", "该议题不在本次会议议程中")
    topic = Topic.objects.select_for_update().get(pk=topic.pk)
    if topic.status != TopicStatus.SCHEDULED or meeting.motions.filter(topic=topic).exists():
        raise _bad("topic", "该议题已经表决或作出决定，不能移出议程", code="invalid_state")
    item.delete()
    lifecycle.move(topic, action="unschedule", actor=actor, now=now or clock.now(), data={"meeting": meeting.pk})
    audit_record(actor=actor, action="councils.agenda_remove", obj=meeting, unit_path=meeting.council.unit.path,
                 before={"topic": topic.number})


@transaction.atomic
def meeting_open(*, actor, meeting: Meeting, now: dt.datetime | None = None) -> Meeting:
    """Open a planned meeting: members may check in from now on."""
    access.require_run(actor, meeting.council, what="该会议",
                       state=_status_in(meeting, MeetingStatus.PLANNED, doing="开始"))
    _lock(meeting)
    _status_in(meeting, MeetingStatus.PLANNED, doing="开始")()
    meeting.status = MeetingStatus.OPEN
    if not meeting.checkin_token:
        meeting.checkin_token = secrets.token_urlsafe(18)[:24]
    meeting.save(update_fields=["status", "checkin_token"])
    audit_record(actor=actor, action="councils.meeting_open", obj=meeting, unit_path=meeting.council.unit.path)
    return meeting


@transaction.atomic
def meeting_cancel(*, actor, meeting: Meeting, reason: str, now: dt.datetime | None = None) -> Meeting:
    """Cancel a planned meeting: its room is freed, its topics go back to accepted, members are told."""
    access.require_run(actor, meeting.council, what="该会议",
                       state=_status_in(meeting, MeetingStatus.PLANNED, doing="取消"))
    reason = (reason or "").strip()
    if not reason:
        raise _bad("reason", "请填写取消原因")
    _lock(meeting)
    now = now or clock.now()
    for item in meeting.agenda.select_related("topic"):
        if item.topic.status == TopicStatus.SCHEDULED:
            lifecycle.move(item.topic, action="unschedule", actor=actor, now=now, note=f"会议取消：{reason[:100]}",
                           data={"meeting": meeting.pk})
    if meeting.booking_id and not meeting.booking.cancelled:
        from shanzhi.rooms import services as rooms

        rooms.cancel(actor=_room_actor(actor, meeting.council), booking=meeting.booking, authority="councils.run")
    meeting.status = MeetingStatus.CANCELLED
    meeting.save(update_fields=["status"])
    _notify_members(meeting, text=f"{meeting.council.name}原定{_when_where(meeting)}召开的“{meeting.title}”已取消",
                    key=f"meeting:{meeting.pk}:cancel", now=now)
    audit_record(actor=actor, action="councils.meeting_cancel", obj=meeting, unit_path=meeting.council.unit.path,
                 reason=reason[:500])
    return meeting


@transaction.atomic
def meeting_close(*, actor, meeting: Meeting, minutes: str, now: dt.datetime | None = None) -> Meeting:
    """Close an open meeting with its minutes: attendance stays as recorded, agenda topics without a decision
    become deliberated. Refused while a vote is still open."""
    access.require_run(actor, meeting.council, what="该会议",
                       state=_status_in(meeting, MeetingStatus.OPEN, doing="结束"))
    minutes = (minutes or "").strip()
    if not minutes:
        raise _bad("minutes", "请填写会议纪要")
    _lock(meeting)
    if meeting.motions.filter(closed_at__isnull=True).exists():
        raise _bad("motions", "还有未结束的表决，请先结束表决", code="invalid_state")
    now = now or clock.now()
    for item in meeting.agenda.select_related("topic"):
        if item.topic.status == TopicStatus.SCHEDULED:
            lifecycle.move(item.topic, action="deliberate", actor=actor, now=now, data={"meeting": meeting.pk})
    meeting.status, meeting.minutes, meeting.closed_at = MeetingStatus.CLOSED, minutes, now
    meeting.save(update_fields=["status", "minutes", "closed_at"])
    audit_record(actor=actor, action="councils.meeting_close", obj=meeting, unit_path=meeting.council.unit.path,
                 after={"present": present_count(meeting), "decisions": meeting.decisions.count()})
    return meeting


# ---- attendance --------------------------------------------------------------------------------------

def checkin_code(meeting: Meeting) -> str:
    """The short code shown next to the QR link, for a member to type (derived from the meeting's token)."""
    digest = hmac.new(meeting.checkin_token.encode(), b"checkin-code", hashlib.sha256).hexdigest()
    return str(int(digest[:12], 16) % 10 ** CODE_DIGITS).zfill(CODE_DIGITS)


def _member_gate(actor, meeting: Meeting, *, state=None, doing: str) -> Member:
    """A member's own act at a meeting: 404 when the meeting is not visible to them, then the state, then
    403 unless they are a current member of the council."""
    from shanzhi.councils.selectors_meetings import meeting_visible

    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied("请先登录")
    member = access.member_for(actor, meeting.council)
    scopes.require(actor, "councils.view", meeting.council.unit, what="该会议", granted=member is not None,
                   visible=meeting_visible(actor, meeting), state=state)
    if member is None:  # staff in scope who are not members
        raise PermissionDenied(f"只有本会现任成员可以{doing}", code="not_member")
    return member


@transaction.atomic
def meeting_check_in(*, actor, meeting: Meeting, token: str = "", code: str = "",
                     now: dt.datetime | None = None) -> Attendance:
    """A member checks themself in with the meeting's QR link (its token) or the short code shown next to it,
    only while the meeting is open. A second check-in keeps the first."""
    member = _member_gate(actor, meeting, state=_status_in(meeting, MeetingStatus.OPEN, doing="签到"), doing="签到")
    token, code = (token or "").strip(), (code or "").strip()
    good = bool(meeting.checkin_token) and (
        (token and hmac.compare_digest(token, meeting.checkin_token))
        or (code and hmac.compare_digest(code, checkin_code(meeting))))
    if not good:
        raise _bad("code", "签到码不正确，请扫描会场的二维码或输入屏幕上的签到码", code="bad_code")
    existing = meeting.attendance.filter(member=member).first()
    if existing is not None:
        return existing
    now = now or clock.now()
    attendance = Attendance.objects.create(meeting=meeting, member=member, how=Attendance.How.QR,
                                           recorded_by=actor, at=now)
    audit_record(actor=actor, action="councils.check_in", obj=meeting, unit_path=meeting.council.unit.path,
                 after={"member": member.pk})
    return attendance


@transaction.atomic
def attendance_mark(*, actor, meeting: Meeting, member: Member, present: bool = True,
                    now: dt.datetime | None = None) -> Attendance | None:
    """The secretary marks a current member present (or not present, before any vote took their ballot)."""
    access.require_run(actor, meeting.council, what="该会议",
                       state=_status_in(meeting, MeetingStatus.OPEN, doing="登记到会"))
    if member.council_id != meeting.council_id or not access.current_members(meeting.council).filter(
            pk=member.pk).exists():
        raise _bad("member", "请选择本会的现任成员")
    now = now or clock.now()
    existing = meeting.attendance.filter(member=member).first()
    if present:
        if existing is not None:
            return existing
        row = Attendance.objects.create(meeting=meeting, member=member, how=Attendance.How.SECRETARY,
                                        recorded_by=actor if getattr(actor, "pk", None) else None, at=now)
    else:
        if existing is None:
            return None
        if Ballot.objects.filter(motion__meeting=meeting, member=member).exists():
            raise _bad("member", "该成员已参加表决，不能取消到会登记", code="invalid_state")
        existing.delete()
        row = None
    audit_record(actor=actor, action="councils.attendance_mark", obj=meeting, unit_path=meeting.council.unit.path,
                 after={"member": member.pk, "present": present})
    return row


# ---- motions and votes -------------------------------------------------------------------------------

def _motion_open(motion: Motion):
    def check() -> None:
        if motion.closed_at is not None:
            raise DomainError("该表决已经结束", code="invalid_state")
        if motion.meeting.status != MeetingStatus.OPEN:
            raise DomainError("会议不在进行中，不能表决", code="invalid_state")
    return check


@transaction.atomic
def motion_propose(*, actor, meeting: Meeting, text: str, topic: Topic | None = None, secret: bool | None = None,
                   now: dt.datetime | None = None) -> Motion:
    """Put a motion to the vote at an open meeting (on an agenda topic, or on its own); needs a quorum."""
    access.require_run(actor, meeting.council, what="该会议",
                       state=_status_in(meeting, MeetingStatus.OPEN, doing="表决"))
    text = (text or "").strip()
    if not text:
        raise _bad("text", "请填写表决事项")
    if topic is not None:
        if not meeting.agenda.filter(topic=topic).exists():
            raise _bad("topic", "该议题不在本次会议议程中")
        if topic.status not in (TopicStatus.SCHEDULED, TopicStatus.DELIBERATED):
            raise _bad("topic", "该议题已作出决定", code="invalid_state")
    _lock(meeting)
    _require_quorum(meeting)
    if meeting.motions.filter(closed_at__isnull=True).exists():
        raise _bad("text", "上一项表决尚未结束", code="invalid_state")
    now = now or clock.now()
    motion = Motion.objects.create(
        meeting=meeting, topic=topic, text=text[:2000],
        secret=meeting.council.type.secret_ballot if secret is None else bool(secret),
        present=present_count(meeting), members=members_count(meeting), opened_at=now)
    audit_record(actor=actor, action="councils.motion_propose", obj=meeting, unit_path=meeting.council.unit.path,
                 after={"motion": motion.pk, "secret": motion.secret, "topic": topic.number if topic else ""})
    return motion


@transaction.atomic
def ballot_cast(*, actor, motion: Motion, choice: str, now: dt.datetime | None = None) -> Ballot:
    """A present member votes yes, no or abstain, once. On a secret motion the ballot keeps only that they
    voted; the counts on the motion carry the choice."""
    meeting = motion.meeting
    member = _member_gate(actor, meeting, state=_motion_open(motion), doing="表决")
    if choice not in Ballot.Choice.values:
        raise _bad("choice", "请选择赞成、反对或弃权")
    if motion.by_show_of_hands:
        raise DomainError("该事项以举手方式表决，由秘书登记票数", code="invalid_state")
    if not meeting.attendance.filter(member=member).exists():
        raise PermissionDenied("您尚未签到，不能表决", code="not_present")
    _require_quorum(meeting)
    now = now or clock.now()
    try:
        with transaction.atomic():
            ballot = Ballot.objects.create(motion=motion, member=member, choice="" if motion.secret else choice,
                                           at=now)
    except IntegrityError:
        raise DomainError("您已经投过票，每人只能投一次", fields={"choice": ["您已经投过票"]},
                          code="already_voted") from None
    Motion.objects.filter(pk=motion.pk).update(**{choice: F(choice) + 1})
    audit_record(actor=actor, action="councils.ballot_cast", obj=meeting, unit_path=meeting.council.unit.path,
                 after={"motion": motion.pk, **({} if motion.secret else {"choice": choice})})
    return ballot


def _count(name: str, value) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise _bad(name, "票数应为不小于0的整数") from None
    if n < 0 or n > 10_000:
        raise _bad(name, "票数应为不小于0的整数")
    return n


def _finish(motion: Motion, now: dt.datetime) -> Motion:
    motion.refresh_from_db(fields=["yes", "no", "abstain"])
    meeting = motion.meeting
    motion.present, motion.members = present_count(meeting), members_count(meeting)
    passed = majority_passes(meeting.council.type.majority, yes=motion.yes, present=motion.present,
                             members=motion.members)
    motion.result = MotionResult.PASSED if passed else MotionResult.FAILED
    motion.closed_at = now
    motion.save(update_fields=["present", "members", "result", "closed_at", "yes", "no", "abstain",
                               "by_show_of_hands"])
    return motion


@transaction.atomic
def motion_show_of_hands(*, actor, motion: Motion, yes, no, abstain, now: dt.datetime | None = None) -> Motion:
    """The secretary records a show of hands as counts (no more than the members present) and closes the vote."""
    meeting = motion.meeting
    access.require_run(actor, meeting.council, what="该会议", state=_motion_open(motion))
    counts = {"yes": _count("yes", yes), "no": _count("no", no), "abstain": _count("abstain", abstain)}
    if motion.ballots.exists():
        raise DomainError("已有成员投票，不能改为举手表决", code="invalid_state")
    _require_quorum(meeting)
    present = present_count(meeting)
    if sum(counts.values()) > present:
        message = f"票数合计{sum(counts.values())}超过到会成员人数{present}"
        raise DomainError(message, fields={"yes": [message]})
    motion.yes, motion.no, motion.abstain = counts["yes"], counts["no"], counts["abstain"]
    Motion.objects.filter(pk=motion.pk).update(**counts)
    motion.by_show_of_hands = True
    _finish(motion, now or clock.now())
    audit_record(actor=actor, action="councils.show_of_hands", obj=meeting, unit_path=meeting.council.unit.path,
                 after={"motion": motion.pk, **counts, "result": motion.result})
    return motion


@transaction.atomic
def motion_close(*, actor, motion: Motion, now: dt.datetime | None = None) -> Motion:
    """End the vote on a motion: the result follows the council type's majority rule."""
    meeting = motion.meeting
    access.require_run(actor, meeting.council, what="该会议", state=_motion_open(motion))
    Motion.objects.select_for_update().filter(pk=motion.pk).first()
    _finish(motion, now or clock.now())
    audit_record(actor=actor, action="councils.motion_close", obj=meeting, unit_path=meeting.council.unit.path,
                 after={"motion": motion.pk, "yes": motion.yes, "no": motion.no, "abstain": motion.abstain,
                        "result": motion.result})
    return motion


# ---- decisions ---------------------------------------------------------------------------------------

def _publishable(topic: Topic) -> bool:
    """Decisions go on the village feed, except conduct complaints (about a person) and hidden topics."""
    return not topic.hidden and topic.kind != TopicKind.COMPLAINT


@transaction.atomic
def decision_record(*, actor, topic: Topic, outcome: str, text: str, meeting: Meeting | None = None,
                    motion: Motion | None = None, referred_to: str = "", now: dt.datetime | None = None) -> Decision:
    """Record what the council decided on a topic: from a motion's vote, or by consensus at an open meeting
    with a quorum. The topic is decided; the decision is published on the village feed; `topic_decided`
    is sent (the moral-appraisal panel listens)."""
    council = topic.council
    topic = Topic.objects.select_for_update().get(pk=topic.pk)
    access.require_run(actor, council, what="该议题", state=lambda: lifecycle.check(topic, "decide"))
    text, referred_to = (text or "").strip(), (referred_to or "").strip()
    errors: dict[str, list[str]] = {}
    if outcome not in DecisionOutcome.values:
        errors["outcome"] = ["请选择通过、否决或转交办理"]
    if not text:
        errors["text"] = ["请填写决定内容"]
    if outcome == DecisionOutcome.REFERRED and not referred_to:
        errors["referred_to"] = ["请填写转交的单位"]
    if len(referred_to) > 100:
        errors["referred_to"] = ["转交单位不能超过100字"]
    if errors:
        raise DomainError("；".join(m for ms in errors.values() for m in ms), fields=errors)
    if motion is not None:
        meeting = motion.meeting
        if motion.topic_id != topic.pk:
            raise _bad("motion", "该表决不是针对本议题的")
        if motion.closed_at is None:
            raise _bad("motion", "表决尚未结束", code="invalid_state")
        if Decision.objects.filter(motion=motion).exists():
            raise _bad("motion", "该表决已形成决定", code="invalid_state")
        if (motion.result == MotionResult.PASSED) == (outcome == DecisionOutcome.REJECTED):
            raise _bad("outcome", "决定结果与表决结果不一致：表决通过的不能否决，未通过的只能否决")
    else:
        if meeting is None:
            raise _bad("meeting", "请在会议上作出决定")
        if meeting.council_id != council.pk:
            raise _bad("meeting", "该会议不属于本议事组织")
        if meeting.status != MeetingStatus.OPEN:
            raise _bad("meeting", "只能在进行中的会议上协商一致作出决定", code="invalid_state")
        _require_quorum(meeting)
    if meeting is not None and not meeting.agenda.filter(topic=topic).exists():
        raise _bad("topic", "该议题不在本次会议议程中")
    now = now or clock.now()
    decision = Decision.objects.create(
        topic=topic, meeting=meeting, motion=motion, outcome=outcome, text=text[:5000],
        referred_to=referred_to if outcome == DecisionOutcome.REFERRED else "",
        published_at=now if _publishable(topic) else None, created_at=now)
    lifecycle.move(topic, action="decide", actor=actor, now=now, note=text[:500],
                   data={"decision": decision.pk, "outcome": outcome})
    audit_record(actor=actor, action="councils.decision_record", obj=topic, unit_path=council.unit.path,
                 after={"decision": decision.pk, "outcome": outcome, "motion": motion.pk if motion else None})
    topic_decided.send(sender=Decision, decision=decision, actor=actor, now=now)
    return decision


def _require_follow_through(actor, decision: Decision):
    access.require_run(actor, decision.topic.council, what="该决定", state=lambda: _may_follow(decision))


def _may_follow(decision: Decision) -> None:
    if decision.outcome == DecisionOutcome.REJECTED:
        raise DomainError("否决的事项无需落实", code="invalid_state")
    if decision.done_at is not None:
        raise DomainError("该决定已全部落实", code="invalid_state")


def _started(decision: Decision, *, actor, now: dt.datetime) -> None:
    topic = decision.topic
    if topic.status == TopicStatus.DECIDED:
        lifecycle.move(topic, action="start", actor=actor, now=now, data={"decision": decision.pk})


@transaction.atomic
def decision_case_open(*, actor, decision: Decision, category, description: str,
                       now: dt.datetime | None = None) -> Case:
    """Open a case (channel 议事会) to carry out a decision, handled at the council's unit and linked both
    ways (the case's origin names the decision). The topic moves to in progress."""
    _require_follow_through(actor, decision)
    council = decision.topic.council
    now = now or clock.now()
    from shanzhi.cases import services as case_services

    unit = council.unit
    lat, lon = (unit.centre_lat, unit.centre_lon) if unit.centre_lat is not None else (None, None)
    case = case_services.case_report(
        actor=actor, kind=Kind.PROBLEM, category=category, description=description, channel=Channel.COUNCIL,
        lat=lat, lon=lon, origin={"council_decision": decision.pk, "topic": decision.topic.number},
        handling_unit=unit, authority="cases.intake", now=now)
    DecisionCase.objects.create(decision=decision, case=case)
    _started(decision, actor=actor, now=now)
    lifecycle.record(decision.topic, action="case_open", actor=actor, now=now, note=case.number,
                     data={"case": case.number})
    audit_record(actor=actor, action="councils.decision_case", obj=decision.topic, unit_path=unit.path,
                 after={"decision": decision.pk, "case": case.number})
    return case


def owner_eligible(owner: User | None, council) -> bool:
    """Who may own a follow-through task: a current member with an account, or staff of the council's unit."""
    if owner is None or not owner.is_active:
        return False
    if access.member_for(owner, council) is not None:
        return True
    return scopes.may(owner, "councils.view", council.unit)


@transaction.atomic
def task_add(*, actor, decision: Decision, title: str, owner: User | None, due_on: dt.date | None,
             now: dt.datetime | None = None) -> Task:
    """Give a decision a task with an owner and a due date; the owner hears of it. The topic moves to in
    progress."""
    _require_follow_through(actor, decision)
    council = decision.topic.council
    title = (title or "").strip()
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = ["请填写任务内容"]
    elif len(title) > 200:
        errors["title"] = ["任务内容不能超过200字"]
    if not owner_eligible(owner, council):
        errors["owner"] = ["请选择本会成员或本村（社区）工作人员作为责任人"]
    now = now or clock.now()
    if due_on is None:
        errors["due_on"] = ["请填写完成期限"]
    elif due_on < timezone.localdate(now):
        errors["due_on"] = ["完成期限不能早于今天"]
    if errors:
        raise DomainError("；".join(m for ms in errors.values() for m in ms), fields=errors)
    task = Task.objects.create(decision=decision, title=title, owner=owner, due_on=due_on, created_at=now)
    _started(decision, actor=actor, now=now)
    inbox_notify([owner.pk], kind="council", text=f"{council.name}交办任务：{title[:60]}（{due_on:%Y-%m-%d}前完成）",
                 key=f"council_task:{task.pk}", now=now, link=_link("decision_detail", decision.pk))
    audit_record(actor=actor, action="councils.task_add", obj=decision.topic, unit_path=council.unit.path,
                 after={"decision": decision.pk, "task": task.pk, "owner": owner.pk, "due_on": due_on.isoformat()})
    return task


@transaction.atomic
def task_done(*, actor, task: Task, now: dt.datetime | None = None) -> Task:
    """Mark a task done (its owner, or whoever runs the council); the topic is done when everything is."""
    decision = task.decision
    council = decision.topic.council

    def state() -> None:
        if task.done_at is not None:
            raise DomainError("该任务已完成", code="invalid_state")

    # the task's owner passes through `granted`, like the council's officers
    scopes.require(actor, "councils.run", council.unit, what="该任务",
                   granted=actor is not None and (task.owner_id == actor.pk or access.is_officer(actor, council)),
                   visible=actor is None or task.owner_id == getattr(actor, "pk", None) or access.may_see(actor, council),
                   state=state)
    now = now or clock.now()
    task.done_at = now
    task.save(update_fields=["done_at"])
    audit_record(actor=actor, action="councils.task_done", obj=decision.topic, unit_path=council.unit.path,
                 after={"task": task.pk})
    follow_through_check(decision, actor=actor, now=now)
    return task


@transaction.atomic
def progress_note_add(*, actor, decision: Decision, percent, note: str,
                      now: dt.datetime | None = None) -> ProgressNote:
    """A public progress update on a decision (0–100 %)."""
    access.require_run(actor, decision.topic.council, what="该决定")
    try:
        percent = int(percent)
    except (TypeError, ValueError):
        percent = -1
    note = (note or "").strip()
    errors: dict[str, list[str]] = {}
    if not 0 <= percent <= 100:
        errors["percent"] = ["进度应为0到100之间的整数"]
    if not note:
        errors["note"] = ["请填写进展情况"]
    if errors:
        raise DomainError("；".join(m for ms in errors.values() for m in ms), fields=errors)
    now = now or clock.now()
    row = ProgressNote.objects.create(decision=decision, percent=percent, note=note[:2000],
                                      actor=actor if getattr(actor, "pk", None) else None, created_at=now)
    decision.progress = percent
    decision.save(update_fields=["progress"])
    audit_record(actor=actor, action="councils.progress", obj=decision.topic, unit_path=decision.topic.council.unit.path,
                 after={"decision": decision.pk, "percent": percent})
    return row


def follow_through_check(decision: Decision, *, actor, now: dt.datetime) -> bool:
    """Finish the topic when every case of the decision has closed and every task is done (at least one of
    either). Sends `topic_done`. Inside the caller's transaction; running it twice finishes once."""
    decision = Decision.objects.select_for_update().select_related("topic").get(pk=decision.pk)
    if decision.done_at is not None:
        return False
    cases = list(decision.case_links.values_list("case__status", flat=True))
    tasks = list(decision.tasks.values_list("done_at", flat=True))
    if not cases and not tasks:
        return False
    if any(s in UNFINISHED_CASE_STATUSES for s in cases) or any(t is None for t in tasks):
        return False
    topic = decision.topic
    if not lifecycle.allowed("finish", topic.status):
        return False
    decision.done_at, decision.progress = now, 100
    decision.save(update_fields=["done_at", "progress"])
    lifecycle.move(topic, action="finish", actor=actor, now=now, data={"decision": decision.pk})
    audit_record(actor=actor, action="councils.topic_done", obj=topic, unit_path=topic.council.unit.path,
                 after={"decision": decision.pk})
    topic_done.send(sender=Decision, decision=decision, actor=actor, now=now)
    return True

