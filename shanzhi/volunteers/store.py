"""The village points store (积分超市): items with a price in points and a stock, managed by the village's
cadres (volunteers.run), and redemptions at the counter (volunteers.counter): staff scan the person's account
code, and the points and the stock change in one transaction.

A redemption locks the account row, then the item row (always in that order), so two redemptions at once
can neither spend the same points twice nor take the last item twice; the balance is summed under the lock.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

from django.db import transaction
from django.db.models import QuerySet

from shanzhi.accounts import scopes
from shanzhi.audit.services import audit_record
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, NotFound
from shanzhi.org.models import Level, OrgUnit
from shanzhi.volunteers import access
from shanzhi.volunteers.ledger import balance
from shanzhi.volunteers.models import Account, Entry, EntryKind, StoreItem

CODE = re.compile(r"[0-9a-f]{8,32}")
MAX_PRICE = 1_000_000
MAX_STOCK = 100_000


def _bad(field: str, message: str, code: str | None = None) -> DomainError:
    return DomainError(message, fields={field: [message]}, code=code)


def code_from_scan(value) -> str:
    """The account code from what the counter's scanner typed: the bare code, or the link the phone's QR
    holds (…/counter/?code=…). Anything else is "" (not found)."""
    text = str(value or "").strip()
    if "code=" in text:
        try:
            text = (parse_qs(urlsplit(text).query).get("code") or [""])[0].strip()
        except ValueError:
            return ""
    text = text.lower()
    return text if CODE.fullmatch(text) else ""


# ---- what is seen ------------------------------------------------------------------------------------

def may_see_store(user, village: OrgUnit) -> bool:
    """A village's store: its residents, and staff who see the service there (or run the counter)."""
    if user is None:
        return True
    home = access.home_village(user)
    if home is not None and home.pk == village.pk:
        return True
    return scopes.may(user, "volunteers.view", village) or scopes.may(user, "volunteers.counter", village)


def store_items(*, actor, village: OrgUnit, all_items: bool = False) -> QuerySet[StoreItem]:
    """The village's items (on sale only, unless `all_items` for those who manage them); NotFound when the
    store is not the actor's to see."""
    if village.level != Level.VILLAGE or not may_see_store(actor, village):
        raise NotFound("未找到该积分超市")
    qs = StoreItem.objects.filter(village=village)
    return qs if all_items else qs.filter(is_active=True)


def item_get(*, actor, pk: int) -> StoreItem:
    found = StoreItem.objects.select_related("village").filter(pk=pk).first()
    if found is None or not may_see_store(actor, found.village):
        raise NotFound("未找到该商品")
    return found


def account_at_counter(*, actor, account_code: str) -> Account:
    """The account behind a scanned code, if the counter's staff may serve it (its village in their counter
    scope); a missing code and one out of scope are the same "not found"."""
    code = code_from_scan(account_code)
    found = Account.objects.select_related("village").filter(code=code).first() if code else None
    if found is None or actor is not None and not scopes.may(actor, "volunteers.counter", found.village):
        raise NotFound("未找到该积分码")
    return found


# ---- items -------------------------------------------------------------------------------------------

def _item_fields(name, price, stock) -> tuple[str, int, int]:
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = ["请填写商品名称"]
    elif len(name) > 50:
        errors["name"] = ["商品名称不能超过50字"]
    try:
        price = int(price)
        if not 1 <= price <= MAX_PRICE:
            errors["price"] = [f"所需积分应在1到{MAX_PRICE}之间"]
    except (TypeError, ValueError):
        errors["price"] = ["所需积分应为整数"]
    try:
        stock = int(stock)
        if not 0 <= stock <= MAX_STOCK:
            errors["stock"] = [f"库存应在0到{MAX_STOCK}之间"]
    except (TypeError, ValueError):
        errors["stock"] = ["库存应为整数"]
    if errors:
        raise DomainError("；".join(m for ms in errors.values() for m in ms), fields=errors)
    return name, price, stock


@transaction.atomic
def item_create(*, actor, village: OrgUnit, name: str, price: int, stock: int, is_active: bool = True,
                now: dt.datetime | None = None) -> StoreItem:
    """Put an item in the village's store (the village's cadres, the town and the county)."""
    if village.level != Level.VILLAGE:
        raise _bad("village", "积分超市只设在村社")
    scopes.require(actor, "volunteers.run", village, what="该积分超市", visible=may_see_store(actor, village))
    name, price, stock = _item_fields(name, price, stock)
    item = StoreItem.objects.create(village=village, name=name, price=price, stock=stock, is_active=bool(is_active),
                                    created_at=now or clock.now())
    audit_record(actor=actor, action="volunteers.item_create", obj=item, unit_path=village.path,
                 after={"name": name, "price": price, "stock": stock, "is_active": bool(is_active)})
    return item


@transaction.atomic
def item_update(*, actor, item: StoreItem, name: str, price: int, stock: int, is_active: bool) -> StoreItem:
    """Change an item's name, price, stock or whether it is on sale (the row is locked, as at the counter)."""
    scopes.require(actor, "volunteers.run", item.village, what="该商品", visible=may_see_store(actor, item.village))
    name, price, stock = _item_fields(name, price, stock)
    locked = StoreItem.objects.select_for_update().get(pk=item.pk)
    before = {"name": locked.name, "price": locked.price, "stock": locked.stock, "is_active": locked.is_active}
    locked.name, locked.price, locked.stock, locked.is_active = name, price, stock, bool(is_active)
    locked.save(update_fields=["name", "price", "stock", "is_active"])
    audit_record(actor=actor, action="volunteers.item_update", obj=locked, unit_path=item.village.path,
                 before=before, after={"name": name, "price": price, "stock": stock, "is_active": bool(is_active)})
    return locked


# ---- the counter -------------------------------------------------------------------------------------

@transaction.atomic
def redeem(*, actor, account_code: str, item: StoreItem, now: dt.datetime | None = None) -> Entry:
    """Redeem one item for the account behind the scanned code: lock the account, then the item; refuse an
    item out of stock or off sale (400 on `item`) and a balance below the price (400 on `account_code`);
    write the negative entry and take one from the stock. Audited."""
    village = OrgUnit.objects.get(pk=item.village_id)
    scopes.require(actor, "volunteers.counter", village, what="该商品")
    found = account_at_counter(actor=actor, account_code=account_code)
    account = Account.objects.select_for_update().get(pk=found.pk)
    locked = StoreItem.objects.select_for_update().get(pk=item.pk)
    if not locked.is_active:
        raise _bad("item", "该商品已下架", "off_sale")
    if locked.stock <= 0:
        raise _bad("item", "该商品已无库存", "out_of_stock")
    have = balance(account)
    if have < locked.price:
        raise _bad("account_code", f"积分不足：余额{have}分，兑换“{locked.name}”需要{locked.price}分",
                   "insufficient")
    now = now or clock.now()
    entry = Entry.objects.create(account=account, kind=EntryKind.REDEEM, points=-locked.price, village=village,
                                 at=now, item=locked, note=locked.name[:200],
                                 actor=actor if getattr(actor, "pk", None) else None, created_at=now)
    locked.stock -= 1
    locked.save(update_fields=["stock"])
    audit_record(actor=actor, action="volunteers.redeem", obj=entry, unit_path=village.path,
                 after={"account": account.pk, "item": locked.pk, "points": -locked.price,
                        "balance": have - locked.price, "stock": locked.stock})
    return entry
