"""An election of 新联村 (grid A's village) ready for election day, built directly with the models (set-up,
roll, candidates and stations are other parts' services): ten voters, two stations with a clerk each and three
scrutineers, official candidates for 主任, 副主任 and 委员 (one seat each, at least one woman), an election
committee member who logs in as a resident, and a voter of 洋桥村 (the other town) on its own election."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field

from django.utils import timezone

from shanzhi.accounts.models import User, UserKind
from shanzhi.accounts.services import user_create_staff
from shanzhi.elections.models import (
    Candidate,
    CandidateStatus,
    CommitteeMember,
    Election,
    Round,
    Rules,
    StaffRole,
    Stage,
    Station,
    StationKind,
    StationStaff,
    Voter,
)
from shanzhi.lib.testing import PASSWORD, County
from shanzhi.people.models import Registration, Relation
from shanzhi.people.services import household_create, resident_create

DAY = dt.date(2026, 12, 20)
NINE = timezone.make_aware(dt.datetime(2026, 12, 20, 9, 0))
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(serial: int, *, female: bool, birth: str = "19800101") -> str:
    body = f"330421{birth}{serial % 100:02d}{(2 * (serial % 5)) + (0 if female else 1)}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True)) % 11]


@dataclass
class Day:
    c: County
    election: Election
    s1: Station
    s2: Station
    clerk1: User
    clerk2: User
    committee_user: User
    voters: list[Voter]
    cands: dict[str, list[Candidate]]
    other: Election
    other_station: Station
    other_voter: Voter
    extra: dict = field(default_factory=dict)


def _voter(election: Election, resident, n: int, micro_grid) -> Voter:
    return Voter.objects.create(election=election, round=election.round, resident=resident,
                                number=f"{election.unit.code}-{n:04d}", name=resident.name, sex=resident.sex,
                                micro_grid=micro_grid, card_token=secrets.token_hex(16), added_at=NINE)


def _station(election: Election, name: str, units, clerk: User, scrutineers) -> Station:
    s = Station.objects.create(election=election, kind=StationKind.STATION, name=name, place=name)
    s.units.set(units)
    StationStaff.objects.create(station=s, role=StaffRole.CLERK, user=clerk, name=clerk.display_name)
    for r in scrutineers:
        StationStaff.objects.create(station=s, role=StaffRole.SCRUTINEER, resident=r, name=r.name)
    return s


def build_day(c: County, *, stage: str = Stage.CANDIDATES_PUBLISHED) -> Day:
    rules = Rules.objects.create()
    rnd = Round.objects.create(unit=c.county, name="2026年村社组织换届选举", election_day=DAY, rules=rules,
                               created_at=NINE - dt.timedelta(days=60))
    election = Election.objects.create(round=rnd, unit=c.village, election_day=DAY, stage=stage, vice_chairs=1,
                                       members=1, min_women=1, venue="新联村文化礼堂",
                                       roll_published_at=NINE - dt.timedelta(days=30),
                                       candidates_published_at=NINE - dt.timedelta(days=10),
                                       created_at=NINE - dt.timedelta(days=60), updated_at=NINE)
    # seven more residents: four in grid A (A2), three in grid B (B1)
    residents = [(c.resident, c.mg_a1), (c.neighbour, c.mg_a1), (c.resident_b, c.mg_b1)]
    hh_a2 = household_create(actor=None, number="H-A2-009", micro_grid=c.mg_a2, address="新联村二组9号",
                             registration=Registration.REGISTERED)
    hh_b1 = household_create(actor=None, number="H-B1-009", micro_grid=c.mg_b1, address="新联村三组9号",
                             registration=Registration.REGISTERED)
    names = [("钱一", False, hh_a2), ("孙二", True, hh_a2), ("周三", False, hh_a2), ("吴四", True, hh_a2),
             ("郑五", False, hh_b1), ("冯六", True, hh_b1), ("陈七", False, hh_b1)]
    for i, (name, female, hh) in enumerate(names):
        r = resident_create(actor=None, household=hh, name=name, id_number=id_number(10 + i, female=female),
                            phone=f"1390000{i:04d}", relation=Relation.HEAD if i in (0, 4) else Relation.OTHER)
        residents.append((r, hh.micro_grid))
    voters = [_voter(election, r, i + 1, mg) for i, (r, mg) in enumerate(residents)]
    clerk1 = user_create_staff(actor=None, username="clerk1", password=PASSWORD, display_name="发票员甲",
                               check_strength=False)
    clerk2 = user_create_staff(actor=None, username="clerk2", password=PASSWORD, display_name="发票员乙",
                               check_strength=False)
    by_name = {v.name: v for v in voters}
    s1 = _station(election, "第一投票站", [c.grid_a], clerk1, [by_name[n].resident for n in ("周三", "吴四", "李梅")])
    s2 = _station(election, "第二投票站", [c.grid_b], clerk2, [by_name[n].resident for n in ("冯六", "陈七", "孙二")])
    # the committee: 王五 (a resident who logs in by phone)
    CommitteeMember.objects.create(election=election, resident=c.resident_b, name=c.resident_b.name,
                                   joined_on=DAY - dt.timedelta(days=60))
    committee_user = User.objects.create(username=f"r{c.resident_b.pk}", kind=UserKind.RESIDENT,
                                         display_name=c.resident_b.name, resident=c.resident_b)
    cands: dict[str, list[Candidate]] = {}
    for position, who in (("chair", ("张三", "钱一")), ("vice_chair", ("郑五", "周三")),
                          ("member", ("吴四", "陈七"))):
        cands[position] = [Candidate.objects.create(election=election, voter=by_name[n], position=position, name=n,
                                                    sex=by_name[n].sex, status=CandidateStatus.OFFICIAL,
                                                    nominations=10) for n in who]
    rnd2 = rnd
    other = Election.objects.create(round=rnd2, unit=c.village2, election_day=DAY, stage=stage,
                                    candidates_published_at=NINE - dt.timedelta(days=10),
                                    created_at=NINE, updated_at=NINE)
    other_voter = _voter(other, c.resident_c, 1, c.mg_c1)
    other_clerk = user_create_staff(actor=None, username="clerk_c", password=PASSWORD, display_name="发票员丙",
                                    check_strength=False)
    other_station = _station(other, "洋桥村投票站", [c.grid_c], other_clerk, [])
    return Day(c, election, s1, s2, clerk1, clerk2, committee_user, voters, cands, other, other_station,
               other_voter, extra={"other_clerk": other_clerk})


def line(d: Day, position: str, who: str, votes: int) -> dict:
    """A tally line for an official candidate by name, or a write-in (by name) when not a candidate."""
    cand = next((c for c in d.cands.get(position, []) if c.name == who), None)
    return {"position": position, "candidate": cand.pk, "votes": votes} if cand else \
        {"position": position, "write_in": who, "votes": votes}


def counts(issued: int, returned: int, valid: int, invalid: int, blank: int = 0) -> dict:
    return {"issued": issued, "returned": returned, "valid": valid, "invalid": invalid, "blank": blank}


def vote(d: Day, s1: list[int], s2: list[int], *, now=None, actor=None) -> None:
    """Open the vote, check voters (by their index) in at the two stations, close it."""
    from shanzhi.elections import voting

    now = now or NINE
    voting.voting_open(actor=actor or d.committee_user, election=d.election, now=now)
    for i in s1:
        voting.checkin(actor=d.clerk1, station=d.s1, voter=d.voters[i], now=now)
    for i in s2:
        voting.checkin(actor=d.clerk2, station=d.s2, voter=d.voters[i], now=now)
    voting.voting_close(actor=actor or d.committee_user, election=d.election, now=now)
    d.election.refresh_from_db()


def standard_tallies(d: Day, *, chair=(("张三", 4), ("钱一", 2)), chair2=(("张三", 1),)) -> None:
    """Station 1: six ballots; station 2: two (one invalid). 张三, 郑五 and 吴四 get 5 of 8."""
    from shanzhi.elections.tally import tally_enter

    tally_enter(actor=d.committee_user, station=d.s1, counts=counts(6, 6, 6, 0), lines=[
        *[line(d, "chair", n, v) for n, v in chair], line(d, "vice_chair", "郑五", 4),
        line(d, "vice_chair", "周三", 2), line(d, "member", "吴四", 4), line(d, "member", "陈七", 2)])
    tally_enter(actor=d.committee_user, station=d.s2, counts=counts(2, 2, 1, 1), lines=[
        *[line(d, "chair", n, v) for n, v in chair2], line(d, "vice_chair", "郑五", 1),
        line(d, "member", "吴四", 1)])
