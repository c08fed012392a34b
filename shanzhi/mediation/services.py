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
from shanzhi.cases import workflow
from shanzhi.cases.models import Case, Channel
from shanzhi.cases.models import Kind as CaseKind
from shanzhi.cases.routing import route
from shanzhi.lib import clock, crypto, parsing
from shanzhi.lib.codes import CodeError, mask_phone, normalise_id_number, normalise_phone
from shanzhi.lib.errors import DomainError, PermissionDenied
from shanzhi.mediation.models import (
    RESOLVED,
    SESSION_KIND,
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
    Session,
    Team,
)
from shanzhi.org.models import OrgUnit
from shanzhi.rooms import services as room_services
from shanzhi.rooms.models import Room


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


def _gate(actor, action: str, dispute: Dispute, *, state=None) -> None:
    """The one gate for a step on a dispute: not visible 404, not allowed now 400, not yours 403."""
    from shanzhi.mediation.selectors import visible_dispute_ids

    unit = dispute.centre.unit
    allowed = actor is None or scopes.may(actor, action, unit)
    visible = allowed or bool(visible_dispute_ids(user=actor, ids=[dispute.pk]))
    scopes.require(actor, action, unit, what="该纠纷", granted=allowed, visible=visible, state=state)


def require_handle(*, actor, dispute: Dispute) -> None:
    """Raise NotFound / PermissionDenied unless `actor` may act on the dispute (before a form is read)."""
    _gate(actor, "mediation.handle", dispute)


def _open(dispute: Dispute):
    def check() -> None:
        if dispute.result:
            raise DomainError("该纠纷已办结", code="invalid_transition")
    return check


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
    return list(Dispute.objects.filter(q, type=type, result="").select_related("case").distinct()
                .order_by("registered_at", "id")[:5])


def repeat_warning(actor, repeats: list[Dispute]) -> DomainError:
    """The refusal for a possible repeat: numbers only of the matters the actor may see; for the others,
    that one exists at another unit (no number, no centre)."""
    from shanzhi.mediation.selectors import visible_dispute_ids

    seen = visible_dispute_ids(user=actor, ids=[d.pk for d in repeats]) if actor is not None else {
        d.pk for d in repeats}
    numbers = [d.case.number for d in repeats if d.pk in seen]
    elsewhere = len(repeats) - len(numbers)
    parts = []
    if numbers:
        parts.append(f"同一当事人的同类事项尚未办结：{'、'.join(numbers)}")
    if elsewhere:
        parts.append(f"另有{elsewhere}件同一当事人的同类事项正在其他单位办理")
    message = "；".join(parts) + "。如确属新事项或需关联登记，请确认后再提交"
    fields = {"confirm_repeat": [message], "repeat_of": numbers}
    if elsewhere:
        fields["elsewhere"] = [str(elsewhere)]
    return DomainError(message, fields=fields, code="possible_repeat")


@transaction.atomic
def dispute_register(*, actor, kind: str, type: DisputeType, summary: str, parties: list[dict],
                     unit: OrgUnit | None = None, lat: float | None = None, lon: float | None = None,
                     household=None, confirm_repeat: bool = False, now: dt.datetime | None = None) -> Dispute:
    """Register a walk-in dispute or petition at the window in one step.

    Where the parties live decides the centre (village first when the type is a village matter); the case
    is taken in by the window staff (the real actor) straight at that centre. A matter that looks like an
    open one of the same people and type is refused (see `repeat_warning`), unless `confirm_repeat` says
    to register it linked to the earlier one.
    """
    now = now or clock.now()
    if kind not in Kind.values:
        raise _bad("kind", "类型应为矛盾纠纷或信访")
    summary = (summary or "").strip()
    if not summary:
        raise _bad("summary", "请填写事由")
    clean = _clean_parties(parties, kind)
    if actor is not None and not scopes.may_somewhere(actor, "mediation.intake"):
        raise PermissionDenied("只有矛调中心工作人员可以登记")
    if unit is not None and lat is None and unit.centre_lat is not None:
        lat, lon = unit.centre_lat, unit.centre_lon
    r = route(category=type.category, lat=lat, lon=lon,
              household_unit=household.micro_grid if household is not None else None)
    centre = (centre_for(r.handling_unit) or centre_for(r.unit)) if r.unit is not None else None
    if centre is None:
        raise DomainError("尚未设立矛调中心，无法受理", code="no_centre")
    if actor is not None:
        scopes.require(actor, "mediation.intake", centre.unit, what="该矛调中心",
                       visible=scopes.may(actor, "mediation.view", centre.unit))
    repeats = possible_repeats(type=type, parties=clean)
    if repeats and not confirm_repeat:
        raise repeat_warning(actor, repeats)
    claims = "；".join(f"{p['name']}：{p.get('claim', '').strip()}" for p in clean if p.get("claim"))
    description = summary + (f"\n诉求：{claims}" if claims else "")
    case = case_services.case_report(
        actor=actor, kind=CaseKind.PROBLEM, category=type.category, description=description[:2000],
        channel=Channel.WALK_IN, lat=lat, lon=lon, household=household,
        reporter_name=next(p["name"] for p in clean if p["role"] == Role.APPLICANT)[:50], is_public=False,
        handling_unit=centre.unit, authority="mediation.intake", now=now)
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
    """Send a dispute up to the next centre (village -> town -> county) with a reason: the case is
    transferred there by the mediator (workflow.transfer: refused once handled or verified)."""
    case = Case.objects.select_for_update().select_related("handling_unit").get(pk=dispute.case_id)
    parent = dispute.centre.unit.parent
    target = centre_for(parent) if parent else None

    def state() -> None:
        _open(dispute)()
        workflow.check("transfer", case.status)
        if target is None:
            raise DomainError("已在最高一级矛调中心", code="invalid_transition")
    _gate(actor, "mediation.handle", dispute, state=state)
    if not (note or "").strip():
        raise _bad("note", "请填写上报原因")
    now = now or clock.now()
    case_services.case_transfer(actor=actor, case=case, unit=target.unit, note=note.strip(),
                                authority="mediation.handle", escalation=True, now=now)
    dispute.case, dispute.centre, dispute.team = case, target, None
    dispute.escalations += 1
    dispute.save(update_fields=["centre", "team", "escalations"])
    audit_record(actor=actor, action="mediation.escalate", obj=case, unit_path=target.unit.path,
                 after={"centre": target.name}, reason=note)
    return dispute


@transaction.atomic
def dispute_handover(*, actor, dispute: Dispute, team: Team, note: str = "",
                     now: dt.datetime | None = None) -> Dispute:
    """Hand a dispute to a team or department window inside the same centre (joint reception); a
    department's window takes the case over (workflow.transfer), a team's is noted on the timeline."""
    _gate(actor, "mediation.handle", dispute, state=_open(dispute))
    if team.centre_id != dispute.centre_id or not team.is_active:
        raise _bad("team", "只能交给本中心的调解团队或部门窗口")
    now = now or clock.now()
    case = Case.objects.select_for_update().select_related("handling_unit").get(pk=dispute.case_id)
    text = f"交由{team.name}办理" + (f"：{note.strip()}" if (note or "").strip() else "")
    if team.department_id:
        case_services.case_transfer(actor=actor, case=case, department=team.department, note=text,
                                    authority="mediation.handle", now=now)
    else:
        case_services.case_annotate(actor=actor, case=case, note=text, authority="mediation.handle",
                                    data={"team": team.name}, now=now)
    dispute.case, dispute.team = case, team
    dispute.save(update_fields=["team"])
    audit_record(actor=actor, action="mediation.handover", obj=case, unit_path=dispute.centre.unit.path,
                 after={"team": team.name}, reason=note)
    return dispute


def _hm(at: dt.datetime) -> str:
    return f"{timezone.localtime(at):%m-%d %H:%M}"


MEDIATOR_REFUSED = "调解员须在本中心所在单位（或其上级）担任调解岗位"


def mediator_eligible(person, centre: Centre) -> bool:
    """Does `person` hold a current post that may mediate, covering the centre's unit?"""
    return bool(person is not None and person.is_active and scopes.may(person, "mediation.handle", centre.unit))


@transaction.atomic
def session_schedule(*, actor, dispute: Dispute, starts_at: dt.datetime, ends_at: dt.datetime, room: Room | None,
                     mediators: list, now: dt.datetime | None = None) -> Session:
    """Book a session: a room of the dispute's centre (a shanzhi.rooms booking, kind "mediation.session",
    with the mediators as its people), never double-booked (rooms.services.clashes). The booking is on the
    case's timeline and takes the case up (its first response)."""
    _gate(actor, "mediation.handle", dispute, state=_open(dispute))
    if room is None or room.unit_id != dispute.centre.unit_id or not room.is_active:
        raise _bad("room", "只能使用本中心的调解室")
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise _bad("ends_at", "结束时间应晚于开始时间")
    if not mediators:
        raise _bad("mediators", "至少需要一位调解员")
    if any(not mediator_eligible(m, dispute.centre) for m in mediators):
        raise DomainError(MEDIATOR_REFUSED, fields={"mediators": [MEDIATOR_REFUSED]}, code="invalid_target")
    booking = room_services.book(actor=actor, room=room, starts_at=starts_at, ends_at=ends_at,
                                 purpose=f"纠纷调解 {dispute.case.number}", kind=SESSION_KIND, people=mediators,
                                 authority="mediation.handle", now=now)
    session = Session.objects.create(dispute=dispute, booking=booking)
    case = Case.objects.select_for_update().select_related("handling_unit").get(pk=dispute.case_id)
    case_services.case_annotate(
        actor=actor, case=case, authority="mediation.handle", take_up=True, now=now,
        note=f"已安排调解：{_hm(starts_at)}-{timezone.localtime(ends_at):%H:%M}，{room.name}",
        data={"session": session.pk, "room": room.name})
    dispute.case = case
    audit_record(actor=actor, action="mediation.session.schedule", obj=case, unit_path=dispute.centre.unit.path,
                 after={"room": room.name, "starts": starts_at.isoformat(), "ends": ends_at.isoformat()})
    return session


@transaction.atomic
def session_record(*, actor, session: Session, attended: list[int], minutes: str) -> Session:
    """Record who came and the minutes; the session counts as held."""
    _gate(actor, "mediation.handle", session.dispute)
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
    """Write the agreement from the template with the parties' details; needs a held session. Control
    characters in the terms are dropped (they would break the DOCX)."""
    _gate(actor, "mediation.handle", dispute, state=_open(dispute))
    session = session or dispute.sessions.filter(held=True).select_related("booking").order_by("-booking__starts_at").first()
    if session is None or not session.held or session.dispute_id != dispute.pk:
        raise DomainError("尚未进行调解（没有调解记录），不能生成协议", code="no_session")
    terms = parsing.document_text(terms or "").strip()
    if not terms:
        raise _bad("terms", "请填写协议条款")
    now = now or clock.now()
    parties = list(dispute.parties.all())
    text = AGREEMENT_TEMPLATE.format(
        number=dispute.case.number, applicants=_party_line(parties, Role.APPLICANT),
        respondents=_party_line(parties, Role.RESPONDENT), summary=dispute.summary, centre=dispute.centre.name,
        terms=terms, mediators="、".join(str(m) for m in session.mediators.all()),
        date=f"{clock.today():%Y年%m月%d日}")
    agreement = Agreement.objects.create(dispute=dispute, session=session, text=text, created_at=now)
    audit_record(actor=actor, action="mediation.agreement.create", obj=dispute.case,
                 unit_path=dispute.centre.unit.path, after={"agreement": agreement.pk})
    return agreement


@transaction.atomic
def agreement_sign(*, actor, agreement: Agreement, now: dt.datetime | None = None) -> Agreement:
    _gate(actor, "mediation.handle", agreement.dispute)
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
    """Record the outcome and close the case with it (workflow.conclude, by the mediator): agreement,
    partial, failed, withdrawn or referred. On time is the cases' one rule (services.is_on_time)."""
    _gate(actor, "mediation.handle", dispute, state=_open(dispute))
    if result not in Result.values:
        raise _bad("result", "结果无效")
    if result in (Result.AGREEMENT, Result.PARTIAL, Result.FAILED) and not dispute.sessions.filter(held=True).exists():
        raise DomainError("尚未进行调解，不能以此结果办结", code="no_session")
    if result == Result.AGREEMENT and not dispute.agreements.filter(signed_at__isnull=False).exists():
        raise DomainError("调解协议尚未签署", code="not_signed")
    if result == Result.REFERRED and not (referred_to or "").strip():
        raise _bad("referred_to", "请填写转办去向（诉讼、仲裁或部门程序）")
    now = now or clock.now()
    case = Case.objects.select_for_update().select_related("handling_unit", "category").get(pk=dispute.case_id)
    outcome = Result(result).label + (f"（{referred_to.strip()}）" if result == Result.REFERRED else "")
    case_services.case_conclude(actor=actor, case=case, outcome=outcome, note=(note or "").strip(),
                                authority="mediation.handle", now=now)
    dispute.case = case
    dispute.result, dispute.referred_to = result, (referred_to or "")[:100]
    dispute.first_time = result in RESOLVED and dispute.escalations == 0 and case.reopen_count == 0
    dispute.save(update_fields=["result", "referred_to", "first_time"])
    audit_record(actor=actor, action="mediation.conclude", obj=case, unit_path=dispute.centre.unit.path,
                 after={"result": result, "referred_to": referred_to}, reason=note)
    return dispute


@transaction.atomic
def followup_record(*, actor, agreement: Agreement, result: str, note: str = "",
                    now: dt.datetime | None = None) -> FollowUp:
    """A return visit on how the agreement is performed (履行回访)."""
    _gate(actor, "mediation.handle", agreement.dispute)
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
    scopes.require(actor, "org.change", unit, what="该单位")
    if unit.level not in ("county", "town", "village"):
        raise _bad("unit", "矛调中心只能设在县、镇街或村社")
    if Centre.objects.filter(unit=unit).exists():
        raise _bad("unit", "该单位已设立矛调中心")
    centre = Centre.objects.create(unit=unit, name=(name or f"{unit.name}矛调中心").strip())
    for r in rooms:  # the centre's mediation rooms are bookable rooms at its unit (shanzhi.rooms)
        if not Room.objects.filter(unit=unit, name=r).exists():
            Room.objects.create(unit=unit, name=r)
    Team.objects.bulk_create([Team(centre=centre, name=t) for t in teams])
    audit_record(actor=actor, action="mediation.centre.create", obj=centre, unit_path=unit.path,
                 after={"rooms": list(rooms), "teams": list(teams)})
    return centre
