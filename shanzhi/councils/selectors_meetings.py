"""Reads of council meetings and decisions, scoped: staff in scope and the council's members see all of a
council's meetings and decisions; residents of the village see its public meetings and published decisions.
Anything else answers 404, like a missing row."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet

from shanzhi.accounts import scopes
from shanzhi.councils import access
from shanzhi.councils.models import (
    AgendaItem,
    Attendance,
    Council,
    Decision,
    Meeting,
    MeetingStatus,
    Member,
    Motion,
)
from shanzhi.lib import clock
from shanzhi.lib.errors import NotFound
from shanzhi.org.models import OrgUnit

MEETING_RELATED = ("council__type", "council__unit", "booking__room")
FEED_MEETINGS = 10
FEED_DECISIONS = 20


def _full_q(user, field: str) -> Q:
    """Councils (through `field`) whose every meeting and decision the user sees: staff scope, membership."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    if scopes.covers_all(user, "councils.view"):
        return Q(pk__isnull=False)  # not Q(): an empty Q drops out of an OR
    q = Q(**{f"{field}__unit_id__in": OrgUnit.objects.filter(scopes.scope_q(user, "councils.view")).values("id")})
    return q | Q(**{f"{field}_id__in": Member.objects.filter(access.current_q(), access.holder_q(user))
                    .values("council_id")})


def _local_q(user, field: str) -> Q:
    """Councils (through `field`) of the resident's own village and the units above it."""
    village = access.home_village(user) if getattr(user, "is_authenticated", False) else None
    if village is None:
        return Q(pk__in=[])
    return Q(**{f"{field}__unit__code__in": village.ancestor_codes})


def meetings_visible_q(user) -> Q:
    return _full_q(user, "council") | (_local_q(user, "council") & Q(is_public=True)
                                       & ~Q(status=MeetingStatus.CANCELLED))


def decisions_visible_q(user) -> Q:
    return _full_q(user, "topic__council") | (_local_q(user, "topic__council") & Q(published_at__isnull=False))


def meeting_visible(user, meeting: Meeting) -> bool:
    """May the user see this meeting (one or two queries)?"""
    council = meeting.council
    if scopes.may(user, "councils.view", council.unit) or access.member_for(user, council) is not None:
        return True
    return meeting.is_public and meeting.status != MeetingStatus.CANCELLED and access.is_local(user, council)


def sees_all(user, council: Council) -> bool:
    """Staff in scope and members see a council's closed doors too (who voted how on open votes, attendance)."""
    return scopes.may(user, "councils.view", council.unit) or access.member_for(user, council) is not None


def meeting_list_for(*, user, council: Council | None = None, status: str = "") -> QuerySet[Meeting]:
    """Meetings the user may see, newest first."""
    rows = Meeting.objects.filter(meetings_visible_q(user)).select_related(*MEETING_RELATED)
    if council is not None:
        rows = rows.filter(council=council)
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("-starts_at", "-id")


def meeting_get_for(*, user, pk) -> Meeting:
    """One meeting the user may see, or NotFound."""
    from shanzhi.lib.parsing import id_or_none

    found = (Meeting.objects.select_related(*MEETING_RELATED).filter(pk=id_or_none(pk)).first()
             if id_or_none(pk) else None)
    if found is None or not meeting_visible(user, found):
        raise NotFound("未找到该会议")
    return found


def meeting_by_token(*, user, token: str) -> Meeting:
    """The meeting whose check-in link this is, when the user may see it (else NotFound)."""
    token = (token or "").strip()
    found = (Meeting.objects.select_related(*MEETING_RELATED).filter(checkin_token=token).first()
             if 16 <= len(token) <= 32 else None)
    if found is None or not meeting_visible(user, found):
        raise NotFound("未找到该会议")
    return found


def upcoming_for_member(*, user, now: dt.datetime | None = None) -> QuerySet[Meeting]:
    """Planned and open meetings of the councils the user is a current member of, soonest first."""
    now = now or clock.now()
    if not getattr(user, "is_authenticated", False):
        return Meeting.objects.none()
    councils = Member.objects.filter(access.current_q(), access.holder_q(user)).values("council_id")
    return (Meeting.objects.filter(council_id__in=councils, status__in=[MeetingStatus.PLANNED, MeetingStatus.OPEN],
                                   ends_at__gte=now - dt.timedelta(hours=12))
            .select_related(*MEETING_RELATED).order_by("starts_at", "id"))


def my_councils(*, user) -> QuerySet[Council]:
    if not getattr(user, "is_authenticated", False):
        return Council.objects.none()
    return Council.objects.filter(id__in=Member.objects.filter(access.current_q(), access.holder_q(user))
                                  .values("council_id")).select_related("type", "unit")


def agenda_of(meeting: Meeting) -> list[AgendaItem]:
    return list(meeting.agenda.select_related("topic", "topic__decision").order_by("order", "id"))


def attendance_of(meeting: Meeting) -> list[Attendance]:
    return list(meeting.attendance.select_related("member").order_by("member__position", "member__name"))


def motions_of(meeting: Meeting) -> list[Motion]:
    return list(meeting.motions.select_related("topic").annotate(ballot_count=Count("ballots")).order_by("id"))


def open_ballots(motion: Motion) -> list[dict]:
    """Who voted how on an open (not secret) motion; nothing for a secret one."""
    if motion.secret:
        return []
    return [{"member": b.member.name, "choice": b.choice, "choice_label": b.get_choice_display()}
            for b in motion.ballots.select_related("member").order_by("member__name", "id")]


def decision_list_for(*, user, council: Council | None = None) -> QuerySet[Decision]:
    rows = Decision.objects.filter(decisions_visible_q(user)).select_related(
        "topic__council__unit", "topic__council__type", "meeting")
    if council is not None:
        rows = rows.filter(topic__council=council)
    return rows.order_by("-created_at", "-id")


def decision_get_for(*, user, pk) -> Decision:
    from shanzhi.lib.parsing import id_or_none

    found = (Decision.objects.select_related("topic__council__unit", "topic__council__type", "meeting", "motion")
             .filter(pk=id_or_none(pk)).first() if id_or_none(pk) else None)
    if found is None:
        raise NotFound("未找到该决定")
    council = found.topic.council
    if not (sees_all(user, council) or (found.published_at is not None and access.is_local(user, council))):
        raise NotFound("未找到该决定")
    return found


def follow_through_of(decision: Decision) -> dict:
    """Cases (number, status), tasks and progress notes of a decision; three queries."""
    links = list(decision.case_links.select_related("case", "case__category").order_by("id"))
    return {"cases": [link.case for link in links],
            "tasks": list(decision.tasks.select_related("owner").order_by("due_on", "id")),
            "notes": list(decision.progress_notes.order_by("created_at", "id"))}


def feed_for(*, village: OrgUnit | None, now: dt.datetime | None = None) -> dict:
    """What the village feed shows of its councils: upcoming public meetings and published decisions of the
    councils of the village and the units above it. Public text only (no names of members or authors)."""
    if village is None:
        return {"meetings": [], "decisions": []}
    now = now or clock.now()
    councils = Council.objects.filter(unit__code__in=village.ancestor_codes).values("id")
    meetings = list(Meeting.objects.filter(council_id__in=councils, is_public=True,
                                           status__in=[MeetingStatus.PLANNED, MeetingStatus.OPEN],
                                           ends_at__gte=now).select_related(*MEETING_RELATED)
                    .order_by("starts_at", "id")[:FEED_MEETINGS])
    decisions = list(Decision.objects.filter(topic__council_id__in=councils, published_at__isnull=False)
                     .select_related("topic__council").order_by("-published_at", "-id")[:FEED_DECISIONS])
    return {"meetings": meetings, "decisions": decisions}


def members_for_marking(meeting: Meeting) -> list[Member]:
    """Current members, each with `present` set, for the secretary's attendance list. Two queries."""
    present = set(meeting.attendance.values_list("member_id", flat=True))
    members = list(access.current_members(meeting.council).order_by("position", "name", "id"))
    for m in members:
        m.present = m.pk in present
    return members

