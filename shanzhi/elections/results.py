"""The result of an election: computed when every station is tallied, announced at once (the public page
`elections:result` for the village's residents and staff, with the scrutineers' and tellers' names), a further
round (另行选举) started for empty seats, and certified: each winner gets their post.

**Certification** (`certify`) is done by those who run the election (town staff, the village's election
committee). The winners' posts are given through the appointment service `org.services.post_appoint` (role
committee_chair / committee_vice / committee_member at the village, held by the winner's resident record, from
the certified date), and the previous committee's posts of those roles at the village are ended the day before
(`post_end`). The appointments are made as the certifying user when they may appoint at the village
(`org.posts`: town staff, the county), otherwise as the system (`actor=None`) — a village election committee
certifies by law but holds no appointing post; the certification itself is gated and audited with the real
actor, and the audit rows of the posts say they came from it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Sum

from shanzhi.accounts import scopes
from shanzhi.audit.services import audit_record
from shanzhi.elections import access, counting
from shanzhi.elections.models import (
    Candidate,
    CommitteeRole,
    Election,
    Participation,
    Result,
    StaffRole,
    Stage,
    Station,
    StationStaff,
    Tally,
    TallyLine,
    Voter,
)
from shanzhi.elections.tally import round_seats
from shanzhi.elections.voting import current_round
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, NotFound
from shanzhi.org.models import Post, Role
from shanzhi.org.services import post_appoint, post_end

POST_ROLES = {CommitteeRole.CHAIR: Role.COMMITTEE_CHAIR, CommitteeRole.VICE_CHAIR: Role.COMMITTEE_VICE,
              CommitteeRole.MEMBER: Role.COMMITTEE_MEMBER}
FURTHER_MARK = "（" + counting.NOTE_FURTHER + "）"
PUBLISHED_STAGES = (Stage.COUNTED, Stage.FURTHER, Stage.CERTIFIED, Stage.VOID)


def _refuse(field: str, message: str, code: str = "state") -> DomainError:
    return DomainError(message, fields={field: [message]}, code=code)


def _women_reserved(election: Election, ballot_round: int, seats: dict[str, int]) -> int:
    if ballot_round <= 1:
        return 0
    women = Result.objects.filter(election=election, ballot_round__lt=ballot_round, elected=True,
                                  sex=counting.FEMALE).count()
    return max(0, min(election.min_women - women, seats.get(CommitteeRole.MEMBER, 0)))


@transaction.atomic
def compute(*, actor, election: Election) -> counting.Outcome:
    """Count the current round over the summed station tallies (every station tallied), write its Result rows
    and move the election on: COUNTED, FURTHER (empty seats: another round) or VOID (with the reason)."""
    election = Election.objects.select_for_update().get(pk=election.pk)
    n = current_round(election)
    stations = list(Station.objects.filter(election=election).order_by("kind", "id"))
    tallies = {t.station_id: t for t in Tally.objects.filter(station__election=election, kind=Tally.Kind.ELECTION,
                                                             ballot_round=n)}

    def state():
        if election.stage not in (Stage.VOTING, Stage.FURTHER) or election.voting_closed_at is None:
            raise _refuse("stage", "投票结束并录入全部计票结果后才能计算选举结果")
        missing = [s.name for s in stations if s.pk not in tallies]
        if missing:
            raise _refuse("tally", f"以下投票站（票箱）尚未录入计票结果：{'、'.join(missing)}")

    access.require_run(actor, election, state=state)
    registered = Voter.objects.filter(election=election, removed_at__isnull=True).count()
    by_station = dict(Participation.objects.filter(election=election, ballot_round=n)
                      .values_list("station_id").annotate(c=Count("id")).order_by())
    participated = sum(by_station.values())
    returned = sum(t.returned for t in tallies.values())
    station_void = ""
    for s in stations:
        reason = counting.tally_void(tallies[s.pk].returned, by_station.get(s.pk, 0))
        if reason:
            station_void = f"{s.name}{reason}"
            break
    votes: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for position, cand_voter, write_in, total in (
            TallyLine.objects.filter(tally__in=tallies.values())
            .values_list("position", "candidate__voter_id", "write_in_id").annotate(total=Sum("votes")).order_by()):
        votes[position][cand_voter or write_in] += total
    people = {v.pk: v for v in Voter.objects.filter(pk__in={k for d in votes.values() for k in d})}
    persons = {pos: [counting.Person(k, people[k].name, people[k].sex, v) for k, v in d.items()]
               for pos, d in votes.items()}
    already = [counting.Person(r.voter_id, r.name, r.sex, r.votes) for r in
               Result.objects.filter(election=election, ballot_round__lt=n, elected=True)]
    seats = round_seats(election, n)
    outcome = counting.count(registered=registered, participated=participated, returned=returned, seats=seats,
                             votes=persons, min_women=election.min_women, further=n > 1, already_elected=already,
                             women_reserved=_women_reserved(election, n, seats), ballot_round=n)
    if station_void:  # the box named: more precise than the total
        outcome = counting.Outcome(valid=False, reason=station_void, positions={}, further=False, vacant=0,
                                   notes=[station_void])
    candidates = {(c.voter_id, c.position): c for c in Candidate.objects.filter(election=election)}
    Result.objects.filter(election=election, ballot_round=n).delete()
    rows = []
    for pr in outcome.positions.values():
        for line in pr.lines:
            note = line.note + (FURTHER_MARK if line.further_candidate else "")
            rows.append(Result(election=election, ballot_round=n, position=line.position,
                               candidate=candidates.get((line.key, line.position)), voter=people[line.key],
                               name=line.name, sex=line.sex, votes=line.votes, elected=line.elected,
                               note=note[:200]))
    Result.objects.bulk_create(rows)
    now = clock.now()
    if not outcome.valid:
        election.stage, election.void_reason = Stage.VOID, outcome.reason[:200]
    elif outcome.further:
        election.stage = Stage.FURTHER
        election.voting_opened_at = election.voting_closed_at = None
    else:
        election.stage = Stage.COUNTED
    election.updated_at = now
    election.save(update_fields=["stage", "void_reason", "voting_opened_at", "voting_closed_at", "updated_at"])
    audit_record(actor=actor, action="elections.result.compute", obj=election, unit_path=election.unit.path,
                 after={"round": n, "registered": registered, "participated": participated, "returned": returned,
                        "elected": len(outcome.elected), "further": outcome.further, "vacant": outcome.vacant,
                        "stage": election.stage, "void": outcome.reason})
    return outcome


def further_candidates(election: Election, ballot_round: int) -> list[Result]:
    """The candidates of a further round: those marked in the round before."""
    return list(Result.objects.filter(election=election, ballot_round=ballot_round - 1,
                                      note__endswith=FURTHER_MARK).order_by("position", "-votes", "id"))


@transaction.atomic
def certify(*, actor, election: Election, on: dt.date) -> list[Post]:
    """Certify a counted election on a date: the winners take their posts from that date, the previous
    committee's posts at the village end the day before."""
    election = Election.objects.select_for_update().select_related("unit").get(pk=election.pk)
    if not isinstance(on, dt.date):
        raise _refuse("on", "请填写公告日期", "invalid")

    def state():
        if election.stage != Stage.COUNTED:
            raise _refuse("stage", f"选举处于“{Stage(election.stage).label}”阶段，只有计票完成的选举可以公告当选")
        if on < election.election_day:
            raise _refuse("on", f"公告日期不能早于选举日（{election.election_day:%Y年%m月%d日}）", "invalid")

    access.require_run(actor, election, state=state)
    unit = election.unit
    appointer = actor if actor is not None and scopes.may(actor, "org.posts", unit) else None
    day_before = on - dt.timedelta(days=1)
    for post in (Post.objects.filter(unit=unit, role__in=POST_ROLES.values(), start_date__lte=on)
                 .exclude(end_date__lt=on)):
        post_end(actor=appointer, post=post, end_date=max(day_before, post.start_date))
    winners = list(Result.objects.filter(election=election, elected=True).select_related("voter__resident")
                   .order_by("ballot_round", "position", "-votes"))
    posts = []
    for r in winners:
        post = post_appoint(actor=appointer, unit=unit, role=POST_ROLES[CommitteeRole(r.position)],
                            resident=r.voter.resident, holder_name=r.name, start_date=on)
        r.post = post
        r.save(update_fields=["post"])
        posts.append(post)
    election.stage, election.certified_on = Stage.CERTIFIED, on
    election.updated_at = clock.now()
    election.save(update_fields=["stage", "certified_on", "updated_at"])
    audit_record(actor=actor, action="elections.result.certify", obj=election, unit_path=unit.path,
                 after={"on": str(on), "posts": [p.pk for p in posts], "appointed_as": "actor" if appointer else
                        "system"})
    return posts


# ---- what the result page shows ------------------------------------------------------------------------

def _home_path(user) -> str:
    resident = getattr(user, "resident", None) if getattr(user, "resident_id", None) else None
    household = resident.household if resident is not None and resident.household_id else None
    return household.micro_grid.path if household is not None and household.micro_grid_id else ""


def require_result_view(actor, election: Election) -> None:
    """The announced result: the village's residents (by their home) and whoever sees the election; others
    404, like a missing election."""
    if actor is not None and not (access.may_see(actor, election)
                                  or _home_path(actor).startswith(election.unit.path)):
        raise NotFound("未找到该选举")


@dataclass
class Published:
    election: Election
    shown: bool
    rounds: list[tuple[int, list[tuple[str, list[Result]]]]]
    staff: list[tuple[str, list[str], list[str]]]  # station, scrutineers, tellers
    elected: list[Result]


def published(*, actor, election: Election) -> Published:
    require_result_view(actor, election)
    shown = election.stage in PUBLISHED_STAGES
    rounds: list = []
    elected: list[Result] = []
    if shown:
        by_round: dict[int, dict[str, list[Result]]] = defaultdict(lambda: defaultdict(list))
        for r in Result.objects.filter(election=election).order_by("ballot_round", "-votes", "id"):
            by_round[r.ballot_round][r.position].append(r)
            if r.elected:
                elected.append(r)
        for n in sorted(by_round):
            rounds.append((n, [(CommitteeRole(p).label, by_round[n][p]) for p in counting.POSITIONS
                               if p in by_round[n]]))
    staff: dict[int, tuple[str, list[str], list[str]]] = {}
    for s in StationStaff.objects.filter(station__election=election, role__in=[StaffRole.SCRUTINEER,
                                                                               StaffRole.TELLER]) \
            .select_related("station").order_by("station__kind", "station_id", "id"):
        entry = staff.setdefault(s.station_id, (s.station.name, [], []))
        (entry[1] if s.role == StaffRole.SCRUTINEER else entry[2]).append(s.name)
    order = {CommitteeRole.CHAIR: 0, CommitteeRole.VICE_CHAIR: 1, CommitteeRole.MEMBER: 2}
    elected.sort(key=lambda r: (order[r.position], -r.votes))
    return Published(election, shown, rounds, list(staff.values()) if shown else [], elected)
