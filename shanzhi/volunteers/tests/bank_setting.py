"""The setting of every time-bank test: `bank` (the small county with a village cadre, the villages' service
teams, a leader and volunteers), and small helpers. Test modules import it with `import *`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.test import Client
from django.utils import timezone

from shanzhi.accounts.models import User, UserKind
from shanzhi.accounts.services import user_create_staff
from shanzhi.councils import defaults
from shanzhi.councils.models import CouncilType, Member, Position
from shanzhi.councils.services import council_create
from shanzhi.lib import clock
from shanzhi.lib.testing import PASSWORD
from shanzhi.org.models import Role
from shanzhi.org.services import post_appoint
from shanzhi.volunteers import ledger
from shanzhi.volunteers.models import (
    DEFAULT_CIVIC_ACTS,
    CivicAct,
    Entry,
    EntryKind,
    PointsRule,
    Volunteer,
    VolunteerStatus,
)

__all__ = ["MONDAY", "bank", "build_bank", "client_for", "give", "make_volunteer", "resident_user"]

MONDAY = timezone.make_aware(dt.datetime(2026, 12, 7, 9, 30))


def resident_user(resident) -> User:
    return User.objects.create(username=f"r{resident.pk}", kind=UserKind.RESIDENT, display_name=resident.name,
                               resident=resident)


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def make_volunteer(resident, village, status=VolunteerStatus.ACTIVE) -> Volunteer:
    now = clock.now()
    v = Volunteer.objects.create(resident=resident, name=resident.name, village=village, status=status,
                                 applied_at=now, approved_at=now, updated_at=now)
    v.villages.add(village)
    return v


def build_bank(county) -> SimpleNamespace:
    """The small county with: a village cadre (新联村), the villages' service teams, 李梅 leading 新联村's team,
    张三 and 李梅 active volunteers of 新联村, 王五 (grid B) a resident, 赵六 of the other town a volunteer there."""
    c = county
    defaults.ensure_types()
    for code, name, points in DEFAULT_CIVIC_ACTS:  # a transactional test before may have flushed the seed rows
        CivicAct.objects.get_or_create(code=code, defaults={"name": name, "points": points})
    if not PointsRule.objects.exists():
        PointsRule.objects.create(points_per_hour=10)
    cadre = user_create_staff(actor=None, username="cadre", password=PASSWORD, display_name="村干部老陈",
                              check_strength=False)
    post_appoint(actor=None, unit=c.village, role=Role.VILLAGE_CADRE, user=cadre, start_date=dt.date(2024, 1, 1))
    service = CouncilType.objects.get(code="service")
    team = council_create(actor=None, type=service, unit=c.village)
    team2 = council_create(actor=None, type=service, unit=c.village2)
    li, wang, zhao = resident_user(c.neighbour), resident_user(c.resident_b), resident_user(c.resident_c)
    Member.objects.create(council=team, resident=c.neighbour, name=c.neighbour.name, position=Position.CHAIR,
                          started_on=dt.date(2026, 1, 1))
    vol_zhang = make_volunteer(c.resident, c.village)
    vol_li = make_volunteer(c.neighbour, c.village)
    vol_zhao = make_volunteer(c.resident_c, c.village2)
    return SimpleNamespace(c=c, cadre=cadre, team=team, team2=team2, zhang=c.resident_user, li=li, wang=wang,
                           zhao=zhao, vol_zhang=vol_zhang, vol_li=vol_li, vol_zhao=vol_zhao)


@pytest.fixture
def bank(county):
    with clock.frozen(MONDAY):
        yield build_bank(county)


def give(s, account, points: int, source: str, hours: Decimal = Decimal(1)) -> Entry:
    return ledger.credit(account=account, kind=EntryKind.SERVICE, hours=hours, points=points, village=s.c.village,
                         source=source)
