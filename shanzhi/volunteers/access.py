"""Who stands where in the service teams: the volunteer's own record, team leaders, and the grants the
gate takes.

A village's (or town's) service team is the `councils.Council` of type `service` at that unit; its current
members are its volunteers and its chair is the team leader. A leader runs their own team (assigns its
requests, organises its activities) like a cadre of its unit: the object-level grant passed to
`scopes.require`. Nothing else decides.
"""

from __future__ import annotations

from django.db.models import Q

from shanzhi.accounts import scopes
from shanzhi.cases.selectors import resident_village
from shanzhi.councils import access as council_access
from shanzhi.councils.models import Council, Member
from shanzhi.org.models import OrgUnit
from shanzhi.volunteers.models import Volunteer

SERVICE_TYPE = "service"


def volunteer_for(user) -> Volunteer | None:
    """The user's volunteer record (as a staff user or through their resident record), or None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    q = Q(user_id=user.pk)
    if getattr(user, "resident_id", None):
        q |= Q(resident_id=user.resident_id)
    return Volunteer.objects.filter(q).select_related("village").first()


def home_village(user) -> OrgUnit | None:
    """The village of a resident user's household (None for staff without a resident record)."""
    return resident_village(user)


def team_at(unit: OrgUnit) -> Council | None:
    """The service team of a unit (a village's or a town's), or None if it has none yet."""
    return Council.objects.filter(type__code=SERVICE_TYPE, unit=unit, is_active=True).select_related("unit").first()


def teams_q(field: str = "") -> Q:
    pre = f"{field}__" if field else ""
    return Q(**{f"{pre}type__code": SERVICE_TYPE})


def is_leader(user, team: Council) -> bool:
    """Is the user a current chair (or vice-chair, secretary) of this team?"""
    return user is not None and council_access.is_officer(user, team)


def led_teams_q(user) -> Q:
    """Q for the service-team Councils the user currently leads."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    return Q(id__in=Member.objects.filter(council_access.current_q(), council_access.holder_q(user),
                                          council__type__code=SERVICE_TYPE,
                                          position__in=council_access.OFFICERS).values("council_id"))


def leads_at(user, unit: OrgUnit) -> bool:
    """Does the user lead the team of this unit or of a unit above it (a town team's leader helps its
    villages)?"""
    return Council.objects.filter(led_teams_q(user), unit__code__in=unit.ancestor_codes).exists()


def require_run(actor, unit: OrgUnit, *, what: str = "该服务团", state=None) -> None:
    """The gate for running the service at a unit: cadres in scope, or the leader of its team (or above)."""
    if actor is None:
        scopes.require(None, "volunteers.run", unit, what=what, state=state)
        return
    lead = leads_at(actor, unit)
    scopes.require(actor, "volunteers.run", unit, what=what, granted=lead,
                   visible=lead or scopes.may(actor, "volunteers.view", unit), state=state)


def require_view(actor, unit: OrgUnit, *, what: str = "该服务团") -> None:
    lead = actor is not None and leads_at(actor, unit)
    scopes.require(actor, "volunteers.view", unit, what=what, granted=lead)
