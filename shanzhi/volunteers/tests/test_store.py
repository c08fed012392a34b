"""The village points store: items managed by the village's cadres, redemption at the counter in one
transaction (stock and balance), refusals naming the field, scopes both ways, and the races on PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.urls import reverse

from shanzhi.audit.models import AuditEntry
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied
from shanzhi.volunteers import ledger, store
from shanzhi.volunteers.models import Entry, EntryKind, StoreItem
from shanzhi.volunteers.tests.bank_setting import *  # noqa: F403 - the setting
from shanzhi.volunteers.tests.bank_setting import MONDAY, build_bank, client_for, give


def _item(s, price=50, stock=3, **kw) -> StoreItem:
    return store.item_create(actor=s.cadre, village=s.c.village, name=kw.pop("name", "洗衣液"), price=price,
                             stock=stock, **kw)


def test_cadres_manage_the_villages_items(bank):
    s = bank
    item = _item(s)
    assert AuditEntry.objects.filter(action="volunteers.item_create", object_id=str(item.pk)).exists()
    store.item_update(actor=s.c.town_staff, item=item, name="大米", price=80, stock=5, is_active=False)
    item.refresh_from_db()
    assert (item.name, item.price, item.stock, item.is_active) == ("大米", 80, 5, False)
    with pytest.raises(NotFound):
        store.item_create(actor=s.c.worker_b, village=s.c.village, name="x", price=1, stock=1)
    with pytest.raises(NotFound):
        store.item_update(actor=s.c.worker_c, item=item, name="x", price=1, stock=1, is_active=True)
    with pytest.raises(PermissionDenied):  # a resident of the village sees the store but does not run it
        store.item_create(actor=s.zhang, village=s.c.village, name="x", price=1, stock=1)
    with pytest.raises(DomainError) as exc:
        store.item_create(actor=s.cadre, village=s.c.grid_a, name="x", price=1, stock=1)
    assert "village" in exc.value.fields
    for kw, field in (({"name": " ", "price": 1, "stock": 1}, "name"), ({"name": "x", "price": 0, "stock": 1}, "price"),
                      ({"name": "x", "price": "abc", "stock": 1}, "price"), ({"name": "x", "price": 1, "stock": -1}, "stock")):
        with pytest.raises(DomainError) as exc:
            store.item_create(actor=s.cadre, village=s.c.village, **kw)
        assert field in exc.value.fields


def test_a_redemption_takes_the_points_and_one_from_the_stock(bank):
    s = bank
    acc = ledger.account_of_volunteer(s.vol_zhang)
    give(s, acc, 120, "t:1")
    item = _item(s, price=50, stock=2)
    entry = store.redeem(actor=s.cadre, account_code=acc.code, item=item)
    assert entry.kind == EntryKind.REDEEM and entry.points == -50 and entry.item == item
    item.refresh_from_db()
    assert item.stock == 1 and ledger.balance(acc) == 70
    audit = AuditEntry.objects.get(action="volunteers.redeem", object_id=str(entry.pk))
    assert audit.actor == s.cadre and audit.unit_path == s.c.village.path
    # the scanned link works like the bare code
    store.redeem(actor=s.cadre, account_code=f"https://x/volunteers/counter/?code={acc.code}", item=item)
    item.refresh_from_db()
    assert item.stock == 0 and ledger.balance(acc) == 20
    with pytest.raises(DomainError) as exc:  # out of stock
        store.redeem(actor=s.cadre, account_code=acc.code, item=item)
    assert "item" in exc.value.fields and exc.value.code == "out_of_stock"
    rich = _item(s, price=30, stock=5, name="毛巾")
    with pytest.raises(DomainError) as exc:  # not enough points
        store.redeem(actor=s.cadre, account_code=acc.code, item=rich)
    assert "account_code" in exc.value.fields and "余额20分" in str(exc.value)
    store.item_update(actor=s.cadre, item=rich, name="毛巾", price=10, stock=5, is_active=False)
    with pytest.raises(DomainError) as exc:  # off sale
        store.redeem(actor=s.cadre, account_code=acc.code, item=StoreItem.objects.get(pk=rich.pk))
    assert "item" in exc.value.fields
    assert Entry.objects.filter(kind=EntryKind.REDEEM).count() == 2 and ledger.balance(acc) == 20


def test_who_may_redeem(bank):
    s = bank
    acc = ledger.account_of_volunteer(s.vol_zhang)
    give(s, acc, 500, "t:1")
    item = _item(s)
    for actor in (s.c.worker_b, s.c.worker_c, s.zhao, s.zhang):  # grid B, the other town, residents: not found
        with pytest.raises(NotFound):
            store.redeem(actor=actor, account_code=acc.code, item=item)
    with pytest.raises(NotFound):  # a code that is nobody's, or garbage
        store.redeem(actor=s.cadre, account_code="0" * 24, item=item)
    with pytest.raises(NotFound):
        store.redeem(actor=s.cadre, account_code="'; drop table", item=item)
    other = ledger.account_of_volunteer(s.vol_zhao)  # the other town's account: not the cadre's to serve
    give(s, other, 500, "t:2")
    with pytest.raises(NotFound):
        store.redeem(actor=s.cadre, account_code=other.code, item=item)
    assert ledger.balance(acc) == 500 and StoreItem.objects.get(pk=item.pk).stock == 3
    assert store.redeem(actor=s.c.town_staff, account_code=acc.code, item=item).points == -50


def test_the_store_pages(bank):
    s = bank
    item = _item(s)
    hidden = _item(s, name="下架品", is_active=False)
    url = reverse("volunteers:store")
    body = client_for(s.zhang).get(url).content.decode()  # a resident of the village: items on sale
    assert f'data-item="{item.pk}"' in body and f'data-item="{hidden.pk}"' not in body
    assert client_for(s.wang).get(url).status_code == 200  # grid B's resident lives in the same village
    assert client_for(s.zhang).get(url, {"village": s.c.village2.code}).status_code == 404
    assert client_for(s.zhao).get(url, {"village": s.c.village.code}).status_code == 404
    assert client_for(s.c.worker_b).get(url, {"village": s.c.village.code}).status_code == 404
    assert client_for(s.c.worker_c).get(url, {"village": s.c.village.code}).status_code == 404
    body = client_for(s.cadre).get(url).content.decode()
    assert f'data-item="{hidden.pk}"' in body and "添加商品" in body
    resp = client_for(s.cadre).post(url, {"village": s.c.village.code, "name": "米", "price": "1e3", "stock": "2"})
    assert resp.status_code == 400 and "所需积分" in resp.content.decode()
    resp = client_for(s.cadre).post(url, {"village": s.c.village.code, "name": "米", "price": "100", "stock": "2"})
    assert resp.status_code == 302 and StoreItem.objects.filter(name="米", price=100).exists()
    assert client_for(s.zhang).post(url, {"name": "米", "price": "1", "stock": "2"}).status_code == 403
    edit = reverse("volunteers:store_item", args=[item.pk])
    assert client_for(s.c.worker_b).get(edit).status_code == 404
    assert client_for(s.zhao).post(edit, {"name": "x", "price": "1", "stock": "1"}).status_code == 404
    assert client_for(s.zhang).get(edit).status_code == 403
    resp = client_for(s.cadre).post(edit, {"name": "洗衣液", "price": "40", "stock": "-3", "is_active": "on"})
    assert resp.status_code == 400 and "库存" in resp.content.decode()
    assert client_for(s.cadre).post(edit, {"name": "洗衣液", "price": "40", "stock": "9",
                                           "is_active": "on"}).status_code == 302
    assert StoreItem.objects.get(pk=item.pk).price == 40


def test_the_counter_page(bank):
    s = bank
    acc = ledger.account_of_volunteer(s.vol_zhang)
    give(s, acc, 100, "t:1")
    item = _item(s, price=60, stock=1)
    url = reverse("volunteers:counter")
    cadre = client_for(s.cadre)
    body = cadre.get(url, {"code": acc.code}).content.decode()
    assert "张三" in body and 'data-balance="100"' in body and f'data-item="{item.pk}"' in body
    assert cadre.get(url, {"code": "f" * 24}).status_code == 404
    assert client_for(s.c.worker_b).get(url, {"code": acc.code}).status_code == 404  # a grid worker elsewhere
    assert client_for(s.c.worker_c).get(url, {"code": acc.code}).status_code == 404
    assert client_for(s.zhang).get(url).status_code == 404  # not staff
    resp = cadre.post(url, {"account_code": acc.code})
    assert resp.status_code == 400 and "请选择兑换商品" in resp.content.decode()
    resp = cadre.post(url, {"account_code": acc.code, "item": str(item.pk)})
    assert resp.status_code == 302 and ledger.balance(acc) == 40
    resp = cadre.post(url, {"account_code": acc.code, "item": str(item.pk)})
    assert resp.status_code == 400 and "该商品已无库存" in resp.content.decode()
    assert cadre.post(url, {"account_code": acc.code, "item": "9999999999999999999"}).status_code == 404
    assert cadre.post(url, {"account_code": acc.code, "item": "9" * 30}).status_code == 400
    other = store.item_create(actor=None, village=s.c.village2, name="外村", price=1, stock=9)
    assert cadre.post(url, {"account_code": acc.code, "item": str(other.pk)}).status_code == 404
    assert StoreItem.objects.get(pk=other.pk).stock == 9


# ---- races (PostgreSQL) ----------------------------------------------------------------------------------

def race(calls) -> list:
    """Run the calls in threads released together, each with its own connection closed at the end; each
    answer is the result or the DomainError raised. The clock is never frozen inside the threads."""
    barrier = threading.Barrier(len(calls))
    out: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            out[i] = call()
        except DomainError as exc:
            out[i] = exc
        except Exception as exc:  # noqa: BLE001 - anything else fails the assertion, named in its message
            out[i] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads), "a redemption thread is still waiting"
    return out


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_eight_redeem_the_last_item_and_one_gets_it(county):
    with clock.frozen(MONDAY):
        s = build_bank(county)
        accounts = []
        for i in range(8):
            acc = ledger.account_for(village=s.c.village, name=f"志愿者{i}", user=_user(i))
            give(s, acc, 100, f"t:{i}")
            accounts.append(acc)
        item = _item(s, price=50, stock=1)
    answers = race([lambda a=a: store.redeem(actor=s.cadre, account_code=a.code, item=item) for a in accounts])
    won = [a for a in answers if isinstance(a, Entry)]
    lost = [a for a in answers if isinstance(a, DomainError)]
    assert len(won) == 1 and len(lost) == 7 and all(e.code == "out_of_stock" for e in lost), answers
    assert StoreItem.objects.get(pk=item.pk).stock == 0
    assert Entry.objects.filter(kind=EntryKind.REDEEM).count() == 1


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_balance_for_one_item_buys_one_under_eight_threads(county):
    with clock.frozen(MONDAY):
        s = build_bank(county)
        acc = ledger.account_of_volunteer(s.vol_zhang)
        give(s, acc, 60, "t:1")
        items = [_item(s, price=50, stock=5, name="洗衣液"), _item(s, price=40, stock=5, name="毛巾")]
    answers = race([lambda i=i: store.redeem(actor=s.cadre, account_code=acc.code, item=items[i % 2])
                    for i in range(8)])
    won = [a for a in answers if isinstance(a, Entry)]
    lost = [a for a in answers if isinstance(a, DomainError)]
    assert len(won) == 1 and len(lost) == 7 and all(e.code == "insufficient" for e in lost), answers
    assert ledger.balance(acc) == 60 + won[0].points >= 0
    assert sum(StoreItem.objects.filter(pk__in=[i.pk for i in items]).values_list("stock", flat=True)) == 9


def _user(i: int):
    from shanzhi.accounts.services import user_create_staff
    from shanzhi.lib.testing import PASSWORD

    return user_create_staff(actor=None, username=f"v{i}", password=PASSWORD, display_name=f"志愿者{i}",
                             check_strength=False)
