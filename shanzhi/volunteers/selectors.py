"""Reads of the service team: who sees which volunteer, team and request, the lists of the desk, the
resident's and the volunteer's own pages, and the candidates the matching function ranks.

Staff see what lies in their `volunteers.view` scope; a team's leader sees their team's unit (and a town
team's leader its villages); a volunteer sees their own record and the requests assigned to them; a
resident their own requests. Everything else answers like a missing row.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from shanzhi.accounts import scopes
from shanzhi.cases import services as case_services
from shanzhi.cases.public import mask_name
from shanzhi.councils import access as council_access
from shanzhi.councils.models import Council, Member
from shanzhi.lib.errors import NotFound
from shanzhi.lib.parsing import id_or_none
from shanzhi.org.models import OrgUnit
from shanzhi.volunteers import access, matching
from shanzhi.volunteers.models import RequestStatus, ServiceRequest, Volunteer, VolunteerStatus

OPEN = (RequestStatus.ASSIGNED, RequestStatus.ACCEPTED, RequestStatus.SERVING)


def _authenticated(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def led_units_q(user, field: str) -> Q:
    """Rows whose unit (through `field`) lies under a team the user leads."""
    if not _authenticated(user):
        return Q(pk__in=[])
    paths = list(Council.objects.filter(access.led_teams_q(user)).values_list("unit__path", flat=True))
    q = Q(pk__in=[])
    for p in paths:
        q |= Q(**{f"{field}__path__startswith": p})
    return q


def desk_q(user, field: str) -> Q:
    """Staff scope or led teams, for rows placed at `field`."""
    return scopes.unit_ids_q(user, "volunteers.view", field) | led_units_q(user, field)


def may_desk(user) -> bool:
    """Does the user have a desk at all (staff with the view, or a team leader)?"""
    return _authenticated(user) and (scopes.may_somewhere(user, "volunteers.view")
                                     or Council.objects.filter(access.led_teams_q(user)).exists())


def sees_as_desk(user, unit: OrgUnit) -> bool:
    return _authenticated(user) and (scopes.may(user, "volunteers.view", unit) or access.leads_at(user, unit))


# ---- volunteers -------------------------------------------------------------------------------------

def volunteer_visible(user, volunteer: Volunteer) -> bool:
    if user is None:
        return True
    if not _authenticated(user):
        return False
    own = access.volunteer_for(user)
    return (own is not None and own.pk == volunteer.pk) or sees_as_desk(user, volunteer.village)


def volunteer_list_for(*, user, status: str = "") -> QuerySet[Volunteer]:
    qs = Volunteer.objects.filter(desk_q(user, "village")).select_related("village").prefetch_related("skills")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("status", "village__path", "name", "id")


def volunteer_get_for(*, user, pk) -> Volunteer:
    found = Volunteer.objects.select_related("village", "resident", "user").filter(pk=id_or_none(pk) or 0).first()
    if found is None or not volunteer_visible(user, found):
        raise NotFound("未找到该志愿者")
    return found


def holder_q(volunteer: Volunteer, field: str = "") -> Q:
    pre = f"{field}__" if field else ""
    if volunteer.resident_id:
        return Q(**{f"{pre}resident_id": volunteer.resident_id})
    return Q(**{f"{pre}user_id": volunteer.user_id})


def teams_of(volunteer: Volunteer) -> list[Member]:
    return list(Member.objects.filter(council_access.current_q(), access.teams_q("council"), holder_q(volunteer))
                .select_related("council__unit").order_by("council__unit__path"))


def volunteers_for_team(team: Council) -> QuerySet[Volunteer]:
    """Active volunteers who could join the team (serving its village, or of its town's villages)."""
    qs = Volunteer.objects.filter(status=VolunteerStatus.ACTIVE)
    if team.unit.level == "village":
        qs = qs.filter(villages=team.unit)
    else:
        qs = qs.filter(village__path__startswith=team.unit.path)
    return qs.select_related("village").order_by("name", "id").distinct()


def volunteer_ids_of_members(members: list[Member]) -> dict[int, int]:
    """Member id -> the volunteer id of the same person (for the team page's buttons)."""
    rows = Volunteer.objects.filter(Q(resident_id__in=[m.resident_id for m in members if m.resident_id])
                                    | Q(user_id__in=[m.user_id for m in members if m.user_id]))
    by_resident = {v.resident_id: v.pk for v in rows if v.resident_id}
    by_user = {v.user_id: v.pk for v in rows if v.user_id}
    return {m.pk: by_resident.get(m.resident_id) if m.resident_id else by_user.get(m.user_id) for m in members}


# ---- teams ------------------------------------------------------------------------------------------

def team_visible(user, team: Council) -> bool:
    if user is None:
        return True
    if not _authenticated(user):
        return False
    return sees_as_desk(user, team.unit) or council_access.member_for(user, team) is not None


def team_list_for(*, user) -> QuerySet[Council]:
    q = desk_q(user, "unit")
    if _authenticated(user):
        q |= Q(id__in=Member.objects.filter(council_access.current_q(), council_access.holder_q(user))
               .values("council_id"))
    return Council.objects.filter(access.teams_q(), q).select_related("unit").order_by("unit__path")


def team_get_for(*, user, pk) -> Council:
    found = Council.objects.filter(access.teams_q(), pk=id_or_none(pk) or 0).select_related("unit", "type").first()
    if found is None or not team_visible(user, found):
        raise NotFound("未找到该服务团")
    return found


def team_members(team: Council) -> tuple[list[Member], list[Member]]:
    rows = list(team.members.order_by("position", "started_on", "id"))
    current_ids = set(council_access.current_members(team).values_list("id", flat=True))
    return [m for m in rows if m.pk in current_ids], [m for m in rows if m.pk not in current_ids]


# ---- requests ---------------------------------------------------------------------------------------

def request_visible(user, req: ServiceRequest) -> bool:
    if user is None:
        return True
    if not _authenticated(user):
        return False
    if req.requester_user_id == user.pk or (req.resident_id and getattr(user, "resident_id", None) == req.resident_id):
        return True
    own = access.volunteer_for(user)
    if own is not None and req.volunteer_id == own.pk:
        return True
    if sees_as_desk(user, req.village):
        return True
    # one case, one timeline: staff who see the 求助 case see the request made from it
    return req.case_id is not None and scopes.is_staff_user(user) and case_services.can_view(user, req.case)


def request_get_for(*, user, pk) -> ServiceRequest:
    found = (ServiceRequest.objects.select_related("village", "skill", "volunteer", "case", "household", "team")
             .filter(pk=id_or_none(pk) or 0).first())
    if found is None or not request_visible(user, found):
        raise NotFound("未找到该服务需求")
    return found


def request_list_for(*, user, status: str = "") -> QuerySet[ServiceRequest]:
    """The desk's list: requests of villages in scope or under a led team, newest first."""
    qs = ServiceRequest.objects.filter(desk_q(user, "village")).select_related("village", "skill", "volunteer")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def my_requests(*, user) -> QuerySet[ServiceRequest]:
    if not _authenticated(user):
        return ServiceRequest.objects.none()
    q = Q(requester_user_id=user.pk)
    if getattr(user, "resident_id", None):
        q |= Q(resident_id=user.resident_id)
    return ServiceRequest.objects.filter(q).select_related("skill", "volunteer").order_by("-created_at", "-id")


def my_tasks(*, user, open_only: bool = False) -> QuerySet[ServiceRequest]:
    own = access.volunteer_for(user)
    if own is None:
        return ServiceRequest.objects.none()
    qs = ServiceRequest.objects.filter(volunteer=own).select_related("skill", "village", "household")
    if open_only:
        qs = qs.filter(status__in=OPEN)
    return qs.order_by("status", "-created_at", "-id")


def sees_requester(user, req: ServiceRequest) -> bool:
    """The requester's full name (and address): staff in scope, the team leader, the assigned volunteer,
    the requester themself. Everyone else reads surname + 某."""
    if not _authenticated(user):
        return False
    own = access.volunteer_for(user)
    return ((own is not None and req.volunteer_id == own.pk) or sees_as_desk(user, req.village)
            or req.requester_user_id == user.pk
            or bool(req.resident_id and getattr(user, "resident_id", None) == req.resident_id))


def requester_label(user, req: ServiceRequest) -> str:
    return req.requester_name if sees_requester(user, req) else mask_name(req.requester_name)


# ---- matching ---------------------------------------------------------------------------------------

def _slots(raw) -> tuple[matching.Slot, ...]:
    out = []
    for s in raw or []:
        try:
            out.append(matching.Slot(int(s["weekday"]), dt.time.fromisoformat(s["start"]),
                                     dt.time.fromisoformat(s["end"])))
        except (KeyError, TypeError, ValueError):
            continue
    return tuple(out)


def candidates_for(req: ServiceRequest) -> list[matching.Candidate]:
    """Volunteers serving the request's village (any status: the function says why some are left out)."""
    rows = list(Volunteer.objects.filter(villages=req.village_id).exclude(status=VolunteerStatus.REFUSED)
                .exclude(status=VolunteerStatus.LEFT).select_related("resident__household")
                .prefetch_related("skills", "villages")
                .annotate(load=Count("requests", filter=Q(requests__status__in=OPEN), distinct=True)).distinct())
    out = []
    for v in rows:
        household = v.resident.household if v.resident_id and v.resident.household_id else None
        out.append(matching.Candidate(
            id=v.pk, name=v.name, active=v.status == VolunteerStatus.ACTIVE,
            skills=frozenset(s.pk for s in v.skills.all()), villages=frozenset(u.pk for u in v.villages.all()),
            availability=_slots(v.availability), lat=household.lat if household else None,
            lon=household.lon if household else None, load=v.load))
    return out


def need_for(req: ServiceRequest) -> matching.Need:
    def local(value):
        return timezone.localtime(value).replace(tzinfo=None) if value is not None else None

    household = req.household
    declined = frozenset(req.events.filter(action="decline", volunteer__isnull=False)
                         .values_list("volunteer_id", flat=True))
    return matching.Need(skill=req.skill_id, village=req.village_id, wanted_from=local(req.wanted_from),
                         wanted_to=local(req.wanted_to), lat=household.lat if household else None,
                         lon=household.lon if household else None, declined=declined)


def suggestions_for(req: ServiceRequest, limit: int = 10) -> matching.Result:
    return matching.suggest(need_for(req), candidates_for(req), limit=limit)
