"""A station's (or mobile box's) tally of an election round: counts only.

The election committee (or staff who run the election) enters what the tellers counted once the vote is
closed: ballots issued, returned, valid, invalid and blank, and the votes per person per position (an official
candidate, or a write-in who must be a voter of the roll, named by voter number or by a name unique on the
roll). A correction replaces the station's tally until the result is computed.

Checked here: returned ≤ issued; valid + invalid = returned; blank ≤ valid (a blank ballot is a valid ballot
that gives nobody a vote); the votes for a position ≤ valid × its seats; every person once per position.

**More ballots returned than voters who took part** is *recorded*, not refused — the tally is what the tellers
counted, and refusing it would ask them to write something else. The law voids the election in which more
ballots are cast than voters took part (每次选举所投的票数多于投票人数的无效); we apply it to the whole election
and also to each box: when the result is computed, a station whose returned ballots exceed the check-ins at that
station makes the whole election void, naming the station (`results.compute`), since a box with more ballots
than its voters cannot be told apart from a stuffed one. The entry answers with that warning at once.

The audit row of a tally holds counts only (no voter, no person voted for).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from shanzhi.audit.services import audit_record
from shanzhi.elections import access, counting
from shanzhi.elections.models import (
    Candidate,
    CandidateStatus,
    CommitteeRole,
    Election,
    Result,
    Station,
    Tally,
    TallyLine,
    Voter,
)
from shanzhi.elections.voting import current_round
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError
from shanzhi.lib.parsing import id_or_none, parse_int

COUNT_FIELDS = (("issued", "发出选票"), ("returned", "收回选票"), ("valid", "有效票"), ("invalid", "无效票"),
                ("blank", "空白票"))
MAX_COUNT = 1_000_000


def _refuse(field: str, message: str, code: str = "invalid") -> DomainError:
    return DomainError(message, fields={field: [message]}, code=code)


def round_seats(election: Election, ballot_round: int) -> dict[str, int]:
    """The seats a round elects per position: all of them in round 1, the empty ones in a further round."""
    full = {CommitteeRole.CHAIR: 1, CommitteeRole.VICE_CHAIR: election.vice_chairs,
            CommitteeRole.MEMBER: election.members}
    if ballot_round <= 1:
        return {k.value: v for k, v in full.items()}
    taken: dict[str, int] = {}
    for position in Result.objects.filter(election=election, ballot_round__lt=ballot_round, elected=True) \
            .values_list("position", flat=True):
        taken[position] = taken.get(position, 0) + 1
    return {k.value: max(0, v - taken.get(k.value, 0)) for k, v in full.items()}


@dataclass
class LineIn:
    position: str
    votes: int
    candidate: Candidate | None = None
    write_in: Voter | None = None


def read_lines(election: Election, rows: Iterable[Mapping], *, seats: Mapping[str, int]) -> list[LineIn]:
    """Check the vote lines (`position`, `candidate` id or `write_in` number/name, `votes`), naming the row."""
    out: list[LineIn] = []
    seen: set[tuple[str, int]] = set()
    for i, row in enumerate(rows):
        name = f"lines[{i}]"
        position = str(row.get("position") or "")
        if position not in CommitteeRole.values or not seats.get(position):
            raise _refuse(f"{name}.position", "职位无效或本轮不选该职位")
        votes = parse_int(f"{name}.votes", row.get("votes"), required=True, min_value=0, max_value=MAX_COUNT)
        cand_id, write_in = row.get("candidate"), str(row.get("write_in") or "").strip()
        if cand_id:
            cid = id_or_none(cand_id.pk if isinstance(cand_id, Candidate) else cand_id)
            cand = Candidate.objects.filter(pk=cid, election=election, status=CandidateStatus.OFFICIAL) \
                .first() if cid else None
            if cand is None:
                raise _refuse(f"{name}.candidate", "不是本次选举的正式候选人")
            if cand.position != position:
                raise _refuse(f"{name}.candidate", f"{cand.name}不是{counting.POSITION_NAMES[position]}候选人，"
                                                   f"请按另选他人填写")
            line = LineIn(position, votes, candidate=cand)
            key = cand.voter_id
        elif write_in:
            matches = list(Voter.objects.filter(election=election, removed_at__isnull=True)
                           .filter(Q(number=write_in) | Q(name=write_in))[:2])
            if not matches:
                raise _refuse(f"{name}.write_in", f"“{write_in[:20]}”不是本村（社区）选民名单上的选民，另选他人须为本村选民")
            if len(matches) > 1:
                raise _refuse(f"{name}.write_in", f"选民名单上有多人名为“{write_in[:20]}”，请填写选民证号")
            line = LineIn(position, votes, write_in=matches[0])
            key = matches[0].pk
        else:
            raise _refuse(f"{name}.candidate", "请选择候选人或填写另选他人")
        if (position, key) in seen:
            raise _refuse(name, "同一职位同一人重复填写")
        seen.add((position, key))
        out.append(line)
    return out


def check_counts(counts: Mapping[str, int], lines: list[LineIn], seats: Mapping[str, int]) -> None:
    issued, returned, valid, invalid, blank = (counts[k] for k, _label in COUNT_FIELDS)
    if returned > issued:
        raise _refuse("returned", f"收回选票{returned}张，多于发出选票{issued}张")
    if valid + invalid != returned:
        raise _refuse("valid", f"有效票{valid}张加无效票{invalid}张应等于收回选票{returned}张")
    if blank > valid:
        raise _refuse("blank", f"空白票{blank}张计入有效票，不能多于有效票{valid}张")
    for position, n in seats.items():
        total = sum(line.votes for line in lines if line.position == position)
        if total > valid * n:
            label = counting.POSITION_NAMES[position]
            raise _refuse("lines", f"{label}共得票{total}张，多于有效票{valid}张×应选{n}名")
        over = [line for line in lines if line.position == position and line.votes > valid - blank]
        if over:
            raise _refuse("lines", f"{counting.POSITION_NAMES[position]}某人得票多于有效非空白票数")


@transaction.atomic
def tally_enter(*, actor, station: Station, counts: Mapping[str, object], lines: Iterable[Mapping]) -> Tally:
    """Enter (or correct) a station's tally of the current round once the vote is closed. Returns the tally;
    `tally.warning` names the rule when more ballots were returned than voters checked in at the station."""
    election = Election.objects.select_for_update().get(pk=station.election_id)
    station = Station.objects.get(pk=station.pk)
    from shanzhi.elections.models import Stage

    def state():
        if election.stage not in (Stage.VOTING, Stage.FURTHER) or election.voting_closed_at is None:
            raise _refuse("stage", "投票结束后才能录入计票结果", "state")

    access.require_run(actor, election, what="该投票站", state=state)
    n = current_round(election)
    seats = round_seats(election, n)
    values = {k: parse_int(k, counts.get(k), required=k != "blank", min_value=0, max_value=MAX_COUNT) or 0
              for k, _label in COUNT_FIELDS}
    checked = read_lines(election, lines, seats=seats)
    check_counts(values, checked, seats)
    now = clock.now()
    tally = Tally.objects.filter(station=station, kind=Tally.Kind.ELECTION, ballot_round=n).first()
    before = None
    if tally is None:
        tally = Tally(station=station, kind=Tally.Kind.ELECTION, ballot_round=n)
    else:
        before = {k: getattr(tally, k) for k, _label in COUNT_FIELDS}
        tally.lines.all().delete()
    for k, v in values.items():
        setattr(tally, k, v)
    tally.entered_by = actor if getattr(actor, "pk", None) else None
    tally.entered_at = now
    tally.save()
    TallyLine.objects.bulk_create([
        TallyLine(tally=tally, position=line.position, candidate=line.candidate, votes=line.votes,
                  write_in=line.write_in, write_in_name=line.write_in.name if line.write_in else "")
        for line in checked])
    participated = station.participations.filter(ballot_round=n).count()
    votes = {p: sum(line.votes for line in checked if line.position == p) for p in seats}
    audit_record(actor=actor, action="elections.tally.enter", obj=tally, unit_path=election.unit.path,
                 object_repr=f"{station.name} 第{n}轮", before=before,
                 after={**values, "round": n, "participated": participated, "lines": len(checked), "votes": votes})
    tally.warning = counting.tally_void(values["returned"], participated)
    if tally.warning:
        tally.warning = f"{station.name}：{tally.warning}（计算结果时将认定本次选举无效）"
    return tally
