"""Writes to campaigns: declare, assign, reassign, record outcomes, sign off, check in, release.

Each service runs in one transaction with its audit row. Assignment of a whole scope is one call:
the households are read once, assigned in memory (campaigns.assign) and written in bulk.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from shanzhi.accounts import scopes
from shanzhi.audit.services import audit_record
from shanzhi.campaigns import assign as A
from shanzhi.campaigns.models import (
    Campaign,
    CampaignStatus,
    CheckIn,
    Incident,
    IncidentMeasure,
    IncidentType,
    Kind,
    Measure,
    Outcome,
    Rule,
    SignOff,
    Site,
    Stay,
    Target,
    Visit,
)
from shanzhi.campaigns.scope import Scope
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, NotFound
from shanzhi.org.models import Level, OrgUnit, Post, Role
from shanzhi.people.models import CadreRegistration, CentralHousehold, Household, Resident, ResidentStatus

OUTCOMES = {
    Kind.NIGHT_VISIT: [Outcome.VISITED, Outcome.NOT_HOME, Outcome.REFUSED, Outcome.VACANT, Outcome.MOVED],
    Kind.SURVEY: [Outcome.VISITED, Outcome.NOT_HOME, Outcome.REFUSED, Outcome.VACANT, Outcome.MOVED],
    Kind.EMERGENCY: [Outcome.NOTIFIED, Outcome.IN_PLACE, Outcome.NOT_HOME, Outcome.REFUSED, Outcome.VACANT,
                     Outcome.MOVED],
}
DONE = {
    Kind.NIGHT_VISIT: [Outcome.VISITED, Outcome.VACANT, Outcome.MOVED],
    Kind.SURVEY: [Outcome.VISITED, Outcome.VACANT, Outcome.MOVED],
    Kind.EMERGENCY: [Outcome.IN_PLACE, Outcome.VACANT, Outcome.MOVED],
}
GRID_WORKER_CAPACITY = 5000
GENERIC_EMERGENCY = [Outcome.NOT_HOME, Outcome.REFUSED, Outcome.VACANT, Outcome.MOVED]
DEFAULT_INCIDENT_TYPE = "epidemic"  # incident_declare without a type: the seeded epidemic (older callers)


# ---- incident types: their measures and words ---------------------------------------------------

def incident_type_of(campaign: Campaign) -> tuple[IncidentType | None, list[IncidentMeasure]]:
    """The campaign's incident type and its measures (None, [] for a night visit). Cached on the object."""
    cached = getattr(campaign, "_shanzhi_incident_type", None)
    if cached is not None:
        return cached
    kind, measures = None, []
    if campaign.kind == Kind.EMERGENCY:
        incident = Incident.objects.filter(campaign_id=campaign.pk).select_related("kind").first()
        kind = incident.kind if incident else None
        measures = list(kind.measures.all()) if kind else []
    campaign._shanzhi_incident_type = (kind, measures)
    return kind, measures


def _type_outcomes(measures: list[IncidentMeasure]) -> tuple[list[str], list[str]]:
    """(outcomes offered, outcomes that complete a household) of an emergency of a type with `measures`."""
    field = [m for m in measures if m.in_field]
    if not field:
        return ([Outcome.NOTIFIED, Outcome.IN_PLACE, *GENERIC_EMERGENCY],
                [Outcome.IN_PLACE, Outcome.VACANT, Outcome.MOVED])
    codes = [m.code for m in field]
    return [Outcome.NOTIFIED, *codes, *GENERIC_EMERGENCY], [*codes, Outcome.VACANT, Outcome.MOVED]


def outcome_codes(campaign: Campaign) -> list[str]:
    """The outcomes a responsible person may record in this campaign, in button order."""
    if campaign.kind != Kind.EMERGENCY:
        return [str(o) for o in OUTCOMES.get(campaign.kind, [])]
    return [str(o) for o in _type_outcomes(incident_type_of(campaign)[1])[0]]


def outcome_label(campaign: Campaign, code: str) -> str:
    """The words for an outcome in this campaign: the type's measure, its "in place", or the plain label."""
    from django.utils.translation import gettext

    if not code:
        return ""
    kind, measures = incident_type_of(campaign)
    for m in measures:
        if m.code == code:
            return m.name
    if code == Outcome.IN_PLACE and kind is not None:
        return kind.in_place_label
    return gettext(dict(Outcome.choices).get(code, code))


def measure_label(campaign: Campaign, code: str) -> str:
    """The name of a household's measure in this campaign (居家隔离, 已转移...)."""
    from django.utils.translation import gettext

    if not code:
        return ""
    for m in incident_type_of(campaign)[1]:
        if m.code == code:
            return m.name
    return gettext(dict(Measure.choices).get(code, code))


def type_words(campaign: Campaign) -> dict:
    """The words pages use for an emergency of this type (defaults are the epidemic's)."""
    kind, measures = incident_type_of(campaign)
    if kind is None:
        return {"name": "", "in_place": "已落实管控", "measures": "管控措施", "index": "指示病例",
                "person": "指示病例/当事人", "contacts": "密切接触者", "checkins": True, "site": "隔离点"}
    return {"name": kind.name, "in_place": kind.in_place_label, "measures": kind.measures_label,
            "index": kind.index_label, "person": kind.person_label, "contacts": kind.contacts_label,
            "checkins": kind.has_checkins or any(m.checkins for m in measures), "site": kind.site_label}


def capacity_of(campaign: Campaign) -> tuple[int, bool]:
    """(households a person takes at most, whether their own household comes on top): the truth of the
    capacity line. Central households keep their own home outside the capacity; grid workers take a grid."""
    if campaign.rule == Rule.GRID_WORKER:
        return max(campaign.capacity, GRID_WORKER_CAPACITY if campaign.capacity <= 10 else campaign.capacity), False
    return campaign.capacity, campaign.rule == Rule.CENTRAL_HOUSEHOLD


def _bad(field: str, message: str) -> DomainError:
    return DomainError(message, fields={field: [message]})


# ---- assignment ---------------------------------------------------------------------------------

def _village_of(path: str, ids_by_code: dict[str, int]) -> int:
    parts = [c for c in path.split("/") if c]
    return ids_by_code.get(parts[2], 0) if len(parts) > 2 else 0


def _grid_of(path: str, ids_by_code: dict[str, int]) -> int:
    parts = [c for c in path.split("/") if c]
    return ids_by_code.get(parts[3], 0) if len(parts) > 3 else 0


def _homes_and_helpers(campaign: Campaign, household_ids: list[int]) -> tuple[list[A.Home], list[A.Helper], dict]:
    """Read the households and the candidate helpers of their villages (a few queries, no per-row ones)."""
    rows = list(Household.objects.filter(pk__in=household_ids).values_list(
        "id", "micro_grid_id", "micro_grid__path", "lat", "lon", "central_household_id").order_by("id")) \
        if len(household_ids) < 5000 else _households_bulk(household_ids)
    micro_grid_of = {r[0]: r[1] for r in rows}
    village_codes = sorted({[c for c in r[2].split("/") if c][2] for r in rows if r[2].count("/") > 3})
    ids_by_code = dict(OrgUnit.objects.filter(code__in=village_codes).values_list("code", "id"))
    villages = [OrgUnit(pk=i, code=c, path="") for c, i in ids_by_code.items()]
    village_paths = dict(OrgUnit.objects.filter(pk__in=[v.pk for v in villages]).values_list("id", "path"))
    meta: dict = {"micro_grid_of": micro_grid_of}
    cap = campaign.capacity
    if campaign.rule == Rule.GRID_WORKER:
        grid_codes = sorted({[c for c in r[2].split("/") if c][3] for r in rows if r[2].count("/") > 4})
        grid_ids = dict(OrgUnit.objects.filter(code__in=grid_codes).values_list("code", "id"))
        homes = [A.Home(id=r[0], group=_grid_of(r[2], grid_ids), village=_village_of(r[2], ids_by_code),
                        lat=r[3], lon=r[4]) for r in rows]
        posts = (Post.objects.filter(Post.current_q(), role=Role.GRID_WORKER, user__isnull=False,
                                     unit_id__in=grid_ids.values())
                 .values_list("user_id", "unit_id", "unit__path", "unit__centre_lat", "unit__centre_lon")
                 .order_by("start_date", "id"))
        helpers = []
        for uid, gid, gpath, la, lo in posts:
            helpers.append(A.Helper(id=uid, group=gid, village=_village_of(gpath, ids_by_code), lat=la, lon=lo,
                                    capacity=max(cap, GRID_WORKER_CAPACITY if cap <= 10 else cap)))
        meta["user_of"] = {h.id: h.id for h in helpers}
        return homes, helpers, meta
    homes = [A.Home(id=r[0], group=r[1], village=_village_of(r[2], ids_by_code), lat=r[3], lon=r[4],
                    linked=r[5] if campaign.rule == Rule.CENTRAL_HOUSEHOLD else None) for r in rows]
    if campaign.rule == Rule.CENTRAL_HOUSEHOLD:
        cands = (CentralHousehold.objects.filter(household__is_active=True, leader__status=ResidentStatus.ACTIVE)
                 .filter(_household_in(village_paths.values()))
                 .values_list("id", "household_id", "household__micro_grid_id", "household__micro_grid__path",
                              "household__lat", "household__lon", "capacity", "leader_id"))
        helpers = [A.Helper(id=i, group=mg, village=_village_of(p, ids_by_code), lat=la, lon=lo,
                            capacity=min(c or cap, cap), own_home=hh) for i, hh, mg, p, la, lo, c, _ in cands]
        meta["resident_of"] = {i: leader for i, *_r, leader in cands}
    else:  # registered party members and cadres, at their own homes
        regs = (CadreRegistration.objects.filter(ended_on__isnull=True, village_id__in=ids_by_code.values(),
                                                 resident__status=ResidentStatus.ACTIVE,
                                                 resident__household__isnull=False)
                .values_list("resident_id", "resident__household_id", "resident__household__micro_grid_id",
                             "resident__household__micro_grid__path", "resident__household__lat",
                             "resident__household__lon").distinct())
        helpers = [A.Helper(id=r, group=mg, village=_village_of(p, ids_by_code), lat=la, lon=lo, capacity=cap,
                            own_home=None) for r, hh, mg, p, la, lo in regs]
        meta["resident_of"] = {h.id: h.id for h in helpers}
    return homes, helpers, meta


def _household_in(paths) -> Q:
    q = Q(pk__in=[])
    for p in paths:
        q |= scopes.subtree_q(p, "household__micro_grid")
    return q


def _households_bulk(ids: list[int]) -> list[tuple]:
    """Many households in one ranged scan, filtered in memory (SQLite is slow with huge IN lists)."""
    wanted = set(ids)
    rows = Household.objects.filter(pk__gte=min(wanted), pk__lte=max(wanted)).values_list(
        "id", "micro_grid_id", "micro_grid__path", "lat", "lon", "central_household_id").order_by("id")
    return [r for r in rows.iterator(chunk_size=20000) if r[0] in wanted]


def _users_of_residents(resident_ids) -> dict[int, int]:
    from shanzhi.accounts.models import User

    return dict(User.objects.filter(resident_id__in=list(resident_ids), is_active=True).values_list("resident_id",
                                                                                                     "id"))


def _write_assignment(campaign: Campaign, homes: list[A.Home], helpers: list[A.Helper], meta: dict,
                      result: A.Assignment, now: dt.datetime, *, update: bool = False) -> None:
    resident_of = meta.get("resident_of", {})
    users = _users_of_residents(set(resident_of.values())) if resident_of else {}
    mg_of = meta.get("micro_grid_of") or {h.id: h.group for h in homes}
    point_of = {h.id: (h.lat, h.lon) for h in homes}
    by_helper: dict[int, list[int]] = {}
    for home_id, hid in result.helper_of.items():
        by_helper.setdefault(hid, []).append(home_id)
    order: dict[int, int] = {}
    for hids in by_helper.values():
        for n, home_id in enumerate(A.walk_order([(h, *point_of[h]) for h in sorted(hids)]), 1):
            order[home_id] = n

    def fields(home_id: int) -> dict:
        hid = result.helper_of.get(home_id)
        if hid is None:
            return {"central_id": None, "resident_id": None, "user_id": None, "assigned_at": None,
                    "unassigned_reason": result.unassigned.get(home_id, A.NO_HELPER), "route_order": 0}
        if campaign.rule == Rule.CENTRAL_HOUSEHOLD:
            res = resident_of.get(hid)
            return {"central_id": hid, "resident_id": res, "user_id": users.get(res), "assigned_at": now,
                    "unassigned_reason": "", "route_order": order.get(home_id, 0)}
        if campaign.rule == Rule.CADRE:
            return {"central_id": None, "resident_id": hid, "user_id": users.get(hid), "assigned_at": now,
                    "unassigned_reason": "", "route_order": order.get(home_id, 0)}
        return {"central_id": None, "resident_id": None, "user_id": hid, "assigned_at": now,
                "unassigned_reason": "", "route_order": order.get(home_id, 0)}

    if not update:
        targets = []
        for h in homes:
            targets.append(Target(campaign=campaign, household_id=h.id, unit_id=mg_of[h.id], **fields(h.id)))
        Target.objects.bulk_create(targets, batch_size=5000)
    else:
        targets = list(Target.objects.filter(campaign=campaign, household_id__in=[h.id for h in homes]))
        for t in targets:
            for k, v in fields(t.household_id).items():
                setattr(t, k, v)
        Target.objects.bulk_update(targets, ["central_id", "resident_id", "user_id", "assigned_at",
                                             "unassigned_reason", "route_order"], batch_size=5000)


@transaction.atomic
def campaign_create(*, actor, kind: str, name: str, scope: Scope, rule: str, capacity: int = 10,
                    starts_at: dt.datetime | None = None, ends_at: dt.datetime | None = None,
                    done_outcomes: list[str] | None = None, measure: str = "", measure_days: int = 14,
                    checkin: bool = False, outcomes: list[str] | None = None,
                    now: dt.datetime | None = None) -> Campaign:
    """Create a campaign over a scope and give every household a responsible person, in one step."""
    scopes.require(actor, "campaigns.run", scope.unit, what="该任务")
    now = now or clock.now()
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if kind not in Kind.values:
        errors["kind"] = ["类型无效"]
    if not name:
        errors["name"] = ["请填写名称"]
    if rule not in Rule.values:
        errors["rule"] = ["责任人规则无效"]
    try:
        capacity = int(capacity)
    except (TypeError, ValueError):
        capacity = 0
    if not 1 <= capacity <= 10000:
        errors["capacity"] = ["每人户数上限应为1到10000"]
    starts_at = starts_at or now
    if ends_at is not None and ends_at <= starts_at:
        errors["ends_at"] = ["结束时间应晚于开始时间"]
    done = done_outcomes or DONE.get(kind, [])
    offered = outcomes if outcomes is not None else OUTCOMES.get(kind)
    if offered is not None and any(o not in offered for o in done):
        errors["done_outcomes"] = ["完成结果不属于该类型"]
    if errors:
        raise DomainError("；".join(m for ms in errors.values() for m in ms), fields=errors)
    campaign = Campaign.objects.create(kind=kind, name=name, unit=scope.unit, scope=scope.description, rule=rule,
                                       capacity=capacity, done_outcomes=list(done), starts_at=starts_at,
                                       ends_at=ends_at, created_by=actor if getattr(actor, "pk", None) else None,
                                       created_at=now)
    homes, helpers, meta = _homes_and_helpers(campaign, scope.households)
    result = A.assign(homes, helpers)
    _write_assignment(campaign, homes, helpers, meta, result, now)
    if measure:
        end = timezone.localdate(now) + dt.timedelta(days=measure_days)
        Target.objects.filter(campaign=campaign).update(measure=measure, checkin=checkin,
                                                         measure_start=timezone.localdate(now), measure_end=end)
    if not result.unassigned:
        campaign.assigned_at = now
        campaign.save(update_fields=["assigned_at"])
    audit_record(actor=actor, action="campaigns.create", obj=campaign, unit_path=scope.unit.path,
                 after={"kind": kind, "households": len(homes), "unassigned": len(result.unassigned),
                        "rule": rule, "capacity": capacity})
    return campaign


@transaction.atomic
def campaign_reassign(*, actor, campaign: Campaign, targets: list[Target], central: CentralHousehold | None = None,
                      resident: Resident | None = None, user=None, now: dt.datetime | None = None) -> int:
    """Give some households to a named person (within capacity).

    The person is a target: of the campaign's kind (central household, registered cadre, grid worker),
    eligible in each household's village as the assignment rule finds helpers (an active central
    household there, a current registration with it, a current grid-worker post in it), and in the
    actor's scope for running campaigns. Anyone else is refused with a 400 naming the field "to".
    """
    from shanzhi.campaigns import selectors

    _require_campaign(actor, "campaigns.run", campaign)
    if sum(x is not None for x in (central, resident, user)) != 1:
        raise _bad("to", "请指定一位新的责任人")
    kind = Rule.CENTRAL_HOUSEHOLD if central else Rule.CADRE if resident else Rule.GRID_WORKER
    if kind != campaign.rule:
        raise _bad("to", selectors.NOT_IN_CAMPAIGN)
    for t in targets:
        if t.campaign_id != campaign.pk:
            raise NotFound("未找到该户")
    for village in sorted({selectors.village_path(t.unit) for t in targets}):
        home = selectors.candidate_unit(under=village, central=central, resident=resident, user=user)
        scopes.require_target(actor, "campaigns.run", home, field="to", message=selectors.NOT_IN_CAMPAIGN)
    now = now or clock.now()
    flt = Q(central=central) if central else Q(resident=resident) if resident else Q(user=user)
    current = Target.objects.filter(flt, campaign=campaign).exclude(pk__in=[t.pk for t in targets])
    if central is not None:  # a central household's own home is theirs outside the capacity
        current = current.exclude(household_id=central.household_id)
    current = current.count()
    if campaign.rule != Rule.GRID_WORKER and current + len(targets) > campaign.capacity:
        raise _bad("to", f"超出责任人容量：已有{current}户，上限{campaign.capacity}户")
    resident_id = central.leader_id if central else (resident.pk if resident else None)
    user_id = user.pk if user else _users_of_residents([resident_id]).get(resident_id)
    for t in targets:
        t.central, t.resident_id, t.user_id = central, resident_id, user_id
        t.assigned_at, t.unassigned_reason, t.acknowledged_at = now, "", None
    Target.objects.bulk_update(targets, ["central", "resident_id", "user_id", "assigned_at", "unassigned_reason",
                                         "acknowledged_at"])
    _maybe_all_assigned(campaign, now)
    audit_record(actor=actor, action="campaigns.reassign", obj=campaign, unit_path=campaign.unit.path,
                 after={"targets": [t.pk for t in targets]})
    return len(targets)


@transaction.atomic
def campaign_reassign_absent(*, actor, campaign: Campaign, central_id: int | None = None,
                             resident_id: int | None = None, user_id: int | None = None,
                             now: dt.datetime | None = None) -> A.Assignment:
    """Hand every household of an absent person to others by the campaign's rule, in one step."""
    _require_campaign(actor, "campaigns.run", campaign)
    now = now or clock.now()
    absent = central_id if campaign.rule == Rule.CENTRAL_HOUSEHOLD else resident_id if campaign.rule == Rule.CADRE \
        else user_id
    if absent is None:
        raise _bad("absent", "请指定缺席的责任人")
    flt = {"central_id": central_id} if campaign.rule == Rule.CENTRAL_HOUSEHOLD else \
        {"resident_id": resident_id} if campaign.rule == Rule.CADRE else {"user_id": user_id}
    theirs = list(Target.objects.filter(campaign=campaign, **flt).values_list("household_id", flat=True))
    if not theirs:
        raise _bad("absent", "该责任人名下没有户")
    homes_all, helpers, meta = _homes_and_helpers(campaign, list(
        Target.objects.filter(campaign=campaign).values_list("household_id", flat=True)))
    loads: dict[int, int] = {}
    key = "central_id" if campaign.rule == Rule.CENTRAL_HOUSEHOLD else "resident_id" \
        if campaign.rule == Rule.CADRE else "user_id"
    for hid in Target.objects.filter(campaign=campaign).exclude(**flt).values_list(key, flat=True):
        if hid is not None:
            loads[hid] = loads.get(hid, 0) + 1
    helpers = [A.Helper(id=h.id, group=h.group, village=h.village, lat=h.lat, lon=h.lon,
                        capacity=max(0, h.capacity - loads.get(h.id, 0)), own_home=None) for h in helpers]
    theirs_set = set(theirs)
    homes = [A.Home(id=h.id, group=h.group, village=h.village, lat=h.lat, lon=h.lon) for h in homes_all
             if h.id in theirs_set]
    result = A.assign(homes, helpers, exclude={absent})
    _write_assignment(campaign, homes, helpers, meta, result, now, update=True)
    audit_record(actor=actor, action="campaigns.reassign_absent", obj=campaign, unit_path=campaign.unit.path,
                 after={"absent": absent, "moved": len(result.helper_of), "unassigned": len(result.unassigned)})
    return result


def _maybe_all_assigned(campaign: Campaign, now: dt.datetime) -> None:
    if campaign.assigned_at is None and not Target.objects.filter(
            campaign=campaign, central__isnull=True, resident__isnull=True, user__isnull=True).exists():
        campaign.assigned_at = now
        campaign.save(update_fields=["assigned_at"])


# ---- responsible persons and outcomes -----------------------------------------------------------

def is_responsible(actor, target: Target) -> bool:
    if actor is None:
        return True
    if target.user_id and target.user_id == actor.pk:
        return True
    rid = getattr(actor, "resident_id", None)
    return bool(rid and target.resident_id == rid)


def _require_campaign(actor, action: str, campaign: Campaign) -> None:
    """The gate for acting on a campaign: it is visible to staff whose scope lies on its way down."""
    visible = actor is None or scopes.reaches(actor, "campaigns.view", campaign.unit)
    scopes.require(actor, action, campaign.unit, what="该任务", visible=visible)


def _require_target(actor, target: Target) -> None:
    """The responsible person, or staff who may sign off where the household lies (others: 404/403)."""
    scopes.require(actor, "campaigns.signoff", target.unit, what="该户", granted=is_responsible(actor, target))


def _active(campaign: Campaign) -> None:
    if campaign.status != CampaignStatus.ACTIVE:
        raise DomainError("该任务已结束", code="closed")


@transaction.atomic
def campaign_acknowledge(*, actor, campaign: Campaign, now: dt.datetime | None = None) -> int:
    """The responsible person acknowledges their households (emergency: "received, on my way")."""
    _active(campaign)
    rid = getattr(actor, "resident_id", None)
    mine = Target.objects.filter(Q(user_id=actor.pk) | (Q(resident_id=rid) if rid else Q(pk__in=[])),
                                 campaign=campaign)
    if not mine.exists():
        raise NotFound("您在该任务中没有负责的户")
    n = mine.filter(acknowledged_at__isnull=True).update(acknowledged_at=now or clock.now())
    audit_record(actor=actor, action="campaigns.acknowledge", obj=campaign, unit_path=campaign.unit.path,
                 after={"targets": n})
    return n


@transaction.atomic
def visit_record(*, actor, target: Target, outcome: str, met_whom: str = "", lat: float | None = None,
                 lon: float | None = None, photo=None, note: str = "", idempotency_key: str | None = None,
                 recorded_at: dt.datetime | None = None, now: dt.datetime | None = None) -> Visit:
    """Record an outcome for a household; a repeated idempotency key returns the first record.

    `recorded_at` is when the phone recorded it (an outcome queued offline arrives later): capped at now
    and not before the campaign's start. Every visit is kept; the household's outcome is that of its
    latest visit by that time, so one synced late after a newer one stays in the timeline but does not
    override it. Reached, notified and in place keep their earliest time.
    """
    _require_target(actor, target)
    key = (idempotency_key or "").strip()[:64] or None
    if key:
        existing = Visit.objects.filter(idempotency_key=key).first()
        if existing is not None:
            if existing.target_id != target.pk:
                raise _bad("idempotency_key", "重复的提交编号")
            return existing
    campaign = target.campaign
    _active(campaign)
    if outcome not in outcome_codes(campaign):
        raise _bad("outcome", "该结果不适用于此任务")
    measure = next((m for m in incident_type_of(campaign)[1] if m.in_field and m.code == outcome), None)
    if measure is not None and measure.needs_reason and not (note or "").strip():
        raise _bad("note", f"选择“{measure.name}”时请在备注中说明原因")
    if (lat is None) != (lon is None):
        raise _bad("lat", "经纬度须同时提供")
    if lat is not None:
        from shanzhi.lib.geometry import GeometryError, check_lat_lon

        try:
            lat, lon = check_lat_lon(lat, lon)
        except GeometryError as exc:
            raise _bad("lat", str(exc)) from exc
    now = now or clock.now()
    at = _recorded_time(recorded_at, campaign=campaign, now=now)
    by_cadre = actor is not None and (scopes.is_staff_user(actor) or CadreRegistration.objects.filter(
        resident_id=getattr(actor, "resident_id", None), ended_on__isnull=True).exists())
    visit = Visit(target=target, outcome=outcome, at=at, by=actor if getattr(actor, "pk", None) else None,
                  by_cadre=by_cadre, met_whom=(met_whom or "")[:100], lat=lat, lon=lon, note=note or "",
                  idempotency_key=key)
    if photo:
        from django.core.files.base import ContentFile

        from shanzhi.cases.images import validate_images

        img = validate_images([photo])[0]
        visit.photo.save(f"{target.pk}-{int(now.timestamp())}.jpg", ContentFile(img.data), save=False)
    # Lock the household's row: two outcomes arriving at once are ordered, and the later one wins.
    list(Target.objects.select_for_update().filter(pk=target.pk).values_list("pk", flat=True))
    target.refresh_from_db(fields=["last_outcome", "revisit_due", "reached_at", "notified_at", "in_place_at"])
    newer = Visit.objects.filter(target=target, at__gt=at).exists()
    visit.save()
    fields = ["last_outcome", "revisit_due"]
    if not newer:
        target.last_outcome = outcome
        target.revisit_due = at + dt.timedelta(days=1) if outcome == Outcome.NOT_HOME else None
    if outcome in campaign.done_outcomes and (target.reached_at is None or at < target.reached_at):
        target.reached_at = at
        fields.append("reached_at")
    if outcome == Outcome.VISITED and by_cadre and met_whom:
        target.met_cadre = True
        fields.append("met_cadre")
    if measure is not None and not newer:  # the household's measure is what was done there (已转移, 留守...)
        target.measure, target.checkin = measure.code, measure.checkins
        fields += ["measure", "checkin"]
    notified = outcome in (Outcome.NOTIFIED, Outcome.IN_PLACE) or measure is not None
    if notified and (target.notified_at is None or at < target.notified_at):
        target.notified_at = at
        fields.append("notified_at")
    in_place = outcome == Outcome.IN_PLACE or (measure is not None and not measure.needs_reason)
    if in_place and (target.in_place_at is None or at < target.in_place_at):
        target.in_place_at = at
        fields.append("in_place_at")
    target.save(update_fields=fields)
    if campaign.kind == Kind.EMERGENCY and campaign.all_notified_at is None and not Target.objects.filter(
            campaign=campaign, reached_at__isnull=True).exists():
        campaign.all_notified_at = now
        campaign.save(update_fields=["all_notified_at"])
    after = {"target": target.pk, "outcome": outcome, "at": at.isoformat()}
    if newer:
        after["superseded"] = True  # recorded before a visit already stored: kept, not the outcome
    audit_record(actor=actor, action="campaigns.visit", obj=campaign, unit_path=target.unit.path, after=after)
    visit.superseded = newer
    return visit


def _recorded_time(recorded_at: dt.datetime | None, *, campaign: Campaign, now: dt.datetime) -> dt.datetime:
    """When an outcome happened: the phone's time, capped at now and not before the campaign started."""
    if recorded_at is None:
        return now
    if timezone.is_naive(recorded_at):
        raise _bad("recorded_at", "记录时间须带时区")
    return max(min(recorded_at, now), min(campaign.starts_at, now))


@transaction.atomic
def visit_raise_case(*, actor, target: Target, category, description: str, kind: str = "problem",
                     idempotency_key: str | None = None, now: dt.datetime | None = None):
    """A need found on a visit becomes a case through the case intake, by the real actor, prefilled with the
    household and its place; the case's report event names the campaign and target, and the latest visit
    links to the case."""
    from shanzhi.cases.models import Channel
    from shanzhi.cases.services import case_report

    _require_target(actor, target)
    h = target.household
    staff = actor is not None and scopes.is_staff_user(actor)
    case = case_report(actor=actor, kind=kind, category=category, description=description,
                       channel=Channel.NIGHT_VISIT if staff else Channel.RESIDENT,
                       household=h if staff else None, lat=None if staff else h.lat, lon=None if staff else h.lon,
                       address=h.address, idempotency_key=idempotency_key, now=now,
                       origin={"campaign": target.campaign_id, "target": target.pk})
    last = target.visits.order_by("-at", "-id").first()
    if last is not None and last.case_id is None:
        last.case = case
        last.save(update_fields=["case"])
    return case


@transaction.atomic
def grid_signoff(*, actor, campaign: Campaign, grid: OrgUnit, reasons: dict[int, str] | None = None,
                 note: str = "", now: dt.datetime | None = None) -> SignOff:
    """A grid signs off; every household still pending needs a stated reason. Closes the campaign at the last grid."""
    scopes.require(actor, "campaigns.signoff", grid, what="该网格")
    _active(campaign)
    if grid.level != Level.GRID:
        raise _bad("grid", "只能按网格签收")
    now = now or clock.now()
    reasons = {int(k): (v or "").strip() for k, v in (reasons or {}).items()}
    pending = list(Target.objects.filter(scopes.subtree_q(grid, "unit"), campaign=campaign, reached_at__isnull=True))
    missing = []
    for t in pending:
        reason = reasons.get(t.pk) or t.pending_reason
        if not reason:
            missing.append(t.pk)
        else:
            t.pending_reason = reason[:200]
    if missing:
        raise DomainError(f"还有{len(missing)}户未完成且未说明原因，不能签收", fields={"reasons": [str(i) for i in missing]},
                          code="pending")
    if SignOff.objects.filter(campaign=campaign, grid=grid).exists():
        raise DomainError("该网格已签收", code="duplicate")
    Target.objects.bulk_update(pending, ["pending_reason"])
    so = SignOff.objects.create(campaign=campaign, grid=grid, by=actor if getattr(actor, "pk", None) else None,
                                at=now, note=note)
    grids = set(Target.objects.filter(campaign=campaign).values_list("unit__path", flat=True))
    grid_paths = {"/".join(p.split("/")[:4]) + "/" for p in grids}
    signed = set(SignOff.objects.filter(campaign=campaign).values_list("grid__path", flat=True))
    if grid_paths <= signed:
        campaign.status, campaign.closed_at = CampaignStatus.CLOSED, now
        campaign.save(update_fields=["status", "closed_at"])
    audit_record(actor=actor, action="campaigns.signoff", obj=campaign, unit_path=grid.path,
                 after={"grid": grid.code, "pending_with_reason": len(pending)})
    return so


# ---- emergencies ---------------------------------------------------------------------------------

@transaction.atomic
def incident_declare(*, actor, type: str, occurred_at: dt.datetime, place: str, scope: Scope,
                     measure: str | None = None, measure_days: int = 14, index_household: Household | None = None,
                     index_person: str = "", contacts: list | None = None, lat: float | None = None,
                     lon: float | None = None, capacity: int | None = None, kind: IncidentType | None = None,
                     now: dt.datetime | None = None) -> Campaign:
    """Declare an incident of a type and mobilise: every affected household gets a central household at 1:10.

    The type gives the measures: one chosen here for every household (居家隔离 / 集中隔离, with a period and
    health check-ins where the measure has them), or none, when each household's measure is recorded in the
    field (转移安置: 已转移 / 留守 with a reason / 已安置到安置点). `kind` None is the seeded epidemic;
    `measure` None is the type's first declared measure. `type` names the event (default: the type's name)."""
    if kind is None:
        kind = IncidentType.objects.filter(code=DEFAULT_INCIDENT_TYPE).first()
    if kind is None or not kind.is_active:
        raise _bad("kind", "请选择事件类型")
    measures = list(kind.measures.all())
    declared = {m.code: m for m in measures if m.at_declaration}
    if measure is None:
        measure = next(iter(declared), "")
    if measure and measure not in declared:
        raise _bad("measure", f"“{kind.name}”没有这项{kind.measures_label}")
    if declared and not measure:
        raise _bad("measure", f"请选择{kind.measures_label}")
    type = (type or "").strip() or kind.name
    if not (place or "").strip():
        raise _bad("place", "请填写地点")
    now = now or clock.now()
    if occurred_at > now + dt.timedelta(minutes=5):
        raise _bad("occurred_at", "发生时间不能晚于现在")
    cap = capacity or settings.SHANZHI["CENTRAL_HOUSEHOLD_CAPACITY"]
    offered, done = _type_outcomes(measures)
    campaign = campaign_create(actor=actor, kind=Kind.EMERGENCY, name=f"{type.strip()}（{place.strip()}）",
                               scope=scope, rule=Rule.CENTRAL_HOUSEHOLD, capacity=cap, measure=measure,
                               measure_days=measure_days, checkin=bool(measure and declared[measure].checkins),
                               outcomes=[str(o) for o in offered], done_outcomes=[str(o) for o in done], now=now)
    short = Target.objects.filter(campaign=campaign, unassigned_reason=A.FULL).count()
    if short:
        msg = (f"每个中心户上限{cap}户，不足以覆盖全部{len(scope.households)}户（{short}户无法分配到本村社的党员中心户），"
               "请提高上限或先增设党员中心户")
        raise DomainError(msg, fields={"capacity": [msg]}, code="capacity")
    Incident.objects.create(campaign=campaign, kind=kind, type=type.strip()[:50], occurred_at=occurred_at,
                            place=place.strip()[:200], lat=lat, lon=lon, index_household=index_household,
                            index_person=(index_person or "")[:50], contacts=contacts or [])
    return campaign


def _decimal(value, field: str, lo: str, hi: str) -> Decimal:
    try:
        d = Decimal(str(value)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise _bad(field, "体温必须是数字") from exc
    if not Decimal(lo) <= d <= Decimal(hi):
        raise _bad(field, f"体温应在{lo}到{hi}之间")
    return d


@transaction.atomic
def checkin_record(*, actor, target: Target, resident: Resident, temperature, symptoms: str = "",
                   now: dt.datetime | None = None) -> CheckIn:
    """A daily check-in of someone under quarantine, by themselves or their responsible person."""
    now = now or clock.now()
    today = timezone.localdate(now)
    self_reported = actor is not None and getattr(actor, "resident_id", None) == resident.pk
    if not self_reported:
        _require_target(actor, target)
    if resident.household_id != target.household_id or resident.status != ResidentStatus.ACTIVE:
        raise _bad("resident", "该人员不在此户")
    if not target.checkin:
        raise _bad("resident", "该户的措施不需要健康打卡")
    if target.released_at or not (target.measure_start and target.measure_start <= today
                                  <= (target.measure_end or today)):
        raise _bad("resident", "该人员不在隔离管控期内")
    temp = _decimal(temperature, "temperature", "34.0", "43.0")
    existing = CheckIn.objects.filter(campaign_id=target.campaign_id, resident=resident, day=today).first()
    if existing is not None:
        return existing  # a second tap on a flaky phone: the day's check-in is already in
    ci = CheckIn.objects.create(campaign_id=target.campaign_id, target=target, resident=resident, day=today, at=now,
                                temperature=temp, symptoms=(symptoms or "")[:200],
                                by=actor if getattr(actor, "pk", None) else None, self_reported=self_reported)
    audit_record(actor=actor, action="campaigns.checkin", obj=target.campaign, unit_path=target.unit.path,
                 after={"resident": resident.pk, "temperature": str(temp)})
    return ci


@transaction.atomic
def site_create(*, actor, unit: OrgUnit, name: str, rooms: int, capacity: int, address: str = "") -> Site:
    scopes.require(actor, "campaigns.run", unit, what="该单位")
    if not (name or "").strip():
        raise _bad("name", "请填写名称")
    if rooms < 1 or capacity < 1:
        raise _bad("capacity", "房间数和容量至少为1")
    site = Site.objects.create(unit=unit, name=name.strip(), rooms=rooms, capacity=capacity, address=address)
    audit_record(actor=actor, action="campaigns.site.create", obj=site, unit_path=unit.path,
                 after={"rooms": rooms, "capacity": capacity})
    return site


@transaction.atomic
def stay_check_in(*, actor, target: Target, resident: Resident, site: Site, room: str,
                  now: dt.datetime | None = None) -> Stay:
    """Check a person into a site room, within capacity, when their household's measure uses a site (the
    epidemic's 集中隔离, the evacuation's 已安置到安置点: a measure of the incident type with `uses_site`)."""
    _require_target(actor, target)
    kind, measures = incident_type_of(target.campaign)
    uses = {m.code for m in measures if m.uses_site} if kind is not None else {Measure.CENTRALISED}
    if not target.measure or target.measure not in uses:
        raise _bad("target", "该户的措施不需要入住集中点")
    if resident.household_id != target.household_id:
        raise _bad("resident", "该人员不在此户")
    site = Site.objects.select_for_update().get(pk=site.pk)
    current = Stay.objects.filter(site=site, checked_out_at__isnull=True).count()
    if current >= site.capacity:
        raise _bad("site", f"{site.name}已满（{site.capacity}人）")
    if Stay.objects.filter(campaign_id=target.campaign_id, resident=resident, checked_out_at__isnull=True).exists():
        raise _bad("resident", "该人员已入住")
    now = now or clock.now()
    stay = Stay.objects.create(campaign_id=target.campaign_id, site=site, resident=resident, room=(room or "")[:20],
                               checked_in_at=now)
    audit_record(actor=actor, action="campaigns.stay.in", obj=site, unit_path=target.unit.path,
                 after={"resident": resident.pk, "room": room})
    return stay


@transaction.atomic
def stay_check_out(*, actor, stay: Stay, now: dt.datetime | None = None) -> Stay:
    target = Target.objects.filter(campaign_id=stay.campaign_id, household_id=stay.resident.household_id).first()
    if target is None:  # the person has since moved to a household outside the campaign
        raise NotFound("未找到该户")
    _require_target(actor, target)
    if stay.checked_out_at:
        raise _bad("stay", "已离开")
    stay.checked_out_at = now or clock.now()
    stay.save(update_fields=["checked_out_at"])
    audit_record(actor=actor, action="campaigns.stay.out", obj=stay.site, unit_path=target.unit.path,
                 after={"resident": stay.resident_id})
    return stay
