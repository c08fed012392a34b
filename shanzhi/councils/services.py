"""Writes to councils: councils and their members, topics residents raise (or a grid worker raises for
them), supports, follows and comments with moderation. Each runs in one transaction, asks the gate
(`access` and `accounts/scopes.py`) and audits privileged and proxy acts. Every topic status change goes
through `lifecycle.move`. Meetings, votes and decisions live in `services_meetings`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from shanzhi.accounts import scopes
from shanzhi.accounts.models import UserKind
from shanzhi.audit.services import audit_record
from shanzhi.cases import services as case_services
from shanzhi.cases.images import validate_images
from shanzhi.cases.models import Case, Category
from shanzhi.councils import access, lifecycle
from shanzhi.councils.models import (
    ChosenBy,
    Comment,
    CommentFlag,
    Council,
    CouncilType,
    Follow,
    Member,
    Position,
    Support,
    Topic,
    TopicKind,
    TopicPhoto,
    TopicStatus,
)
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, PermissionDenied
from shanzhi.org.models import OrgUnit
from shanzhi.people.models import Resident, ResidentStatus

MAX_PHOTOS = 3
MAX_TITLE = 100
MAX_TEXT = 2000
MAX_COMMENT = 1000
MAX_REASON = 200
SUPPORTABLE = (TopicStatus.RAISED, TopicStatus.ACCEPTED)
AUTO_HIDDEN = "多人举报，已自动隐藏"


def _bad(field: str, message: str, code: str | None = None) -> DomainError:
    return DomainError(message, fields={field: [message]}, code=code)


def _text(field: str, value: str, what: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise _bad(field, f"请填写{what}")
    if len(value) > limit:
        raise _bad(field, f"{what}不能超过{limit}字")
    return value


def _name(user) -> str:
    return (getattr(user, "display_name", "") or str(user))[:50]


# ---- councils and members ------------------------------------------------------------------------

@transaction.atomic
def council_create(*, actor, type: CouncilType, unit: OrgUnit, name: str = "",
                   founded_on: dt.date | None = None, now: dt.datetime | None = None) -> Council:
    """Set up a council of `type` at `unit` (only at a level the type allows; one per type and unit)."""
    scopes.require(actor, "councils.run", unit, what="该单位")
    if not type.is_active:
        raise _bad("type", "该类型已停用")
    if unit.level not in (type.levels or []):
        raise _bad("unit", f"{type.name}不在该层级设立")
    if Council.objects.filter(type=type, unit=unit).exists():
        raise _bad("type", f"{unit.name}已有{type.name}")
    name = (name or "").strip()[:100] or f"{unit.name}{type.name}"
    try:
        with transaction.atomic():
            council = Council.objects.create(type=type, unit=unit, name=name, founded_on=founded_on)
    except IntegrityError:
        raise _bad("type", f"{unit.name}已有{type.name}") from None
    audit_record(actor=actor, action="councils.council_create", obj=council, unit_path=unit.path,
                 after={"type": type.code, "name": name})
    return council


def resident_lives_under(resident: Resident, unit: OrgUnit) -> bool:
    household = resident.household
    return (resident.status == ResidentStatus.ACTIVE and household is not None
            and household.micro_grid.path.startswith(unit.path))


@transaction.atomic
def member_add(*, actor, council: Council, resident: Resident | None = None, user=None,
               position: str = Position.MEMBER, chosen_by: str = ChosenBy.ELECTED,
               started_on: dt.date | None = None, term_ends_on: dt.date | None = None,
               now: dt.datetime | None = None) -> Member:
    """Add a member: a resident living under the council's unit, or a staff user, as the type's rule says."""
    access.require_run(actor, council)
    membership = council.type.membership
    if (resident is None) == (user is None):
        raise _bad("resident", "请指定一位居民或一名工作人员")
    if resident is not None:
        if membership == CouncilType.Membership.STAFF:
            raise _bad("resident", f"{council.type.name}的成员应为工作人员")
        if not resident_lives_under(resident, council.unit):
            raise _bad("resident", f"未找到居住在{council.unit.name}的该居民")
        holder = {"resident": resident}
        name = resident.name
    else:
        if membership == CouncilType.Membership.RESIDENTS:
            raise _bad("user", f"{council.type.name}的成员应为本村（社区）居民")
        if user.kind != UserKind.STAFF or not user.is_active:
            raise _bad("user", "未找到该工作人员")
        holder = {"user": user}
        name = _name(user)
    if position not in Position.values:
        raise _bad("position", "职务无效")
    if chosen_by not in ChosenBy.values:
        raise _bad("chosen_by", "产生方式无效")
    started_on = started_on or clock.today()
    if term_ends_on is not None and term_ends_on < started_on:
        raise _bad("term_ends_on", "任期届满日期不能早于任期开始")
    if access.current_members(council, started_on).filter(**holder).exists():
        raise _bad("resident" if resident is not None else "user", f"{name}已是该组织的成员")
    member = Member.objects.create(council=council, name=name, position=position, chosen_by=chosen_by,
                                   started_on=started_on, term_ends_on=term_ends_on, **holder)
    audit_record(actor=actor, action="councils.member_add", obj=member, unit_path=council.unit.path,
                 after={"council": council.pk, "name": name, "position": position, "chosen_by": chosen_by,
                        "started_on": started_on.isoformat()})
    return member


@transaction.atomic
def member_end(*, actor, member: Member, reason: str, ended_on: dt.date | None = None,
               now: dt.datetime | None = None) -> Member:
    """End a member's term with a reason; the row stays as history."""
    council = member.council

    def state() -> None:
        if member.ended_on is not None and member.ended_on <= clock.today():
            raise DomainError("该成员已离任", code="invalid_state")

    access.require_run(actor, council, what="该成员", state=state)
    reason = _text("reason", reason, "离任原因", MAX_REASON)
    ended_on = ended_on or clock.today()
    if ended_on < member.started_on:
        raise _bad("ended_on", "离任日期不能早于任期开始")
    member.ended_on, member.end_reason = ended_on, reason
    member.save(update_fields=["ended_on", "end_reason"])
    audit_record(actor=actor, action="councils.member_end", obj=member, unit_path=council.unit.path,
                 after={"ended_on": ended_on.isoformat()}, reason=reason)
    return member


# ---- raising topics ------------------------------------------------------------------------------

def topic_number(now: dt.datetime) -> str:
    """`YS20261207-0001`: a per-day sequence on the cases' counter table (its row lock serialises writers)."""
    seq = int(case_services.next_number(now, "YS").rsplit("-", 1)[1])
    return f"YS{timezone.localtime(now):%Y%m%d}-{seq:04d}"


def may_raise(actor, council: Council) -> bool:
    """The type's `raisers` rule: residents (local residents, members, cadres), members (members and
    cadres), cadres (councils.run at the unit, and the council's officers)."""
    if actor is None:
        return True
    if access.may_run(actor, council):
        return True
    raisers = council.type.raisers
    if raisers == CouncilType.Raisers.CADRES:
        return False
    if access.member_for(actor, council) is not None:
        return True
    return raisers == CouncilType.Raisers.RESIDENTS and access.is_local(actor, council)


def _proxy_check(actor, council: Council, resident: Resident) -> None:
    """A proxy act: the resident's household in the actor's councils.proxy scope, living under the council."""
    household = resident.household
    if household is None or resident.status != ResidentStatus.ACTIVE:
        raise _bad("resident", "未找到该居民，或不在您的代办范围")
    scopes.require_target(actor, "councils.proxy", household.micro_grid, field="resident",
                          message="未找到该居民，或不在您的代办范围")
    if not resident_lives_under(resident, council.unit):
        raise _bad("resident", f"该居民不住在{council.unit.name}，不能参与该组织的议题")


def _store_photos(topic: Topic, photos: Sequence, now: dt.datetime) -> None:
    images = validate_images([p for p in photos or [] if p])
    if len(images) > MAX_PHOTOS:
        raise _bad("photos", f"最多上传{MAX_PHOTOS}张照片")
    for img in images:
        photo = TopicPhoto(topic=topic, created_at=now)
        photo.image.save(f"{uuid.uuid4().hex}.jpg", ContentFile(img.data), save=False)
        photo.save()


@transaction.atomic
def topic_raise(*, actor, council: Council, title: str, text: str, category: Category | None = None,
                anonymous: bool = False, photos: Sequence = (), kind: str = TopicKind.MATTER,
                for_resident: Resident | None = None, case: Case | None = None,
                now: dt.datetime | None = None) -> Topic:
    """Raise a topic in a council: by a resident of its village, a member or a cadre (the type's rule), or by
    a grid worker for a named resident (`for_resident`, audited). Up to 3 photos (checked and re-encoded).

    A council the actor cannot see is 404, whatever it is; a proxy names the resident on the timeline."""
    now = now or clock.now()
    if for_resident is not None:
        if actor is None:
            raise _bad("resident", "代办须由网格员进行")
        _proxy_check(actor, council, for_resident)
        if council.type.raisers != CouncilType.Raisers.RESIDENTS:
            raise PermissionDenied(f"{council.type.name}的议题不由居民提出")
    else:
        access.require_see(actor, council)
        if not may_raise(actor, council):
            raise PermissionDenied(f"您不能向{council.type.name}提出议题")
    if not council.is_active:
        raise _bad("council", "该组织已停用")
    errors: dict[str, list[str]] = {}
    for field, value, what, limit in (("title", title, "标题", MAX_TITLE), ("text", text, "内容", MAX_TEXT)):
        try:
            _text(field, value, what, limit)
        except DomainError as exc:
            errors.update(exc.fields)
    if kind not in TopicKind.values:
        errors["kind"] = ["议题类别无效"]
    if len([p for p in photos or [] if p]) > MAX_PHOTOS:
        errors["photos"] = [f"最多上传{MAX_PHOTOS}张照片"]
    if errors:
        raise DomainError("；".join(m for ms in errors.values() for m in ms), fields=errors)
    if for_resident is not None:
        author_user = getattr(for_resident, "user", None)  # a resident with an account hears of the steps
        author = {"author_resident": for_resident, "author_user": author_user, "author_name": for_resident.name,
                  "proxy": actor}
    else:
        author = {"author_user": actor, "author_resident": getattr(actor, "resident", None),
                  "author_name": _name(actor) if actor is not None else ""}
    topic = Topic.objects.create(council=council, kind=kind, number=topic_number(now), title=title.strip(),
                                 text=text.strip(), category=category, anonymous=bool(anonymous), case=case,
                                 created_at=now, updated_at=now, **author)
    _store_photos(topic, photos, now)
    note = ""
    if for_resident is not None:
        # the resident is named, unless they asked not to be shown to the public (the audit row names them)
        note = f"{_name(actor)}代居民{'' if anonymous else for_resident.name}提出"
    elif case is not None:
        note = f"由诉求 {case.number} 提交"
    lifecycle.record(topic, action="raise", actor=actor, note=note, now=now, to_status=topic.status,
                     data={"proxy": True} if for_resident is not None else {})
    if topic.author_user_id:
        Follow.objects.get_or_create(topic=topic, user_id=topic.author_user_id, defaults={"created_at": now})
    if for_resident is not None:
        audit_record(actor=actor, action="councils.proxy_raise", obj=topic, unit_path=council.unit.path,
                     after={"topic": topic.number, "resident": for_resident.pk})
    return topic


@transaction.atomic
def topic_from_case(*, actor, case: Case, council: Council, title: str = "", note: str = "",
                    now: dt.datetime | None = None) -> Topic:
    """Bring a case to a council ("提交议事会"): a topic linked to the case, noted on the case's timeline.

    The actor must run the council (a cadre of its unit, or its officer) and handle the case; the council
    must sit at or above the place of the case."""
    now = now or clock.now()
    if not (case.unit.path.startswith(council.unit.path) or case.handling_unit.path.startswith(council.unit.path)):
        raise _bad("council", "该诉求不在这个议事组织的范围内")
    access.require_run(actor, council)
    if Topic.objects.filter(case=case, council=council).exists():
        raise _bad("council", "该诉求已提交过这个议事组织")
    title = (title or "").strip() or f"{case.category.name}：{case.description[:40]}"
    topic = topic_raise(actor=actor, council=council, title=title[:MAX_TITLE],
                        text=((note or "").strip() or case.description)[:MAX_TEXT],
                        category=case.category, case=case, now=now)
    case_services.case_annotate(actor=actor, case=case, note=f"已提交{council.name}，议题编号 {topic.number}",
                                data={"council_topic": topic.number}, public=True, now=now)
    return topic


# ---- lifecycle steps at the desk -----------------------------------------------------------------

@transaction.atomic
def topic_accept(*, actor, topic: Topic, note: str = "", now: dt.datetime | None = None) -> Topic:
    """Accept a raised topic (the council's cadres or officers)."""
    access.require_run(actor, topic.council, what="该议题", state=lambda: lifecycle.check(topic, "accept"))
    return lifecycle.move(topic, action="accept", actor=actor, note=(note or "").strip()[:MAX_TEXT], now=now)


@transaction.atomic
def topic_decline(*, actor, topic: Topic, reason: str, now: dt.datetime | None = None) -> Topic:
    """Decline a topic with a public reason (required)."""
    access.require_run(actor, topic.council, what="该议题", state=lambda: lifecycle.check(topic, "decline"))
    reason = _text("reason", reason, "不予受理的理由", MAX_TEXT)
    topic.decline_reason = reason
    topic.save(update_fields=["decline_reason"])
    return lifecycle.move(topic, action="decline", actor=actor, note=reason, now=now)


# ---- supports and follows ------------------------------------------------------------------------

@transaction.atomic
def topic_support(*, actor, topic: Topic, for_resident: Resident | None = None,
                  now: dt.datetime | None = None) -> Support:
    """附议: once per resident of the village; a grid worker may add one for a named resident (audited).
    Reaching the type's `supports_needed` accepts a raised topic automatically."""
    now = now or clock.now()
    council = topic.council

    def state() -> None:
        if topic.status not in SUPPORTABLE or topic.hidden:
            raise DomainError("该议题当前不能附议", code="invalid_state")

    if for_resident is not None:
        if actor is None:
            raise _bad("resident", "代办须由网格员进行")
        _proxy_check(actor, council, for_resident)
        state()
        resident = for_resident
    else:
        access.require_see(actor, council, what="该议题")
        state()
        resident = getattr(actor, "resident", None)
        if resident is None or not access.is_local(actor, council):
            raise PermissionDenied("只有本村（社区）居民可以附议")
    try:
        with transaction.atomic():
            support = Support.objects.create(topic=topic, resident=resident, created_at=now,
                                             proxy=actor if for_resident is not None else None)
    except IntegrityError:
        who = f"{resident.name}已" if for_resident is not None else "您已"
        raise _bad("resident" if for_resident is not None else "topic", f"{who}附议过该议题",
                   code="already_supported") from None
    Topic.objects.filter(pk=topic.pk).update(support_count=F("support_count") + 1, updated_at=now)
    topic.refresh_from_db(fields=["support_count", "updated_at"])
    if for_resident is not None:
        lifecycle.record(topic, action="proxy_support", actor=actor, now=now,
                         note=f"{_name(actor)}代居民{resident.name}附议", data={"proxy_for": resident.name})
        audit_record(actor=actor, action="councils.proxy_support", obj=topic, unit_path=council.unit.path,
                     after={"topic": topic.number, "resident": resident.pk})
    needed = council.type.supports_needed
    if needed and topic.status == TopicStatus.RAISED and topic.support_count >= needed:
        lifecycle.move(topic, action="accept", actor=None, now=now,
                       note=f"附议数达到{needed}，自动受理", data={"supports": topic.support_count})
    return support


@transaction.atomic
def topic_follow(*, actor, topic: Topic, now: dt.datetime | None = None) -> Follow:
    """Follow a topic (its steps come to the inbox); following twice is the same follow."""
    access.require_see(actor, topic.council, what="该议题")
    follow, _created = Follow.objects.get_or_create(topic=topic, user=actor,
                                                    defaults={"created_at": now or clock.now()})
    return follow


@transaction.atomic
def topic_unfollow(*, actor, topic: Topic) -> None:
    access.require_see(actor, topic.council, what="该议题")
    Follow.objects.filter(topic=topic, user=actor).delete()


# ---- comments and moderation ---------------------------------------------------------------------

def may_take_part(actor, council: Council) -> bool:
    """Residents of the village, members, and staff who see the council's unit by their posts."""
    return (access.is_local(actor, council) or access.member_for(actor, council) is not None
            or scopes.may(actor, "councils.view", council.unit))


@transaction.atomic
def comment_post(*, actor, topic: Topic, text: str, now: dt.datetime | None = None) -> Comment:
    """Comment on a topic; the author and followers are told."""
    now = now or clock.now()
    council = topic.council

    def state() -> None:
        if topic.hidden:
            raise DomainError("该议题已被隐藏，不能评论", code="invalid_state")

    access.require_see(actor, council, what="该议题")
    state()
    if not may_take_part(actor, council):
        raise PermissionDenied("只有本村（社区）居民、成员和工作人员可以评论")
    text = _text("text", text, "评论内容", MAX_COMMENT)
    comment = Comment.objects.create(topic=topic, author=actor, author_name=_name(actor), text=text,
                                     created_at=now)
    lifecycle.notify(topic, text=f"议题“{topic.title[:40]}”有新评论", key=f"comment:{comment.pk}", now=now,
                     actor=actor)
    return comment


@transaction.atomic
def comment_flag(*, actor, comment: Comment, reason: str = "", now: dt.datetime | None = None) -> Comment:
    """Flag a comment once; after the type's `flags_to_hide` flags it is hidden automatically."""
    now = now or clock.now()
    topic = comment.topic
    access.require_see(actor, topic.council, what="该评论")
    if comment.hidden:
        raise DomainError("该评论已被隐藏", code="invalid_state")
    if not may_take_part(actor, topic.council):
        raise PermissionDenied("只有本村（社区）居民、成员和工作人员可以举报")
    if comment.author_id == actor.pk:
        raise _bad("comment", "不能举报自己的评论")
    try:
        with transaction.atomic():
            CommentFlag.objects.create(comment=comment, user=actor, reason=(reason or "").strip()[:MAX_REASON],
                                       created_at=now)
    except IntegrityError:
        raise _bad("comment", "您已举报过该评论", code="already_flagged") from None
    Comment.objects.filter(pk=comment.pk).update(flag_count=F("flag_count") + 1)
    comment.refresh_from_db(fields=["flag_count"])
    limit = topic.council.type.flags_to_hide
    if limit and comment.flag_count >= limit:
        updated = Comment.objects.filter(pk=comment.pk, hidden=False).update(hidden=True, hidden_reason=AUTO_HIDDEN)
        if updated:
            comment.hidden, comment.hidden_reason = True, AUTO_HIDDEN
            lifecycle.record(topic, action="comment_hidden", actor=None, note=AUTO_HIDDEN, now=now,
                             data={"comment": comment.pk})
    return comment


def _require_moderate(actor, topic: Topic, what: str, state=None) -> None:
    scopes.require(actor, "councils.moderate", topic.council.unit, what=what,
                   visible=access.may_see(actor, topic.council), state=state)


@transaction.atomic
def comment_hide(*, actor, comment: Comment, reason: str, now: dt.datetime | None = None) -> Comment:
    """Hide a comment with a reason (moderators); its text is never shown to the public again."""
    now = now or clock.now()

    def state() -> None:
        if comment.hidden:
            raise DomainError("该评论已被隐藏", code="invalid_state")

    _require_moderate(actor, comment.topic, "该评论", state)
    reason = _text("reason", reason, "隐藏理由", MAX_REASON)
    comment.hidden, comment.hidden_reason, comment.hidden_by = True, reason, actor
    comment.save(update_fields=["hidden", "hidden_reason", "hidden_by"])
    lifecycle.record(comment.topic, action="comment_hidden", actor=actor, note=reason, now=now,
                     data={"comment": comment.pk})
    audit_record(actor=actor, action="councils.comment_hide", obj=comment, unit_path=comment.topic.council.unit.path,
                 reason=reason, after={"topic": comment.topic.number})
    return comment


@transaction.atomic
def topic_hide(*, actor, topic: Topic, reason: str, now: dt.datetime | None = None) -> Topic:
    """Hide a topic with a reason (moderators): its title, text and photos are no longer shown to the public."""
    now = now or clock.now()

    def state() -> None:
        if topic.hidden:
            raise DomainError("该议题已被隐藏", code="invalid_state")

    _require_moderate(actor, topic, "该议题", state)
    reason = _text("reason", reason, "隐藏理由", MAX_REASON)
    topic.hidden, topic.hidden_reason, topic.updated_at = True, reason, now
    topic.save(update_fields=["hidden", "hidden_reason", "updated_at"])
    lifecycle.record(topic, action="hide", actor=actor, note=reason, now=now)
    audit_record(actor=actor, action="councils.topic_hide", obj=topic, unit_path=topic.council.unit.path,
                 reason=reason)
    return topic
