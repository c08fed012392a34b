"""The time bank's ledger: a balance is the sum of the entries, entries are never edited or deleted, a
correction is a new entry with a reason (by volunteers.correct where the entry was written), and a credit
happens once per source. `bank` (built here) is the setting of every time-bank test."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db.models import Sum
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shanzhi.accounts.models import User, UserKind
from shanzhi.accounts.services import user_create_staff
from shanzhi.audit.models import AuditEntry
from shanzhi.councils import defaults
from shanzhi.councils.models import CouncilType, Member, Position
from shanzhi.councils.services import council_create
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied
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


# ---- invariants ----------------------------------------------------------------------------------------

def test_the_balance_is_the_sum_of_the_entries(bank):
    s = bank
    acc = ledger.account_of_volunteer(s.vol_zhang)
    assert ledger.balance(acc) == 0
    give(s, acc, 30, "t:1")
    give(s, acc, 12, "t:2")
    fix = ledger.correct(actor=s.c.town_staff, entry=Entry.objects.get(source="t:2"), points=-2, reason="多记了")
    assert fix.kind == EntryKind.CORRECTION and fix.corrects.source == "t:2"
    assert ledger.balance(acc) == 40 == Entry.objects.filter(account=acc).aggregate(s=Sum("points"))["s"]
    assert ledger.hours_total(acc) == Decimal(2)


def test_entries_are_never_edited_or_deleted(bank):
    s = bank
    acc = ledger.account_of_volunteer(s.vol_zhang)
    entry = give(s, acc, 30, "t:1")
    entry.points = 3000
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.save(force_update=True)
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        Entry.objects.filter(pk=entry.pk).update(points=3000)
    with pytest.raises(TypeError):
        Entry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(TypeError):
        Entry.objects.all().delete()
    assert Entry.objects.get(pk=entry.pk).points == 30 and ledger.balance(acc) == 30


def test_a_credit_happens_once_per_source(bank):
    s = bank
    acc = ledger.account_of_volunteer(s.vol_zhang)
    first = give(s, acc, 30, "request:1")
    again = give(s, acc, 30, "request:1")
    assert first.pk == again.pk and Entry.objects.count() == 1 and ledger.balance(acc) == 30
    with pytest.raises(ValueError):
        ledger.credit(account=acc, kind=EntryKind.REDEEM, hours=0, points=10, village=s.c.village, source="x")
    with pytest.raises(ValueError):
        ledger.credit(account=acc, kind=EntryKind.SERVICE, hours=0, points=-10, village=s.c.village, source="y")


def test_one_account_per_person(bank):
    s = bank
    a = ledger.account_of_volunteer(s.vol_zhang)
    assert ledger.account_for(village=s.c.village, name="x", resident=s.c.resident) == a
    assert ledger.account_of_person(s.zhang) == a and ledger.account_of_user(s.zhang) == a
    assert a.code and re.fullmatch(r"[0-9a-f]{24}", a.code)
    assert ledger.account_of_person(s.c.worker_b) is None  # staff who never served has none


# ---- corrections ---------------------------------------------------------------------------------------

def test_a_correction_needs_a_reason_and_numbers(bank):
    s = bank
    entry = give(s, ledger.account_of_volunteer(s.vol_zhang), 30, "t:1")
    for kw, field in (({"points": 5, "reason": "  "}, "reason"), ({"points": "x", "reason": "r"}, "points"),
                      ({"points": 0, "reason": "r"}, "points"), ({"points": 1, "hours": "abc", "reason": "r"}, "hours")):
        with pytest.raises(DomainError) as exc:
            ledger.correct(actor=s.c.town_staff, entry=entry, **kw)
        assert field in exc.value.fields
    with pytest.raises(DomainError) as exc:  # never below zero
        ledger.correct(actor=s.c.town_staff, entry=entry, points=-31, reason="退回")
    assert "points" in exc.value.fields
    assert Entry.objects.count() == 1
    fix = ledger.correct(actor=s.c.town_staff, entry=entry, points=-30, hours=Decimal("-1"), reason="重复记录")
    assert AuditEntry.objects.filter(action="volunteers.ledger_correct", object_id=str(fix.pk),
                                     reason="重复记录").exists()


def test_who_may_correct(bank):
    s = bank
    entry = give(s, ledger.account_of_volunteer(s.vol_zhang), 30, "t:1")
    with pytest.raises(NotFound):  # grid worker B does not see the village's ledger
        ledger.correct(actor=s.c.worker_b, entry=entry, points=1, reason="r")
    with pytest.raises(NotFound):  # the other town's staff
        ledger.correct(actor=s.c.worker_c, entry=entry, points=1, reason="r")
    with pytest.raises(NotFound):  # a resident
        ledger.correct(actor=s.zhang, entry=entry, points=1, reason="r")
    with pytest.raises(PermissionDenied):  # the village cadre sees it but corrections are the town's
        ledger.correct(actor=s.cadre, entry=entry, points=1, reason="r")
    assert ledger.correct(actor=s.c.admin, entry=entry, points=1, reason="r").points == 1


# ---- pages: the sum anyone can verify ------------------------------------------------------------------

def _shown(body: str) -> tuple[int, list[int]]:
    balance = int(re.search(r'data-balance="(-?\d+)"', body).group(1))
    return balance, [int(p) for p in re.findall(r'data-points="(-?\d+)"', body)]


def test_my_points_page_lists_entries_that_add_up_to_the_balance(bank):
    s = bank
    acc = ledger.account_of_volunteer(s.vol_zhang)
    for i, p in enumerate((30, 12, 7)):
        give(s, acc, p, f"t:{i}")
    ledger.correct(actor=s.c.town_staff, entry=Entry.objects.get(source="t:1"), points=-5, reason="多记")
    body = client_for(s.zhang).get(reverse("volunteers:my_points")).content.decode()
    balance, points = _shown(body)
    assert balance == sum(points) == 44 and len(points) == 4
    assert acc.code in body and "<svg" in body  # the code and its QR
    # the desk's account page shows the same sum to staff in scope
    body = client_for(s.cadre).get(reverse("volunteers:account", args=[acc.pk])).content.decode()
    balance, points = _shown(body)
    assert balance == sum(points) == 44
    assert client_for(s.c.worker_b).get(reverse("volunteers:account", args=[acc.pk])).status_code == 404
    assert client_for(s.c.worker_c).get(reverse("volunteers:account", args=[acc.pk])).status_code == 404
    assert client_for(s.zhao).get(reverse("volunteers:account", args=[acc.pk])).status_code == 404


def test_the_desk_ledger_and_its_correction_form(bank):
    s = bank
    acc = ledger.account_of_volunteer(s.vol_zhang)
    entry = give(s, acc, 30, "t:1")
    url = reverse("volunteers:ledger")
    body = client_for(s.cadre).get(url).content.decode()
    assert f'data-entry="{entry.pk}"' in body
    assert f'data-entry="{entry.pk}"' not in client_for(s.c.worker_b).get(url).content.decode()
    assert client_for(s.zhao).get(url).status_code == 404
    resp = client_for(s.cadre).get(url, {"kind": "nope", "first": "2026-13-40"})
    assert resp.status_code == 400 and "first" in resp.content.decode()
    fix = reverse("volunteers:ledger_correct", args=[entry.pk])
    assert client_for(s.c.worker_b).get(fix).status_code == 404
    assert client_for(s.c.worker_c).post(fix, {"points": "1", "reason": "r"}).status_code == 404
    assert client_for(s.cadre).post(fix, {"points": "1", "reason": "r"}).status_code == 403
    resp = client_for(s.c.town_staff).post(fix, {"points": "1", "reason": ""})
    assert resp.status_code == 400 and "请填写更正原因" in resp.content.decode()
    resp = client_for(s.c.town_staff).post(fix, {"points": "1e3", "reason": "r"})
    assert resp.status_code == 400
    resp = client_for(s.c.town_staff).post(fix, {"points": "-10", "hours": "-0.5", "reason": "多记半小时"})
    assert resp.status_code == 302 and ledger.balance(acc) == 20
    assert Entry.objects.get(corrects=entry).note == "多记半小时"
