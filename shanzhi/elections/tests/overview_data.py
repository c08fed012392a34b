"""Two elections of one round on the small county, written as the services would leave them, for the
overview, API, indicator and URL-walk tests:

* 新联村 (天凝镇, grid A's village): certified. Day 2026-12-01, roll (张三, 李梅) published 11-05, official
  candidates (张三, 李梅) published 11-20, 张三 voted (turnout 1/2), both elected, certified 12-03.
* 洋桥村 (大云镇): the roll drawn up (赵六 and three neighbours), not published; election day 2026-12-29, so
  the roll is due by 12-09: at risk on 2026-12-07.

Plus 大云镇's town staff (`town2_staff`).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from stdnum.cn import ric

from shanzhi.accounts.services import user_create_staff
from shanzhi.elections.models import (
    Candidate,
    CandidateStatus,
    CommitteeRole,
    Election,
    Participation,
    Result,
    Round,
    Rules,
    Stage,
    Station,
    StationKind,
    Tally,
    TallyLine,
    Voter,
)
from shanzhi.lib.testing import PASSWORD
from shanzhi.org.models import Role
from shanzhi.org.services import post_appoint
from shanzhi.people.models import Relation
from shanzhi.people.services import resident_create

TODAY = dt.date(2026, 12, 7)


def at(month: int, day: int, hour: int = 9) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2026, month, day, hour, 0))


def id_number(birth: str, seq: int) -> str:
    first = f"330421{birth}{seq:03d}"
    return first + ric.calc_check_digit(first + "0")


def _voter(election: Election, resident, n: int) -> Voter:
    return Voter.objects.create(election=election, round=election.round, resident=resident,
                                number=f"{election.unit.code}-{n:04d}", name=resident.name, sex=resident.sex,
                                micro_grid=resident.household.micro_grid, card_token=f"tok-{election.pk}-{n}",
                                added_at=at(11, 1))


def make(c) -> dict:
    rnd = Round.objects.create(unit=c.county, name="2026年村（社区）组织换届选举", election_day=dt.date(2026, 12, 1),
                               rules=Rules.objects.create(), created_at=at(10, 1))
    a = Election.objects.create(round=rnd, unit=c.village, election_day=dt.date(2026, 12, 1), stage=Stage.CERTIFIED,
                                vice_chairs=0, members=1, roll_published_at=at(11, 5),
                                candidates_published_at=at(11, 20), voting_opened_at=at(12, 1, 7),
                                voting_closed_at=at(12, 1, 12), certified_on=dt.date(2026, 12, 3),
                                created_at=at(10, 1), updated_at=at(12, 3))
    v1, v2 = _voter(a, c.resident, 1), _voter(a, c.neighbour, 2)
    station = Station.objects.create(election=a, kind=StationKind.CENTRAL, name="中心会场")
    Participation.objects.create(election=a, voter=v1, station=station, at=at(12, 1, 8))
    chair = Candidate.objects.create(election=a, voter=v1, position=CommitteeRole.CHAIR, name=v1.name, sex=v1.sex,
                                     nominations=30, status=CandidateStatus.OFFICIAL)
    member = Candidate.objects.create(election=a, voter=v2, position=CommitteeRole.MEMBER, name=v2.name,
                                      sex=v2.sex, nominations=20, status=CandidateStatus.OFFICIAL)
    dropped = Candidate.objects.create(election=a, voter=v2, position=CommitteeRole.CHAIR, name=v2.name, sex=v2.sex,
                                       nominations=2, status=CandidateStatus.NOT_SELECTED)
    tally = Tally.objects.create(station=station, issued=1, returned=1, valid=1, invalid=0, entered_at=at(12, 1, 13))
    TallyLine.objects.create(tally=tally, position=CommitteeRole.CHAIR, candidate=chair, votes=1)
    TallyLine.objects.create(tally=tally, position=CommitteeRole.MEMBER, candidate=member, votes=1)
    r1 = Result.objects.create(election=a, position=CommitteeRole.CHAIR, candidate=chair, voter=v1, name=v1.name,
                               sex=v1.sex, votes=1, elected=True)
    Result.objects.create(election=a, position=CommitteeRole.MEMBER, candidate=member, voter=v2, name=v2.name,
                          sex=v2.sex, votes=1, elected=True)
    b = Election.objects.create(round=rnd, unit=c.village2, election_day=dt.date(2026, 12, 29), stage=Stage.ROLL,
                                created_at=at(10, 1), updated_at=at(11, 1))
    neighbours = [resident_create(actor=None, household=c.household_c, name=name, id_number=id_number(birth, i),
                                  relation=Relation.OTHER)
                  for i, (name, birth) in enumerate((("钱一", "19600505"), ("孙二", "19700606"), ("周三", "19800707")),
                                                    start=11)]
    for n, r in enumerate([c.resident_c, *neighbours], start=1):
        _voter(b, r, n)
    # an official candidate of 洋桥村 whose list is not published yet: not in the API
    hidden = Candidate.objects.create(election=b, voter=b.voters.first(), position=CommitteeRole.CHAIR,
                                      name=c.resident_c.name, sex=c.resident_c.sex, status=CandidateStatus.OFFICIAL)
    town2_staff = user_create_staff(actor=None, username="town2", password=PASSWORD, display_name="大云镇干部",
                                    check_strength=False)
    post_appoint(actor=None, unit=c.town2, role=Role.TOWN_STAFF, user=town2_staff, start_date=dt.date(2024, 1, 1))
    return {"round": rnd, "a": a, "b": b, "chair": chair, "member": member, "dropped": dropped, "hidden": hidden,
            "result": r1, "station": station, "town2_staff": town2_staff}


def walk_ids(objs: dict) -> dict[str, dict[str, list]]:
    """Grid A's village's election objects by URL name, for the URL walk's id map."""
    return {
        "api:election-round-detail": {"pk": [objs["round"].pk]},
        "api:election-detail": {"pk": [objs["a"].pk]},
        "api:election-candidate-detail": {"pk": [objs["chair"].pk]},
        "api:election-result-detail": {"pk": [objs["result"].pk]},
    }
