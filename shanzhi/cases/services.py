"""Writes to cases: intake from every channel and each step of the loop. One transaction each,
with a timeline event and an audit row; notifications are written in the same transaction."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from django.conf import settings
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
    OPEN_STATUSES,
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
# Steps that whoever reported back may not take on the same case (unless SHANZHI_ALLOW_SELF_VERIFY).
SEPARATED_STEPS = ("verify", "verify_fail", "close")
STAFF_CHANNELS = (Channel.PATROL, Channel.HOTLINE, Channel.WALK_IN, Channel.NIGHT_VISIT, Channel.COUNCIL)


# ---- permissions -------------------------------------------------------------------------------

def _granted(actor, case: Case, perm: str) -> bool:
    """Object-level grants of a step: the reporter rates; the assignee and the case's department handle."""
    if perm == "reporter":
        return case.reporter_id is not None and case.reporter_id == actor.pk
    if perm == "cases.handle":
        return case.assignee_id == actor.pk or scopes.may_department(actor, case.department_id, case.unit)
    return False


def may_step(actor, case: Case, action: str, *, authority: str | None = None) -> bool:
    """May `actor` take `action` on `case` (state aside)? For buttons; the gate asks the same question.

    `authority` replaces the step's own scope action for extension steps driven by another module
    (e.g. "mediation.handle" for a mediator concluding a dispute's case)."""
    if actor is None:
        return True  # the system: sweeps and Open311 intake
    perm = authority or workflow.permission(action)
    if _granted(actor, case, perm):
        allowed = True
    else:
        allowed = perm != "reporter" and scopes.may(actor, perm, case.handling_unit)
    return allowed and not _own_report_back(actor, case, action)


def self_verify_allowed() -> bool:
    """May whoever reported back also verify and close (SHANZHI_ALLOW_SELF_VERIFY, for small villages)?"""
    return bool(settings.SHANZHI.get("ALLOW_SELF_VERIFY"))


def reported_back_by(case: Case) -> int | None:
    """The user who reported back the case's current handling (the latest report-back). One query."""
    return (Event.objects.filter(case=case, action="report_back").order_by("-at", "-id")
            .values_list("actor_id", flat=True).first())


SELF_VERIFY_REFUSED = "处置反馈人不能核查或结案自己处置的诉求，请由其他有权限的人员核查"


def _own_report_back(actor, case: Case, action: str) -> bool:
    """Separation of duties: is `actor` about to verify or close the case they reported back themselves?"""
    if actor is None or action not in SEPARATED_STEPS or self_verify_allowed():
        return False
    return actor.pk is not None and reported_back_by(case) == actor.pk


def can_view(actor, case: Case) -> bool:
    from shanzhi.cases.selectors import case_visible

    return case_visible(user=actor, case=case)


def _gate(actor, case: Case, action: str, *, authority: str | None = None) -> None:
    """The one gate for a step on a case: not visible 404, not allowed from this status 400, not yours 403."""
    if actor is None:
        workflow.check(action, case.status)
        return
    perm = authority or workflow.permission(action)
    allowed = _granted(actor, case, perm) or (perm != "reporter" and scopes.may(actor, perm, case.handling_unit))
    scopes.require(actor, "cases.view" if perm == "reporter" else perm,
                   None if perm == "reporter" else case.handling_unit, what="该诉求",
                   granted=allowed, visible=allowed or can_view(actor, case),
                   state=lambda: workflow.check(action, case.status))
    # Separation of duties, after the state and the role: a 403 with its own reason.
    if _own_report_back(actor, case, action):
        raise PermissionDenied(SELF_VERIFY_REFUSED, code="self_verify")


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
                api_key: ApiKey | None = None, origin: dict | None = None,
                handling_unit: OrgUnit | None = None, authority: str = "cases.intake",
                now: dt.datetime | None = None) -> Case:
    """Raise a case from any channel, route it, set its deadline and notify the handler.

    A repeated idempotency key from the same reporter returns the case already made. `origin` links the
    case back to what raised it (e.g. {"campaign": 3, "target": 41} for a need found on a visit), kept on
    the report event of the timeline. `handling_unit` places the case with the window that takes it in
    (a mediation centre) instead of the routed unit; it must lie in the actor's scope for `authority`.
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
    if handling_unit is not None:
        if handling_unit.level not in UNIT_LEVEL_TO_LEVEL:
            raise DomainError("受理单位无效", fields={"unit": ["受理单位无效"]})
        scopes.require_target(actor, _authority(authority), handling_unit, field="unit",
                              message="该事项的受理单位不在您的受理范围")
        r = dataclasses.replace(r, handling_unit=handling_unit, level=UNIT_LEVEL_TO_LEVEL[handling_unit.level],
                                assignee_id=None)
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
                data={"channel": channel, "triage": r.triage, "handling_unit": r.handling_unit.code,
                      **({"origin": dict(origin)} if origin else {})})
    store_images(images, case=case, event=ev, now=now)
    notify.case_assigned(case, now=now)
    return case


# ---- the loop ----------------------------------------------------------------------------------

@transaction.atomic
def case_accept(*, actor, case: Case, note: str = "", now: dt.datetime | None = None) -> Case:
    _step(case, actor=actor, action="accept", note=note, now=now)
    return case


ASSIGNEE_REFUSED = "该人员不在本单位或您的派遣范围内，不能派遣"
DEPARTMENT_REFUSED = "不能派遣到该部门：只能派遣到您所辖单位的部门"


def assignee_eligible(actor, case: Case, person) -> bool:
    """May `actor` give `case` to `person`: an active staff member holding a post that may handle cases at
    a unit under the case's handling unit, that unit also in the actor's dispatch scope."""
    if person is None or not person.is_active:
        return False
    base = case.handling_unit.path
    for path in scopes.paths_for(person, "cases.handle"):
        if path.startswith(base) and (actor is None or scopes.may(actor, "cases.dispatch", path)):
            return True
    return False


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
        if not assignee_eligible(actor, case, assignee):
            raise DomainError(ASSIGNEE_REFUSED, fields={"assignee": [ASSIGNEE_REFUSED]}, code="invalid_target")
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
        scopes.require_target(actor, "cases.dispatch", department.unit if department.is_active else None,
                              field="department", message=DEPARTMENT_REFUSED)
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
    case.closed_on_time = is_on_time(case, now)
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


# ---- the deadline sweep's writes (the system: actor None) ----------------------------------------

@transaction.atomic
def case_warn_deadline(*, case: Case, now: dt.datetime) -> bool:
    """Warn the handlers once per deadline that it is near (80% of the time used); audited. Returns
    whether it warned (False when already warned for this deadline, so a re-run changes nothing)."""
    case = Case.objects.select_for_update().select_related("category", "handling_unit").get(pk=case.pk)
    if case.warned_for == case.deadline_at or case.deadline_at is None or case.status not in OPEN_STATUSES:
        return False
    case.warned_for = case.deadline_at
    case.save(update_fields=["warned_for"])
    notify.overdue_warning(case, now=now)
    audit_record(actor=None, action="cases.warn", obj=case, unit_path=case.handling_unit.path,
                 after={"deadline_at": case.deadline_at.isoformat()})
    return True


@transaction.atomic
def case_escalate_overdue(*, case: Case, now: dt.datetime, statuses: Sequence[str]) -> bool:
    """Escalate an overdue case one level, once per level (an event and an audit row, by the system).
    Returns False when there is nothing to do (already escalated to this level, at the county, or no
    longer in one of `statuses`)."""
    case = Case.objects.select_for_update().select_related("category", "handling_unit").get(pk=case.pk)
    if case.overdue_escalated_level and case.overdue_escalated_level == case.handling_level:
        return False
    if case.status not in statuses or case.handling_level == HandlingLevel.COUNTY:
        return False
    if case.deadline_at is None or case.deadline_at > now:
        return False
    escalate(case, actor=None, note="超期自动上报", now=now, automatic=True)
    return True


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


# ---- extension steps -----------------------------------------------------------------------------
#
# Other modules (mediation, campaigns, councils, volunteers...) extend a case through these steps, with the
# real actor and their own scope action as the authority on the case's handling unit; they never write case
# fields themselves. Each step goes through the one gate (404 / 400 / 403) and leaves a timeline event.

EXTENSION_AUTHORITIES = frozenset({"cases.intake", "cases.handle", "cases.dispatch", "mediation.intake",
                                   "mediation.handle", "campaigns.signoff", "campaigns.run"})


def _authority(authority: str) -> str:
    if authority not in EXTENSION_AUTHORITIES:
        raise ValueError(f"not an authority for extension steps: {authority!r}")
    return authority


def _first_response(case: Case, actor, now: dt.datetime) -> list[str]:
    """A staff actor's first step on a case is its first response."""
    if case.first_response_at is None and actor is not None and not _is_reporter(actor, case):
        case.first_response_at = now
        return ["first_response_at"]
    return []


def is_on_time(case: Case, at: dt.datetime) -> bool:
    """The one rule for "closed on time": by the deadline, and never escalated for lateness."""
    return case.deadline_at is None or (at <= case.deadline_at and not case.overdue_escalated_level)


@transaction.atomic
def case_annotate(*, actor, case: Case, note: str, authority: str = "cases.handle", data: dict | None = None,
                  public: bool = False, take_up: bool = False, now: dt.datetime | None = None) -> Event:
    """Add an entry to the case's timeline in any state (a session booked, a finding), by the real actor.

    The first staff entry is the case's first response; `take_up` also accepts a case still reported
    (the centre has taken it up)."""
    _gate(actor, case, "annotate", authority=_authority(authority))
    note = _need(note, "记录内容")
    now = now or clock.now()
    fields = _first_response(case, actor, now)
    before = case.status
    if take_up and case.status == Status.REPORTED and actor is not None:
        case.status = Status.ACCEPTED
        fields.append("status")
    if fields:
        case.save(update_fields=[*fields, "updated_at"])
    return _event(case, actor=actor, action="annotate", now=now, note=note, data=data, public=public,
                  from_status=before if before != case.status else "")


@transaction.atomic
def case_transfer(*, actor, case: Case, unit: OrgUnit | None = None, department: Department | None = None,
                  note: str, authority: str = "cases.dispatch", escalation: bool = False,
                  now: dt.datetime | None = None) -> Case:
    """Give the case a new handling unit and/or department, with an event and a notice to the new handlers.

    The gate checks the actor on the case (with `authority`) and on each target: a unit or department in
    the actor's scope for `authority`, or a unit above the case's current one (an escalation); otherwise a
    400 naming the field. Not allowed once handled or verified. `escalation` counts it as one."""
    authority = _authority(authority)
    if unit is None and department is None:
        raise DomainError("请指定转交的单位或部门", fields={"unit": ["请指定转交的单位或部门"]})
    _gate(actor, case, "transfer", authority=authority)
    note = _need(note, "转交原因")
    data: dict = {"escalation": escalation}
    if unit is not None:
        upward = unit.pk != case.handling_unit_id and case.handling_unit.path.startswith(unit.path)
        if unit.level not in UNIT_LEVEL_TO_LEVEL or not unit.is_active:
            raise DomainError("只能转交给县、镇街、村社或网格", fields={"unit": ["单位无效"]})
        if not upward:
            scopes.require_target(actor, authority, unit, field="unit", message="不能转交到该单位")
    if department is not None:
        scopes.require_target(actor, authority, department.unit if department.is_active else None,
                              field="department", message="不能转交到该部门")
    now = now or clock.now()
    before = case.status
    if unit is not None and unit.pk != case.handling_unit_id:
        data.update({"from": case.handling_unit.code, "to": unit.code})
        case.handling_unit, case.handling_level = unit, UNIT_LEVEL_TO_LEVEL[unit.level]
        case.assignee = None
        if case.status in (Status.DISPATCHED, Status.HANDLING):
            case.status = Status.ACCEPTED  # the new unit takes it up afresh
        if department is None:
            case.department = None
    if department is not None:
        case.department, case.assignee = department, None
        data["department"] = department.name
    if escalation:
        case.escalations += 1
    fields = ["handling_unit", "handling_level", "assignee", "department", "status", "escalations",
              *_first_response(case, actor, now)]
    case.save(update_fields=[*fields, "updated_at"])
    _event(case, actor=actor, action="transfer", now=now, note=note, data=data, public=False,
           from_status=before if before != case.status else "")
    notify.case_assigned(case, now=now, escalated=escalation)
    return case


@transaction.atomic
def case_conclude(*, actor, case: Case, outcome: str, note: str = "", authority: str = "cases.handle",
                  now: dt.datetime | None = None) -> Case:
    """Close an open case at once with an outcome (e.g. a mediation's result), by the real actor.

    Records the closing level and whether it closed on time (`is_on_time`), and asks the reporter to rate."""
    _gate(actor, case, "conclude", authority=_authority(authority))
    outcome = (outcome or "").strip()
    if not outcome:
        raise DomainError("请填写办结结果", fields={"outcome": ["请填写办结结果"]})
    now = now or clock.now()
    before = case.status
    case.status = Status.CLOSED
    case.handled_at = case.handled_at or now
    case.closed_at, case.closed_level, case.closed_on_time = now, case.handling_level, is_on_time(case, now)
    fields = ["status", "handled_at", "closed_at", "closed_level", "closed_on_time",
              *_first_response(case, actor, now)]
    case.save(update_fields=[*fields, "updated_at"])
    _event(case, actor=actor, action="conclude", now=now, from_status=before,
           note=f"{outcome}。{note}" if note else outcome, data={"outcome": outcome})
    notify.rating_requested(case, now=now)
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
