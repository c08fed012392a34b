"""The time bank's ledger: append-only entries, balances as sums, credits once per source, corrections as
new entries. The store's redemptions (`volunteers.store`) and every credit (a confirmed service, an
activity's hours, a civic act) write here and nowhere else.
"""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum

from shanzhi.accounts import scopes
from shanzhi.audit.services import audit_record
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, NotFound
from shanzhi.org.models import OrgUnit
from shanzhi.volunteers.models import Account, Entry, EntryKind, PointsRule

TWO = Decimal("0.01")


def points_rule() -> PointsRule:
    """The county's rule (one row, made by the migration; made again if someone deleted it)."""
    rule = PointsRule.objects.order_by("id").first()
    return rule or PointsRule.objects.create(points_per_hour=10)


def points_for(hours: Decimal, multiplier: Decimal = Decimal(1), rule: PointsRule | None = None) -> int:
    """Points for hours under the county rule, times the multiplier, rounded half up to whole points."""
    rule = rule or points_rule()
    value = Decimal(hours) * Decimal(rule.points_per_hour) * Decimal(multiplier)
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def hours_between(start: dt.datetime, end: dt.datetime, cap: Decimal | None = None) -> Decimal:
    """Hours from check-in to check-out, to the hundredth, never negative, capped by the rule."""
    hours = (Decimal((end - start).total_seconds()) / Decimal(3600)).quantize(TWO, rounding=ROUND_HALF_UP)
    hours = max(hours, Decimal(0))
    if cap is not None:
        hours = min(hours, Decimal(cap))
    return hours


def account_for(*, village: OrgUnit, name: str, resident=None, user=None, now: dt.datetime | None = None) -> Account:
    """The person's account, made on first use (one per resident or user; race-safe)."""
    if resident is None and user is None:
        raise ValueError("an account belongs to a resident or a user")
    key = {"resident": resident} if resident is not None else {"user": user}
    found = Account.objects.filter(**key).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return Account.objects.create(**key, name=name, village=village, code=secrets.token_hex(12),
                                          created_at=now or clock.now())
    except IntegrityError:
        return Account.objects.get(**key)


def account_of_user(user) -> Account | None:
    """The logged-in user's account (their own as staff, or their resident record's), or None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if getattr(user, "resident_id", None):
        found = Account.objects.filter(resident_id=user.resident_id).first()
        if found is not None:
            return found
    return Account.objects.filter(user_id=user.pk).first()


def balance(account: Account) -> int:
    """The balance: the sum of the account's entries (anyone can add them up)."""
    return Entry.objects.filter(account=account).aggregate(s=Sum("points"))["s"] or 0


def hours_total(account: Account, start: dt.datetime | None = None, end: dt.datetime | None = None) -> Decimal:
    """Hours credited to the account (services and activities, corrections included) in [start, end)."""
    qs = Entry.objects.filter(account=account)
    if start is not None:
        qs = qs.filter(at__gte=start)
    if end is not None:
        qs = qs.filter(at__lt=end)
    return qs.aggregate(s=Sum("hours"))["s"] or Decimal(0)


def credit(*, account: Account, kind: str, hours: Decimal, points: int, village: OrgUnit, source: str,
           actor=None, note: str = "", request=None, signup=None, at: dt.datetime | None = None) -> Entry:
    """Append one credit, once per `source`: a second credit of the same source returns the first entry.

    Must run inside the caller's transaction (the service that confirmed the work), which also audits."""
    if kind not in (EntryKind.SERVICE, EntryKind.ACTIVITY, EntryKind.CIVIC):
        raise ValueError(f"not a credit kind: {kind!r}")
    if points < 0 or Decimal(hours) < 0:
        raise ValueError("a credit is never negative")
    found = Entry.objects.filter(source=source).first()
    if found is not None:
        return found
    now = clock.now()
    try:
        with transaction.atomic():
            return Entry.objects.create(account=account, kind=kind, hours=Decimal(hours).quantize(TWO),
                                        points=points, village=village, at=at or now, source=source,
                                        request=request, signup=signup, note=note[:200],
                                        actor=actor if getattr(actor, "pk", None) else None, created_at=now)
    except IntegrityError:
        return Entry.objects.get(source=source)


@transaction.atomic
def correct(*, actor, entry: Entry, points: int, hours: Decimal = Decimal(0), reason: str,
            now: dt.datetime | None = None) -> Entry:
    """Correct an entry by a new one (±points, ±hours) with a reason; the entry itself never changes.

    The account may not go below zero by a correction."""
    scopes.require(actor, "volunteers.correct", entry.village, what="该积分记录")
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = ["请填写更正原因"]
    try:
        points = int(points)
    except (TypeError, ValueError):
        errors["points"] = ["积分应为整数"]
        points = 0
    try:
        hours = Decimal(str(hours)).quantize(TWO)
    except Exception:
        errors["hours"] = ["时长应为数字"]
        hours = Decimal(0)
    if not errors and points == 0 and hours == 0:
        errors["points"] = ["更正的积分和时长不能都为0"]
    if entry.kind == EntryKind.REDEEM:
        errors["entry"] = ["兑换记录不能更正，请由商品退回处理"]
    if errors:
        raise DomainError("；".join(m for ms in errors.values() for m in ms), fields=errors)
    account = Account.objects.select_for_update().get(pk=entry.account_id)
    if balance(account) + points < 0:
        raise DomainError("更正后积分余额不能为负", fields={"points": ["更正后积分余额不能为负"]})
    now = now or clock.now()
    fix = Entry.objects.create(account=account, kind=EntryKind.CORRECTION, hours=hours, points=points,
                               village=entry.village, at=now, corrects=entry, note=reason[:200],
                               actor=actor if getattr(actor, "pk", None) else None, created_at=now)
    audit_record(actor=actor, action="volunteers.ledger_correct", obj=fix, unit_path=entry.village.path,
                 after={"corrects": entry.pk, "points": points, "hours": str(hours)}, reason=reason)
    return fix


# ---- who the accounts belong to, and what staff see ---------------------------------------------------

def account_of_person(user) -> Account | None:
    """The user's account, made on first use: through their resident record (their household's village) or as
    a volunteer (their approving village). None for someone with neither (a staff user who never served)."""
    from shanzhi.volunteers import access

    found = account_of_user(user)
    if found is not None:
        return found
    resident = getattr(user, "resident", None) if getattr(user, "resident_id", None) else None
    if resident is not None:
        village = access.home_village(user)
        if village is not None:
            return account_for(village=village, name=resident.name, resident=resident)
    volunteer = access.volunteer_for(user)
    if volunteer is not None:
        if volunteer.resident_id:
            return account_for(village=volunteer.village, name=volunteer.name, resident=volunteer.resident)
        return account_for(village=volunteer.village, name=volunteer.name, user=volunteer.user)
    return None


def account_of_volunteer(volunteer) -> Account:
    """A volunteer's account (through their resident record when they have one, else their user)."""
    if volunteer.resident_id:
        return account_for(village=volunteer.village, name=volunteer.name, resident=volunteer.resident)
    return account_for(village=volunteer.village, name=volunteer.name, user=volunteer.user)


def account_get(*, actor, pk: int, action: str = "volunteers.view") -> Account:
    """An account staff may see (its village in scope), else NotFound like a missing one."""
    found = Account.objects.select_related("village").filter(pk=pk).first()
    if found is None or actor is not None and not scopes.may(actor, action, found.village):
        raise NotFound("未找到该积分账户")
    return found


def entry_get(*, actor, pk: int) -> Entry:
    """An entry staff may see (where it was earned or spent in scope), else NotFound."""
    found = Entry.objects.select_related("account", "village").filter(pk=pk).first()
    if found is None or actor is not None and not scopes.may(actor, "volunteers.view", found.village):
        raise NotFound("未找到该积分记录")
    return found


def entries_in_scope(actor, *, village: OrgUnit | None = None, kind: str = "", start: dt.datetime | None = None,
                     end: dt.datetime | None = None, name: str = ""):
    """Entries written in the actor's scope (where earned or spent), newest first, with the filters."""
    qs = Entry.objects.filter(scopes.unit_ids_q(actor, "volunteers.view", "village"))
    if village is not None:
        qs = qs.filter(village=village)
    if kind:
        qs = qs.filter(kind=kind)
    if start is not None:
        qs = qs.filter(at__gte=start)
    if end is not None:
        qs = qs.filter(at__lt=end)
    if name:
        qs = qs.filter(account__name__contains=name)
    return qs.select_related("account", "village").order_by("-at", "-id")


def entries_of(account: Account):
    """Every entry of an account, newest first (their sum is the balance)."""
    return Entry.objects.filter(account=account).select_related("village", "item").order_by("-at", "-id")
