"""Writes to cases: intake from every channel and each step of the loop. One transaction each,
with a timeline event and an audit row; notifications are written in the same transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from shanzhi.accounts import scopes
from shanzhi.audit.services import actor_label, audit_record
from shanzhi.cases import notify, workflow
from shanzhi.cases.deadlines import deadline_for
from shanzhi.cases.images import store_images, validate_images
from shanzhi.cases.models import (
    LEVEL_ORDER,
    ApiKey,
    Case,
    CaseNumber,
    Category,
    Channel,
    Event,
    HandlingLevel,
    Kind,
    Priority,
    Status,
    Supervision,
)
from shanzhi.cases.routing import UNIT_LEVEL_TO_LEVEL, on_duty_worker_id, route
from shanzhi.cases.signals import case_event
from shanzhi.lib import clock, crypto
from shanzhi.lib.codes import CodeError, mask_phone, normalise_phone
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied
from shanzhi.lib.geometry import GeometryError, check_lat_lon
from shanzhi.org.models import Department, Level, OrgUnit

MAX_DESCRIPTION = 2000
STAFF_CHANNELS = (Channel.PATROL, Channel.HOTLINE, Channel.WALK_IN, Channel.NIGHT_VISIT, Channel.COUNCIL)


# ---- permissions -------------------------------------------------------------------------------

def can(actor, case: Case, perm: str) -> bool:
    """May `actor` do a `perm` step on `case` (the one check for every step)."""
    if actor is None:
        return True  # the system: sweeps and Open311 intake
    if perm == "reporter":
        return case.reporter_id is not None and case.reporter_id == actor.pk
    if perm == "cases.handle":
        if case.assignee_id == actor.pk:
            return True
        if scopes.may_department(actor, case.department_id, case.unit):
            return True
    return scopes.may(actor, perm, case.handling_unit)


def can_view(actor, case: Case) -> bool:
    from shanzhi.cases.selectors import case_list_for

    return case_list_for(user=actor).filter(pk=case.pk).exists()


def _gate(actor, case: Case, action: str) -> None:
    """Check in the order that leaks nothing: visible at all (404), allowed now (400), allowed to you (403)."""
    perm = workflow.TRANSITIONS[action][2]
    if actor is not None and not can(actor, case, perm) and not can_view(actor, case):
        raise NotFound("未找到该诉求")
    workflow.check(action, case.status)
    _require(actor, case, perm)


def _require(actor, case: Case, perm: str) -> None:
    if can(actor, case, perm):
        return
    if actor is not None and can_view(actor, case):
        raise PermissionDenied("您无权对该诉求执行此操作")
    raise NotFound("未找到该诉求")


# ---- helpers -----------------------------------------------------------------------------------

def _event(case: Case, *, actor, action: str, now: dt.datetime, from_status: str = "", note: str = "",
           data: dict | None = None, public: bool = True) -> Event:
    ev = Event.objects.create(case=case, at=now, actor=actor if getattr(actor, "pk", None) else None,
                              actor_label=actor_label(actor)[:100], action=action, from_status=from_status,
                              to_status=case.status, note=note, data=data or {}, public=public)
    audit_record(actor=actor, action=f"cases.{action}", obj=case, unit_path=case.handling_unit.path,
                 before={"status": from_status} if from_status else None,
                 after={"status": case.status, **(data or {})}, reason=note[:500])
    case_event.send(sender=Case, case=case, action=action, actor=actor, now=now)
    return ev


def _step(case: Case, *, actor, action: str, note: str = "", data: dict | None = None,
          now: dt.datetime | None = None, save_fields: Sequence[str] = ()) -> Event:
    """Check the transition and the actor, apply the new status, save, and record the event."""
    _gate(actor, case, action)
    now = now or clock.now()
    before = case.status
    target = workflow.TRANSITIONS[action][1]
    if target:
        case.status = target
    if case.first_response_at is None and action != "rate" and actor is not None and not _is_reporter(actor, case):
        case.first_response_at = now
        save_fields = [*save_fields, "first_response_at"]
    case.save(update_fields=list({"status", "updated_at", *save_fields}))
    return _event(case, actor=actor, action=action, now=now, from_status=before, note=note, data=data)


def _is_reporter(actor, case: Case) -> bool:
    return actor is not None and case.reporter_id == actor.pk


def _need(note: str, what: str) -> str:
    note = (note or "").strip()
    if not note:
        raise DomainError(f"请填写{what}", fields={"note": [f"请填写{what}"]})
    return note


def next_number(now: dt.datetime, county_code: str) -> str:
    """Readable unique number `330421-20261127-00042`; a per-day counter row serialises writers."""
    prefix = f"{county_code}-{timezone.localtime(now):%Y%m%d}"
    if not CaseNumber.objects.filter(prefix=prefix).update(last=F("last") + 1):
        try:
            with transaction.atomic():
                CaseNumber.objects.create(prefix=prefix, last=1)
        except IntegrityError:
            CaseNumber.objects.filter(prefix=prefix).update(last=F("last") + 1)
    last = CaseNumber.objects.values_list("last", flat=True).get(prefix=prefix)
    return f"{prefix}-{last:05d}"


# ---- intake ------------------------------------------------------------------------------------

@transaction.atomic
def case_report(*, actor, kind: str, category: Category, description: str, channel: str,
                lat: float | None = None, lon: float | None = None, address: str = "",
                priority: str = Priority.NORMAL, anonymous: bool = False, is_public: bool = True,
                reporter_name: str = "", reporter_phone: str = "", household=None,
                photos: Sequence = (), idempotency_key: str | None = None,
                api_key: ApiKey | None = None, now: dt.datetime | None = None) -> Case:
    """Raise a case from any channel, route it, set its deadline and notify the handler.

    A repeated idempotency key from the same reporter returns the case already made.
    """
    key = (idempotency_key or "").strip()[:64] or None
    if key:
        existing = Case.objects.filter(idempotency_key=key).first()
        if existing is not None:
            if existing.created_by_id != getattr(actor, "pk", None) or existing.open311_client_id != getattr(
                    api_key, "pk", None):
                raise DomainError("重复的提交编号", fields={"idempotency_key": ["该编号已被使用"]})
            return existing
    now = now or clock.now()
    errors: dict[str, list[str]] = {}
    description = (description or "").strip()
    if not description:
        errors["description"] = ["请描述问题"]
    elif len(description) > MAX_DESCRIPTION:
        errors["description"] = [f"描述不能超过{MAX_DESCRIPTION}字"]
    if kind not in Kind.values:
        errors["kind"] = ["请选择求助或反映问题"]
    if channel not in Channel.values:
        errors["channel"] = ["来源无效"]
    if priority not in Priority.values:
        errors["priority"] = ["紧急程度无效"]
    if category is None or not category.is_active or category.children.exists():
        errors["category"] = ["请选择具体的类别"]
    if (lat is None) != (lon is None):
        errors["lat"] = ["经纬度须同时提供"]
    elif lat is not None:
        try:
            lat, lon = check_lat_lon(lat, lon)
        except GeometryError as exc:
            errors["lat"] = [str(exc)]
    phone = ""
    if reporter_phone:
        try:
            phone = normalise_phone(reporter_phone)
        except CodeError as exc:
            errors["reporter_phone"] = [str(exc)]
    try:
        images = validate_images(photos)
    except DomainError as exc:
        errors.update(exc.fields)
    if errors:
        raise DomainError("；".join(m for ms in errors.values() for m in ms), fields=errors)

    # Who may raise through which channel.
    is_staff = actor is not None and scopes.is_staff_user(actor)
    if channel in STAFF_CHANNELS and not is_staff:
        raise PermissionDenied("只有工作人员可以代为登记")
    if channel == Channel.OPEN311 and api_key is None:
        raise PermissionDenied("缺少 api_key")
    if channel == Channel.RESIDENT and actor is None:
        raise PermissionDenied("请先登录")
    household_unit = None
    if household is not None:
        if channel == Channel.RESIDENT and getattr(actor, "resident_id", None):
            if not household.residents.filter(pk=actor.resident_id).exists():
                raise NotFound("未找到该户")
        elif not (scopes.may(actor, "people.view", household.micro_grid)
                  or (channel == Channel.WALK_IN and scopes.may(actor, "mediation.intake", household.micro_grid))):
            raise NotFound("未找到该户")
        household_unit = household.micro_grid
        if lat is None and household.lat is not None:
            lat, lon = household.lat, household.lon
        address = address or household.address

    r = route(category=category, lat=lat, lon=lon, household_unit=household_unit)
    if r.unit is None:
        raise DomainError("系统尚未配置县级单位")
    reporter = actor if channel in (Channel.RESIDENT,) else None
    if channel == Channel.RESIDENT and not reporter_name:
        reporter_name = getattr(actor, "display_name", "") or ""
    deadline, warn = deadline_for(category=category, priority=priority, start=now)
    case = Case(
        number=next_number(now, r.unit.code[:6]), kind=kind, category=category, priority=priority,
        channel=channel, status=Status.REPORTED, description=description, address=(address or "")[:200],
        lat=lat, lon=lon, unit=r.unit, handling_unit=r.handling_unit, handling_level=r.level,
        first_level=r.level, assignee_id=r.assignee_id, department_id=r.department_id,
        reporter=reporter, reporter_name=reporter_name[:50], anonymous=anonymous, is_public=is_public,
        household=household, created_by=actor if getattr(actor, "pk", None) else None,
        idempotency_key=key, open311_client=api_key, reported_at=now, deadline_at=deadline, warn_at=warn,
    )
    if phone:
        case.reporter_phone_enc = crypto.encrypt(phone)
        case.reporter_phone_masked = mask_phone(phone)
    if channel in (Channel.PATROL, Channel.NIGHT_VISIT) and is_staff:
        # A grid worker who found it handles it: accepted at once.
        case.status = Status.ACCEPTED
        case.first_response_at = now
        if r.level == HandlingLevel.GRID and scopes.may(actor, "cases.handle", r.handling_unit):
            case.assignee = actor
    case.save()
    if reporter is not None:
        case.followers.add(reporter)
    ev = _event(case, actor=actor, action="report", now=now, note="",
                data={"channel": channel, "triage": r.triage, "handling_unit": r.handling_unit.code})
    store_images(images, case=case, event=ev, now=now)
    notify.case_assigned(case, now=now)
    return case


# ---- the loop ----------------------------------------------------------------------------------

@transaction.atomic
def case_accept(*, actor, case: Case, note: str = "", now: dt.datetime | None = None) -> Case:
    _step(case, actor=actor, action="accept", note=note, now=now)
    return case


@transaction.atomic
def case_dispatch(*, actor, case: Case, assignee=None, unit: OrgUnit | None = None,
                  department: Department | None = None, note: str = "", now: dt.datetime | None = None) -> Case:
    """Send a case to a person, a unit below the handling unit, or a department."""
    targets = [t for t in (assignee, unit, department) if t is not None]
    if len(targets) != 1:
        raise DomainError("请指定一个派遣对象：人员、单位或部门", fields={"assignee": ["请指定派遣对象"]})
    _gate(actor, case, "dispatch")
    data: dict = {}
    if assignee is not None:
        target_unit = unit or case.handling_unit
        if not (scopes.may(assignee, "cases.handle", case.handling_unit)
                or any(scopes.may(assignee, "cases.handle", u)
                       for u in OrgUnit.objects.filter(case.handling_unit.subtree_q()).filter(
                           level__in=[Level.GRID, Level.VILLAGE, Level.TOWN]))
                or scopes.may(assignee, "cases.handle", target_unit)):
            raise DomainError("该人员不在本单位，不能派遣", fields={"assignee": ["不在本单位"]})
        case.assignee, case.department = assignee, None
        data["assignee"] = str(assignee)
    elif unit is not None:
        if not unit.path.startswith(case.handling_unit.path) or unit.level not in UNIT_LEVEL_TO_LEVEL:
            raise DomainError("只能派遣到本单位下属的网格、村社或镇街", fields={"unit": ["单位无效"]})
        case.handling_unit, case.handling_level = unit, UNIT_LEVEL_TO_LEVEL[unit.level]
        case.assignee_id = on_duty_worker_id(unit) if unit.level == Level.GRID else None
        case.department = None
        data["unit"] = unit.code
    else:
        case.department, case.assignee = department, None
        data["department"] = department.name
    _step(case, actor=actor, action="dispatch", note=note, data=data, now=now,
          save_fields=["assignee", "department", "handling_unit", "handling_level"])
    notify.case_assigned(case, now=now or clock.now())
    return case


@transaction.atomic
def case_start(*, actor, case: Case, note: str = "", now: dt.datetime | None = None) -> Case:
    _gate(actor, case, "start")
    if case.assignee_id is None and case.department_id is None and actor is not None:
        case.assignee = actor
    _step(case, actor=actor, action="start", note=note, now=now, save_fields=["assignee"])
    return case


@transaction.atomic
def case_report_back(*, actor, case: Case, note: str, photos: Sequence = (),
                     now: dt.datetime | None = None) -> Case:
    """Report what was done, with photos; the case waits for verification."""
    _gate(actor, case, "report_back")
    note = _need(note, "处置情况")
    images = validate_images(photos)
    now = now or clock.now()
    case.handled_at = now
    ev = _step(case, actor=actor, action="report_back", note=note, now=now, save_fields=["handled_at"])
    store_images(images, case=case, event=ev, now=now)
    return case


@transaction.atomic
def case_verify(*, actor, case: Case, passed: bool = True, note: str = "", now: dt.datetime | None = None) -> Case:
    if passed:
        _step(case, actor=actor, action="verify", note=note, now=now)
    else:
        _step(case, actor=actor, action="verify_fail", note=_need(note, "核查不通过的原因"), now=now)
    return case


@transaction.atomic
def case_close(*, actor, case: Case, note: str = "", now: dt.datetime | None = None) -> Case:
    """Close a verified case: record level, on-time, and ask the reporter to rate."""
    _gate(actor, case, "close")
    now = now or clock.now()
    case.closed_at = now
    case.closed_level = case.handling_level
    case.closed_on_time = case.deadline_at is None or (now <= case.deadline_at and not case.overdue_escalated_level)
    _step(case, actor=actor, action="close", note=note, now=now,
          save_fields=["closed_at", "closed_level", "closed_on_time"])
    notify.rating_requested(case, now=now)
    return case


@transaction.atomic
def case_rate(*, actor, case: Case, rating: int, satisfied: bool, comment: str = "",
              now: dt.datetime | None = None) -> Case:
    """The reporter rates 1-5; an unsatisfied rating sends the case back for rework (返工)."""
    _gate(actor, case, "rate")
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise DomainError("评分应为1到5", fields={"rating": ["评分应为1到5"]})
    comment = (comment or "").strip()[:500]
    now = now or clock.now()
    case.rating, case.satisfied, case.rating_comment = rating, bool(satisfied), comment
    _step(case, actor=actor, action="rate", note=comment, now=now, data={"rating": rating, "satisfied": satisfied},
          save_fields=["rating", "satisfied", "rating_comment"])
    if not satisfied:
        _reopen(case, actor=None, note=f"居民不满意：{comment}" if comment else "居民不满意", now=now)
    return case


def _reopen(case: Case, *, actor, note: str, now: dt.datetime) -> None:
    workflow.check("reopen", case.status)
    before = case.status
    case.status = Status.DISPATCHED
    case.reopen_count += 1
    case.closed_at = None
    case.closed_on_time = None
    case.closed_level = ""
    case.deadline_at, case.warn_at = deadline_for(category=case.category, priority=case.priority, start=now)
    case.warned_for = None
    case.save()
    _event(case, actor=actor, action="reopen", now=now, from_status=before, note=note)
    notify.case_assigned(case, now=now)


@transaction.atomic
def case_reopen(*, actor, case: Case, note: str, now: dt.datetime | None = None) -> Case:
    _gate(actor, case, "reopen")
    _reopen(case, actor=actor, note=_need(note, "返工原因"), now=now or clock.now())
    return case


@transaction.atomic
def case_return(*, actor, case: Case, note: str, now: dt.datetime | None = None) -> Case:
    """The handler gives the case back to its unit's queue, with a reason."""
    _gate(actor, case, "return")
    note = _need(note, "退回原因")
    case.assignee, case.department = None, None
    _step(case, actor=actor, action="return", note=note, now=now, save_fields=["assignee", "department"])
    notify.case_assigned(case, now=now or clock.now())
    return case


def _parent_handling_unit(case: Case) -> OrgUnit | None:
    idx = LEVEL_ORDER.index(case.handling_level)
    if idx + 1 >= len(LEVEL_ORDER):
        return None
    target_level = {HandlingLevel.VILLAGE: Level.VILLAGE, HandlingLevel.TOWN: Level.TOWN,
                    HandlingLevel.COUNTY: Level.COUNTY}[LEVEL_ORDER[idx + 1]]
    codes = case.handling_unit.ancestor_codes
    return OrgUnit.objects.filter(code__in=codes, level=target_level).first()


def escalate(case: Case, *, actor, note: str, now: dt.datetime, automatic: bool = False) -> None:
    """Move a case one level up (grid -> village -> town -> county)."""
    parent = _parent_handling_unit(case)
    if parent is None:
        raise DomainError("已在县级处置，不能再上报", code="invalid_transition")
    before = case.status
    old = case.handling_unit.code
    case.handling_unit, case.handling_level = parent, UNIT_LEVEL_TO_LEVEL[parent.level]
    case.assignee, case.department = None, None
    case.status = Status.ACCEPTED
    case.escalations += 1
    fields = ["handling_unit", "handling_level", "assignee", "department", "status", "escalations", "updated_at"]
    if automatic:
        case.overdue_escalated_level = case.handling_level
        fields.append("overdue_escalated_level")
    case.save(update_fields=fields)
    _event(case, actor=actor, action="escalate", now=now, from_status=before, note=note,
           data={"from": old, "to": parent.code, "automatic": automatic})
    notify.case_assigned(case, now=now, escalated=True)


@transaction.atomic
def case_escalate(*, actor, case: Case, note: str, now: dt.datetime | None = None) -> Case:
    _gate(actor, case, "escalate")
    escalate(case, actor=actor, note=_need(note, "上报原因"), now=now or clock.now())
    return case


@transaction.atomic
def case_extension_request(*, actor, case: Case, until: dt.datetime, note: str,
                           now: dt.datetime | None = None) -> Case:
    _gate(actor, case, "extension_request")
    note = _need(note, "延期理由")
    now = now or clock.now()
    if case.deadline_at and until <= case.deadline_at:
        raise DomainError("延期后的时限必须晚于当前时限", fields={"until": ["必须晚于当前时限"]})
    if until <= now:
        raise DomainError("延期后的时限必须晚于现在", fields={"until": ["必须晚于现在"]})
    if case.extension_requested_until:
        raise DomainError("已有待审批的延期申请", code="invalid_transition")
    case.extension_requested_until, case.extension_reason = until, note[:200]
    _step(case, actor=actor, action="extension_request", note=note, now=now, data={"until": until.isoformat()},
          save_fields=["extension_requested_until", "extension_reason"])
    return case


@transaction.atomic
def case_extension_decide(*, actor, case: Case, approve: bool, note: str = "",
                          now: dt.datetime | None = None) -> Case:
    _gate(actor, case, "extension_approve" if approve else "extension_refuse")
    if not case.extension_requested_until:
        raise DomainError("没有待审批的延期申请", code="invalid_transition")
    until = case.extension_requested_until
    if approve:
        from shanzhi.cases.deadlines import warn_point

        case.deadline_at = until
        case.warn_at = warn_point(case.reported_at, until)
        case.warned_for = None
    case.extension_requested_until, case.extension_reason = None, ""
    _step(case, actor=actor, action="extension_approve" if approve else "extension_refuse", note=note, now=now,
          data={"until": until.isoformat()},
          save_fields=["deadline_at", "warn_at", "warned_for", "extension_requested_until", "extension_reason"])
    return case


@transaction.atomic
def case_supervise(*, actor, case: Case, level: str, note: str, now: dt.datetime | None = None) -> Case:
    _gate(actor, case, "supervise")
    if level not in (Supervision.NORMAL, Supervision.YELLOW, Supervision.RED):
        raise DomainError("督办等级无效（督办/黄牌/红牌）", fields={"level": ["无效"]})
    note = _need(note, "督办意见")
    case.supervision = level
    now = now or clock.now()
    _step(case, actor=actor, action="supervise", note=note, now=now, data={"level": level},
          save_fields=["supervision"])
    notify.supervised(case, now=now)
    return case


@transaction.atomic
def case_park(*, actor, case: Case, note: str, now: dt.datetime | None = None) -> Case:
    _step(case, actor=actor, action="park", note=_need(note, "挂账原因"), now=now)
    return case


@transaction.atomic
def case_unpark(*, actor, case: Case, note: str = "", now: dt.datetime | None = None) -> Case:
    _step(case, actor=actor, action="unpark", note=note, now=now)
    return case


@transaction.atomic
def case_void(*, actor, case: Case, note: str, now: dt.datetime | None = None) -> Case:
    _step(case, actor=actor, action="void", note=_need(note, "作废原因"), now=now)
    return case


@transaction.atomic
def case_mark_duplicate(*, actor, case: Case, original: Case, note: str = "",
                        now: dt.datetime | None = None) -> Case:
    """Merge a case into another: its reporter and followers follow the original."""
    _gate(actor, case, "duplicate")
    if original.pk == case.pk:
        raise DomainError("不能与自身合并", fields={"original": ["不能与自身合并"]})
    if original.status in (Status.VOID, Status.DUPLICATE):
        raise DomainError("原诉求已作废或已合并", fields={"original": ["原诉求无效"]})
    if actor is not None and not can_view(actor, original):
        raise NotFound("未找到原诉求")
    case.duplicate_of = original
    _step(case, actor=actor, action="duplicate", note=note, now=now, data={"original": original.number},
          save_fields=["duplicate_of"])
    original.followers.add(*case.followers.all())
    if case.reporter_id:
        original.followers.add(case.reporter_id)
    return case


def followable(actor, case: Case) -> bool:
    """May `actor` follow `case`: one they already see, or an open case their own village's feed shows.

    Not any case in the county by its published number or coordinates: those answer like missing ones."""
    from shanzhi.cases.selectors import followable_for

    if can_view(actor, case):
        return True
    return followable_for(user=actor).filter(pk=case.pk).exists()


@transaction.atomic
def case_follow(*, actor, case: Case) -> Case:
    """Follow a case instead of raising a new one (an open case of your village's feed, or one you see)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied("请先登录")
    if not followable(actor, case):
        raise NotFound("未找到该诉求")
    case.followers.add(actor)
    audit_record(actor=actor, action="cases.follow", obj=case, unit_path=case.handling_unit.path)
    return case
