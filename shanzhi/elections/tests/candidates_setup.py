"""An election for 新联村 (grid A's and B's village) and one for 洋桥村 on the small county, made directly with
the models (the set-up and roll services are another part's work): rules, round, elections, rolls, a
committee, and more villagers with valid ID numbers. Used by the candidates, stations and proxies tests and
the URL walk."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field

from django.utils import timezone

from shanzhi.accounts.models import User, UserKind
from shanzhi.elections.models import CommitteeMember, CommitteeRole, Election, Round, Rules, Stage, Voter
from shanzhi.lib.codes import make_id_number
from shanzhi.people.models import Registration, Relation
from shanzhi.people.services import household_create, resident_create

ELECTION_DAY = dt.date(2027, 1, 16)
NOW = timezone.make_aware(dt.datetime(2026, 12, 20, 9, 0))  # 27 days before election day


@dataclass
class Setup:
    rules: Rules
    round: Round
    election: Election
    election2: Election
    voters: list[Voter]  # 新联村's roll, in order
    voters2: list[Voter]  # 洋桥村's roll
    committee_user: User  # a committee member of 新联村 who logs in by phone
    committee2_user: User  # a committee member of 洋桥村
    extra: dict = field(default_factory=dict)


_seq = [500]


def person(household, name: str, *, sex: str = "M", relation: str = Relation.OTHER, tags=(), born=None):
    _seq[0] += 1
    number = make_id_number("330421", born or dt.date(1970, 1, 1) + dt.timedelta(days=_seq[0]), _seq[0], sex)
    return resident_create(actor=None, household=household, name=name, id_number=number, relation=relation,
                           tags=list(tags))


def voter(election: Election, resident, n: int) -> Voter:
    micro = resident.household.micro_grid if resident.household_id else None
    return Voter.objects.create(election=election, round=election.round, resident=resident,
                                number=f"{election.unit.code}-{n:04d}", name=resident.name, sex=resident.sex,
                                micro_grid=micro, card_token=secrets.token_hex(16), added_at=NOW)


def resident_user(resident) -> User:
    return User.objects.get_or_create(username=f"r{resident.pk}", defaults={
        "kind": UserKind.RESIDENT, "display_name": resident.name, "resident": resident})[0]


def build(c, *, stage: str = Stage.ROLL_PUBLISHED, rules: dict | None = None, villagers: int = 10) -> Setup:
    """Rules, a round, elections for both villages at `stage`, rolls: 新联村 gets the county's residents
    of the village plus `villagers` more (alternating men and women in their own households of A1, A2, B1),
    洋桥村 gets 赵六 and two more."""
    r = Rules.objects.create(**(rules or {}))
    rnd = Round.objects.create(unit=c.county, name="2027年村社组织换届选举", election_day=ELECTION_DAY, rules=r,
                               created_at=NOW)
    published = NOW - dt.timedelta(days=2) if stage != Stage.SETUP else None
    e = Election.objects.create(round=rnd, unit=c.village, election_day=ELECTION_DAY, stage=stage,
                                vice_chairs=1, members=3, venue="新联村村委会", roll_published_at=published,
                                created_at=NOW, updated_at=NOW)
    e2 = Election.objects.create(round=rnd, unit=c.village2, election_day=ELECTION_DAY, stage=stage,
                                 roll_published_at=published, created_at=NOW, updated_at=NOW)
    people = [c.resident, c.neighbour, c.resident_b]
    micro = [c.mg_a1, c.mg_a2, c.mg_b1]
    for i in range(villagers):
        h = household_create(actor=None, number=f"H-E2-{i:03d}", micro_grid=micro[i % 3], address=f"新联村{i}号",
                             registration=Registration.REGISTERED)
        people.append(person(h, f"村民{i:02d}", sex="F" if i % 2 else "M", relation=Relation.HEAD))
    voters = [voter(e, p, n) for n, p in enumerate(people, start=1)]
    h2 = household_create(actor=None, number="H-E2-Y01", micro_grid=c.mg_c1, address="洋桥村9号",
                          registration=Registration.REGISTERED)
    people2 = [c.resident_c, person(h2, "洋桥甲", relation=Relation.HEAD), person(h2, "洋桥乙", relation=Relation.SPOUSE)]
    voters2 = [voter(e2, p, n) for n, p in enumerate(people2, start=1)]
    # committee: 村民09 chairs 新联村's committee (by phone); 洋桥甲 sits on 洋桥村's
    chair = voters[-1].resident
    CommitteeMember.objects.create(election=e, resident=chair, name=chair.name, role=CommitteeRole.CHAIR,
                                   joined_on=NOW.date())
    CommitteeMember.objects.create(election=e2, resident=people2[1], name=people2[1].name,
                                   role=CommitteeRole.CHAIR, joined_on=NOW.date())
    return Setup(r, rnd, e, e2, voters, voters2, resident_user(chair), resident_user(people2[1]))
