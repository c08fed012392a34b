"""Election day: opening and closing the vote, check-in at a station, and the live turnout.

A check-in records that a voter took part (a ballot was issued to them, or to their approved proxy) at a
station, and when: a `Participation` row, never how they voted. One ballot per voter and ballot round is the
unique constraint (voter, ballot_round), so two clerks scanning the same card at once give one check-in and a
clear refusal naming where and when the ballot was issued (race-tested on PostgreSQL).

Rounds: round 1 is voted on election day only (`rules.require_election_day`); a further round (另行选举,
stage FURTHER, ballot round 2, 3, ...) is opened on election day or later, when the committee holds it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from shanzhi.audit.services import audit_record
from shanzhi.elections import access, rules
from shanzhi.elections.models import (
    CandidateStatus,
    Election,
    Participation,
    Proxy,
    Result,
    Stage,
    Station,
    Voter,
)
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError
from shanzhi.org.models import OrgUnit

OPEN_STAGES = (Stage.VOTING, Stage.FURTHER)


def _refuse(field: str, message: str, code: str = "invalid") -> DomainError:
    return DomainError(message, fields={field: [message]}, code=code)


def current_round(election: Election) -> int:
    """The ballot round being voted or counted: 1, or one more than the last counted round in a further round."""
    if election.stage != Stage.FURTHER:
        return 1
    last = Result.objects.filter(election=election).aggregate(n=Max("ballot_round"))["n"] or 1
    return last + 1


def is_open(election: Election) -> bool:
    return (election.stage in OPEN_STAGES and election.voting_opened_at is not None
            and election.voting_closed_at is None)


def _local(at: dt.datetime) -> str:
    return timezone.localtime(at).strftime("%H:%M")


# ---- opening and closing ---------------------------------------------------------------------------------

@transaction.atomic
def voting_open(*, actor, election: Election, now: dt.datetime | None = None) -> Election:
    """Open the vote: the committee or staff who run the election; round 1 on election day, once the official
    candidates are published and every station is ready (its scrutineers); a further round on or after it."""
    now = now or clock.now()
    election = Election.objects.select_for_update().get(pk=election.pk)

    def state():
        if election.stage == Stage.CANDIDATES_PUBLISHED:
            rules.require_election_day(election, now)
            if election.candidates_published_at is None or not election.candidates.filter(
                    status=CandidateStatus.OFFICIAL).exists():
                raise _refuse("candidates", "正式候选人名单尚未公布，不能开始投票", "state")
        elif election.stage == Stage.FURTHER and election.voting_opened_at is None:
            if timezone.localdate(now) < election.election_day:
                raise _refuse("election_day", "另行选举不能早于选举日", "state")
        else:
            raise _refuse("stage", f"选举处于“{Stage(election.stage).label}”阶段，不能开始投票", "state")
        if not election.stations.exists():
            raise _refuse("stations", "尚未设立投票站，不能开始投票", "state")
        from shanzhi.elections.stations import require_ready

        require_ready(election)  # every station and box with its scrutineers

    access.require_run(actor, election, state=state)
    first = election.stage == Stage.CANDIDATES_PUBLISHED
    if first:
        election.stage = Stage.VOTING
    election.voting_opened_at, election.voting_closed_at = now, None
    election.updated_at = now
    election.save(update_fields=["stage", "voting_opened_at", "voting_closed_at", "updated_at"])
    audit_record(actor=actor, action="elections.voting.open", obj=election, unit_path=election.unit.path,
                 after={"round": current_round(election)})
    return election


@transaction.atomic
def voting_close(*, actor, election: Election, now: dt.datetime | None = None) -> Election:
    """Close the vote (the ballot boxes are opened and counted next)."""
    now = now or clock.now()
    election = Election.objects.select_for_update().get(pk=election.pk)

    def state():
        if not is_open(election):
            raise _refuse("stage", "投票尚未开始或已经结束", "state")

    access.require_run(actor, election, state=state)
    election.voting_closed_at = now
    election.updated_at = now
    election.save(update_fields=["voting_closed_at", "updated_at"])
    audit_record(actor=actor, action="elections.voting.close", obj=election, unit_path=election.unit.path,
                 after={"round": current_round(election),
                        "participated": election.participations.filter(
                            ballot_round=current_round(election)).count()})
    return election


# ---- check-in ------------------------------------------------------------------------------------------

def _already(voter: Voter, ballot_round: int) -> DomainError:
    p = (Participation.objects.select_related("station", "by_proxy")
         .filter(voter=voter, ballot_round=ballot_round).first())
    if p is None:  # cannot happen after the constraint said so; answer plainly
        return _refuse("voter", f"{voter.name}（{voter.number}）已经领取过选票", "already")
    how = f"，由受托人{p.by_proxy.name}代领" if p.by_proxy_id else ""
    msg = f"{voter.name}（{voter.number}）已于{_local(p.at)}在{p.station.name}领取选票{how}，不能重复领取"
    return _refuse("voter", msg, "already")


def _find(station: Station, card_token: str | None, voter: Voter | None) -> Voter:
    if voter is not None:
        if voter.election_id != station.election_id:
            raise _refuse("voter", "该选民不在本村（社区）选民名单上", "not_on_roll")
        return Voter.objects.get(pk=voter.pk)
    token = (card_token or "").strip()
    if not token:
        raise _refuse("card_token", "请扫描选民证或按姓名、选民证号查找选民")
    found = Voter.objects.filter(card_token=token[:32]).first() if len(token) <= 32 else None
    if found is None or found.election_id != station.election_id:
        raise _refuse("card_token", "未找到该选民证：不是本村（社区）选民名单上的选民", "not_on_roll")
    return found


@transaction.atomic
def checkin(*, actor, station: Station, card_token: str | None = None, voter: Voter | None = None,
            by_proxy: Voter | None = None, now: dt.datetime | None = None) -> Participation:
    """Issue a ballot to a voter (found by the card's token, or picked by name/number) at a station, or to their
    approved proxy. Records that the voter took part, never how."""
    now = now or clock.now()
    election = Election.objects.get(pk=station.election_id)
    station.election = election

    def state():
        if not is_open(election):
            raise _refuse("stage", "投票尚未开始或已经结束", "state")
        if election.stage == Stage.VOTING:
            rules.require_election_day(election, now)

    access.require_clerk(actor, station, state=state)
    ballot_round = current_round(election)
    entry = _find(station, card_token, voter)
    if entry.removed_at is not None:
        raise _refuse("voter", f"{entry.name}（{entry.number}）已从选民名单除名：{entry.removed_reason or '—'}",
                      "removed")
    entrustment = Proxy.objects.filter(grantor=entry, approved_at__isnull=False, revoked_at__isnull=True) \
        .select_related("proxy").first()
    if by_proxy is not None:
        if entrustment is None or entrustment.proxy_id != by_proxy.pk:
            raise _refuse("by_proxy", f"{by_proxy.name}不是{entry.name}经批准的受托人，不能代领选票", "proxy")
        if by_proxy.removed_at is not None:
            raise _refuse("by_proxy", f"受托人{by_proxy.name}已从选民名单除名，不能代领选票", "proxy")
    try:
        with transaction.atomic():
            p = Participation.objects.create(election=election, voter=entry, station=station,
                                             ballot_round=ballot_round, by_proxy=by_proxy, at=now,
                                             clerk=actor if getattr(actor, "pk", None) else None)
    except IntegrityError:
        raise _already(entry, ballot_round) from None
    audit_record(actor=actor, action="elections.checkin", obj=p, unit_path=election.unit.path,
                 object_repr=f"{entry.number} {station.name}",
                 after={"station": station.pk, "round": ballot_round, "by_proxy": by_proxy is not None})
    return p


def find_voters(*, actor, station: Station, query: str, limit: int = 20) -> list[dict]:
    """Voters of the station's election found by number or name (for a voter without a card), each with
    whether they already took part in the current round and their approved proxy if any."""
    access.require_clerk(actor, station)
    q = (query or "").strip()[:50]
    if not q:
        raise _refuse("q", "请输入姓名或选民证号")
    election = station.election
    ballot_round = current_round(election)
    voters = list(Voter.objects.filter(election=election).filter(Q(number=q) | Q(name__contains=q))
                  .select_related("micro_grid").order_by("number")[:limit])
    done = set(Participation.objects.filter(voter__in=voters, ballot_round=ballot_round)
               .values_list("voter_id", flat=True))
    proxies = {p.grantor_id: p.proxy for p in Proxy.objects.filter(
        grantor__in=voters, approved_at__isnull=False, revoked_at__isnull=True).select_related("proxy")}
    return [{"voter": v, "done": v.pk in done, "proxy": proxies.get(v.pk), "removed": v.removed_at is not None}
            for v in voters]


# ---- turnout --------------------------------------------------------------------------------------------

@dataclass
class TurnoutRow:
    name: str
    roll: int
    voted: int

    @property
    def rate(self) -> float:
        return round(100 * self.voted / self.roll, 1) if self.roll else 0.0


@dataclass
class Turnout:
    ballot_round: int
    roll: int
    voted: int
    stations: list[TurnoutRow]
    grids: list[TurnoutRow]

    @property
    def rate(self) -> float:
        return round(100 * self.voted / self.roll, 1) if self.roll else 0.0


def _grid_path(path: str) -> str:
    """The grid's path of a unit under it (county/town/village/grid/...)."""
    return "".join(part + "/" for part in path.split("/")[:4])


def turnout(election: Election, ballot_round: int | None = None) -> Turnout:
    """Participation against the roll, per station (its own check-ins against the voters of its area) and per
    grid (by the voters' micro-grids). A constant number of queries (five), whatever the size of the roll."""
    n = ballot_round or current_round(election)
    roll_by_mg = list(Voter.objects.filter(election=election, removed_at__isnull=True)
                      .values("micro_grid__path").annotate(n=Count("id")).order_by())
    voted_by_mg = list(Participation.objects.filter(election=election, ballot_round=n)
                       .values("voter__micro_grid__path").annotate(n=Count("id")).order_by())
    voted_by_station = dict(Participation.objects.filter(election=election, ballot_round=n)
                            .values_list("station_id").annotate(n=Count("id")).order_by())
    stations = list(Station.objects.filter(election=election).order_by("kind", "id")
                    .values("id", "name", "units__path"))
    roll_by_grid: dict[str, int] = {}
    voted_by_grid: dict[str, int] = {}
    for row in roll_by_mg:
        key = _grid_path(row["micro_grid__path"] or "")
        roll_by_grid[key] = roll_by_grid.get(key, 0) + row["n"]
    for row in voted_by_mg:
        key = _grid_path(row["voter__micro_grid__path"] or "")
        voted_by_grid[key] = voted_by_grid.get(key, 0) + row["n"]
    names = dict(OrgUnit.objects.filter(path__in=[p for p in roll_by_grid if p]).values_list("path", "name"))
    grids = [TurnoutRow(names.get(path, "（未分网格）"), roll_by_grid[path], voted_by_grid.get(path, 0))
             for path in sorted(roll_by_grid)]
    by_station: dict[int, dict] = {}
    for row in stations:
        s = by_station.setdefault(row["id"], {"name": row["name"], "paths": []})
        if row["units__path"]:
            s["paths"].append(row["units__path"])
    rows = []
    for sid, s in by_station.items():
        area = sum(r["n"] for r in roll_by_mg if r["micro_grid__path"]
                   and any(r["micro_grid__path"].startswith(p) for p in s["paths"]))
        rows.append(TurnoutRow(s["name"], area, voted_by_station.get(sid, 0)))
    roll = sum(r["n"] for r in roll_by_mg)
    voted = sum(voted_by_station.values())
    return Turnout(n, roll, voted, rows, grids)
