"""Reads of councils and topics, scoped: staff by their posts, residents their village's (and town's)
councils, members their own. Out of scope and missing are the same NotFound. What the public sees of a
topic and a comment (no name when anonymous, no hidden text) is decided here too."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext

from shanzhi.accounts import scopes
from shanzhi.cases.public import mask_name
from shanzhi.councils import access
from shanzhi.councils.models import Comment, Council, Member, Topic
from shanzhi.lib import crypto
from shanzhi.lib.errors import NotFound
from shanzhi.lib.parsing import id_or_none
from shanzhi.people.models import Resident

HIDDEN_COMMENT = "该评论已被隐藏"
HIDDEN_TOPIC = "该议题已被隐藏"
ANONYMOUS = "匿名"


def council_list_for(*, user, type_code: str = "") -> QuerySet[Council]:
    """Councils the user may see (staff scope, their village and town, their memberships)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Council.objects.none()
    qs = Council.objects.filter(access.visible_councils_q(user)).select_related("type", "unit")
    if type_code:
        qs = qs.filter(type__code=type_code)
    return qs.order_by("unit__path", "type__sort", "id")


def council_get_for(*, user, pk) -> Council:
    pk = id_or_none(pk)
    council = council_list_for(user=user).filter(pk=pk).first() if pk else None
    if council is None:
        raise NotFound("未找到该议事组织")
    return council


def members_of(council: Council) -> tuple[list[Member], list[Member]]:
    """(current, past) members: officers first; past ones by when they left."""
    today_q = access.current_q()
    rows = list(council.members.select_related("resident", "user").order_by("position", "started_on", "id"))
    current_ids = set(council.members.filter(today_q).values_list("id", flat=True))
    order = {p: i for i, p in enumerate(("chair", "vice_chair", "secretary", "member"))}
    current = sorted((m for m in rows if m.pk in current_ids), key=lambda m: (order.get(m.position, 9), m.started_on))
    past = sorted((m for m in rows if m.pk not in current_ids), key=lambda m: m.ended_on or m.started_on,
                  reverse=True)
    return current, past


def member_get_for(*, user, pk) -> Member:
    """A member row of a council the user may run (the desk's "end term"); others: NotFound."""
    pk = id_or_none(pk)
    member = Member.objects.select_related("council__type", "council__unit").filter(pk=pk).first() if pk else None
    if member is None or not access.may_see(user, member.council):
        raise NotFound("未找到该成员")
    return member


def topic_list_for(*, user, council: Council | None = None, status: str = "") -> QuerySet[Topic]:
    """Topics of the councils the user may see, newest first."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Topic.objects.none()
    qs = Topic.objects.filter(access.visible_councils_q(user, "council")) if council is None else \
        Topic.objects.filter(council=council)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("council__type", "council__unit").order_by("-created_at", "-id")


def topic_get_for(*, user, number: str) -> Topic:
    number = (number or "").strip()[:32]
    topic = (Topic.objects.select_related("council__type", "council__unit", "case", "category")
             .filter(number=number).first()) if number else None
    if topic is None or not access.may_see(user, topic.council):
        raise NotFound("未找到该议题")
    return topic


def topic_for_proxy(*, number: str) -> Topic | None:
    """A topic by number for a proxy act; the service decides whether the named resident may take part
    (a resident of another village, or one outside the worker's scope, is refused naming the resident)."""
    number = (number or "").strip()[:32]
    return Topic.objects.select_related("council__type", "council__unit").filter(number=number).first() \
        if number else None


def topic_queue_for(*, user, status: str = "", type_code: str = "") -> QuerySet[Topic]:
    """The desk's queue: topics of councils the user runs (cadres by scope, officers of their council)."""
    q = scopes.unit_ids_q(user, "councils.run", "council__unit")
    officer_of = Member.objects.filter(access.current_q(), access.holder_q(user),
                                       position__in=access.OFFICERS).values("council_id")
    qs = Topic.objects.filter(q | Q(council_id__in=officer_of))
    if status:
        qs = qs.filter(status=status)
    if type_code:
        qs = qs.filter(council__type__code=type_code)
    return qs.select_related("council__type", "council__unit").order_by("-created_at", "-id")


def topic_get_for_case(*, user, case) -> list[Topic]:
    """Topics made from a case, in councils the user may see (the case page's links)."""
    return [t for t in Topic.objects.filter(case=case).select_related("council__type", "council__unit")
            if access.may_see(user, t.council)]


def councils_for_case(*, user, case) -> list[Council]:
    """Councils at or above the case's place that the user runs: where "提交议事会" may take it."""
    codes = set(case.unit.ancestor_codes) | set(case.handling_unit.ancestor_codes)
    councils = list(Council.objects.filter(unit__code__in=codes, is_active=True).select_related("type", "unit")
                    .order_by("unit__path", "type__sort"))
    if not councils or user is None or not getattr(user, "is_authenticated", False):
        return []
    officer_of = set(Member.objects.filter(access.current_q(), access.holder_q(user), position__in=access.OFFICERS,
                                           council__in=councils).values_list("council_id", flat=True))
    return [c for c in councils if c.pk in officer_of or scopes.may(user, "councils.run", c.unit)]


def resident_by_id_number(id_number: str) -> Resident | None:
    """The registered resident with this (normalised) ID number; the service decides whether the caller may
    name them (a member of this council, a resident of this worker's grid) and answers alike when not."""
    if not id_number:
        return None
    return Resident.objects.select_related("household__micro_grid").filter(
        id_number_hash=crypto.lookup_hash(id_number)).first()


def council_of_resident(resident: Resident, council_type) -> Council | None:
    """The resident's council of a type: the nearest active one at or above their micro-grid."""
    if resident.household is None:
        return None
    codes = resident.household.micro_grid.ancestor_codes
    return (Council.objects.filter(type=council_type, unit__code__in=codes, is_active=True)
            .select_related("type", "unit").order_by("-unit__path").first())


# ---- what the public sees --------------------------------------------------------------------------

def sees_whole(user, topic: Topic) -> bool:
    """Staff who see the council's unit by their posts, and the council's officers, see names and hidden
    text; everyone else sees what the public does."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return scopes.may(user, "councils.view", topic.council.unit) or access.is_officer(user, topic.council)


def is_author(user, topic: Topic) -> bool:
    return bool(user is not None and topic.author_user_id and topic.author_user_id == getattr(user, "pk", None))


def author_label(topic: Topic, viewer=None, whole: bool | None = None) -> str:
    """Who raised it as the viewer may see it: anonymous to the public, surname + 某 to other residents."""
    if whole is None:
        whole = sees_whole(viewer, topic)
    if viewer is not None and (whole or is_author(viewer, topic)):
        return topic.author_name
    if topic.anonymous:
        return gettext(ANONYMOUS)
    return mask_name(topic.author_name)


def public_author(topic: Topic) -> str | None:
    """The author for the API and feeds: never the name of an anonymous author, else surname + 某."""
    return None if topic.anonymous else mask_name(topic.author_name)


def topic_shown(topic: Topic, viewer=None, whole: bool | None = None) -> dict:
    """Title and text as the viewer may see them (a hidden topic's words only for moderators and staff)."""
    if topic.hidden and not (sees_whole(viewer, topic) if whole is None else whole):
        return {"title": gettext(HIDDEN_TOPIC), "text": "", "hidden": True}
    return {"title": topic.title, "text": topic.text, "hidden": topic.hidden}


def topic_rows(topics, viewer) -> list[dict]:
    """Rows of a topic list as the viewer may see them; one officer check per council, not per topic."""
    whole: dict[int, bool] = {}
    rows = []
    for t in topics:
        if t.council_id not in whole:
            whole[t.council_id] = sees_whole(viewer, t)
        w = whole[t.council_id]
        rows.append({"topic": t, **topic_shown(t, viewer, w), "author": author_label(t, viewer, w),
                     "status": gettext(t.get_status_display())})
    return rows


def comment_rows(topic: Topic, viewer=None) -> list[dict]:
    whole = sees_whole(viewer, topic)
    rows = []
    for c in topic.comments.all():
        mine = viewer is not None and c.author_id == getattr(viewer, "pk", None)
        rows.append({"comment": c, "mine": mine,
                     "author": c.author_name if whole or mine else mask_name(c.author_name),
                     "text": c.text if (whole or not c.hidden) else gettext(HIDDEN_COMMENT),
                     "hidden": c.hidden})
    return rows


def public_comment_text(comment: Comment) -> str:
    return HIDDEN_COMMENT if comment.hidden else comment.text
