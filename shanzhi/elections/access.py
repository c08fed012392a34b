"""Who stands where in an election: the town and county run and follow them, a village's election
committee runs its own election, a station's clerks check voters in. Services ask here, then the one gate
(`scopes.require(..., granted=..., visible=...)`); nothing else decides.
"""

from __future__ import annotations

from django.db.models import Q

from shanzhi.accounts import scopes
from shanzhi.elections.models import CommitteeMember, Election, StaffRole, Station, StationStaff


def _resident_id(user) -> int | None:
    return getattr(user, "resident_id", None) if getattr(user, "is_authenticated", False) else None


def committee_member_for(user, election: Election) -> CommitteeMember | None:
    """The user's current seat on the election's committee (through their resident record), or None."""
    rid = _resident_id(user)
    if rid is None:
        return None
    return election.committee.filter(resident_id=rid, left_on__isnull=True).first()


def is_committee(user, election: Election) -> bool:
    return committee_member_for(user, election) is not None


def clerk_q(user) -> Q:
    """Q for StationStaff rows that make the user a clerk (as a staff user or through their resident)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    q = Q(user_id=user.pk)
    if _resident_id(user):
        q |= Q(resident_id=user.resident_id)
    return q & Q(role=StaffRole.CLERK)


def is_clerk(user, station: Station) -> bool:
    return StationStaff.objects.filter(clerk_q(user), station=station).exists()


def may_see(actor, election: Election) -> bool:
    """Staff in scope, the election's committee and its stations' clerks see the election's desk pages."""
    if actor is None:
        return True
    return (scopes.may(actor, "elections.view", election.unit) or is_committee(actor, election)
            or StationStaff.objects.filter(clerk_q(actor), station__election=election).exists())


def require_run(actor, election: Election, *, what: str = "该选举", state=None) -> None:
    """Town and county staff in scope, or the election's own committee: 404 when the actor cannot see it,
    then the state check, then 403."""
    scopes.require(actor, "elections.run", election.unit, what=what,
                   granted=is_committee(actor, election) if actor is not None else False,
                   visible=may_see(actor, election), state=state)


def require_view(actor, election: Election, *, what: str = "该选举") -> None:
    scopes.require(actor, "elections.view", election.unit, what=what, granted=may_see(actor, election))


def require_clerk(actor, station: Station, *, what: str = "该投票站", state=None) -> None:
    """Check-in at a station: its clerks, the election's committee, and staff who run the election."""
    election = station.election
    granted = actor is not None and (is_clerk(actor, station) or is_committee(actor, election)
                                     or scopes.may(actor, "elections.run", election.unit))
    scopes.require(actor, "elections.clerk", election.unit, what=what, granted=granted,
                   visible=may_see(actor, election), state=state)


def visible_elections_q(user, field: str = "") -> Q:
    """Q for Election rows (through `field`) the user may see on desk pages."""
    pre = f"{field}__" if field else ""
    if scopes.covers_all(user, "elections.view"):
        return Q()
    q = scopes.scope_q(user, "elections.view", f"{pre}unit")
    rid = _resident_id(user)
    if rid:
        q |= Q(**{f"{pre}id__in": CommitteeMember.objects.filter(resident_id=rid, left_on__isnull=True)
                  .values("election_id")})
    q |= Q(**{f"{pre}id__in": StationStaff.objects.filter(clerk_q(user)).values("station__election_id")})
    return q
