"""A round in the small county for the set-up and roll tests: election day 2027-03-20 (a Saturday), so the
roll is due by 2027-02-28; the county is built on 2027-01-04 (its residents moved in that day)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.test import Client
from django.utils import timezone

from shanzhi.accounts.models import User, UserKind
from shanzhi.elections import services_setup
from shanzhi.elections.models import Election, Round
from shanzhi.lib import clock
from shanzhi.lib.testing import County, build_county
from shanzhi.people.models import Registration, Relation
from shanzhi.people.services import resident_create

ELECTION_DAY = dt.date(2027, 3, 20)
BUILT = timezone.make_aware(dt.datetime(2027, 1, 4, 9, 0))
FEB = timezone.make_aware(dt.datetime(2027, 2, 1, 9, 0))  # roll work
ROLL_BY = dt.date(2027, 2, 28)
_WEIGHTS = [2 ** (17 - i) % 11 for i in range(17)]


def id_number(birth: dt.date, seq: int, *, female: bool = False, area: str = "330421") -> str:
    """A valid GB 11643 number (checksum computed) for a birth date; odd sequence = male."""
    seq = seq * 2 + (0 if female else 1)
    body = f"{area}{birth:%Y%m%d}{seq % 1000:03d}"
    total = sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True))
    check = "10X98765432"[total % 11]
    return body + check


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, hour, 0))


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def resident_user(resident) -> User:
    return User.objects.create(username=f"r{resident.pk}", kind=UserKind.RESIDENT, display_name=resident.name,
                               resident=resident)


@dataclass
class Setting:
    c: County
    round: Round
    e1: Election  # 新联村 (town 天凝镇)
    e2: Election  # 洋桥村 (town 大云镇)


def build_setting() -> Setting:
    with clock.frozen(BUILT):
        c = build_county()
        rnd = services_setup.round_create(actor=c.admin, unit=c.county, name="2027年村社组织换届选举",
                                          election_day=ELECTION_DAY)
        e1 = services_setup.election_create(actor=c.admin, round=rnd, unit=c.village, venue="新联村村委会大礼堂")
        e2 = services_setup.election_create(actor=c.admin, round=rnd, unit=c.village2)
    return Setting(c, rnd, e1, e2)


_seq = [100]


def add_resident(household, name: str, birth: dt.date, *, female: bool = False, floating: bool = False,
                 moved_in: dt.date | None = None, relation: str = Relation.CHILD):
    _seq[0] += 1
    with clock.frozen(BUILT):
        return resident_create(actor=None, household=household, name=name,
                               id_number=id_number(birth, _seq[0], female=female), relation=relation,
                               residence=Registration.FLOATING if floating else Registration.REGISTERED,
                               moved_in=moved_in)
