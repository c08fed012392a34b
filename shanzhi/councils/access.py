"""Who stands where in a council: membership, officers, and the object-level grants the gate takes.

Every councils service asks here and then the one gate (`shanzhi.accounts.scopes.require`): a council's
chair, vice-chair or secretary runs their own council like a cadre of its unit; a resident of the village
sees and takes part in its councils. Nothing else decides.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from shanzhi.accounts import scopes
from shanzhi.cases.selectors import resident_village
from shanzhi.councils.models import Council, Member, Position
from shanzhi.lib import clock
from shanzhi.org.models import OrgUnit

OFFICERS = (Position.CHAIR, Position.VICE_CHAIR, Position.SECRETARY)


def current_q(on: dt.date | None = None, field: str = "") -> Q:
    """Q for Member rows (through `field`) whose term is current on `on` (today by default)."""
    on = on or clock.today()  # the local (Asia/Shanghai) day
    pre = f"{field}__" if field else ""
    return (Q(**{f"{pre}started_on__lte": on})
            & (Q(**{f"{pre}ended_on__isnull": True}) | Q(**{f"{pre}ended_on__gt": on})))


def current_members(council: Council, on: dt.date | None = None):
    return council.members.filter(current_q(on))


def holder_q(user, field: str = "") -> Q:
    """Q for Member rows held by this user, as a staff user or through their resident record."""
    pre = f"{field}__" if field else ""
    q = Q(**{f"{pre}user_id": user.pk})
    if getattr(user, "resident_id", None):
        q |= Q(**{f"{pre}resident_id": user.resident_id})
    return q


def member_for(user, council: Council, on: dt.date | None = None) -> Member | None:
    """The user's current membership of the council, or None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return current_members(council, on).filter(holder_q(user)).order_by("position", "id").first()


def is_officer(user, council: Council) -> bool:
    member = member_for(user, council)
    return member is not None and member.position in OFFICERS


def home_village(user) -> OrgUnit | None:
    """The village (or community) of a resident user's household."""
    return resident_village(user)


def is_local(user, council: Council) -> bool:
    """Is the user a resident living under the council's unit (a village's resident for a village
    council, any resident of the town for a town council)?"""
    village = home_village(user)
    return village is not None and village.path.startswith(council.unit.path)


def may_run(actor, council: Council) -> bool:
    """May the actor set up and run this council (cadres of its unit and above, or its officers)?"""
    if actor is None:
        return True
    return scopes.may(actor, "councils.run", council.unit) or is_officer(actor, council)


def may_see(actor, council: Council) -> bool:
    """Staff in scope, members, and residents who live under the council's unit see a council."""
    if actor is None:
        return True
    return (scopes.may(actor, "councils.view", council.unit) or is_local(actor, council)
            or member_for(actor, council) is not None)


def require_run(actor, council: Council, *, what: str = "该议事组织", state=None) -> None:
    """The gate for running a council: 404 when the actor cannot see it, then the state check, then 403."""
    scopes.require(actor, "councils.run", council.unit, what=what, granted=is_officer(actor, council)
                   if actor is not None else False, visible=may_see(actor, council), state=state)


def require_see(actor, council: Council, *, what: str = "该议事组织") -> None:
    scopes.require(actor, "councils.view", council.unit, what=what, granted=may_see(actor, council))


def visible_councils_q(user, field: str = "") -> Q:
    """Q for Council rows (through `field`) the user may see: staff scope, their village and above
    (a resident sees their village's and their town's councils), and councils they belong to."""
    pre = f"{field}__" if field else ""
    q = Q(**{f"{pre}unit_id__in": OrgUnit.objects.filter(scopes.scope_q(user, "councils.view")).values("id")})
    if scopes.covers_all(user, "councils.view"):
        return Q()
    village = home_village(user)
    if village is not None:
        q |= Q(**{f"{pre}unit__code__in": village.ancestor_codes})
    if getattr(user, "is_authenticated", False):
        q |= Q(**{f"{pre}id__in": Member.objects.filter(current_q(), holder_q(user)).values("council_id")})
    return q
