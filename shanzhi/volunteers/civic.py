"""Civic points (文明积分): residents earn points for the acts the county configures (`CivicAct`: waste sorting
checked on a visit, a council topic of theirs carried out, a good deed on the honour roll). Staff award them by
hand where the resident lives in their scope (volunteers.award); the receivers award the council's and the moral
panel's once each, as the system.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import transaction
from django.db.models import QuerySet

from shanzhi.accounts import scopes
from shanzhi.audit.services import audit_record
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, NotFound
from shanzhi.org.models import Level, OrgUnit
from shanzhi.people.models import Resident, ResidentStatus
from shanzhi.volunteers import ledger
from shanzhi.volunteers.models import Account, CivicAct, Entry, EntryKind


def _bad(field: str, message: str, code: str | None = None) -> DomainError:
    return DomainError(message, fields={field: [message]}, code=code)


def resident_village(resident: Resident) -> OrgUnit | None:
    """The village (or community) of the resident's household."""
    household = resident.household
    if household is None:
        return None
    return OrgUnit.objects.filter(code__in=household.micro_grid.ancestor_codes, level=Level.VILLAGE).first()


def residents_in_scope(actor, *, name: str, limit: int = 20) -> QuerySet[Resident]:
    """Active residents living in the actor's award scope whose name contains `name` (the desk's search)."""
    name = (name or "").strip()
    if not name:
        return Resident.objects.none()
    return (Resident.objects.filter(scopes.unit_ids_q(actor, "volunteers.award", "household__micro_grid"),
                                    status=ResidentStatus.ACTIVE, household__isnull=False, name__contains=name)
            .select_related("household__micro_grid").order_by("name", "id")[:limit])


def resident_get(*, actor, pk: int) -> Resident:
    """A resident the actor may award (living in their scope), else not found."""
    found = Resident.objects.select_related("household__micro_grid").filter(pk=pk).first()
    if (found is None or found.household is None
            or actor is not None and not scopes.may(actor, "volunteers.view", found.household.micro_grid)
            and not scopes.may(actor, "volunteers.award", found.household.micro_grid)):
        raise NotFound("未找到该居民")
    return found


def active_acts() -> QuerySet[CivicAct]:
    return CivicAct.objects.filter(is_active=True)


def _token(token) -> str:
    token = str(token or "").strip().lower()
    if len(token) != 32 or not token.isascii() or not all(ch in "0123456789abcdef" for ch in token):
        raise _bad("token", "表单已失效，请刷新页面后重新提交")
    return token


def new_token() -> str:
    """The random token a desk form carries, so posting it twice awards once."""
    return secrets.token_hex(16)


@transaction.atomic
def desk_award(*, actor, resident: Resident, act_code: str, note: str, token: str,
               now: dt.datetime | None = None) -> tuple[Entry, bool]:
    """The desk's award, once per form: the form's token is the entry's source, so a repeated post (a double
    click, a reload) answers the first entry. Answers (entry, created)."""
    source = f"civic:desk:{_token(token)}"
    found = Entry.objects.filter(source=source).select_related("account").first()
    if found is not None:
        if resident.household is None:
            raise _bad("resident", "该居民不在册")
        scopes.require(actor, "volunteers.award", resident.household.micro_grid, what="该居民")
        if found.account.resident_id != resident.pk:
            raise _bad("token", "表单已提交过，请刷新页面后重新填写")
        return found, False
    entry = award(actor=actor, resident=resident, act_code=act_code, note=note, source=source, now=now)
    return entry, entry.audit_new


@transaction.atomic
def award(*, actor, resident: Resident, act_code: str, note: str, source: str | None = None,
          now: dt.datetime | None = None) -> Entry:
    """Credit the act's points to the resident's account, in their village. A `source` makes it happen once
    (the receivers'); a desk award without one is a new entry each time and needs a note. Audited."""
    household = resident.household
    if household is None or resident.status != ResidentStatus.ACTIVE:
        raise _bad("resident", "该居民不在册")
    scopes.require(actor, "volunteers.award", household.micro_grid, what="该居民")
    act = CivicAct.objects.filter(code=str(act_code or ""), is_active=True).first()
    if act is None:
        raise _bad("act_code", "请选择有效的文明积分项目")
    note = (note or "").strip()
    if actor is not None and not note:
        raise _bad("note", "请填写说明（如检查日期、事由）")
    if len(note) > 200:
        raise _bad("note", "说明不能超过200字")
    village = resident_village(resident)
    if village is None:
        raise _bad("resident", "该居民不在册")
    now = now or clock.now()
    account = ledger.account_for(village=village, name=resident.name, resident=resident, now=now)
    source = source or f"civic:{act.code}:{resident.pk}:{secrets.token_hex(6)}"
    Account.objects.select_for_update().filter(pk=account.pk).first()  # one award of a source at a time
    found = Entry.objects.filter(source=source).first()
    if found is not None:
        found.audit_new = False
        return found
    entry = ledger.credit(account=account, kind=EntryKind.CIVIC, hours=0, points=act.points, village=village,
                          source=source, actor=actor, note=f"{act.name}：{note}" if note else act.name, at=now)
    audit_record(actor=actor, action="volunteers.civic_award", obj=entry, unit_path=household.micro_grid.path,
                 after={"resident": resident.pk, "act": act.code, "points": act.points, "source": source},
                 reason=note)
    entry.audit_new = True
    return entry
