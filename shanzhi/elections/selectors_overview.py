"""What the county and its towns see of all their elections: the stage of each village, the statutory dates
at risk (`rules.at_risk`), the roll and turnout, counts per stage. Read by the overview page, the REST API,
the dashboard's indicators and the bench; scoped by `access.visible_elections_q` (out of scope: not there).

Cost: a constant number of queries whatever the number of elections (the roll and the participations are
counted by correlated subqueries on their indexes, the stage counts by one grouped query).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from shanzhi.elections.access import visible_elections_q
from shanzhi.elections.models import Election, Participation, Round, Stage, Voter
from shanzhi.elections.rules import at_risk, schedule
from shanzhi.lib.errors import NotFound
from shanzhi.org.models import Level, OrgUnit

# stages where the ballot has been cast (turnout means something)
VOTED = (Stage.VOTING, Stage.COUNTED, Stage.FURTHER, Stage.CERTIFIED, Stage.VOID)


def _count(model, **filters) -> Subquery:
    rows = (model.objects.filter(election_id=OuterRef("pk"), **filters).order_by().values("election_id")
            .annotate(c=Count("id")).values("c"))
    return Coalesce(Subquery(rows[:1], output_field=IntegerField()), Value(0))


def with_counts(rows: QuerySet[Election]) -> QuerySet[Election]:
    """Elections with `roll_count` (entries not removed) and `voted_count` (voters who took part in the first
    ballot round), each a correlated subquery on an index."""
    return rows.annotate(roll_count=_count(Voter, removed_at__isnull=True),
                         voted_count=_count(Participation, ballot_round=1))


def election_list_for(*, user, round_id: int | None = None, town: OrgUnit | None = None,
                      stage: str = "") -> QuerySet[Election]:
    """Elections the user may see (desk visibility), by round, town and stage, in unit order."""
    rows = (Election.objects.filter(visible_elections_q(user)).select_related("unit__parent", "round__rules")
            .defer("unit__boundary", "unit__parent__boundary"))  # the shapes are large and not shown
    if round_id:
        rows = rows.filter(round_id=round_id)
    if town is not None:
        rows = rows.filter(unit__path__startswith=town.path)
    if stage:
        rows = rows.filter(stage=stage)
    return rows.order_by("unit__path")


def election_get_for(*, user, pk: int) -> Election:
    """One election the user may see, or NotFound (the same as a missing one)."""
    found = with_counts(election_list_for(user=user)).filter(pk=pk).first()
    if found is None:
        raise NotFound("未找到该选举")
    return found


def round_list_for(*, user) -> QuerySet[Round]:
    """Rounds with at least one election the user may see, newest first."""
    ids = Election.objects.filter(visible_elections_q(user)).values("round_id")
    return (Round.objects.filter(id__in=ids).select_related("unit", "rules").defer("unit__boundary")
            .order_by("-election_day", "-id"))


def round_get_for(*, user, pk: int) -> Round:
    found = round_list_for(user=user).filter(pk=pk).first()
    if found is None:
        raise NotFound("未找到该换届")
    return found


def towns_for(*, user, round_id: int | None = None) -> list[OrgUnit]:
    """The towns above the elections the user may see (the overview's town filter)."""
    rows = Election.objects.filter(visible_elections_q(user))
    if round_id:
        rows = rows.filter(round_id=round_id)
    ids = rows.values("unit__parent_id")
    return list(OrgUnit.objects.filter(id__in=ids, level=Level.TOWN).defer("boundary").order_by("path"))


def turnout(voted: int, roll: int) -> float | None:
    return voted / roll if roll else None


@dataclass
class Row:
    """One election on the overview."""

    election: Election
    roll: int
    voted: int
    turnout: float | None
    risks: list[str]
    roll_by: dt.date
    candidates_by: dt.date

    @property
    def town(self) -> OrgUnit | None:
        return self.election.unit.parent


@dataclass
class Overview:
    rounds: list[Round]
    round: Round | None
    towns: list[OrgUnit]
    stage_counts: list[tuple[str, str, int]]  # (stage, label, count) in the stages' order
    rows: list[Row]
    total: int
    at_risk: int
    roll: int
    voted: int
    extra: dict = field(default_factory=dict)

    @property
    def turnout(self) -> float | None:
        return turnout(self.voted, self.roll)


def overview(*, user, today: dt.date, round_id: int | None = None, town: OrgUnit | None = None,
             town_code: str = "", stage: str = "", risky_only: bool = False) -> Overview:
    """The overview of the user's elections in a round (the newest they see by default), in one town (given,
    or by its code among the user's towns: `extra["town_unknown"]` when none has it, and no town filter).
    The stage counts take the round and town filters, not the stage filter (so they read as the stage
    filter's choices). Cost: a constant number of queries whatever the number of elections."""
    rounds = list(round_list_for(user=user))
    chosen = next((r for r in rounds if r.pk == round_id), None) if round_id else (rounds[0] if rounds else None)
    if round_id and chosen is None:
        raise NotFound("未找到该换届")
    if chosen is None:
        return Overview(rounds, None, [], _stage_counts({}), [], 0, 0, 0, 0)
    towns = towns_for(user=user, round_id=chosen.pk)
    extra = {}
    if town_code and town is None:
        town = next((t for t in towns if t.code == town_code), None)
        extra["town_unknown"] = town is None
    base = election_list_for(user=user, round_id=chosen.pk, town=town)
    counts = dict(base.order_by().values_list("stage").annotate(n=Count("id")))
    rows = []
    for e in with_counts(base.filter(stage=stage) if stage else base):
        s = schedule(e, chosen.rules)
        e.round = chosen  # one Round (and its rules) for every row: at_risk reads e.round.rules
        risks = at_risk(e, today) if e.stage not in (Stage.CERTIFIED, Stage.VOID) else []
        rows.append(Row(e, e.roll_count, e.voted_count, turnout(e.voted_count, e.roll_count)
                        if e.stage in VOTED else None, risks, s.roll_by, s.candidates_by))
    risky = sum(1 for r in rows if r.risks)
    if risky_only:
        rows = [r for r in rows if r.risks]
    voted_rows = [r for r in rows if r.election.stage in VOTED]
    return Overview(rounds, chosen, towns, _stage_counts(counts), rows, len(rows), risky,
                    sum(r.roll for r in voted_rows), sum(r.voted for r in voted_rows), {**extra, "town": town})


def _stage_counts(counts: dict[str, int]) -> list[tuple[str, str, int]]:
    return [(value, label, counts.get(value, 0)) for value, label in Stage.choices]


def visible_units_q(user, field: str = "election") -> Q:
    """Q for rows whose election the user may see (candidates, results)."""
    return visible_elections_q(user, field)
