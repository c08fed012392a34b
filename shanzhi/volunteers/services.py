"""Writes of the service team (百事服务团): volunteers (apply, approve or refuse, pause, resume, leave), teams
(set up, join, leave, leader) and service requests (ask, hand over a 求助 case, assign, accept or decline,
check in and out, confirm and rate, cancel). Each runs in one transaction, asks the one gate
(`accounts/scopes.py`, through `access` and `selectors`) in the order 404 / 400 / 403, and is audited.

A request made from a case stays one case with one timeline: every step also writes a timeline entry on the
case through `cases.services.case_annotate`, and the confirmation concludes it through `case_conclude`.
The case's authority is `cases.handle` on the case's handling unit. A staff actor who holds it there (or is
the case's assignee) writes the entry as themselves; the volunteer and the requesting resident hold no case
authority, so their steps, already checked here, are written by the system (`actor=None`) with the step and
the person in the note: the case's own gate then checks the state only, never widens anyone's rights.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence

from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from shanzhi.accounts import scopes
from shanzhi.accounts.models import User
from shanzhi.audit.services import audit_record
from shanzhi.cases import services as case_services
from shanzhi.cases.images import validate_images
from shanzhi.cases.models import CLOSED_STATUSES, Case, Kind
from shanzhi.cases.notify import inbox_notify
from shanzhi.councils import access as council_access
from shanzhi.councils.models import ChosenBy, Council, CouncilType, Member, Position
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, PermissionDenied
from shanzhi.org.models import Level, OrgUnit
from shanzhi.people.models import ResidentStatus
from shanzhi.volunteers import access, ledger, selectors
from shanzhi.volunteers.models import (
    EntryKind,
    RequestEvent,
    RequestStatus,
    ServiceRequest,
    Skill,
    Volunteer,
    VolunteerStatus,
)

S = RequestStatus
MAX_TEXT = 1000
MAX_NOTE = 500
MAX_REASON = 200
MAX_INTRO = 200
MAX_SLOTS = 21
OPEN = (S.ASSIGNED, S.ACCEPTED, S.SERVING)  # a volunteer's load
CANCELLABLE = (S.REQUESTED, S.ASSIGNED, S.ACCEPTED)
MAX_WINDOW = dt.timedelta(days=60)
CASE_AUTHORITY = "cases.handle"

STEP_LABELS = {
    "create": "提出需求", "from_case": "由求助转来", "assign": "派单", "accept": "接单", "decline": "婉拒",
    "checkin": "签到", "checkout": "签退", "confirm": "确认完成", "cancel": "取消",
}


def _bad(field: str, message: str, code: str | None = None) -> DomainError:
    return DomainError(message, fields={field: [message]}, code=code)


def _text(field: str, value, what: str, limit: int, *, required: bool = True) -> str:
    value = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if required and not value:
        raise _bad(field, f"请填写{what}")
    if len(value) > limit:
        raise _bad(field, f"{what}不能超过{limit}字")
    return value


def _actor_id(actor) -> int | None:
    return actor.pk if getattr(actor, "pk", None) else None


def _audit(actor, action: str, obj, unit: OrgUnit, after: dict | None = None, before: dict | None = None,
           reason: str = "") -> None:
    audit_record(actor=actor, action=f"volunteers.{action}", obj=obj, unit_path=unit.path, before=before,
                 after=after, reason=reason[:500])


# ---- volunteers --------------------------------------------------------------------------------------

def parse_availability(value) -> list[dict]:
    """A list of {weekday 0..6, start "HH:MM", end "HH:MM"} with start before end; refused naming the field."""
    if value in (None, "", []):
        return []
    if not isinstance(value, list | tuple):
        raise _bad("availability", "可服务时间格式无效")
    if len(value) > MAX_SLOTS:
        raise _bad("availability", f"可服务时间最多{MAX_SLOTS}段")
    out: list[dict] = []
    for i, slot in enumerate(value, 1):
        if not isinstance(slot, dict):
            raise _bad("availability", f"第{i}段可服务时间格式无效")
        day = slot.get("weekday")
        if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
            raise _bad("availability", f"第{i}段可服务时间的星期无效")
        times = []
        for key in ("start", "end"):
            raw = slot.get(key)
            try:
                parsed = dt.datetime.strptime(raw, "%H:%M").time() if isinstance(raw, str) and len(raw) == 5 else None
            except ValueError:
                parsed = None
            if parsed is None:
                raise _bad("availability", f"第{i}段可服务时间的时刻无效（应为 HH:MM）")
            times.append(parsed)
        if times[0] >= times[1]:
            raise _bad("availability", f"第{i}段可服务时间的开始应早于结束")
        row = {"weekday": day, "start": times[0].strftime("%H:%M"), "end": times[1].strftime("%H:%M")}
        if row not in out:
            out.append(row)
    return sorted(out, key=lambda r: (r["weekday"], r["start"], r["end"]))


def _skills(skills: Iterable) -> list[Skill]:
    ids = []
    for s in skills or []:
        pk = s.pk if isinstance(s, Skill) else s
        if not isinstance(pk, int) or isinstance(pk, bool):
            raise _bad("skills", "技能无效")
        ids.append(pk)
    found = list(Skill.objects.filter(pk__in=set(ids), is_active=True))
    if not ids:
        raise _bad("skills", "请至少选择一项技能")
    if len(found) != len(set(ids)):
        raise _bad("skills", "技能无效")
    return found


def _town_of(village: OrgUnit) -> OrgUnit | None:
    return village.parent if village.parent_id and village.parent.level == Level.TOWN else None


def _villages(home: OrgUnit, villages: Iterable) -> list[OrgUnit]:
    """The villages served: the volunteer's own and other active villages of their town."""
    chosen = {home.pk: home}
    town = _town_of(home)
    for v in villages or []:
        unit = v if isinstance(v, OrgUnit) else OrgUnit.objects.filter(pk=v if isinstance(v, int) else 0).first()
        if (unit is None or unit.level != Level.VILLAGE or not unit.is_active or town is None
                or not unit.path.startswith(town.path)):
            raise _bad("villages", "服务村社应为本镇（街道）的村社")
        chosen[unit.pk] = unit
    return list(chosen.values())


def _profile(home: OrgUnit, skills, availability, villages, intro) -> tuple[list[Skill], list[dict], list[OrgUnit], str]:
    """The profile's fields checked alike at sign-up and on edit: skills, hours, villages served, intro."""
    return (_skills(skills), parse_availability(availability), _villages(home, villages),
            _text("intro", intro, "个人简介", MAX_INTRO, required=False))


def _profile_of(volunteer: Volunteer) -> dict:
    return {"skills": sorted(volunteer.skills.values_list("code", flat=True)),
            "villages": sorted(volunteer.villages.values_list("code", flat=True)),
            "availability": volunteer.availability, "intro": volunteer.intro}


@transaction.atomic
def volunteer_apply(*, actor, skills: Sequence, availability=None, villages: Sequence = (), intro: str = "",
                    village: OrgUnit | None = None, now: dt.datetime | None = None) -> Volunteer:
    """Sign up as a volunteer: a resident logged in by phone (their own village), or a staff member (a
    village of their scope). The village approves. Someone who left or was refused may apply again."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied("请先登录")
    now = now or clock.now()
    resident = getattr(actor, "resident", None) if getattr(actor, "resident_id", None) else None
    if resident is not None:
        home = access.home_village(actor)
        if home is None or resident.status != ResidentStatus.ACTIVE:
            raise _bad("village", "未找到您所在的村社，请联系村社工作人员")
        holder = {"resident": resident}
        name = resident.name
    else:
        if not scopes.is_staff_user(actor):
            raise PermissionDenied("请用手机号登录后报名")
        if village is None or village.level != Level.VILLAGE or not scopes.reaches(actor, "org.view", village):
            raise _bad("village", "请选择您所在的村社")
        home = village
        holder = {"user": actor}
        name = (getattr(actor, "display_name", "") or actor.get_username())[:50]
    found = Volunteer.objects.select_for_update().filter(**holder).first()
    if found is not None and found.status not in (VolunteerStatus.LEFT, VolunteerStatus.REFUSED):
        raise DomainError(f"您已报名，当前状态为“{found.get_status_display()}”", code="invalid_state")
    chosen_skills, slots, served, intro = _profile(home, skills, availability, villages, intro)
    volunteer = found or Volunteer(**holder)
    volunteer.name, volunteer.village, volunteer.availability, volunteer.intro = name, home, slots, intro
    volunteer.status, volunteer.status_reason = VolunteerStatus.APPLIED, ""
    volunteer.applied_at, volunteer.updated_at = now, now
    volunteer.approved_at = volunteer.approved_by = None
    volunteer.save()
    volunteer.skills.set(chosen_skills)
    volunteer.villages.set(served)
    _audit(actor, "volunteer_apply", volunteer, home, after={
        "skills": sorted(s.code for s in chosen_skills), "villages": sorted(v.code for v in served),
        "availability": slots})
    _notify_runners(home, text=f"{name}报名志愿者，待审核", key=f"vol-apply:{volunteer.pk}:{now.timestamp()}",
                    now=now, link=_link("volunteers:volunteer_detail", volunteer.pk), actor=actor)
    return volunteer


def _require_run_volunteer(actor, volunteer: Volunteer, state=None) -> None:
    lead = actor is not None and access.leads_at(actor, volunteer.village)
    scopes.require(actor, "volunteers.run", volunteer.village, what="该志愿者", granted=lead,
                   visible=selectors.volunteer_visible(actor, volunteer), state=state)


def _need_status(volunteer: Volunteer, *allowed: str, doing: str):
    def state() -> None:
        if volunteer.status not in allowed:
            raise DomainError(f"志愿者当前状态为“{volunteer.get_status_display()}”，不能{doing}", code="invalid_state")
    return state


def _lock_volunteer(volunteer: Volunteer) -> Volunteer:
    return Volunteer.objects.select_for_update(of=("self",)).select_related("village").get(pk=volunteer.pk)


@transaction.atomic
def volunteer_update(*, actor, volunteer: Volunteer, skills: Sequence, availability=None, villages: Sequence = (),
                     intro: str = "", now: dt.datetime | None = None) -> Volunteer:
    """Edit the profile after sign-up (skills, hours, villages served, intro), checked as at sign-up: the
    volunteer themself, or the cadres who run the service at their village; other staff in scope get 403."""
    volunteer = _lock_volunteer(volunteer)
    me = access.volunteer_for(actor) if actor is not None else None
    own = me is not None and me.pk == volunteer.pk
    scopes.require(actor, "volunteers.run", volunteer.village, what="该志愿者", granted=own,
                   visible=own or selectors.volunteer_visible(actor, volunteer),
                   state=_need_status(volunteer, VolunteerStatus.APPLIED, VolunteerStatus.ACTIVE,
                                      VolunteerStatus.PAUSED, doing="修改资料"))
    chosen_skills, slots, served, intro = _profile(volunteer.village, skills, availability, villages, intro)
    before = _profile_of(volunteer)
    volunteer.availability, volunteer.intro, volunteer.updated_at = slots, intro, now or clock.now()
    volunteer.save(update_fields=["availability", "intro", "updated_at"])
    volunteer.skills.set(chosen_skills)
    volunteer.villages.set(served)
    _audit(actor, "volunteer_update", volunteer, volunteer.village, before=before, after=_profile_of(volunteer))
    return volunteer


@transaction.atomic
def volunteer_approve(*, actor, volunteer: Volunteer, now: dt.datetime | None = None) -> Volunteer:
    """The village approves: the volunteer becomes active and a member of the village's team (if set up)."""
    volunteer = _lock_volunteer(volunteer)
    _require_run_volunteer(actor, volunteer, _need_status(volunteer, VolunteerStatus.APPLIED, doing="审核通过"))
    now = now or clock.now()
    volunteer.status, volunteer.status_reason = VolunteerStatus.ACTIVE, ""
    volunteer.approved_at, volunteer.approved_by, volunteer.updated_at = now, actor if _actor_id(actor) else None, now
    volunteer.save(update_fields=["status", "status_reason", "approved_at", "approved_by", "updated_at"])
    team = access.team_at(volunteer.village)
    if team is not None and _membership(team, volunteer) is None:
        _join(team, volunteer, actor=actor)
    _audit(actor, "volunteer_approve", volunteer, volunteer.village, after={"status": volunteer.status,
                                                                            "team": team.pk if team else None})
    _notify_volunteer(volunteer, text="您的志愿者报名已通过审核", key=f"vol-approve:{volunteer.pk}:{now.timestamp()}",
                      now=now, link=_link("volunteers:home"))
    return volunteer


@transaction.atomic
def volunteer_refuse(*, actor, volunteer: Volunteer, reason: str, now: dt.datetime | None = None) -> Volunteer:
    volunteer = _lock_volunteer(volunteer)
    _require_run_volunteer(actor, volunteer, _need_status(volunteer, VolunteerStatus.APPLIED, doing="不予通过"))
    reason = _text("reason", reason, "原因", MAX_REASON)
    now = now or clock.now()
    volunteer.status, volunteer.status_reason, volunteer.updated_at = VolunteerStatus.REFUSED, reason, now
    volunteer.save(update_fields=["status", "status_reason", "updated_at"])
    _audit(actor, "volunteer_refuse", volunteer, volunteer.village, after={"status": volunteer.status}, reason=reason)
    _notify_volunteer(volunteer, text=f"您的志愿者报名未通过：{reason}", key=f"vol-refuse:{volunteer.pk}:{now.timestamp()}",
                      now=now, link=_link("volunteers:home"))
    return volunteer


def _require_self(actor, volunteer: Volunteer, state=None) -> None:
    """Only the volunteer acts on their own record; staff in scope see it (403), others 404."""
    own = actor is not None and access.volunteer_for(actor) is not None and access.volunteer_for(actor).pk == volunteer.pk
    scopes.require(actor, "volunteers.view", None, what="该志愿者", granted=own,
                   visible=own or selectors.volunteer_visible(actor, volunteer), state=state)


@transaction.atomic
def volunteer_pause(*, actor, volunteer: Volunteer, reason: str = "", now: dt.datetime | None = None) -> Volunteer:
    """The volunteer pauses (no new requests are assigned to them meanwhile)."""
    volunteer = _lock_volunteer(volunteer)
    _require_self(actor, volunteer, _need_status(volunteer, VolunteerStatus.ACTIVE, doing="暂停"))
    reason = _text("reason", reason, "原因", MAX_REASON, required=False)
    now = now or clock.now()
    volunteer.status, volunteer.status_reason, volunteer.updated_at = VolunteerStatus.PAUSED, reason, now
    volunteer.save(update_fields=["status", "status_reason", "updated_at"])
    _audit(actor, "volunteer_pause", volunteer, volunteer.village, after={"status": volunteer.status}, reason=reason)
    return volunteer


@transaction.atomic
def volunteer_resume(*, actor, volunteer: Volunteer, now: dt.datetime | None = None) -> Volunteer:
    volunteer = _lock_volunteer(volunteer)
    _require_self(actor, volunteer, _need_status(volunteer, VolunteerStatus.PAUSED, doing="恢复"))
    now = now or clock.now()
    volunteer.status, volunteer.status_reason, volunteer.updated_at = VolunteerStatus.ACTIVE, "", now
    volunteer.save(update_fields=["status", "status_reason", "updated_at"])
    _audit(actor, "volunteer_resume", volunteer, volunteer.village, after={"status": volunteer.status})
    return volunteer


@transaction.atomic
def volunteer_leave(*, actor, volunteer: Volunteer, reason: str = "", now: dt.datetime | None = None) -> Volunteer:
    """The volunteer leaves: their team memberships end (history kept). Not while a request is in their hands."""
    volunteer = _lock_volunteer(volunteer)

    def state() -> None:
        _need_status(volunteer, VolunteerStatus.APPLIED, VolunteerStatus.ACTIVE, VolunteerStatus.PAUSED,
                     doing="退出")()
        if ServiceRequest.objects.filter(volunteer=volunteer, status__in=OPEN).exists():
            raise DomainError("您还有未完成的服务，请先完成或婉拒后再退出", code="invalid_state")

    _require_self(actor, volunteer, state)
    reason = _text("reason", reason, "原因", MAX_REASON, required=False) or "本人退出"
    now = now or clock.now()
    volunteer.status, volunteer.status_reason, volunteer.updated_at = VolunteerStatus.LEFT, reason, now
    volunteer.save(update_fields=["status", "status_reason", "updated_at"])
    ended = _end_memberships(volunteer, reason=reason)
    _audit(actor, "volunteer_leave", volunteer, volunteer.village, after={"status": volunteer.status,
                                                                          "memberships_ended": ended}, reason=reason)
    return volunteer


# ---- teams -------------------------------------------------------------------------------------------

def _holder(volunteer: Volunteer) -> dict:
    return {"resident_id": volunteer.resident_id} if volunteer.resident_id else {"user_id": volunteer.user_id}


def _membership(team: Council, volunteer: Volunteer) -> Member | None:
    return (council_access.current_members(team).filter(**_holder(volunteer)).order_by("position", "id").first())


def _join(team: Council, volunteer: Volunteer, *, actor, position: str = Position.MEMBER) -> Member:
    member = Member.objects.create(council=team, name=volunteer.name, position=position,
                                   chosen_by=ChosenBy.VOLUNTEERED, started_on=clock.today(), **_holder(volunteer))
    _audit(actor, "team_join", member, team.unit, after={"team": team.pk, "volunteer": volunteer.pk,
                                                         "position": position})
    return member


def _end_memberships(volunteer: Volunteer, *, reason: str) -> list[int]:
    today = clock.today()
    ended = []
    for m in Member.objects.filter(council_access.current_q(), access.teams_q("council"), **_holder(volunteer)):
        m.ended_on, m.end_reason = max(today, m.started_on), reason[:200]
        if m.position == Position.CHAIR:
            m.position = Position.MEMBER  # the team has no leader until one is set
        m.save(update_fields=["ended_on", "end_reason", "position"])
        ended.append(m.pk)
    return ended


def _service_type() -> CouncilType:
    found = CouncilType.objects.filter(code=access.SERVICE_TYPE).first()
    if found is None:
        from shanzhi.councils.defaults import ensure_types

        ensure_types()
        found = CouncilType.objects.get(code=access.SERVICE_TYPE)
    return found


@transaction.atomic
def team_create(*, actor, unit: OrgUnit, name: str = "", leader: Volunteer | None = None,
                now: dt.datetime | None = None) -> Council:
    """Set up the service team of a village or a town (one per unit), optionally with its leader."""
    scopes.require(actor, "volunteers.run", unit, what="该单位")
    if unit.level not in (Level.VILLAGE, Level.TOWN) or not unit.is_active:
        raise _bad("unit", "服务团只在村社和镇（街道）设立")
    kind = _service_type()
    if Council.objects.filter(type=kind, unit=unit).exists():
        raise _bad("unit", f"{unit.name}已有百事服务团")
    name = _text("name", name, "名称", 100, required=False) or f"{unit.name}百事服务团"
    team = Council.objects.create(type=kind, unit=unit, name=name, founded_on=clock.today())
    _audit(actor, "team_create", team, unit, after={"name": name})
    if leader is not None:
        _check_member_target(team, leader)
        _join(team, leader, actor=actor, position=Position.CHAIR)
    # the village's approved volunteers who serve here join at once
    if unit.level == Level.VILLAGE:
        for v in Volunteer.objects.filter(village=unit, status=VolunteerStatus.ACTIVE):
            if _membership(team, v) is None:
                _join(team, v, actor=actor)
    return team


def _require_run_team(actor, team: Council, *, what: str = "该服务团", state=None) -> None:
    lead = actor is not None and access.leads_at(actor, team.unit)
    scopes.require(actor, "volunteers.run", team.unit, what=what, granted=lead,
                   visible=selectors.team_visible(actor, team), state=state)


def serves_unit(volunteer: Volunteer, unit: OrgUnit) -> bool:
    """Does the volunteer serve this village (or, for a town, belong to one of its villages)?"""
    if unit.level == Level.VILLAGE:
        return volunteer.villages.filter(pk=unit.pk).exists()
    return volunteer.village.path.startswith(unit.path)


def _check_member_target(team: Council, volunteer: Volunteer) -> None:
    if volunteer.status != VolunteerStatus.ACTIVE or not serves_unit(volunteer, team.unit):
        raise _bad("volunteer", f"该志愿者不在岗，或不服务{team.unit.name}")


def _active_team(team: Council):
    def state() -> None:
        if not team.is_active:
            raise DomainError("该服务团已停用", code="invalid_state")
    return state


@transaction.atomic
def team_join(*, actor, team: Council, volunteer: Volunteer, now: dt.datetime | None = None) -> Member:
    """Add an approved volunteer who serves the team's unit (one volunteer may be in several teams)."""
    _require_run_team(actor, team, state=_active_team(team))
    _check_member_target(team, volunteer)
    if _membership(team, volunteer) is not None:
        raise _bad("volunteer", f"{volunteer.name}已是该服务团成员")
    return _join(team, volunteer, actor=actor)


@transaction.atomic
def team_leave(*, actor, team: Council, volunteer: Volunteer, reason: str = "",
               now: dt.datetime | None = None) -> Member:
    """End a volunteer's membership of the team (the row stays as history)."""
    _require_run_team(actor, team)
    member = _membership(team, volunteer)
    if member is None:
        raise _bad("volunteer", "该志愿者不是该服务团的成员")
    reason = _text("reason", reason, "原因", MAX_REASON, required=False) or "退出服务团"
    member.ended_on, member.end_reason = max(clock.today(), member.started_on), reason
    was = member.position
    if member.position == Position.CHAIR:
        member.position = Position.MEMBER
    member.save(update_fields=["ended_on", "end_reason", "position"])
    _audit(actor, "team_leave", member, team.unit, before={"position": was},
           after={"team": team.pk, "volunteer": volunteer.pk}, reason=reason)
    return member


@transaction.atomic
def team_set_leader(*, actor, team: Council, volunteer: Volunteer, now: dt.datetime | None = None) -> Member:
    """Make a current member the team's leader (chair); the previous leader goes back to member."""
    _require_run_team(actor, team, state=_active_team(team))
    member = _membership(team, volunteer)
    if member is None or volunteer.status != VolunteerStatus.ACTIVE:
        raise _bad("volunteer", "队长应为该服务团在岗的成员")
    before = list(council_access.current_members(team).filter(position=Position.CHAIR).exclude(pk=member.pk))
    for m in before:
        m.position = Position.MEMBER
        m.save(update_fields=["position"])
    member.position = Position.CHAIR
    member.save(update_fields=["position"])
    _audit(actor, "team_leader", member, team.unit, before={"leaders": [m.name for m in before]},
           after={"team": team.pk, "leader": volunteer.name})
    return member


# ---- notifications -----------------------------------------------------------------------------------

def _link(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def volunteer_user_ids(volunteer: Volunteer) -> list[int]:
    if volunteer.user_id:
        return [volunteer.user_id]
    if volunteer.resident_id:
        return list(User.objects.filter(resident_id=volunteer.resident_id, is_active=True).values_list("pk", flat=True))
    return []


def requester_user_ids(req: ServiceRequest) -> list[int]:
    if req.requester_user_id:
        return [req.requester_user_id]
    if req.resident_id:
        return list(User.objects.filter(resident_id=req.resident_id, is_active=True).values_list("pk", flat=True))
    return []


def _notify_volunteer(volunteer: Volunteer, *, text: str, key: str, now: dt.datetime, link: str) -> None:
    inbox_notify(volunteer_user_ids(volunteer), kind="volunteer", text=text, key=key, now=now, link=link)


def _notify_requester(req: ServiceRequest, *, text: str, key: str, now: dt.datetime) -> None:
    inbox_notify(requester_user_ids(req), kind="volunteer", text=text, key=key, now=now,
                 link=_link("volunteers:request_detail", req.pk))


def _notify_runners(unit: OrgUnit, *, text: str, key: str, now: dt.datetime, link: str, actor=None) -> None:
    """Tell the unit's team leaders (their user accounts) about something waiting for them."""
    team = access.team_at(unit)
    ids: set[int] = set()
    if team is not None:
        for m in council_access.current_members(team).filter(position__in=council_access.OFFICERS):
            ids.update([m.user_id] if m.user_id else User.objects.filter(resident_id=m.resident_id)
                       .values_list("pk", flat=True))
    ids.discard(_actor_id(actor))
    inbox_notify(sorted(ids), kind="volunteer", text=text, key=key, now=now, link=link)


# ---- service requests --------------------------------------------------------------------------------

def request_number(now: dt.datetime) -> str:
    """`BS20261207-0001`: a per-day sequence on the cases' counter table (its row lock serialises writers)."""
    seq = int(case_services.next_number(now, "BS").rsplit("-", 1)[1])
    return f"BS{timezone.localtime(now):%Y%m%d}-{seq:04d}"


def _window(wanted_from, wanted_to, now: dt.datetime) -> tuple[dt.datetime | None, dt.datetime | None]:
    if wanted_from is None and wanted_to is not None:
        raise _bad("wanted_from", "请填写希望服务时间")
    if wanted_from is not None:
        if wanted_from < now - dt.timedelta(hours=1):
            raise _bad("wanted_from", "希望服务时间不能早于现在")
        if wanted_from > now + MAX_WINDOW:
            raise _bad("wanted_from", "希望服务时间不能晚于60天后")
    if wanted_to is not None:
        if wanted_to <= wanted_from:
            raise _bad("wanted_to", "最晚服务时间应晚于希望服务时间")
        if wanted_to > wanted_from + MAX_WINDOW:
            raise _bad("wanted_to", "服务时间段不能超过60天")
    return wanted_from, wanted_to


def _event(req: ServiceRequest, *, action: str, actor, now: dt.datetime, before: str = "", note: str = "",
           volunteer: Volunteer | None = None) -> RequestEvent:
    return RequestEvent.objects.create(request=req, action=action, from_status=before,
                                       to_status=req.status if before != req.status else "",
                                       actor=actor if _actor_id(actor) else None,
                                       volunteer=volunteer or req.volunteer, note=note[:2000], at=now)


def _case_actor(actor, case: Case, step: str = "annotate"):
    """The real actor when they hold the case authority there (staff), else the system (see the module)."""
    if actor is not None and case_services.may_step(actor, case, step, authority=CASE_AUTHORITY):
        return actor
    return None


def _on_case(req: ServiceRequest, *, actor, step: str, note: str, now: dt.datetime) -> None:
    """One timeline entry on the request's case for each step (one case, one timeline)."""
    if req.case_id is None:
        return
    case = Case.objects.select_related("handling_unit", "unit").get(pk=req.case_id)
    text = f"百事服务团 {req.number}：{STEP_LABELS[step]}" + (f"。{note}" if note else "")
    case_services.case_annotate(actor=_case_actor(actor, case), case=case, note=text[:2000],
                                authority=CASE_AUTHORITY, data={"service_request": req.number, "step": step},
                                public=step in ("accept", "checkout", "confirm"), now=now)


@transaction.atomic
def request_create(*, actor, skill: Skill | None, text: str, wanted_from: dt.datetime | None = None,
                   wanted_to: dt.datetime | None = None, now: dt.datetime | None = None) -> ServiceRequest:
    """A resident (logged in by phone) asks for a service in their own village."""
    now = now or clock.now()
    village = access.home_village(actor) if actor is not None else None
    if village is None:
        raise PermissionDenied("请用手机号登录后求助")
    resident = actor.resident
    if skill is None or not skill.is_active:
        raise _bad("skill", "请选择服务类别")
    text = _text("text", text, "需求说明", MAX_TEXT)
    wanted_from, wanted_to = _window(wanted_from, wanted_to, now)
    req = ServiceRequest.objects.create(
        number=request_number(now), village=village, team=access.team_at(village), resident=resident,
        household=resident.household, requester_user=actor, requester_name=resident.name, skill=skill, text=text,
        wanted_from=wanted_from, wanted_to=wanted_to, created_at=now, updated_at=now)
    _event(req, action="create", actor=actor, now=now, before="")
    _audit(actor, "request_create", req, village, after={"number": req.number, "skill": skill.code})
    _notify_runners(village, text=f"新的服务需求 {req.number}（{skill.name}）待派单", key=f"req-new:{req.pk}",
                    now=now, link=_link("volunteers:request_detail", req.pk), actor=actor)
    return req


def case_village(case: Case) -> OrgUnit | None:
    """The village of the case's place (None for a case placed above a village, e.g. at triage)."""
    return OrgUnit.objects.filter(code__in=case.unit.ancestor_codes, level=Level.VILLAGE).first()


def hand_over_refusal(case: Case) -> str | None:
    """Why the case cannot go to the service team (its state), or None."""
    if case.kind != Kind.HELP:
        return "只有求助类诉求可以交百事服务团"
    if case.status in CLOSED_STATUSES or case.status not in _open_case_statuses():
        return f"诉求当前状态为“{case.get_status_display()}”，不能交百事服务团"
    if ServiceRequest.objects.filter(case=case).exists():
        return "该求助已交百事服务团"
    return None


def _open_case_statuses() -> tuple:
    from shanzhi.cases.models import OPEN_STATUSES

    return OPEN_STATUSES


def may_hand_over(user, case: Case) -> bool:
    """For the button: a help case the user may handle, open, not handed over yet, placed in a village."""
    return (user is not None and hand_over_refusal(case) is None and case_village(case) is not None
            and case_services.may_step(user, case, "annotate", authority=CASE_AUTHORITY))


@transaction.atomic
def request_from_case(*, actor, case: Case, skill: Skill | None, note: str = "",
                      wanted_from: dt.datetime | None = None, wanted_to: dt.datetime | None = None,
                      now: dt.datetime | None = None) -> ServiceRequest:
    """交百事服务团: staff who may handle the 求助 case hand it to the village's service team. The case stays
    open with one timeline; the request's steps are written on it and its confirmation concludes it."""
    case = Case.objects.select_for_update(of=("self",)).select_related("unit", "handling_unit", "reporter").get(pk=case.pk)

    def state() -> None:
        why = hand_over_refusal(case)
        if why is not None:
            raise DomainError(why, code="invalid_state")

    allowed = actor is None or case_services.may_step(actor, case, "annotate", authority=CASE_AUTHORITY)
    scopes.require(actor, CASE_AUTHORITY, None, what="该诉求", granted=allowed,
                   visible=actor is None or allowed or case_services.can_view(actor, case), state=state)
    village = case_village(case)
    if village is None:
        raise _bad("case", "该求助未定位到村社，请先转交到村社")
    if skill is None or not skill.is_active:
        raise _bad("skill", "请选择服务类别")
    now = now or clock.now()
    note = _text("note", note, "说明", MAX_NOTE, required=False)
    wanted_from, wanted_to = _window(wanted_from, wanted_to, now)
    reporter = case.reporter
    resident = getattr(reporter, "resident", None) if reporter is not None and reporter.resident_id else None
    household = case.household or (resident.household if resident is not None else None)
    req = ServiceRequest.objects.create(
        number=request_number(now), village=village, team=access.team_at(village), resident=resident,
        household=household, requester_user=reporter if resident is not None else None,
        requester_name=(resident.name if resident is not None else case.reporter_name)[:50], skill=skill,
        text=case.description[:MAX_TEXT] + (f"\n{note}" if note else ""), wanted_from=wanted_from,
        wanted_to=wanted_to, case=case, created_at=now, updated_at=now)
    _event(req, action="from_case", actor=actor, now=now, note=f"{case.number} {note}".strip())
    _audit(actor, "request_from_case", req, village, after={"number": req.number, "case": case.number,
                                                            "skill": skill.code})
    case_services.case_annotate(actor=actor, case=case, note=f"交百事服务团，服务编号 {req.number}（{skill.name}）"
                                + (f"。{note}" if note else ""), authority=CASE_AUTHORITY,
                                data={"service_request": req.number, "step": "from_case"}, public=True,
                                take_up=True, now=now)
    _notify_runners(village, text=f"求助 {case.number} 已交百事服务团，服务编号 {req.number}，待派单",
                    key=f"req-new:{req.pk}", now=now, link=_link("volunteers:request_detail", req.pk), actor=actor)
    return req


def _lock(req: ServiceRequest) -> ServiceRequest:
    return (ServiceRequest.objects.select_for_update(of=("self",)).select_related("village", "skill", "volunteer", "case")
            .get(pk=req.pk))


def _in(req: ServiceRequest, *allowed: str, doing: str):
    def state() -> None:
        if req.status not in allowed:
            raise DomainError(f"服务需求当前状态为“{req.get_status_display()}”，不能{doing}", code="invalid_state")
    return state


def _require_request_run(actor, req: ServiceRequest, state) -> None:
    lead = actor is not None and access.leads_at(actor, req.village)
    scopes.require(actor, "volunteers.run", req.village, what="该服务需求", granted=lead,
                   visible=selectors.request_visible(actor, req), state=state)


def _require_request_by(actor, req: ServiceRequest, granted: bool, state) -> None:
    """A step only one person takes (the volunteer, the requester): 404 / state 400 / 403 to the others."""
    scopes.require(actor, "volunteers.view", None, what="该服务需求", granted=granted,
                   visible=granted or selectors.request_visible(actor, req), state=state)


def check_target(req: ServiceRequest, volunteer: Volunteer | None) -> Volunteer:
    """The chosen volunteer: in post, serving the village, with the skill, not the requester, not declined."""
    message = "该志愿者不在岗、不服务该村社、不具备所需技能或已婉拒"
    if volunteer is None:
        raise _bad("volunteer", message)
    volunteer = Volunteer.objects.select_related("village").get(pk=volunteer.pk)
    ok = (volunteer.status == VolunteerStatus.ACTIVE and volunteer.villages.filter(pk=req.village_id).exists()
          and volunteer.skills.filter(pk=req.skill_id).exists()
          and not req.events.filter(action="decline", volunteer=volunteer).exists())
    if not ok:
        raise _bad("volunteer", message)
    if req.resident_id and volunteer.resident_id == req.resident_id:
        raise _bad("volunteer", "不能派给求助人本人")
    return volunteer


@transaction.atomic
def request_assign(*, actor, request: ServiceRequest, volunteer: Volunteer | None, note: str = "",
                   now: dt.datetime | None = None) -> ServiceRequest:
    """The team leader (or a cadre in scope) assigns a volunteer; again while not yet accepted."""
    req = _lock(request)
    _require_request_run(actor, req, _in(req, S.REQUESTED, S.ASSIGNED, doing="派单"))
    volunteer = check_target(req, volunteer)
    note = _text("note", note, "说明", MAX_NOTE, required=False)
    now = now or clock.now()
    before, previous = req.status, req.volunteer
    req.status, req.volunteer, req.assigned_by, req.assigned_at, req.updated_at = (
        S.ASSIGNED, volunteer, actor if _actor_id(actor) else None, now, now)
    req.save(update_fields=["status", "volunteer", "assigned_by", "assigned_at", "updated_at"])
    _event(req, action="assign", actor=actor, now=now, before=before, note=note)
    _audit(actor, "request_assign", req, req.village, before={"volunteer": previous.pk if previous else None},
           after={"volunteer": volunteer.pk, "status": req.status})
    _on_case(req, actor=actor, step="assign", note=f"志愿者：{volunteer.name}", now=now)
    _notify_volunteer(volunteer, text=f"新的服务任务 {req.number}（{req.skill.name}），请接单",
                      key=f"req-assign:{req.pk}:{volunteer.pk}:{now.timestamp()}", now=now,
                      link=_link("volunteers:request_detail", req.pk))
    if previous is not None and previous.pk != volunteer.pk:
        _notify_volunteer(previous, text=f"服务任务 {req.number} 已改派他人", key=f"req-unassign:{req.pk}:{now.timestamp()}",
                          now=now, link=_link("volunteers:tasks"))
    return req


def _is_volunteer(actor, req: ServiceRequest) -> bool:
    mine = access.volunteer_for(actor) if actor is not None else None
    return mine is not None and req.volunteer_id == mine.pk


def is_requester(actor, req: ServiceRequest) -> bool:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    if req.requester_user_id and req.requester_user_id == actor.pk:
        return True
    return bool(req.resident_id and getattr(actor, "resident_id", None) == req.resident_id)


@transaction.atomic
def request_accept(*, actor, request: ServiceRequest, now: dt.datetime | None = None) -> ServiceRequest:
    req = _lock(request)
    _require_request_by(actor, req, _is_volunteer(actor, req), _in(req, S.ASSIGNED, doing="接单"))
    now = now or clock.now()
    before = req.status
    req.status, req.accepted_at, req.updated_at = S.ACCEPTED, now, now
    req.save(update_fields=["status", "accepted_at", "updated_at"])
    _event(req, action="accept", actor=actor, now=now, before=before)
    _audit(actor, "request_accept", req, req.village, after={"status": req.status})
    _on_case(req, actor=actor, step="accept", note=f"志愿者{req.volunteer.name}已接单", now=now)
    _notify_requester(req, text=f"您的服务需求 {req.number} 已有志愿者接单", key=f"req-accept:{req.pk}:{now.timestamp()}",
                      now=now)
    return req


@transaction.atomic
def request_decline(*, actor, request: ServiceRequest, reason: str, now: dt.datetime | None = None) -> ServiceRequest:
    """The volunteer declines with a reason: back to the desk, and not suggested for it again."""
    req = _lock(request)
    _require_request_by(actor, req, _is_volunteer(actor, req), _in(req, S.ASSIGNED, doing="婉拒"))
    reason = _text("reason", reason, "婉拒原因", MAX_REASON)
    now = now or clock.now()
    before, volunteer = req.status, req.volunteer
    req.status, req.volunteer, req.assigned_at, req.updated_at = S.REQUESTED, None, None, now
    req.save(update_fields=["status", "volunteer", "assigned_at", "updated_at"])
    _event(req, action="decline", actor=actor, now=now, before=before, note=reason, volunteer=volunteer)
    _audit(actor, "request_decline", req, req.village, after={"status": req.status, "volunteer": volunteer.pk},
           reason=reason)
    _on_case(req, actor=actor, step="decline", note=f"志愿者{volunteer.name}：{reason}", now=now)
    ids = [req.assigned_by_id] if req.assigned_by_id else []
    inbox_notify(ids, kind="volunteer", text=f"服务需求 {req.number} 被婉拒，请重新派单",
                 key=f"req-decline:{req.pk}:{now.timestamp()}", now=now,
                 link=_link("volunteers:request_detail", req.pk))
    return req


def _position(lat, lon) -> tuple[float | None, float | None]:
    from shanzhi.lib.parsing import parse_lat_lon

    return parse_lat_lon(lat, lon)


def _photo(photo) -> bytes | None:
    if not photo:
        return None
    try:
        return validate_images([photo])[0].data
    except DomainError as exc:
        raise DomainError(str(exc), fields={"photo": [str(exc)]}) from None


@transaction.atomic
def request_checkin(*, actor, request: ServiceRequest, lat=None, lon=None, note: str = "",
                    now: dt.datetime | None = None) -> ServiceRequest:
    """The volunteer checks in on the spot: the time now, an optional position and note."""
    req = _lock(request)
    _require_request_by(actor, req, _is_volunteer(actor, req), _in(req, S.ACCEPTED, doing="签到"))
    lat, lon = _position(lat, lon)
    note = _text("note", note, "说明", MAX_NOTE, required=False)
    now = now or clock.now()
    before = req.status
    req.status, req.checkin_at, req.checkin_lat, req.checkin_lon, req.updated_at = S.SERVING, now, lat, lon, now
    req.save(update_fields=["status", "checkin_at", "checkin_lat", "checkin_lon", "updated_at"])
    _event(req, action="checkin", actor=actor, now=now, before=before, note=note)
    _audit(actor, "request_checkin", req, req.village, after={"status": req.status, "located": lat is not None})
    _on_case(req, actor=actor, step="checkin", note=f"志愿者{req.volunteer.name}到达服务", now=now)
    return req


@transaction.atomic
def request_checkout(*, actor, request: ServiceRequest, lat=None, lon=None, note: str = "", photo=None,
                     now: dt.datetime | None = None) -> ServiceRequest:
    """The volunteer checks out: the time now, position, what was done, an optional photo (re-encoded)."""
    req = _lock(request)
    _require_request_by(actor, req, _is_volunteer(actor, req), _in(req, S.SERVING, doing="签退"))
    lat, lon = _position(lat, lon)
    note = _text("note", note, "服务记录", MAX_TEXT)
    data = _photo(photo)
    now = now or clock.now()
    before = req.status
    req.status, req.checkout_at, req.checkout_lat, req.checkout_lon = S.SERVED, now, lat, lon
    req.service_note, req.updated_at = note, now
    fields = ["status", "checkout_at", "checkout_lat", "checkout_lon", "service_note", "updated_at"]
    if data is not None:
        req.photo.save(f"{uuid.uuid4().hex}.jpg", ContentFile(data), save=False)
        fields.append("photo")
    req.save(update_fields=fields)
    _event(req, action="checkout", actor=actor, now=now, before=before, note=note)
    _audit(actor, "request_checkout", req, req.village, after={"status": req.status, "photo": data is not None,
                                                                "located": lat is not None})
    _on_case(req, actor=actor, step="checkout", note=f"志愿者{req.volunteer.name}完成服务：{note[:200]}", now=now)
    _notify_requester(req, text=f"您的服务需求 {req.number} 已服务完成，请确认并评价",
                      key=f"req-served:{req.pk}", now=now)
    return req


def may_confirm_for(actor, req: ServiceRequest) -> bool:
    """Staff (or the team leader) confirm for a requester who has no phone account."""
    if actor is None or requester_user_ids(req):
        return False
    return scopes.may(actor, "volunteers.run", req.village) or access.leads_at(actor, req.village)


@transaction.atomic
def request_confirm(*, actor, request: ServiceRequest, rating, comment: str = "",
                    now: dt.datetime | None = None) -> ServiceRequest:
    """The requester confirms the service and rates it 1–5 (staff for a resident without a phone, audited):
    the volunteer's hours are credited once, and a case it came from is concluded."""
    req = _lock(request)
    own = is_requester(actor, req)
    _require_request_by(actor, req, actor is None or own or may_confirm_for(actor, req),
                        _in(req, S.SERVED, doing="确认"))
    if isinstance(rating, str):
        rating = rating.strip()
        rating = int(rating) if rating.isdigit() and len(rating) == 1 else None
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise _bad("rating", "请选择1至5星的满意度")
    comment = _text("comment", comment, "评价", MAX_REASON, required=False)
    now = now or clock.now()
    rule = ledger.points_rule()
    hours = ledger.hours_between(req.checkin_at, req.checkout_at, cap=rule.max_hours_per_service)
    points = ledger.points_for(hours, rule=rule)
    before = req.status
    req.status, req.confirmed_at, req.rating, req.rating_comment = S.CONFIRMED, now, rating, comment
    req.hours, req.updated_at = hours, now
    req.save(update_fields=["status", "confirmed_at", "rating", "rating_comment", "hours", "updated_at"])
    volunteer = req.volunteer
    account = ledger.account_for(village=volunteer.village, name=volunteer.name, resident=volunteer.resident,
                                 user=volunteer.user if volunteer.resident_id is None else None, now=now)
    entry = ledger.credit(account=account, kind=EntryKind.SERVICE, hours=hours, points=points, village=req.village,
                          source=f"request:{req.pk}", actor=actor, note=f"{req.number} {req.skill.name}",
                          request=req, at=now)
    proxy = not own and actor is not None
    _event(req, action="confirm", actor=actor, now=now, before=before,
           note=(f"{rating}星" + (f"：{comment}" if comment else "") + ("（工作人员代居民确认）" if proxy else "")))
    _audit(actor, "request_confirm", req, req.village, after={
        "status": req.status, "rating": rating, "hours": str(hours), "points": points, "entry": entry.pk,
        "for_resident": proxy}, reason="代居民确认" if proxy else "")
    _conclude_case(req, actor=actor, rating=rating, now=now)
    _notify_volunteer(volunteer, text=f"服务 {req.number} 已确认，记{hours}小时、{points}积分",
                      key=f"req-confirm:{req.pk}", now=now, link=_link("volunteers:request_detail", req.pk))
    return req


def _conclude_case(req: ServiceRequest, *, actor, rating: int, now: dt.datetime) -> None:
    """The case's conclusion: by the confirming staff member when they may handle it there, else the system
    on the service's behalf (the resident who confirmed holds no case authority). A case closed meanwhile
    only gets the timeline entry."""
    if req.case_id is None:
        return
    case = Case.objects.select_for_update(of=("self",)).select_related("handling_unit", "unit").get(pk=req.case_id)
    if case.status not in _open_case_statuses():
        _on_case(req, actor=actor, step="confirm", note=f"满意度{rating}星", now=now)
        return
    case_services.case_conclude(actor=_case_actor(actor, case, "conclude"), case=case,
                                outcome=f"百事服务团服务完成（{req.number}，志愿者{req.volunteer.name}）",
                                note=f"求助人确认，满意度{rating}星", authority=CASE_AUTHORITY, now=now)


@transaction.atomic
def request_cancel(*, actor, request: ServiceRequest, reason: str, now: dt.datetime | None = None) -> ServiceRequest:
    """The requester (or staff who run the service there) cancels before check-in."""
    req = _lock(request)
    lead = actor is not None and access.leads_at(actor, req.village)
    allowed = actor is None or is_requester(actor, req) or lead or scopes.may(actor, "volunteers.run", req.village)
    _require_request_by(actor, req, allowed, _in(req, *CANCELLABLE, doing="取消"))
    reason = _text("reason", reason, "取消原因", MAX_REASON)
    now = now or clock.now()
    before, volunteer = req.status, req.volunteer
    req.status, req.cancel_reason, req.updated_at = S.CANCELLED, reason, now
    req.save(update_fields=["status", "cancel_reason", "updated_at"])
    _event(req, action="cancel", actor=actor, now=now, before=before, note=reason)
    _audit(actor, "request_cancel", req, req.village, after={"status": req.status}, reason=reason)
    _on_case(req, actor=actor, step="cancel", note=reason, now=now)
    if volunteer is not None:
        _notify_volunteer(volunteer, text=f"服务任务 {req.number} 已取消：{reason}", key=f"req-cancel:{req.pk}",
                          now=now, link=_link("volunteers:tasks"))
    return req


def get_volunteer_target(pk) -> Volunteer | None:
    """A volunteer chosen by id in a form (the service checks them as a target)."""
    from shanzhi.lib.parsing import id_or_none

    found = id_or_none(pk)
    return Volunteer.objects.select_related("village").filter(pk=found).first() if found else None

