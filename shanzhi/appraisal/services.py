"""Writes of the moral-appraisal panel 道德评判团: nominate a good deed, file a conduct complaint (also for a
resident without a phone), record the hearing and the follow-up, and the county's criticism-list settings.

Each nomination and complaint is a topic of the village's moral council (`councils.Topic`, kind nomination
/ complaint) plus this app's row; the council decides it in a meeting, and `receivers.topic_decided` puts
an adopted nomination on the honour roll and records the complaint's decision. Who may do what is asked
of the council's grants (`councils.access`) and the one gate (`accounts.scopes.require`), in the order
404 / 400 / 403. Every write runs in one transaction with its audit row.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from shanzhi.accounts import scopes
from shanzhi.appraisal.models import (
    UPHELD,
    AppraisalSettings,
    Complaint,
    ConductKind,
    DeedKind,
    HonourEntry,
    Nomination,
    Outcome,
    Remedy,
)
from shanzhi.audit.services import audit_record
from shanzhi.cases.notify import inbox_notify
from shanzhi.councils import access, lifecycle
from shanzhi.councils.models import Council, Decision, DecisionOutcome, Topic, TopicKind, TopicStatus
from shanzhi.lib import clock, parsing
from shanzhi.lib.codes import mask_text
from shanzhi.lib.errors import DomainError, NotFound
from shanzhi.org.models import Level, OrgUnit
from shanzhi.people.models import Resident

MORAL = "moral"
NAME_MAX = 50
TEXT_MAX = 2000
# a complaint's hearing may be recorded while the panel has not decided it yet
OPEN_TOPIC = (TopicStatus.RAISED, TopicStatus.ACCEPTED, TopicStatus.SCHEDULED, TopicStatus.DELIBERATED)


def _bad(field: str, message: str) -> DomainError:
    return DomainError(message, fields={field: [message]})


def _has_numbers(text: str) -> bool:
    """Does the text carry a phone or an ID number (what `mask_text` would hide)?"""
    return mask_text(text) != text


def _name(field: str, value: str, *, required: bool, what: str) -> str:
    value = " ".join((value or "").split())
    if required and not value:
        raise _bad(field, f"请填写{what}")
    if len(value) > NAME_MAX:
        raise _bad(field, f"{what}不能超过{NAME_MAX}个字")
    if value and (_has_numbers(value) or any(ch.isdigit() for ch in value)):
        raise _bad(field, f"{what}只填写姓名，不要填写电话、身份证号等号码")
    return value


def _text(field: str, value: str, *, what: str, max_len: int = TEXT_MAX, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise _bad(field, f"请填写{what}")
    if len(value) > max_len:
        raise _bad(field, f"{what}不能超过{max_len}个字")
    return value


# ---- where the panel is ---------------------------------------------------------------------------

def moral_council(village: OrgUnit) -> Council | None:
    """The village's moral-appraisal panel (a council of type "moral"), or None."""
    return (Council.objects.filter(type__code=MORAL, unit=village, is_active=True)
            .select_related("type", "unit").first())


def _council_or_404(actor, village: OrgUnit | None) -> Council:
    """The village's panel; no village, no panel, or a panel the actor cannot see answer alike (404)."""
    council = moral_council(village) if village is not None and village.level == Level.VILLAGE else None
    if council is None:
        raise NotFound("未找到该村的道德评判团")
    return council


def county_of(unit: OrgUnit) -> OrgUnit | None:
    """The county a unit lies in (its ancestor at county level), or None."""
    return OrgUnit.objects.filter(code__in=unit.ancestor_codes, level=Level.COUNTY).first()


def _officer_user_ids(council: Council) -> list[int]:
    """Users of the panel's current chair, vice-chair and secretary (staff users or residents' accounts)."""
    rows = access.current_members(council).filter(position__in=access.OFFICERS).values_list(
        "user_id", "resident__user__id")
    return sorted({uid for pair in rows for uid in pair if uid})


# ---- opening the topic ----------------------------------------------------------------------------

def _open_topic(*, council: Council, kind: str, title: str, text: str, actor, author_resident: Resident | None,
                author_name: str, anonymous: bool, proxy=None, now: dt.datetime) -> Topic:
    """Raise a topic of the panel (status raised, numbered, with its first timeline entry).

    The one place this app makes a Topic row. It does not go through councils.services.topic_raise, whose
    rule of who may raise (the type's `raisers`) is for matters; the panel's own rule is checked by the
    callers here. The number and the "raise" event are the councils' own."""
    from shanzhi.councils.services import topic_number

    topic = Topic.objects.create(
        council=council, kind=kind, number=topic_number(now), title=title[:100],
        text=text, status=TopicStatus.RAISED, author_user=actor if getattr(actor, "pk", None) and proxy is None
        else (getattr(author_resident, "user", None) if author_resident is not None else None),
        author_resident=author_resident, author_name=author_name[:50], anonymous=anonymous, proxy=proxy,
        created_at=now, updated_at=now)
    lifecycle.record(topic, action="raise", actor=actor, now=now, to_status=TopicStatus.RAISED,
                     data={"proxy_for": author_name} if proxy is not None else None)
    inbox_notify(_officer_user_ids(council), kind="council", text=f"道德评判团收到新的{topic.get_kind_display()}：{topic.title}",
                 key=f"appraisal:new:{topic.pk}", now=now, link=lifecycle.topic_link(topic))
    return topic


def _author(actor) -> tuple[Resident | None, str]:
    resident = getattr(actor, "resident", None) if actor is not None else None
    name = getattr(resident, "name", "") or getattr(actor, "display_name", "") or getattr(actor, "username", "")
    return resident, name


def _may_take_part(actor, council: Council) -> bool:
    """A resident of the village, a current member of the panel, or staff who run councils there."""
    return (access.is_local(actor, council) or access.member_for(actor, council) is not None
            or scopes.may(actor, "councils.run", council.unit))


# ---- nominations ----------------------------------------------------------------------------------

@transaction.atomic
def nomination_create(*, actor, village: OrgUnit | None, kind: str, nominee_name: str, deed: str,
                      anonymous: bool = False, now: dt.datetime | None = None) -> Nomination:
    """Nominate a good deed of someone in the village for its honour roll (a topic of the panel).

    Residents of the village, members of the panel and staff who run councils there may; anyone else who
    cannot see the village's councils gets 404, a staff member who sees but may not run them 403."""
    now = now or clock.now()
    council = _council_or_404(actor, village)
    scopes.require(actor, "councils.run", council.unit, what="该村的道德评判团",
                   granted=actor is not None and _may_take_part(actor, council),
                   visible=access.may_see(actor, council))
    if kind not in DeedKind.values:
        raise _bad("kind", "请选择推荐类别")
    nominee_name = _name("nominee_name", nominee_name, required=True, what="被推荐人姓名")
    deed = _text("deed", deed, what="主要事迹")
    resident, author_name = _author(actor)
    label = DeedKind(kind).label
    topic = _open_topic(council=council, kind=TopicKind.NOMINATION, title=f"推荐{nominee_name}（{label}）",
                        text=deed, actor=actor, author_resident=resident, author_name=author_name,
                        anonymous=bool(anonymous), now=now)
    nomination = Nomination.objects.create(topic=topic, village=council.unit, kind=kind, nominee_name=nominee_name,
                                           deed=deed, created_at=now)
    audit_record(actor=actor, action="appraisal.nominate", obj=topic, unit_path=council.unit.path,
                 after={"number": topic.number, "kind": kind})
    return nomination


# ---- complaints -----------------------------------------------------------------------------------

def _check_proxy(actor, resident: Resident | None, council: Council) -> bool:
    """May the actor file for this resident (a grid worker or micro-grid head whose scope holds the
    resident's household, the resident living in the panel's village)? False when not."""
    if actor is None or resident is None or resident.household_id is None:
        return False
    unit = resident.household.micro_grid
    return unit.path.startswith(council.unit.path) and scopes.may(actor, "councils.proxy", unit)


@transaction.atomic
def complaint_create(*, actor, village: OrgUnit | None, kind: str, act: str, subject_name: str = "",
                     occurred_on: dt.date | None = None, for_resident: Resident | None = None,
                     now: dt.datetime | None = None) -> Complaint:
    """File a conduct complaint for the panel to hear (a topic of the panel, anonymous to the public).

    Residents of the village, members and staff who run councils there file in their own name; a grid
    worker or micro-grid head files for a resident of their grid without a phone (`for_resident`, audited
    as a proxy act)."""
    now = now or clock.now()
    council = _council_or_404(actor, village)
    if for_resident is None:
        scopes.require(actor, "councils.run", council.unit, what="该村的道德评判团",
                       granted=actor is not None and _may_take_part(actor, council),
                       visible=access.may_see(actor, council))
    else:
        # a grid worker of the village acts for a resident of their own grid: the resident is the target
        reaches = actor is None or scopes.reaches(actor, "councils.proxy", council.unit)
        scopes.require(actor, "councils.proxy", council.unit, what="该村的道德评判团", granted=reaches,
                       visible=reaches or access.may_see(actor, council))
        if actor is not None and not _check_proxy(actor, for_resident, council):
            raise _bad("resident", "只能为本人网格内、居住在本村的居民代为反映")
    if kind not in ConductKind.values:
        raise _bad("kind", "请选择行为类别")
    act = _text("act", act, what="行为经过")
    subject_name = _name("subject_name", subject_name, required=False, what="被反映人姓名")
    occurred_on = parsing.check_date("occurred_on", occurred_on)
    if occurred_on is not None and occurred_on > clock.today():
        raise _bad("occurred_on", "发生日期不能晚于今天")
    if for_resident is not None:
        resident, author_name, proxy = for_resident, for_resident.name, actor
    else:
        (resident, author_name), proxy = _author(actor), None
    # the topic is what the council engine shows (agenda, lists): the kind only; what happened and who it is
    # about stay in the complaint, for the panel and staff in scope
    label = ConductKind(kind).label
    topic = _open_topic(council=council, kind=TopicKind.COMPLAINT, title=f"不文明行为评议：{label}",
                        text=f"村民反映的{label}，由道德评判团听取各方意见后评议。具体情况不公开。", actor=actor, author_resident=resident, author_name=author_name, anonymous=True,
                        proxy=proxy, now=now)
    complaint = Complaint.objects.create(topic=topic, village=council.unit, kind=kind, subject_name=subject_name,
                                         act=act, occurred_on=occurred_on, created_at=now)
    audit_record(actor=actor, action="appraisal.complaint_proxy" if proxy else "appraisal.complaint", obj=topic,
                 unit_path=council.unit.path,
                 after={"number": topic.number, "kind": kind, **({"for_resident": resident.pk} if proxy else {})})
    return complaint


def _complaint_state(complaint: Complaint, *, decided: bool):
    def check() -> None:
        if decided and complaint.decision not in UPHELD:
            raise DomainError("该事项尚未作出批评教育或责令改正的决定，无需回访", code="invalid_state")
        if not decided and (complaint.decision or complaint.topic.status not in OPEN_TOPIC):
            raise DomainError("该事项已作出决定或已结束，不能再修改评议记录", code="invalid_state")
    return check


@transaction.atomic
def hearing_record(*, actor, complaint: Complaint, heard: str, findings: str, proposed: str,
                   heard_on: dt.date | None = None, public_text: str = "", now: dt.datetime | None = None) -> Complaint:
    """Record the hearing 评议 of a complaint: who was heard (names only), the findings, the proposed
    remedy the panel votes on, and the line the criticism list may show. Officers of the panel and
    cadres who run it; before the panel decides."""
    now = now or clock.now()
    complaint = Complaint.objects.select_for_update().select_related("topic__council__unit").get(pk=complaint.pk)
    council = complaint.topic.council
    access.require_run(actor, council, what="该评议事项", state=_complaint_state(complaint, decided=False))
    heard = _text("heard", heard, what="听取意见的人员", max_len=500)
    if _has_numbers(heard):
        raise _bad("heard", "只填写姓名，不要填写电话、身份证号")
    findings = _text("findings", findings, what="评议意见")
    if proposed not in UPHELD:
        raise _bad("proposed", "建议处理应为批评教育或责令改正")
    heard_on = parsing.check_date("heard_on", heard_on) or clock.today()
    if heard_on > clock.today():
        raise _bad("heard_on", "评议日期不能晚于今天")
    public_text = _text("public_text", public_text, what="公示内容", max_len=200, required=False)
    if _has_numbers(public_text):
        raise _bad("public_text", "公示内容不能含电话、身份证号")
    before = {"heard_on": complaint.heard_on.isoformat() if complaint.heard_on else None,
              "proposed": complaint.proposed}
    complaint.heard, complaint.findings, complaint.proposed = heard, findings, proposed
    complaint.heard_on, complaint.public_text = heard_on, public_text
    complaint.heard_by = actor if getattr(actor, "pk", None) else None
    complaint.save(update_fields=["heard", "findings", "proposed", "heard_on", "public_text", "heard_by"])
    lifecycle.record(complaint.topic, action="hearing", actor=actor, now=now,
                     data={"proposed": proposed, "heard_on": heard_on.isoformat()})
    audit_record(actor=actor, action="appraisal.hearing", obj=complaint.topic, unit_path=council.unit.path,
                 before=before, after={"heard_on": heard_on.isoformat(), "proposed": proposed})
    return complaint


@transaction.atomic
def complaint_follow_up(*, actor, complaint: Complaint, note: str, corrected: bool = False,
                        now: dt.datetime | None = None) -> Complaint:
    """Record the follow-up after a decision to educate or to correct (回访), and whether it was corrected."""
    now = now or clock.now()
    complaint = Complaint.objects.select_for_update().select_related("topic__council__unit").get(pk=complaint.pk)
    council = complaint.topic.council
    access.require_run(actor, council, what="该评议事项", state=_complaint_state(complaint, decided=True))
    note = _text("note", note, what="回访情况")
    complaint.follow_up, complaint.corrected, complaint.followed_up_at = note, bool(corrected), now
    complaint.save(update_fields=["follow_up", "corrected", "followed_up_at"])
    lifecycle.record(complaint.topic, action="follow_up", actor=actor, now=now, data={"corrected": bool(corrected)})
    audit_record(actor=actor, action="appraisal.follow_up", obj=complaint.topic, unit_path=council.unit.path,
                 after={"corrected": bool(corrected)})
    return complaint


# ---- the council's decision -----------------------------------------------------------------------

REMEDY_FOR = {DecisionOutcome.REJECTED: Remedy.NOT_UPHELD, DecisionOutcome.REFERRED: Remedy.REFERRED}


@transaction.atomic
def decision_apply(*, decision: Decision, actor=None, now: dt.datetime | None = None) -> None:
    """Carry the council's decision on a panel topic into this app: an adopted nomination goes on the
    village's honour roll; a complaint gets its remedy (adopted: the hearing's proposal, 批评教育 when none
    was proposed; rejected: 不予认定; referred: 转交有关部门). Running it twice changes nothing."""
    now = now or clock.now()
    topic = decision.topic
    if topic.kind == TopicKind.NOMINATION:
        nomination = Nomination.objects.select_for_update().filter(topic=topic).first()
        if nomination is None or nomination.outcome:
            return
        nomination.outcome = {DecisionOutcome.ADOPTED: Outcome.ADOPTED, DecisionOutcome.REJECTED: Outcome.REJECTED,
                              DecisionOutcome.REFERRED: Outcome.REFERRED}.get(decision.outcome, Outcome.REJECTED)
        nomination.decided_at = now
        nomination.save(update_fields=["outcome", "decided_at"])
        if nomination.outcome == Outcome.ADOPTED:
            entry = HonourEntry.objects.create(
                nomination=nomination, village=nomination.village, nominee_name=nomination.nominee_name,
                kind=nomination.kind, citation=nomination.deed,
                honoured_on=timezone.localdate(now), created_at=now)
            audit_record(actor=actor, action="appraisal.honour", obj=topic, unit_path=nomination.village.path,
                         after={"honour_entry": entry.pk, "nominee": nomination.nominee_name})
    elif topic.kind == TopicKind.COMPLAINT:
        complaint = Complaint.objects.select_for_update().filter(topic=topic).first()
        if complaint is None or complaint.decision:
            return
        if decision.outcome == DecisionOutcome.ADOPTED:
            complaint.decision = complaint.proposed or Remedy.EDUCATE
        else:
            complaint.decision = REMEDY_FOR.get(decision.outcome, Remedy.NOT_UPHELD)
        complaint.decided_at = now
        complaint.save(update_fields=["decision", "decided_at"])
        audit_record(actor=actor, action="appraisal.decision", obj=topic, unit_path=complaint.village.path,
                     after={"decision": complaint.decision})


# ---- the county's settings ------------------------------------------------------------------------

def settings_for(county: OrgUnit | None) -> AppraisalSettings:
    """The county's settings, or the defaults (everything off) when it never saved any (not stored)."""
    found = AppraisalSettings.objects.filter(county=county).first() if county is not None else None
    return found or AppraisalSettings(county=county)


@transaction.atomic
def settings_update(*, actor, county: OrgUnit, blacklist_enabled: bool, show_names: bool, show_text: bool,
                    show_decision: bool, now: dt.datetime | None = None) -> AppraisalSettings:
    """Set what the county's public criticism list shows (county admins only; audited)."""
    now = now or clock.now()

    def is_county() -> None:
        if county.level != Level.COUNTY:
            raise _bad("county", "道德评判设置属于县")

    scopes.require(actor, "appraisal.configure", county, what="该县", state=is_county,
                   visible=actor is None or scopes.may(actor, "appraisal.configure", county))
    row, _created = AppraisalSettings.objects.select_for_update().get_or_create(county=county)
    fields = ("blacklist_enabled", "show_names", "show_text", "show_decision")
    before = {f: getattr(row, f) for f in fields}
    row.blacklist_enabled, row.show_names = bool(blacklist_enabled), bool(show_names)
    row.show_text, row.show_decision = bool(show_text), bool(show_decision)
    row.updated_by, row.updated_at = (actor if getattr(actor, "pk", None) else None), now
    row.save()
    audit_record(actor=actor, action="appraisal.settings", obj=row, unit_path=county.path, before=before,
                 after={f: getattr(row, f) for f in fields})
    return row

