"""The time bank's ledger: a balance is the sum of the entries, entries are never edited or deleted, a
correction is a new entry with a reason (by volunteers.correct where the entry was written), and a credit
happens once per source."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.urls import reverse

from shanzhi.audit.models import AuditEntry
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied
from shanzhi.volunteers import ledger
from shanzhi.volunteers.models import Entry, EntryKind
from shanzhi.volunteers.tests.bank_setting import *  # noqa: F403 - the setting
from shanzhi.volunteers.tests.bank_setting import client_for, give

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
