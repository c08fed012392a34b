"""Writes to disputes. A dispute rides on a case (one number, one timeline, deadline, escalation);
these services add parties, centres, sessions, agreements and follow-ups, each audited in its transaction."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from shanzhi.accounts import scopes
from shanzhi.audit.services import audit_record
from shanzhi.cases import services as case_services
from shanzhi.cases.models import OPEN_STATUSES, Case, Channel, Status
from shanzhi.cases.models import Kind as CaseKind
from shanzhi.lib import clock, crypto
from shanzhi.lib.codes import CodeError, mask_phone, normalise_id_number, normalise_phone
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied
from shanzhi.mediation.models import (
    RESOLVED,
    Agreement,
    Centre,
    Dispute,
    DisputeType,
    FollowUp,
    Kind,
    Party,
    Performance,
    Result,
    Role,
    Room,
    Session,
    Team,
)
from shanzhi.org.models import OrgUnit


def _bad(field: str, message: str) -> DomainError:
    return DomainError(message, fields={field: [message]})


def centre_for(unit: OrgUnit) -> Centre | None:
    """The nearest active centre at or above a unit (village, then town, then county). One query."""
    codes = unit.ancestor_codes
    centres = {c.unit.code: c for c in Centre.objects.filter(unit__code__in=codes, is_active=True)
               .select_related("unit")}
    for code in reversed(codes):
        if code in centres:
            return centres[code]
    return None


def _require(actor, action: str, unit: OrgUnit) -> None:
    if actor is None or scopes.may(actor, action, unit):
        return
    if scopes.may(actor, "mediation.view", unit):
        raise PermissionDenied("您的岗位无权进行此操作")
    raise NotFound("未找到该纠纷")


def _clean_parties(parties: list[dict], kind: str) -> list[dict]:
    errors: dict[str, list[str]] = {}
    out = []
    for i, p in enumerate(parties or [], 1):
        name = (p.get("name") or "").strip()
        role = p.get("role")
        if not name:
            errors.setdefault(f"parties[{i}].name", []).append(f"第{i}位当事人缺少姓名")
        if role not in Role.values:
            errors.setdefault(f"parties[{i}].role", []).append(f"第{i}位当事人的身份应为申请人或被申请人")
        id_number = (p.get("id_number") or "").strip()
        if id_number:
            try:
                id_number = normalise_id_number(id_number)
            except CodeError as exc:
                errors.setdefault(f"parties[{i}].id_number", []).append(f"第{i}位当事人：{exc}")
        phone = (p.get("phone") or "").strip()
        if phone:
            try:
                phone = normalise_phone(phone)
            except CodeError as exc:
                errors.setdefault(f"parties[{i}].phone", []).append(f"第{i}位当事人：{exc}")
        out.append({**p, "name": name[:100], "id_number": id_number, "phone": phone})
    if not any(p.get("role") == Role.APPLICANT for p in out):
        errors.setdefault("parties", []).append("至少需要一位申请人")
    if kind == Kind.DISPUTE and not any(p.get("role") == Role.RESPONDENT for p in out):
        errors.setdefault("parties", []).append("纠纷至少需要一位被申请人")
    if errors:
        raise DomainError("；".join(m for ms in errors.values() for m in ms), fields=errors)
    return out


def possible_repeats(*, type: DisputeType, parties: list[dict]) -> list[Dispute]:
    """Unresolved disputes of the same type with the same applicant (ID number, or name and phone)."""
    q = Q(pk__in=[])
    for p in parties:
        if p.get("role") != Role.APPLICANT:
            continue
        if p.get("id_number"):
            q |= Q(parties__id_number_hash=crypto.lookup_hash(p["id_number"]))
        if p.get("phone"):
            q |= Q(parties__name=p["name"], parties__phone_masked=mask_phone(p["phone"]))
    return list(Dispute.objects.filter(q, type=type, result="").select_related("case").distinct()[:5])


@transaction.atomic
def dispute_register(*, actor, kind: str, type: DisputeType, summary: str, parties: list[dict],
                     unit: OrgUnit | None = None, lat: float | None = None, lon: float | None = None,
                     household=None, confirm_repeat: bool = False, online: bool = False,
                     now: dt.datetime | None = None) -> Dispute:
    """Register a walk-in dispute or petition at the window (or an online application) in one step.

    Where the parties live decides the centre (village first when the type is a village matter). A
    matter that looks like an open one of the same people and type is refused with the numbers to link,
    unless `confirm_repeat` says to register it linked to the earlier one.
    """
    now = now or clock.now()
    if kind not in Kind.values:
        raise _bad("kind", "类型应为矛盾纠纷或信访")
    summary = (summary or "").strip()
    if not summary:
        raise _bad("summary", "请填写事由")
    clean = _clean_parties(parties, kind)
    if not online and (actor is None or not any(scopes.paths_for(actor, "mediation.intake"))):
        if actor is not None:
            raise PermissionDenied("只有矛调中心工作人员可以登记")
    repeats = possible_repeats(type=type, parties=clean)
    if repeats and not confirm_repeat:
        numbers = "、".join(d.case.number for d in repeats)
        raise DomainError(f"同一当事人的同类事项尚未办结：{numbers}。如确属新事项或需关联登记，请确认后再提交",
                          fields={"confirm_repeat": [numbers]}, code="possible_repeat")
    claims = "；".join(f"{p['name']}：{p.get('claim', '').strip()}" for p in clean if p.get("claim"))
    description = summary + (f"\n诉求：{claims}" if claims else "")
    if unit is not None and lat is None and unit.centre_lat is not None:
        lat, lon = unit.centre_lat, unit.centre_lon
    case = case_services.case_report(
        actor=actor, kind=CaseKind.PROBLEM, category=type.category, description=description[:2000],
        channel=Channel.RESIDENT if online else Channel.WALK_IN, lat=lat, lon=lon, household=household,
        reporter_name=next(p["name"] for p in clean if p["role"] == Role.APPLICANT)[:50], is_public=False,
        now=now)
    centre = centre_for(case.handling_unit) or centre_for(case.unit)
    if centre is None:
        raise DomainError("尚未设立矛调中心，无法受理", code="no_centre")
    if actor is not None and not online:
        _require(actor, "mediation.intake", centre.unit)
    if case.handling_unit_id != centre.unit_id:
        from shanzhi.cases.routing import UNIT_LEVEL_TO_LEVEL

        case.handling_unit, case.handling_level = centre.unit, UNIT_LEVEL_TO_LEVEL[centre.unit.level]
        case.first_level, case.assignee = case.handling_level, None
        case.save(update_fields=["handling_unit", "handling_level", "first_level", "assignee"])
    dispute = Dispute.objects.create(case=case, kind=kind, type=type, centre=centre, first_centre=centre,
                                     summary=summary[:200], repeat_of=repeats[0] if repeats else None,
                                     registered_at=now)
    for p in clean:
        party = Party(dispute=dispute, role=p["role"], name=p["name"], resident=p.get("resident"),
                      representative=(p.get("representative") or "")[:100], claim=(p.get("claim") or "")[:2000])
        if p["id_number"]:
            party.id_number_hash = crypto.lookup_hash(p["id_number"])
            from shanzhi.lib.codes import mask_id_number

            party.id_number_masked = mask_id_number(p["id_number"])
        if p["phone"]:
            party.phone_enc, party.phone_masked = crypto.encrypt(p["phone"]), mask_phone(p["phone"])
        party.save()
    audit_record(actor=actor, action="mediation.register", obj=case, unit_path=centre.unit.path,
                 after={"kind": kind, "type": type.code, "centre": centre.name, "parties": len(clean),
                        "repeat_of": repeats[0].case.number if repeats else None})
    return dispute


@transaction.atomic
def dispute_escalate(*, actor, dispute: Dispute, note: str, now: dt.datetime | None = None) -> Dispute:
    """Send a dispute up to the next centre (village -> town -> county) with a reason."""
    _require(actor, "mediation.handle", dispute.centre.unit)
    case = Case.objects.select_for_update().get(pk=dispute.case_id)
    if case.status not in OPEN_STATUSES:
        raise DomainError("已办结的纠纷不能上报", code="invalid_transition")
    if not (note or "").strip():
        raise _bad("note", "请填写上报原因")
    parent = dispute.centre.unit.parent
    target = centre_for(parent) if parent else None
    if target is None:
        raise DomainError("已在最高一级矛调中心", code="invalid_transition")
    now = now or clock.now()
    while case.handling_unit_id != target.unit_id:
        case_services.escalate(case, actor=actor, note=note, now=now)
    dispute.case, dispute.centre, dispute.team = case, target, None
    dispute.escalations += 1
    dispute.save(update_fields=["centre", "team", "escalations"])
    audit_record(actor=actor, action="mediation.escalate", obj=case, unit_path=target.unit.path,
                 after={"centre": target.name}, reason=note)
    return dispute


@transaction.atomic
def dispute_handover(*, actor, dispute: Dispute, team: Team, note: str = "") -> Dispute:
    """Hand a dispute to a team or department window inside the same centre (joint reception)."""
    _require(actor, "mediation.handle", dispute.centre.unit)
    if team.centre_id != dispute.centre_id or not team.is_active:
        raise _bad("team", "只能交给本中心的调解团队或部门窗口")
    dispute.team = team
    dispute.save(update_fields=["team"])
    if team.department_id:
        case = dispute.case
        case.department_id = team.department_id
        case.save(update_fields=["department"])
    audit_record(actor=actor, action="mediation.handover", obj=dispute.case, unit_path=dispute.centre.unit.path,
                 after={"team": team.name}, reason=note)
    return dispute


def _hm(at: dt.datetime) -> str:
    return f"{timezone.localtime(at):%m-%d %H:%M}"


def clashes(*, room: Room, mediators: list, starts_at: dt.datetime, ends_at: dt.datetime,
            exclude: int | None = None) -> list[str]:
    """Describe each booked session that overlaps this room or any of these mediators."""
    overlap = Session.objects.filter(cancelled=False, starts_at__lt=ends_at, ends_at__gt=starts_at)
    if exclude:
        overlap = overlap.exclude(pk=exclude)
    out = []
    for s in overlap.filter(room=room).select_related("dispute__case"):
        out.append(f"{room.name}在{_hm(s.starts_at)}-{_hm(s.ends_at)}已被{s.dispute.case.number}占用")
    for s in overlap.filter(mediators__in=mediators).distinct().prefetch_related("mediators"):
        names = "、".join(str(m) for m in s.mediators.all() if m in mediators)
        out.append(f"{names}在{_hm(s.starts_at)}-{_hm(s.ends_at)}已有调解安排")
    return out


@transaction.atomic
def session_schedule(*, actor, dispute: Dispute, starts_at: dt.datetime, ends_at: dt.datetime, room: Room,
                     mediators: list) -> Session:
    """Book a session: a room of the dispute's centre and mediators, with no double booking."""
    _require(actor, "mediation.handle", dispute.centre.unit)
    if room.centre_id != dispute.centre_id:
        raise _bad("room", "只能使用本中心的调解室")
    if ends_at <= starts_at:
        raise _bad("ends_at", "结束时间应晚于开始时间")
    if not mediators:
        raise _bad("mediators", "至少需要一位调解员")
    Room.objects.select_for_update().filter(pk=room.pk).first()  # serialise bookings of one room
    found = clashes(room=room, mediators=mediators, starts_at=starts_at, ends_at=ends_at)
    if found:
        raise DomainError("时间冲突：" + "；".join(found), fields={"starts_at": found}, code="clash")
    session = Session.objects.create(dispute=dispute, starts_at=starts_at, ends_at=ends_at, room=room)
    session.mediators.set(mediators)
    case = dispute.case
    if case.status == Status.REPORTED:
        case_services.case_accept(actor=None, case=case, note="已安排调解")
    audit_record(actor=actor, action="mediation.session.schedule", obj=case, unit_path=dispute.centre.unit.path,
                 after={"room": room.name, "starts": starts_at.isoformat(), "ends": ends_at.isoformat()})
    return session


@transaction.atomic
def session_record(*, actor, session: Session, attended: list[int], minutes: str) -> Session:
    """Record who came and the minutes; the session counts as held."""
    _require(actor, "mediation.handle", session.dispute.centre.unit)
    if session.cancelled:
        raise DomainError("该调解已取消", code="invalid_transition")
    party_ids = set(session.dispute.parties.values_list("id", flat=True))
    if set(attended) - party_ids:
        raise _bad("attended", "到场人员必须是本纠纷的当事人")
    if not (minutes or "").strip():
        raise _bad("minutes", "请填写调解笔录")
    session.attended, session.minutes, session.held = sorted(set(attended)), minutes.strip(), True
    session.save(update_fields=["attended", "minutes", "held"])
    audit_record(actor=actor, action="mediation.session.record", obj=session.dispute.case,
                 unit_path=session.dispute.centre.unit.path, after={"attended": len(attended)})
    return session


AGREEMENT_TEMPLATE = """人民调解协议书

编号：{number}
申请人：{applicants}
被申请人：{respondents}
纠纷事由：{summary}

经{centre}主持调解，双方自愿达成如下协议：
{terms}

本协议经双方当事人签字后生效，双方应自觉履行。本协议一式三份，双方当事人各执一份，调解组织留存一份。

调解员：{mediators}
日期：{date}
"""


def _party_line(parties, role) -> str:
    return "；".join(f"{p.name}" + (f"（身份证号{p.id_number_masked}）" if p.id_number_masked else "")
                    + (f"，联系电话{p.phone_masked}" if p.phone_masked else "")
                    + (f"，代理人{p.representative}" if p.representative else "")
                    for p in parties if p.role == role) or "无"


@transaction.atomic
def agreement_create(*, actor, dispute: Dispute, terms: str, session: Session | None = None,
                     now: dt.datetime | None = None) -> Agreement:
    """Write the agreement from the template with the parties' details; needs a held session."""
    _require(actor, "mediation.handle", dispute.centre.unit)
    session = session or dispute.sessions.filter(held=True).order_by("-starts_at").first()
    if session is None or not session.held or session.dispute_id != dispute.pk:
        raise DomainError("尚未进行调解（没有调解记录），不能生成协议", code="no_session")
    if not (terms or "").strip():
        raise _bad("terms", "请填写协议条款")
    now = now or clock.now()
    parties = list(dispute.parties.all())
    text = AGREEMENT_TEMPLATE.format(
        number=dispute.case.number, applicants=_party_line(parties, Role.APPLICANT),
        respondents=_party_line(parties, Role.RESPONDENT), summary=dispute.summary, centre=dispute.centre.name,
        terms=terms.strip(), mediators="、".join(str(m) for m in session.mediators.all()),
        date=f"{clock.today():%Y年%m月%d日}")
    agreement = Agreement.objects.create(dispute=dispute, session=session, text=text, created_at=now)
    audit_record(actor=actor, action="mediation.agreement.create", obj=dispute.case,
                 unit_path=dispute.centre.unit.path, after={"agreement": agreement.pk})
    return agreement


@transaction.atomic
def agreement_sign(*, actor, agreement: Agreement, now: dt.datetime | None = None) -> Agreement:
    _require(actor, "mediation.handle", agreement.dispute.centre.unit)
    if agreement.signed_at:
        raise DomainError("协议已签署", code="invalid_transition")
    agreement.signed_at = now or clock.now()
    agreement.save(update_fields=["signed_at"])
    audit_record(actor=actor, action="mediation.agreement.sign", obj=agreement.dispute.case,
                 unit_path=agreement.dispute.centre.unit.path)
    return agreement


@transaction.atomic
def dispute_conclude(*, actor, dispute: Dispute, result: str, note: str = "", referred_to: str = "",
                     now: dt.datetime | None = None) -> Dispute:
    """Record the outcome and close the case: agreement, partial, failed, withdrawn or referred."""
    _require(actor, "mediation.handle", dispute.centre.unit)
    if dispute.result:
        raise DomainError("该纠纷已办结", code="invalid_transition")
    if result not in Result.values:
        raise _bad("result", "结果无效")
    if result in (Result.AGREEMENT, Result.PARTIAL, Result.FAILED) and not dispute.sessions.filter(held=True).exists():
        raise DomainError("尚未进行调解，不能以此结果办结", code="no_session")
    if result == Result.AGREEMENT and not dispute.agreements.filter(signed_at__isnull=False).exists():
        raise DomainError("调解协议尚未签署", code="not_signed")
    if result == Result.REFERRED and not (referred_to or "").strip():
        raise _bad("referred_to", "请填写转办去向（诉讼、仲裁或部门程序）")
    now = now or clock.now()
    case = Case.objects.select_for_update().get(pk=dispute.case_id)
    label = Result(result).label
    for step in ("accept", "start", "report_back", "verify", "close"):
        if step == "accept" and case.status == Status.REPORTED:
            case_services.case_accept(actor=None, case=case, now=now)
        elif step == "start" and case.status in (Status.ACCEPTED, Status.DISPATCHED):
            case_services.case_start(actor=None, case=case, now=now)
        elif step == "report_back" and case.status == Status.HANDLING:
            case_services.case_report_back(actor=None, case=case, note=f"{label}。{note}".strip(), now=now)
        elif step == "verify" and case.status == Status.HANDLED:
            case_services.case_verify(actor=None, case=case, now=now)
        elif step == "close" and case.status == Status.VERIFIED:
            case_services.case_close(actor=None, case=case, now=now)
    dispute.case = case
    dispute.result, dispute.referred_to = result, (referred_to or "")[:100]
    dispute.resolved_at = now
    dispute.resolved_level = dispute.centre.unit.level
    dispute.resolved_on_time = case.deadline_at is None or now <= case.deadline_at
    dispute.first_time = result in RESOLVED and dispute.escalations == 0 and case.reopen_count == 0
    dispute.save(update_fields=["result", "referred_to", "resolved_at", "resolved_level", "resolved_on_time",
                                "first_time"])
    audit_record(actor=actor, action="mediation.conclude", obj=case, unit_path=dispute.centre.unit.path,
                 after={"result": result, "referred_to": referred_to}, reason=note)
    return dispute


@transaction.atomic
def followup_record(*, actor, agreement: Agreement, result: str, note: str = "",
                    now: dt.datetime | None = None) -> FollowUp:
    """A return visit on how the agreement is performed (履行回访)."""
    _require(actor, "mediation.handle", agreement.dispute.centre.unit)
    if result not in Performance.values:
        raise _bad("result", "回访结果无效（已履行/部分履行/未履行）")
    if not agreement.signed_at:
        raise DomainError("协议尚未签署", code="not_signed")
    fu = FollowUp.objects.create(agreement=agreement, at=now or clock.now(),
                                 by=actor if getattr(actor, "pk", None) else None, result=result, note=note or "")
    audit_record(actor=actor, action="mediation.followup", obj=agreement.dispute.case,
                 unit_path=agreement.dispute.centre.unit.path, after={"result": result})
    return fu


@transaction.atomic
def centre_create(*, actor, unit: OrgUnit, name: str, rooms: list[str] = (), teams: list[str] = ()) -> Centre:
    _require(actor, "org.change" if actor is not None else "mediation.handle", unit)
    if unit.level not in ("county", "town", "village"):
        raise _bad("unit", "矛调中心只能设在县、镇街或村社")
    if Centre.objects.filter(unit=unit).exists():
        raise _bad("unit", "该单位已设立矛调中心")
    centre = Centre.objects.create(unit=unit, name=(name or f"{unit.name}矛调中心").strip())
    Room.objects.bulk_create([Room(centre=centre, name=r) for r in rooms])
    Team.objects.bulk_create([Team(centre=centre, name=t) for t in teams])
    audit_record(actor=actor, action="mediation.centre.create", obj=centre, unit_path=unit.path,
                 after={"rooms": list(rooms), "teams": list(teams)})
    return centre
