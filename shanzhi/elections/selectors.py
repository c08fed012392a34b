"""Reads for the set-up and roll pages, scoped through `access` (what a user may not see is "not found")."""

from __future__ import annotations

from django.db.models import Count, Q

from shanzhi.accounts import scopes
from shanzhi.elections import access
from shanzhi.elections.models import (
    Basis,
    CommitteeMember,
    Election,
    Objection,
    RightsSuspension,
    Round,
    Voter,
)
from shanzhi.lib.errors import NotFound
from shanzhi.lib.parsing import id_or_none
from shanzhi.org.models import Level, OrgUnit


def rounds_for(user):
    """Rounds where the user sees the county's elections, or at least one election."""
    visible = Election.objects.filter(access.visible_elections_q(user)).values("round_id")
    q = Q(id__in=visible)
    if scopes.may_somewhere(user, "elections.view"):
        q |= scopes.scope_q(user, "elections.view", "unit")
    return Round.objects.select_related("unit", "rules").filter(q)


def round_get_for(user, pk) -> Round:
    rnd = rounds_for(user).filter(pk=id_or_none(pk) or 0).first()
    if rnd is None:
        raise NotFound("未找到该换届")
    return rnd


def elections_of(user, rnd: Round):
    return (Election.objects.filter(round=rnd).filter(access.visible_elections_q(user))
            .select_related("unit", "unit__parent", "round__rules")
            .annotate(voter_count=Count("voters", filter=Q(voters__removed_at__isnull=True)))
            .order_by("unit__path"))


def election_get_for(user, pk) -> Election:
    election = Election.objects.select_related("unit", "round__rules", "round__unit").filter(
        pk=id_or_none(pk) or 0).first()
    if election is None:
        raise NotFound("未找到该选举")
    access.require_view(user, election)
    return election


def may_run(user, election: Election) -> bool:
    return scopes.may(user, "elections.run", election.unit) or access.is_committee(user, election)


def committee_of(election: Election) -> tuple[list[CommitteeMember], list[CommitteeMember]]:
    rows = list(election.committee.order_by("left_on", "role", "id"))
    return [m for m in rows if m.left_on is None], [m for m in rows if m.left_on is not None]


def member_get_for(user, pk) -> CommitteeMember:
    member = CommitteeMember.objects.select_related("election__unit", "election__round__rules").filter(
        pk=id_or_none(pk) or 0).first()
    if member is None:
        raise NotFound("未找到该成员")
    access.require_view(user, member.election, what="该成员")
    return member


def voter_get_for(user, pk) -> Voter:
    voter = Voter.objects.select_related("election__unit", "election__round__rules", "micro_grid").filter(
        pk=id_or_none(pk) or 0).first()
    if voter is None:
        raise NotFound("未找到该选民")
    access.require_view(user, voter.election, what="该选民")
    return voter


def objection_get_for(user, pk) -> Objection:
    o = Objection.objects.select_related("election__unit", "election__round__rules", "about").filter(
        pk=id_or_none(pk) or 0).first()
    if o is None:
        raise NotFound("未找到该异议")
    access.require_view(user, o.election, what="该异议")
    return o


def grids_of(election: Election) -> list[OrgUnit]:
    """The grids and micro-grids of the village, for the roll's filters and per-grid prints."""
    return list(OrgUnit.objects.filter(path__startswith=election.unit.path,
                                       level__in=(Level.GRID, Level.MICROGRID, Level.COMPOUND))
                .order_by("path"))


def area_of(election: Election, code: str) -> OrgUnit | None:
    """A grid or micro-grid of the village by its code ("" or unknown: None)."""
    code = (code or "").strip()[:20]
    if not code:
        return None
    return OrgUnit.objects.filter(code=code, path__startswith=election.unit.path).exclude(pk=election.unit_id).first()


def voters_of(election: Election, *, area: OrgUnit | None = None, basis: str = "", status: str = "current",
              q: str = ""):
    qs = Voter.objects.filter(election=election).select_related("micro_grid")
    if area is not None:
        qs = qs.filter(micro_grid__path__startswith=area.path)
    if basis in Basis.values:
        qs = qs.filter(basis=basis)
    if status == "removed":
        qs = qs.filter(removed_at__isnull=False)
    elif status != "all":
        qs = qs.filter(removed_at__isnull=True)
    q = (q or "").strip()[:50]
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(number=q))
    return qs.order_by("number")


def roll_counts(election: Election) -> dict:
    agg = Voter.objects.filter(election=election).aggregate(
        current=Count("id", filter=Q(removed_at__isnull=True)),
        removed=Count("id", filter=Q(removed_at__isnull=False)),
        women=Count("id", filter=Q(removed_at__isnull=True, sex="F")),
        **{b: Count("id", filter=Q(removed_at__isnull=True, basis=b)) for b in Basis.values})
    agg["by_grid"] = list(
        Voter.objects.filter(election=election, removed_at__isnull=True).values("micro_grid__name", "micro_grid__code")
        .annotate(n=Count("id")).order_by("micro_grid__code"))
    return agg


def suspensions_for(user):
    """Suspensions of residents living where the user runs elections."""
    qs = RightsSuspension.objects.select_related("resident__household__micro_grid").order_by("-recorded_at")
    if scopes.covers_all(user, "elections.run"):
        return qs
    prefixes = scopes.paths_for(user, "elections.run")
    if not prefixes:
        return qs.none()
    q = Q(pk__in=[])
    for p in prefixes:
        q |= Q(resident__household__micro_grid__path__startswith=p)
    return qs.filter(q)


def suspension_get_for(user, pk) -> RightsSuspension:
    s = suspensions_for(user).filter(pk=id_or_none(pk) or 0).first()
    if s is None:
        raise NotFound("未找到该记录")
    return s
