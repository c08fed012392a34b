"""Writes to the registry. Each service runs in one transaction and writes its audit row there."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction

from shanzhi.accounts import scopes
from shanzhi.audit.services import audit_record
from shanzhi.lib import clock
from shanzhi.lib.codes import (
    CodeError,
    id_number_birth_date,
    id_number_sex,
    normalise_id_number,
    normalise_phone,
)
from shanzhi.lib.crypto import lookup_hash
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied, RateLimited
from shanzhi.lib.geometry import GeometryError, check_lat_lon
from shanzhi.org.models import Level, OrgUnit
from shanzhi.org.services import rollup_add
from shanzhi.people.models import (
    CadreKind,
    CadreRegistration,
    CareTag,
    CentralHousehold,
    Household,
    Registration,
    Relation,
    Residency,
    Resident,
    ResidentStatus,
)


def _micro_grid(unit: OrgUnit) -> OrgUnit:
    if unit.level != Level.MICROGRID:
        raise DomainError(f"“{unit.name}”不是微网格，户必须落在微网格", fields={"micro_grid": ["必须是微网格"]})
    return unit


def _household_snapshot(h: Household) -> dict:
    return {"number": h.number, "address": h.address, "micro_grid": h.micro_grid.code,
            "registration": h.registration, "lat": h.lat, "lon": h.lon}


@transaction.atomic
def household_create(*, actor, number: str, micro_grid: OrgUnit, address: str, registration: str,
                     lat: float | None = None, lon: float | None = None) -> Household:
    """Register a household in a micro-grid. Audited; rolls counts up the tree."""
    scopes.require(actor, "people.change", micro_grid)
    _micro_grid(micro_grid)
    number, address = (number or "").strip(), (address or "").strip()
    errors: dict[str, list[str]] = {}
    if not number:
        errors["number"] = ["户号不能为空"]
    elif Household.objects.filter(number=number).exists():
        errors["number"] = [f"户号“{number}”已存在"]
    if not address:
        errors["address"] = ["地址不能为空"]
    if registration not in Registration.values:
        errors["registration"] = [f"户籍类型“{registration}”无效（户籍/流动/人户混合）"]
    if (lat is None) != (lon is None):
        errors["lat"] = ["经纬度须同时填写"]
    elif lat is not None:
        try:
            lat, lon = check_lat_lon(lat, lon)
        except GeometryError as exc:
            errors["lat"] = [str(exc)]
    if errors:
        raise DomainError("；".join(m for ms in errors.values() for m in ms), fields=errors)
    h = Household.objects.create(number=number, micro_grid=micro_grid, address=address,
                                 registration=registration, lat=lat, lon=lon)
    rollup_add(unit_path=micro_grid.path, household_count=1)
    audit_record(actor=actor, action="people.household.create", obj=h, unit_path=micro_grid.path,
                 after=_household_snapshot(h))
    return h


@transaction.atomic
def household_update(*, actor, household: Household, address: str | None = None,
                     registration: str | None = None, lat: float | None = None,
                     lon: float | None = None) -> Household:
    scopes.require(actor, "people.change", household.micro_grid)
    before = _household_snapshot(household)
    if address is not None:
        if not address.strip():
            raise DomainError("地址不能为空", fields={"address": ["地址不能为空"]})
        household.address = address.strip()
    if registration is not None:
        if registration not in Registration.values:
            raise DomainError("户籍类型无效", fields={"registration": ["户籍类型无效"]})
        household.registration = registration
    if lat is not None or lon is not None:
        try:
            household.lat, household.lon = check_lat_lon(lat, lon)
        except GeometryError as exc:
            raise DomainError(str(exc), fields={"lat": [str(exc)]}) from exc
    household.save()
    audit_record(actor=actor, action="people.household.update", obj=household,
                 unit_path=household.micro_grid.path, before=before, after=_household_snapshot(household))
    return household


def clean_person(*, name: str, id_number: str, phone: str = "", sex: str | None = None,
                 birth_date: dt.date | None = None) -> dict:
    """Validate a person's fields; return normalised values or raise DomainError listing each problem."""
    errors: dict[str, list[str]] = {}
    out: dict = {"name": (name or "").strip()}
    if not out["name"]:
        errors["name"] = ["姓名不能为空"]
    elif len(out["name"]) > 50:
        errors["name"] = ["姓名过长"]
    try:
        out["id_number"] = normalise_id_number(id_number)
        out["birth_date"] = id_number_birth_date(out["id_number"])
        out["sex"] = id_number_sex(out["id_number"])
        if out["birth_date"] > clock.today():
            errors["id_number"] = ["身份证号中的出生日期晚于今天"]
        if sex and sex != out["sex"]:
            errors["sex"] = ["性别与身份证号不符"]
        if birth_date and birth_date != out["birth_date"]:
            errors["birth_date"] = ["出生日期与身份证号不符"]
    except CodeError as exc:
        errors["id_number"] = [str(exc)]
    out["phone"] = ""
    if phone:
        try:
            out["phone"] = normalise_phone(phone)
        except CodeError as exc:
            errors["phone"] = [str(exc)]
    if errors:
        raise DomainError("；".join(m for ms in errors.values() for m in ms), fields=errors)
    return out


def _tags(codes: Iterable[str]) -> list[CareTag]:
    codes = [c for c in codes if c]
    tags = list(CareTag.objects.filter(code__in=codes))
    unknown = set(codes) - {t.code for t in tags}
    if unknown:
        raise DomainError(f"未知关爱标签：{'、'.join(sorted(unknown))}", fields={"tags": ["未知标签"]})
    return tags


@transaction.atomic
def resident_create(*, actor, household: Household, name: str, id_number: str, phone: str = "",
                    relation: str = Relation.OTHER, residence: str = Registration.REGISTERED,
                    tags: Iterable[str] = (), moved_in: dt.date | None = None) -> Resident:
    """Register a resident in a household; the ID number must be valid and not yet registered."""
    scopes.require(actor, "people.change", household.micro_grid)
    person = clean_person(name=name, id_number=id_number, phone=phone)
    if relation not in Relation.values:
        raise DomainError("与户主关系无效", fields={"relation": ["无效"]})
    if residence not in (Registration.REGISTERED, Registration.FLOATING):
        raise DomainError("人口类型无效（户籍/流动）", fields={"residence": ["无效"]})
    if Resident.objects.filter(id_number_hash=lookup_hash(person["id_number"])).exists():
        raise DomainError("该身份证号已登记", fields={"id_number": ["该身份证号已登记"]})
    tag_objs = _tags(tags)
    r = Resident(household=household, name=person["name"], sex=person["sex"], birth_date=person["birth_date"],
                 relation=relation, residence=residence)
    r.set_id_number(person["id_number"])
    if person["phone"]:
        r.set_phone(person["phone"])
    r.save()
    r.tags.set(tag_objs)
    Residency.objects.create(resident=r, household=household, relation=relation,
                             moved_in=moved_in or clock.today(), reason="登记")
    rollup_add(unit_path=household.micro_grid.path, resident_count=1,
               floating_count=1 if residence == Registration.FLOATING else 0)
    audit_record(actor=actor, action="people.resident.create", obj=r, unit_path=household.micro_grid.path,
                 after={"name": r.name, "household": household.number, "id_number": r.id_number_masked,
                        "tags": sorted(t.code for t in tag_objs)})
    return r


@transaction.atomic
def resident_update(*, actor, resident: Resident, name: str | None = None, phone: str | None = None,
                    relation: str | None = None, tags: Iterable[str] | None = None) -> Resident:
    scopes.require(actor, "people.change", resident.household.micro_grid)
    before = {"name": resident.name, "phone": resident.phone_masked, "relation": resident.relation,
              "tags": sorted(resident.tags.values_list("code", flat=True))}
    if name is not None:
        if not name.strip():
            raise DomainError("姓名不能为空", fields={"name": ["姓名不能为空"]})
        resident.name = name.strip()
    if phone is not None:
        if phone:
            try:
                resident.set_phone(normalise_phone(phone))
            except CodeError as exc:
                raise DomainError(str(exc), fields={"phone": [str(exc)]}) from exc
        else:
            resident.phone_enc = resident.phone_hash = resident.phone_masked = ""
    if relation is not None:
        if relation not in Relation.values:
            raise DomainError("与户主关系无效", fields={"relation": ["无效"]})
        resident.relation = relation
    resident.save()
    if tags is not None:
        resident.tags.set(_tags(tags))
    after = {"name": resident.name, "phone": resident.phone_masked, "relation": resident.relation,
             "tags": sorted(resident.tags.values_list("code", flat=True))}
    audit_record(actor=actor, action="people.resident.update", obj=resident,
                 unit_path=resident.household.micro_grid.path, before=before, after=after)
    return resident


def _close_residency(resident: Resident, day: dt.date, reason: str) -> None:
    Residency.objects.filter(resident=resident, moved_out__isnull=True).update(moved_out=day, reason=reason)


def _check_after_current_stay(resident: Resident, day: dt.date) -> None:
    stay = Residency.objects.filter(resident=resident, moved_out__isnull=True).order_by("-moved_in").first()
    if stay is not None and day < stay.moved_in:
        msg = f"日期{day:%Y-%m-%d}早于本次入住日期{stay.moved_in:%Y-%m-%d}"
        raise DomainError(msg, fields={"day": [msg]})
    if day > clock.today():
        raise DomainError("日期不能晚于今天", fields={"day": ["日期不能晚于今天"]})


def _active_counts(resident: Resident, sign: int) -> dict[str, int]:
    return {"resident_count": sign, "floating_count": sign if resident.residence == Registration.FLOATING else 0}


@transaction.atomic
def resident_move(*, actor, resident: Resident, to_household: Household, relation: str = Relation.OTHER,
                  day: dt.date | None = None) -> Resident:
    """Move a resident to another household; the old stay is closed, not overwritten."""
    if resident.status != ResidentStatus.ACTIVE or resident.household is None:
        raise DomainError("只有在住居民可以迁移", fields={"status": ["状态不符"]})
    old = resident.household
    scopes.require(actor, "people.change", old.micro_grid)
    scopes.require_target(actor, "people.change", to_household.micro_grid, field="household", message="未找到该户")
    if to_household.pk == old.pk:
        raise DomainError("已在该户中", fields={"household": ["已在该户中"]})
    day = day or clock.today()
    _check_after_current_stay(resident, day)
    _close_residency(resident, day, f"迁至{to_household.number}")
    Residency.objects.create(resident=resident, household=to_household, relation=relation, moved_in=day,
                             reason=f"自{old.number}迁入")
    resident.household, resident.relation = to_household, relation
    resident.save(update_fields=["household", "relation", "updated_at"])
    rollup_add(unit_path=old.micro_grid.path, **_active_counts(resident, -1))
    rollup_add(unit_path=to_household.micro_grid.path, **_active_counts(resident, +1))
    audit_record(actor=actor, action="people.resident.move", obj=resident, unit_path=to_household.micro_grid.path,
                 before={"household": old.number}, after={"household": to_household.number, "day": str(day)})
    return resident


@transaction.atomic
def resident_end(*, actor, resident: Resident, status: str, day: dt.date | None = None,
                 reason: str = "") -> Resident:
    """Record that a resident moved out of the county or died; the record and history stay."""
    if status not in (ResidentStatus.MOVED_OUT, ResidentStatus.DECEASED):
        raise DomainError("状态无效（迁出/死亡）", fields={"status": ["无效"]})
    if resident.status != ResidentStatus.ACTIVE:
        raise DomainError(f"该居民已是“{resident.get_status_display()}”状态", fields={"status": ["状态不符"]})
    scopes.require(actor, "people.change", resident.household.micro_grid)
    day = day or clock.today()
    _check_after_current_stay(resident, day)
    _close_residency(resident, day, reason or ResidentStatus(status).label)
    resident.status, resident.status_date = status, day
    resident.save(update_fields=["status", "status_date", "updated_at"])
    rollup_add(unit_path=resident.household.micro_grid.path, **_active_counts(resident, -1))
    audit_record(actor=actor, action=f"people.resident.{status}", obj=resident,
                 unit_path=resident.household.micro_grid.path, after={"status": status, "day": str(day)},
                 reason=reason)
    return resident


REVEAL_FIELDS = {"id_number": "身份证号", "phone": "手机号"}
REVEALED = tuple(f"people.reveal.{name}" for name in REVEAL_FIELDS)
REVEAL_REFUSED = "people.reveal.refused"
REASON_MESSAGE = "查看完整信息必须填写事由（至少两个汉字或字母，写明为何需要）"


def resident_reveal(*, actor, resident: Resident | int | str, field: str, reason: str,
                    now: dt.datetime | None = None, granted: bool = False) -> str:
    """Decrypt a resident's ID number or phone for someone in scope, with a reason. Audited.

    `resident` is the record or its id (so an attempt on one out of scope is seen here). `granted` is the
    object-level grant of the caller's rule, given to the gate (a campaign's responsible person calling
    a household in their care); the reason, the hourly limit and the audit apply all the same. Refusals are
    audited too, in their own transaction: out of scope or missing (404), not allowed (403), over the
    hourly limit (429, flagged to the county admins once an hour). A reason without content is a 400.
    """
    now = now or clock.now()
    target = resident if isinstance(resident, Resident) else _resident_by_id(resident)
    try:
        with transaction.atomic():
            return _reveal(actor=actor, resident=target, field=field, reason=reason, now=now, granted=granted)
    except (NotFound, PermissionDenied, RateLimited) as exc:
        with transaction.atomic():
            audit_record(actor=actor, action=REVEAL_REFUSED, obj=target, object_type="people.resident",
                         object_id=str(getattr(resident, "pk", resident))[:40],
                         unit_path=_reveal_unit_path(target), reason=(reason or "").strip()[:500],
                         after={"field": str(field)[:20], "refused": exc.code, "status": exc.status})
            if isinstance(exc, RateLimited):
                reveal_burst_flag(actor=actor, unit_path=_reveal_unit_path(target), now=now)
        raise


def _resident_by_id(value) -> Resident | None:
    text = str(value)
    if not text.isdigit() or len(text) > 18:  # beyond a 64-bit id: missing, not a database error
        return None
    return Resident.objects.select_related("household__micro_grid").filter(pk=int(text)).first()


def _reveal_unit_path(resident: Resident | None) -> str:
    household = resident.household if resident is not None else None
    return household.micro_grid.path if household is not None else ""


def _reveal(*, actor, resident: Resident | None, field: str, reason: str, now: dt.datetime,
            granted: bool = False) -> str:
    household = resident.household if resident is not None else None
    if household is None:  # missing, or no longer in a household: nobody's to reveal
        raise NotFound("未找到该居民")
    scopes.require(actor, "people.reveal", household.micro_grid, what="该居民", granted=granted)
    errors: dict[str, list[str]] = {}  # every wrong field named at once
    if field not in REVEAL_FIELDS:
        errors["field"] = ["只能查看身份证号或手机号"]
    reason = (reason or "").strip()
    if sum(ch.isalpha() for ch in reason) < 2:  # letters and CJK characters; not digits, not punctuation
        errors["reason"] = [REASON_MESSAGE]
    if errors:
        raise DomainError("；".join(m for ms in errors.values() for m in ms), fields=errors)
    if actor is not None:
        reveal_limit_check(actor=actor, now=now)
    value = resident.id_number_plain() if field == "id_number" else resident.phone_plain()
    audit_record(actor=actor, action=f"people.reveal.{field}", obj=resident, unit_path=household.micro_grid.path,
                 reason=reason)
    return value


def reveal_limit() -> int:
    """Reveals a person may make in an hour (SHANZHI_REVEAL_LIMIT_PER_HOUR, default 20)."""
    return int(settings.SHANZHI.get("REVEAL_LIMIT_PER_HOUR", 20))


def reveal_limit_check(*, actor, now: dt.datetime) -> None:
    """Refuse a reveal past the hourly limit, counted from the audit log (the actor's row is locked first,
    so two reveals at once cannot both take the last one)."""
    from django.contrib.auth import get_user_model

    from shanzhi.audit.models import AuditEntry

    list(get_user_model().objects.select_for_update().filter(pk=actor.pk).values_list("pk", flat=True))
    limit = reveal_limit()
    done = AuditEntry.objects.filter(actor_id=actor.pk, action__in=REVEALED,
                                     at__gt=now - dt.timedelta(hours=1)).count()
    if done >= limit:
        raise RateLimited(f"一小时内查看完整信息已达{limit}次上限，请稍后再试；如确有需要请联系县级管理员。")


def reveal_burst_flag(*, actor, unit_path: str, now: dt.datetime) -> None:
    """Tell the county admins above the resident, in their inbox, once per person per hour."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from shanzhi.cases.notify import inbox_notify
    from shanzhi.org.models import Post, Role

    if actor is None:
        return
    posts = Post.objects.filter(Post.current_q(on=timezone.localdate(now)), role=Role.COUNTY_ADMIN)
    held = [(u, r) for u, r, path in posts.values_list("user_id", "resident_id", "unit__path")
            if unit_path.startswith(path)]
    ids = {u for u, _r in held if u} | set(get_user_model().objects.filter(
        resident_id__in=[r for _u, r in held if r]).values_list("pk", flat=True))
    hour = timezone.localtime(now).strftime("%Y%m%d%H")
    who = getattr(actor, "display_name", "") or getattr(actor, "username", "")
    text = (f"{who}在一小时内查看居民完整身份证号/手机号已超过{reveal_limit()}次，后续查看已被拒绝，"
            f"请在审计日志中核实（people.reveal）。")
    inbox_notify(sorted(ids - {actor.pk}), kind="reveal_burst", text=text, key=f"reveal-burst:{actor.pk}:{hour}",
                 now=now)


def _capacity(ch: CentralHousehold) -> int:
    return ch.capacity or settings.SHANZHI["CENTRAL_HOUSEHOLD_CAPACITY"]


@transaction.atomic
def central_household_create(*, actor, household: Household, leader: Resident,
                             capacity: int | None = None) -> CentralHousehold:
    """Make a household a party-member central household led by one of its party members."""
    scopes.require(actor, "people.change", household.micro_grid)
    if leader.household_id != household.pk or leader.status != ResidentStatus.ACTIVE:
        raise DomainError("中心户户长必须是该户在住成员", fields={"leader": ["必须是该户成员"]})
    if not leader.tags.filter(code="party_member").exists():
        raise DomainError("中心户户长必须是党员", fields={"leader": ["必须是党员"]})
    if CentralHousehold.objects.filter(household=household).exists():
        raise DomainError("该户已是党员中心户", fields={"household": ["已是中心户"]})
    if capacity is not None and capacity < 1:
        raise DomainError("联系户上限至少为1", fields={"capacity": ["至少为1"]})
    ch = CentralHousehold.objects.create(household=household, leader=leader, capacity=capacity)
    audit_record(actor=actor, action="people.central.create", obj=ch, unit_path=household.micro_grid.path,
                 after={"household": household.number, "leader": leader.name})
    return ch


@transaction.atomic
def central_household_link(*, actor, central: CentralHousehold, households: list[Household]) -> int:
    """Link households to a central household, within capacity and (by default) the same micro-grid."""
    scopes.require(actor, "people.change", central.household.micro_grid)
    same_mg = settings.SHANZHI["CENTRAL_HOUSEHOLD_SAME_MICROGRID"]
    for h in households:
        scopes.require_target(actor, "people.change", h.micro_grid, field="households",
                              message=f"未找到户“{h.number}”")
        if same_mg and h.micro_grid_id != central.household.micro_grid_id:
            raise DomainError(f"户“{h.number}”与中心户不在同一微网格", fields={"households": ["不在同一微网格"]})
        if h.pk == central.household_id:
            raise DomainError("中心户不能联系自己", fields={"households": ["不能联系自己"]})
    current = Household.objects.filter(central_household=central).exclude(pk__in=[h.pk for h in households])
    total = current.count() + len(households)
    if total > _capacity(central):
        raise DomainError(f"超出联系户上限：{total}户，上限{_capacity(central)}户",
                          fields={"households": ["超出上限"]})
    Household.objects.filter(pk__in=[h.pk for h in households]).update(central_household=central)
    audit_record(actor=actor, action="people.central.link", obj=central,
                 unit_path=central.household.micro_grid.path,
                 after={"households": [h.number for h in households]})
    return total


@transaction.atomic
def cadre_register(*, actor, resident: Resident, village: OrgUnit, kind: str, work_unit: str = "",
                   day: dt.date | None = None) -> CadreRegistration:
    """Register a party member or cadre with the village they live in (进村报到)."""
    if resident.household is None:
        raise NotFound()
    scopes.require(actor, "people.change", resident.household.micro_grid)
    if village.level != Level.VILLAGE:
        raise DomainError("只能向村/社区报到", fields={"village": ["必须是村/社区"]})
    if kind not in CadreKind.values:
        raise DomainError("类型无效（党员/机关干部）", fields={"kind": ["无效"]})
    if resident.status != ResidentStatus.ACTIVE or resident.household is None:
        raise DomainError("只有在住居民可以报到", fields={"resident": ["不是在住居民"]})
    if not resident.household.micro_grid.path.startswith(village.path):
        raise DomainError("应向居住地所在的村/社区报到", fields={"village": ["不是居住地所在村社"]})
    if CadreRegistration.objects.filter(resident=resident, village=village, ended_on__isnull=True).exists():
        raise DomainError("已在该村/社区报到", fields={"village": ["已报到"]})
    reg = CadreRegistration.objects.create(resident=resident, village=village, kind=kind, work_unit=work_unit,
                                           registered_on=day or clock.today())
    audit_record(actor=actor, action="people.cadre.register", obj=reg, unit_path=village.path,
                 after={"resident": resident.name, "kind": kind})
    return reg
